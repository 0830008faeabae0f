"""A family's file: registration, consent, members, cases, how much work; personal data if allowed.

Every read of a file is recorded in the access log (who, role, when, which family, the reason
given, whether personal data was shown), including reads that were refused.
"""

from __future__ import annotations

from typing import Any

from shared.auth.tokens import Principal
from services.reporting.queries import access_log, casework

from .context import ReadContext
from .errors import NotVisible
from .periods import riga_text
from .personal import SHOWN, SealedBlock, opened, personal_status
from .scope import Scope
from .timeline import family_timeline


async def read_family(ctx: ReadContext, principal: Principal, family_id: str, *, reason: str | None,
                      min_sequence: int | None) -> dict[str, Any]:
    """The family file as the caller may see it; NotVisible (404) out of scope; NotAllowed (403) for institutions."""
    scope, as_of = await ctx.begin(principal, min_sequence)
    status, shown = 404, False
    try:
        scope.require_family_reader()
        record = await casework.family(ctx.pool, ctx.schema, family_id, as_of)
        if record is None or not scope.covers(record["municipality_id"]):
            raise NotVisible("family", family_id)
        answer = await _file(ctx, scope, record, reason, as_of)
        status, shown = 200, answer["personal_data"] == SHOWN
        return answer
    except PermissionError:
        status = 403
        raise
    finally:
        await access_log.record(ctx.pool, ctx.access_schema, actor=principal.subject, role=str(principal.role),
                                family_id=family_id, reason=reason, personal_shown=shown, status=status,
                                as_of=as_of)


async def _file(ctx: ReadContext, scope: Scope, family: Any, reason: str | None, as_of: int) -> dict[str, Any]:
    persons = await casework.persons(ctx.pool, ctx.schema, family["family_id"], as_of)
    cases = await casework.cases(ctx.pool, ctx.schema, casework.CaseFilter(as_of, family_id=family["family_id"]),
                                 None, 10_000)
    work = await casework.family_work(ctx.pool, ctx.schema, family["family_id"], as_of)
    outside_cases = await casework.family_records(ctx.pool, ctx.schema, family["family_id"], as_of)
    blocks = [SealedBlock(family["event_id"], family["personal"]),
              *(SealedBlock(p["event_id"], p["personal"]) for p in persons)]
    allowed = scope.may_open_personal(reason)
    key = await ctx.keys.get(family["family_id"]) if allowed and family["erased_at"] is None else None
    status = personal_status(allowed=allowed, erased=family["erased_at"] is not None, key=key, blocks=blocks)
    show = status == SHOWN
    return {
        "family_id": family["family_id"], "municipality_id": family["municipality_id"],
        "registered_at": riga_text(family["registered_at"]), "registered_by": family["registered_by"],
        "consent": {"given_on": family["consent_given_on"].isoformat(), "scope": family["consent_scope"],
                    "withdrawn_at": riga_text(family["consent_withdrawn_at"])},
        "erased": family["erased_at"] is not None, "erased_at": riga_text(family["erased_at"]),
        "erasure_reason": family["erasure_reason"],
        # erased_at is the event's time as the client gave it; this is when the intake received it
        "erasure_recorded_at": riga_text(family["erasure_recorded_at"]),
        "personal_data": status,
        "personal": opened(key, blocks[0]) if show else None,
        "persons": [{"person_id": p["person_id"], "relation": p["relation"], "birth_year": p["birth_year"],
                     "personal": opened(key, block) if show else None}
                    for p, block in zip(persons, blocks[1:], strict=True)],
        "cases": [{"case_id": c["case_id"], "domain": c["domain"], "need": c["need"], "status": c["status"],
                   "opened_at": riga_text(c["opened_at"]), "closed_at": riga_text(c["closed_at"]),
                   "resolution": c["resolution"]} for c in cases],
        "work": {"days": work["days"], "first_day": work["first_day"].isoformat() if work["first_day"] else None,
                 "last_day": work["last_day"].isoformat() if work["last_day"] else None},
        # work that names the family but none of its cases; each case's own is in its timeline
        "timeline": family_timeline(outside_cases),
        "as_of_sequence": as_of,
    }
