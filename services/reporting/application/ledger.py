"""Reading the cooperation ledger and the referrals, within the caller's scope.

An institution sees only the cooperations and referrals that name it, and never which family
or case they concern.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from shared.auth.tokens import Principal
from services.reporting.queries import ledger, registry
from services.reporting.queries.ledger import LedgerFilter

from .context import ReadContext
from .errors import NotAllowed
from .paging import PageRequest, cursor_key, page
from .periods import riga_text
from .scope import Scope


def cooperation_item(c: Any, with_family: bool) -> dict[str, Any]:
    """One line of the ledger."""
    answer = None
    if c["answer"]:
        answer = {"status": c["answer"], "at": riga_text(c["answered_at"]), "sequence": c["answer_sequence"],
                  "contact": {"contact_id": c["answer_contact_id"], "name": c["answer_contact_name"],
                              "role": c["answer_contact_role"]},
                  ("note" if c["answer"] == "acknowledged" else "reason"): c["answer_note"]}
    item = {"cooperation_id": c["cooperation_id"], "sequence": c["sequence"], "time": riga_text(c["time"]),
            "date": c["local_date"].isoformat(), "municipality_id": c["municipality_id"],
            "mediator": {"mediator_id": c["mediator_id"], "name": c["mediator_name"]},
            "institution": {"institution_id": c["institution_id"], "name": c["institution_name"]},
            "contact": {"contact_id": c["contact_id"], "name": c["contact_name"], "role": c["contact_role"]},
            "domain": c["domain"], "channel": c["channel"], "purpose": c["purpose"],
            "status": c["answer"] or "recorded", "answer": answer}
    if with_family:
        item |= {"family_id": c["family_id"], "case_id": c["case_id"]}
    return item


def referral_item(r: Any, with_family: bool) -> dict[str, Any]:
    """One referral and how far it has gone."""
    item = {"referral_id": r["referral_id"], "sequence": r["sequence"], "time": riga_text(r["time"]),
            "municipality_id": r["municipality_id"],
            "mediator": {"mediator_id": r["mediator_id"], "name": r["mediator_name"]},
            "institution": {"institution_id": r["institution_id"], "name": r["institution_name"]},
            "service": r["service"], "status": r["status"],
            **{f"{s}_at": riga_text(r[f"{s}_at"]) for s in ("accepted", "completed", "declined")},
            **{f"{s}_note": r[f"{s}_note"] for s in ("accepted", "completed", "declined")}}
    if with_family:
        item |= {"family_id": r["family_id"], "case_id": r["case_id"]}
    return item


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(text)
    return moment


async def _scoped(ctx: ReadContext, scope: Scope, which: LedgerFilter) -> LedgerFilter:
    """The filter narrowed to what the caller may see (403 for an institution or municipality outside it)."""
    if scope.is_institution:
        if which.institution_id not in (None, scope.institution):
            raise NotAllowed("an institution sees only its own cooperations and referrals")
        return replace(which, institution_id=scope.institution, municipalities=None)
    if which.mediator_id is not None and scope.municipalities is not None:
        # Any registration counts: a mediator registered elsewhere since leaves their earlier
        # work here in this ledger (which shows only the caller's municipalities either way).
        registered = await registry.municipalities_ever(ctx.pool, ctx.schema, which.mediator_id, which.as_of)
        if not registered & scope.municipalities:
            raise NotAllowed(f"mediator {which.mediator_id} works outside your scope")
    return replace(which, municipalities=scope.municipalities)


async def list_cooperations(ctx: ReadContext, principal: Principal, which: LedgerFilter, request: PageRequest, *,
                            min_sequence: int | None) -> dict[str, Any]:
    """The cooperation ledger in time order."""
    scope, as_of = await ctx.begin(principal, min_sequence, request.as_of)
    which = await _scoped(ctx, scope, replace(which, as_of=as_of))
    after = cursor_key(request, _instant, str)
    rows = await ledger.cooperations(ctx.pool, ctx.schema, which, after, request.limit + 1)
    return page(rows, request, as_of, key=lambda r: [r["time"].isoformat(), r["cooperation_id"]],
                item=lambda r: cooperation_item(r, not scope.is_institution))


async def list_referrals(ctx: ReadContext, principal: Principal, which: LedgerFilter, request: PageRequest, *,
                         min_sequence: int | None) -> dict[str, Any]:
    """Referrals in the order they were made."""
    scope, as_of = await ctx.begin(principal, min_sequence, request.as_of)
    which = await _scoped(ctx, scope, replace(which, as_of=as_of))
    after = cursor_key(request, int)
    rows = await ledger.referrals(ctx.pool, ctx.schema, which, after, request.limit + 1)
    return page(rows, request, as_of, key=lambda r: [r["sequence"]],
                item=lambda r: referral_item(r, not scope.is_institution))
