"""The answer pages behind signed links: `GET` shows, `POST` (a form) answers.

Pages are for people, so they are HTML (Latvian, English below). Errors are HTML for a browser
and problem+json for anything that does not ask for HTML. The token is in the URL, so pages
are never cached and never send a Referer onwards.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, TypeVar
from urllib.parse import parse_qs

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from shared.db.pool import UNAVAILABLE as DB_UNAVAILABLE
from shared.http.openapi import problems
from shared.http.problems import ProblemError
from services.notifications.adapters.templates import Templates
from services.notifications.application.answering import (AlreadyAnswered, Answered, LinkAnswers, NotAnswered,
                                                          Page, TryAgain)
from services.notifications.domain import wording
from services.notifications.domain.answers import ACTIONS
from services.notifications.domain.links import LinkRefused, fingerprint
from services.notifications.domain.refusals import Refusal

log = structlog.get_logger(__name__)
# An error is a page for a browser (Accept: text/html), a problem for anything else; an answer the
# intake refuses comes back with the intake's own status.
_PAGE_PROBLEMS = problems(403, 404, 409, 410, 422, 503, also_html=True)
router = APIRouter(prefix="/v1/ack", tags=["answer links"], responses={**problems(429), **_PAGE_PROBLEMS})

PAGE_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                                           "frame-ancestors 'none'"}
MAX_FORM_BYTES = 16 * 1024

T = TypeVar("T")


async def _guarded(request: Request, token: str, work: Awaitable[T], away: str) -> T | Response:
    """`work`'s result, or the answer to an error, logged here with the link's short fingerprint:
    the generic handlers would log the path, and the path holds the whole token.

    The database away is a 503 (`away` says what could not be done; nothing was recorded, so
    the person may try again); anything else is an unexpected error (500)."""
    try:
        return await work
    except ProblemError:
        raise
    except DB_UNAVAILABLE as error:
        log.warning("link.database_unavailable", link=fingerprint(token), error=type(error).__name__)
        return _failure(request, 503, away, "the database is unavailable just now; please try again in a minute")
    except Exception as error:
        log.exception("link.failed", link=fingerprint(token), error=type(error).__name__)
        raise ProblemError(500, "an unexpected error occurred; it has been logged") from None


def _answers(request: Request) -> LinkAnswers:
    return request.app.state.link_answers


def _templates(request: Request) -> Templates:
    return request.app.state.templates


def _html(request: Request, status: int, *, page: Page | None = None, message: tuple[str, str, str] | None = None,
          show_form: bool = True, text: str | None = None) -> HTMLResponse:
    """The page; `text` re-fills the form's textarea (what the person typed, shown back autoescaped)."""
    kind = page.link.kind if page else None
    context: dict[str, Any] = {"title": wording.PAGE_TITLES[kind], "facts": page.facts if page else None,
                               "state": page.state if page else None,
                               "actions": page.step.actions if page and page.step and show_form else (),
                               "text_label": wording.TEXT_LABELS.get(kind or "", ("", "")), "text": text or ""}
    if message:
        context["message"] = {"kind": message[0], "lv": message[1], "en": message[2]}
    return HTMLResponse(_templates(request).page(**context), status_code=status, headers=PAGE_HEADERS)


def _message(kind: str, key: str) -> tuple[str, str, str]:
    lv, en = wording.MESSAGES[key]
    return kind, lv, en


def _failure(request: Request, status: int, key: str, detail: str, page: Page | None = None,
             typed: str | None = None) -> Response:
    """An error: a page for a browser, a problem for anything else. Given what was `typed`, the
    page shows the form again with it (nothing was recorded: the person may try again)."""
    retry = {"Retry-After": "60"} if status == 503 else None
    if "text/html" not in request.headers.get("accept", ""):
        raise ProblemError(status, detail, headers=retry)
    page_answer = _html(request, status, page=page, message=_message("error", key), show_form=typed is not None,
                        text=typed)
    page_answer.headers.update(retry or {})
    return page_answer


def _refused_link(request: Request, refused: LinkRefused) -> Response:
    if refused.reason == "expired":
        return _failure(request, 410, "expired", "the link has expired")
    if refused.reason == "revoked":
        return _failure(request, 410, "revoked", "the subscription this notice was sent to has been removed, which "
                                                 "revoked its links; answer through the institution's API")
    return _failure(request, 404, "invalid", "the link is not valid")


@router.get("/{token}", response_class=HTMLResponse, summary="The page a notice's link opens")
async def show(token: str, request: Request) -> Response:
    page = await _guarded(request, token, _answers(request).page(token), "unreadable")
    if isinstance(page, Response):
        return page
    if isinstance(page, LinkRefused):
        return _refused_link(request, page)
    if page.step is None:
        return _html(request, 200, page=page, message=_message("warn", "already"))
    return _html(request, 200, page=page)


async def _form(request: Request) -> tuple[str, str | None]:
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/x-www-form-urlencoded":
        raise ProblemError(415, "send the page's form (application/x-www-form-urlencoded)")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise ProblemError(413, f"the form is over {MAX_FORM_BYTES} bytes")
    try:
        fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=10)
    except (UnicodeDecodeError, ValueError) as error:
        raise ProblemError(400, "the form could not be read") from error
    actions, texts = fields.get("action"), fields.get("text")
    return (actions[0] if actions else ""), (texts[0] if texts else None)


ANSWER_FORM = {"requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["action"], "properties": {
        "action": {"type": "string", "enum": list(ACTIONS),
                   "description": "One the link's page offers now: acknowledge or dispute a cooperation; accept or "
                                  "decline a referral, then complete it"},
        "text": {"type": "string", "description": "The note (acknowledge, accept, complete, decline) or the "
                                                  "reason (dispute: required)"}}}}}}}


@router.post("/{token}", response_class=HTMLResponse, summary="Answer through a link (the page's form)",
             responses=problems(400, 409, 413, 415, 422), openapi_extra=ANSWER_FORM)
async def answer(token: str, request: Request) -> Response:
    action, text = await _form(request)
    outcome = await _guarded(request, token, _answers(request).answer(token, action, text), "unavailable")
    if isinstance(outcome, Response):
        return outcome
    if isinstance(outcome, LinkRefused):
        return _refused_link(request, outcome)
    if isinstance(outcome, Answered):
        key = "accepted" if outcome.action == "accept" else "answered"
        return _html(request, 200, page=outcome.page, message=_message("ok", key))
    if isinstance(outcome, AlreadyAnswered):
        return _failure(request, 409, "already", "this has already been answered", outcome.page)
    if isinstance(outcome, NotAnswered):
        if "text/html" not in request.headers.get("accept", ""):
            raise ProblemError(422, outcome.problem.detail, errors=[(outcome.problem.field, outcome.problem.detail)])
        problem = outcome.problem
        lv, en = wording.problem_words(problem.code, problem.detail, dict(problem.context))
        return _html(request, 422, page=outcome.page, message=("error", lv, en), text=text)
    if isinstance(outcome, TryAgain):
        return _failure(request, 503, "unavailable", outcome.detail, outcome.page, typed=text or "")
    refusal: Refusal = outcome
    return _failure(request, refusal.status, "unavailable" if refusal.status == 503 else "refused", refusal.detail)
