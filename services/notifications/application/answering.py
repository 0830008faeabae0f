"""Answering through a link: show what it answers, and append the answer through the intake.

A use of a step is recorded before anything is posted, with the exact event to post, so a
double submit (two clicks, a retried request) posts the same event with the same id and the
intake answers the second as a duplicate. If nothing could be appended (the intake was down,
or refused) the record is dropped and the link may be used again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from services.notifications import metrics
from services.notifications.adapters.intake_client import IntakeClient, IntakeUnavailable
from services.notifications.adapters.links import LinkStore, LinkUse
from services.notifications.domain.answers import (ACTIONS, InvalidAnswer, Step, answer_data, current_step,
                                                   status_after)
from services.notifications.domain.links import Link, LinkRefused, answer_event_id, read_link
from services.notifications.domain.refusals import Refusal

log = structlog.get_logger(__name__)

SOURCE = "tilts/notifications/link"
_PROGRESS = {None: 0, "made": 0, "accepted": 1}  # every other state is final


@dataclass(frozen=True, slots=True)
class Page:
    """What a link page shows: the notice, where it stands, and the answers open now."""

    link: Link
    facts: dict[str, Any]
    state: str | None
    step: Step | None


@dataclass(frozen=True, slots=True)
class Answered:
    page: Page
    action: str


@dataclass(frozen=True, slots=True)
class AlreadyAnswered:
    page: Page


@dataclass(frozen=True, slots=True)
class NotAnswered:
    """The form did not make a valid answer; the page is shown again with why."""

    page: Page
    problem: InvalidAnswer


@dataclass(frozen=True, slots=True)
class TryAgain:
    """The answer could not be recorded just now (the intake is away): nothing was stored, and
    the page is shown again with the form, so what was typed is not lost."""

    page: Page
    detail: str


Outcome = Answered | AlreadyAnswered | NotAnswered | TryAgain | LinkRefused | Refusal


def _later(state: str | None, other: str | None) -> str | None:
    return other if _PROGRESS.get(other, 2) > _PROGRESS.get(state, 2) else state


class LinkAnswers:
    """The application side of `/v1/ack/{token}`."""

    def __init__(self, link_key: bytes, store: LinkStore, intake: IntakeClient,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._key, self._store, self._intake, self._clock = link_key, store, intake, clock

    async def page(self, token: str) -> Page | LinkRefused:
        """What the link answers and which answers it takes now."""
        link = read_link(token, self._key)
        if isinstance(link, LinkRefused):
            return link
        answerable = await self._store.answerable(link)
        if answerable is None:
            return LinkRefused("invalid")
        if answerable.revoked:
            return LinkRefused("revoked")
        state = answerable.state
        for use in await self._store.uses(link):  # the log may not have reached the fan-out yet
            if use.done:
                state = _later(state, status_after(link, use.action))
        return Page(link, answerable.facts, state, current_step(link, state))

    async def answer(self, token: str, action_name: str, text: str | None) -> Outcome:
        """Append the answer `action_name` (with its note or reason) for the link's holder."""
        page = await self.page(token)
        if isinstance(page, LinkRefused):
            return page
        if page.step is None:
            return AlreadyAnswered(page)
        action = ACTIONS.get(action_name)
        if action is not None and action_name not in page.step.actions \
                and status_after(page.link, action_name) == page.state:
            return AlreadyAnswered(page)  # the same answer again, after the first one landed
        if action is None or action_name not in page.step.actions:
            choices = f"choose one of: {', '.join(page.step.actions)}"
            return NotAnswered(page, InvalidAnswer("action", choices, "action"))
        data = answer_data(page.link, action, text)
        if isinstance(data, InvalidAnswer):
            return NotAnswered(page, data)
        # The source names the subscription the link was sent to: the record then shows where the
        # answer came from, and the subscription who set it up (an admin may subscribe for an
        # institution, and the link acts for the institution's contact).
        event = {"specversion": "1.0", "id": answer_event_id(page.link.delivery_id, page.step.name),
                 "source": f"{SOURCE}/{page.link.subscription_id}", "type": action.model.TYPE,
                 "time": self._clock().isoformat(), "data": data}
        use = await self._store.claim(page.link, LinkUse(page.step.name, action_name, event, False))
        if use.done or use.action != action_name:
            return AlreadyAnswered(page)
        return await self._post(page, use)

    async def _post(self, page: Page, use: LinkUse) -> Outcome:
        link = page.link
        author = link.contact_id if link.kind == "cooperation" and link.contact_id else link.subscription_id
        try:
            answer = await self._intake.append(use.event, author=author, institution_id=link.institution_id)
        except IntakeUnavailable as error:
            await self._store.forget(link, use.step)
            log.warning("link.intake_unavailable", delivery_id=link.delivery_id, error=str(error))
            metrics.LINK_ANSWERS.labels("unavailable").inc()
            return TryAgain(page, "the answer could not be recorded just now; please try again in a minute")
        if answer.appended:
            await self._store.complete(link, use.step)
            # The same answer sent again (a double click racing the first) is no second answer.
            repeated = answer.status != 201
            metrics.LINK_ANSWERS.labels("repeated" if repeated else use.action).inc()
            log.info("link.answered", delivery_id=link.delivery_id, event_id=use.event["id"], action=use.action,
                     subscription_id=link.subscription_id, repeated=repeated)
            state = status_after(link, use.action)
            return Answered(Page(link, page.facts, state, current_step(link, state)), use.action)
        await self._store.forget(link, use.step)
        metrics.LINK_ANSWERS.labels(f"refused_{answer.status}").inc()
        log.info("link.refused_by_intake", delivery_id=link.delivery_id, status=answer.status)
        if answer.status == 409:
            return AlreadyAnswered(page)
        return Refusal(answer.status, str(answer.body.get("detail") or "the answer was not accepted"))
