"""The notifications API: subscriptions and deliveries. Parse, authorise, call, answer."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import ValidationError

from shared.auth.tokens import Principal
from shared.http.auth import authenticate, bearer_scheme
from shared.events.fields import ID_JSON_PATTERN
from shared.http.ids import id_in_path, id_in_query
from shared.http.json_body import parse_json
from shared.http.openapi import problems
from shared.http.problems import ProblemError, plain_message
from shared.http.schemas import json_answer, listing
from services.notifications.application.deliveries import MAX_LIMIT, Deliveries
from services.notifications.application.reach import Reach
from services.notifications.application.subscribing import Subscriptions
from services.notifications.domain.backoff import DeliveryStatus
from services.notifications.domain.refusals import Refusal
from services.notifications.domain.subscriptions import SubscriptionRequest

from . import responses

MAX_SEQUENCE = 10**18 - 1

# Every route reads or writes PostgreSQL: 503 with Retry-After while it is away.
router = APIRouter(prefix="/v1", tags=["notifications"], responses=problems(401, 429, 503))


async def principal_of(request: Request,
                       credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)) -> Principal:
    return authenticate(request, credentials)


def _subscriptions(request: Request) -> Subscriptions:
    return request.app.state.subscriptions


def _deliveries(request: Request) -> Deliveries:
    return request.app.state.deliveries


def _reach(request: Request) -> Reach:
    return request.app.state.reach


def _ok(outcome: Any) -> Any:
    """The value, or the refusal raised as a problem."""
    if isinstance(outcome, Refusal):
        errors = [(outcome.field, outcome.detail)] if outcome.field else []
        headers = {"Retry-After": "5"} if outcome.status == 503 else None
        raise ProblemError(outcome.status, outcome.detail, errors=errors, headers=headers)
    return outcome


async def _subscription_request(request: Request) -> SubscriptionRequest:
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media != "application/json":
        raise ProblemError(415, f"send application/json, not {media}")
    body = parse_json(await request.body())
    try:
        return SubscriptionRequest.model_validate(body)
    except ValidationError as error:
        errors = [(".".join(str(p) for p in e["loc"]) or "body", plain_message(e["msg"])) for e in error.errors()]
        raise ProblemError(422, "the subscription is not valid", errors=errors) from error


@router.post("/subscriptions", status_code=201, summary="Subscribe an institution to its notices",
             openapi_extra={"requestBody": {"content": {"application/json": {
                 "schema": SubscriptionRequest.model_json_schema()}}}},
             responses={**json_answer(responses.SUBSCRIBED, "Subscribed", 201),
                        **problems(400, 403, 404, 413, 415, 422)})
async def subscribe(request: Request, principal: Principal = Depends(principal_of)) -> JSONResponse:
    parsed = await _subscription_request(request)
    subscribed = _ok(await _subscriptions(request).subscribe(principal, parsed))
    body = subscribed.subscription.as_json()
    if subscribed.secret is not None:
        body["secret"] = subscribed.secret  # shown this once; only a sealed copy is kept
    return JSONResponse(body, status_code=201, headers={
        "Location": f"/v1/subscriptions/{subscribed.subscription.id}", "Cache-Control": "no-store"})


@router.get("/subscriptions", summary="Subscriptions you may see (an institution: its own)",
            responses={**json_answer(listing(responses.SUBSCRIPTION, as_of=False)), **problems(403)})
async def list_subscriptions(request: Request, institution_id: str | None = id_in_query("institution"),
                             principal: Principal = Depends(principal_of)) -> dict:
    found = _ok(await _subscriptions(request).list(principal, institution_id))
    return {"items": [s.as_json() for s in found], "next": None}


@router.get("/subscriptions/{subscription_id}", summary="One subscription (never its secret)",
            responses={**json_answer(responses.SUBSCRIPTION), **problems(404)})
async def get_subscription(request: Request, subscription_id: str = id_in_path("subscription"),
                           principal: Principal = Depends(principal_of)) -> dict:
    return _ok(await _subscriptions(request).get(principal, subscription_id)).as_json()


@router.delete("/subscriptions/{subscription_id}", status_code=204,
               summary="End a subscription; what it has not delivered yet is cancelled", responses=problems(404),
               description="Ending a subscription also revokes the answer links it has sent: they answer 410 "
                           "from then on (a person who left the institution keeps no way to answer for it). "
                           "The institution can still answer through the intake's API. To move notices to a new "
                           "address, create the new subscription first, then delete the old one: the new one "
                           "gets only what happens after it was created.")
async def delete_subscription(request: Request, subscription_id: str = id_in_path("subscription"),
                              principal: Principal = Depends(principal_of)) -> Response:
    _ok(await _subscriptions(request).delete(principal, subscription_id))
    return Response(status_code=204)


@router.get("/deliveries", summary="Deliveries, newest first: status, attempts, last error, next attempt",
            responses={**json_answer(listing(responses.DELIVERY, as_of=False)), **problems(403)})
async def list_deliveries(request: Request, institution_id: str | None = id_in_query("institution"),
                          status: DeliveryStatus | None = None,
                          limit: int = Query(100, ge=1, le=MAX_LIMIT, description="Items per page"),
                          cursor: str | None = None,
                          principal: Principal = Depends(principal_of)) -> dict:
    page = _ok(await _deliveries(request).list(principal, institution_id, status and str(status), limit, cursor))
    return {"items": page.items, "next": page.next}


@router.post("/deliveries/{delivery_id}:requeue", summary="Try a delivery again now (admin)",
             responses={**json_answer(responses.DELIVERY), **problems(403, 404, 409)})
async def requeue_delivery(request: Request, delivery_id: str = id_in_path("delivery"),
                           principal: Principal = Depends(principal_of)) -> dict:
    return _ok(await _deliveries(request).requeue(principal, delivery_id))


@router.get("/institutions/reach",
            summary="Per institution: its subscriptions, and which cooperations and referrals it was told of",
            description="A cooperation or referral is *told* once its notice was delivered to one of the "
                        "institution's subscriptions, *answered* once the institution acknowledged, disputed "
                        "or answered it, and *untold* when neither holds. Admins and auditors see every "
                        "institution, coordinators those of their municipalities, an institution itself.",
            responses={**json_answer(listing(responses.REACH)), **problems(403, 422)})
async def list_reach(request: Request, municipality_id: str | None = id_in_query("municipality"),
                     institution_id: str | None = id_in_query("institution"),
                     limit: int = Query(100, ge=1, le=MAX_LIMIT, description="Items per page"),
                     cursor: str | None = Query(None, pattern=ID_JSON_PATTERN),
                     min_sequence: int | None = Query(None, ge=0, le=MAX_SEQUENCE,
                                                      description="Wait until notifications have read this far"),
                     principal: Principal = Depends(principal_of)) -> dict:
    page = _ok(await _reach(request).list(principal, municipality_id, institution_id, limit, cursor, min_sequence))
    return {"items": page.items, "as_of_sequence": page.as_of_sequence, "next": page.next}
