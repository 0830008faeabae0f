"""How a cooperation or a referral may be answered through a link, step by step.

A cooperation is answered once: acknowledged or disputed. A referral is answered in up to two
steps: accepted or declined, then (once accepted) completed or declined. A link is single-use
per step: the second use of a step shows "already answered".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from shared.events.base import EventData
from shared.events.fields import is_single_line
from shared.events.work import (CooperationAcknowledged, CooperationDisputed, ReferralAccepted,
                                ReferralCompleted, ReferralDeclined)

from .links import Link


@dataclass(frozen=True, slots=True)
class Action:
    """One answer a person can give: the event it posts and the text it takes."""

    name: str
    model: type[EventData]
    text_field: str          # "note" or "reason"
    text_required: bool


ACTIONS = {a.name: a for a in (
    Action("acknowledge", CooperationAcknowledged, "note", False),
    Action("dispute", CooperationDisputed, "reason", True),
    Action("accept", ReferralAccepted, "note", False),
    Action("decline", ReferralDeclined, "note", False),
    Action("complete", ReferralCompleted, "note", False),
)}


@dataclass(frozen=True, slots=True)
class Step:
    """Where a cooperation or referral stands, and the answers it takes now."""

    name: str
    actions: tuple[str, ...]


def current_step(link: Link, state: str | None) -> Step | None:
    """The step open now, given the cooperation's answer or the referral's status; None if done."""
    if link.kind == "cooperation":
        return Step("answer", ("acknowledge", "dispute")) if state is None else None
    if state in (None, "made"):
        return Step("respond", ("accept", "decline"))
    if state == "accepted":
        return Step("complete", ("complete", "decline"))
    return None


def status_after(link: Link, action: str) -> str:
    """The state a cooperation or referral is in once `action` is appended."""
    return {"acknowledge": "acknowledged", "dispute": "disputed", "accept": "accepted",
            "decline": "declined", "complete": "completed"}[action]


@dataclass(frozen=True, slots=True)
class InvalidAnswer:
    """The form does not make a valid answer (e.g. a dispute without a reason).

    `code` says which problem it is, for a page to say it in Latvian: "missing" (a required text
    left empty), "action" (an answer not open now), or the validation error's own type
    (e.g. "string_too_long"), with its `context` (e.g. the maximum length).
    """

    field: str
    detail: str
    code: str = "invalid"
    context: tuple[tuple[str, Any], ...] = ()


_LINE_BREAKS = re.compile(r"\s*[\r\n\t]\s*")


def fold_lines(text: str) -> str:
    """One line: each run of whitespace holding a line break or tab becomes a single space."""
    return _LINE_BREAKS.sub(" ", text)


def form_text(action: Action, text: str) -> str:
    """The textarea's text as the event's field takes it: the page's textarea is multi-line, so a
    single-line field (a dispute's reason) gets its line breaks folded, not refused."""
    return fold_lines(text) if is_single_line(action.model, action.text_field) else text


def answer_data(link: Link, action: Action, text: str | None) -> dict[str, Any] | InvalidAnswer:
    """The `data` of the event that answers the link, validated by the catalogue's own model."""
    data: dict[str, Any] = ({"cooperation_id": link.subject_id, "contact_id": link.contact_id}
                            if link.kind == "cooperation" else {"referral_id": link.subject_id})
    if text is not None and text.strip():
        data[action.text_field] = form_text(action, text)
    elif action.text_required:
        return InvalidAnswer(action.text_field, f"please give a {action.text_field}", "missing")
    try:
        return action.model.model_validate(data).model_dump(mode="json", exclude_none=True)
    except ValidationError as error:
        first = error.errors()[0]
        return InvalidAnswer(str(first["loc"][0]) if first["loc"] else action.text_field, first["msg"],
                             first["type"], tuple(sorted((first.get("ctx") or {}).items())))
