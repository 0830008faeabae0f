"""Reading cases: one case with its timeline, and lists of cases, within the caller's scope."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from shared.auth.tokens import Principal
from services.reporting.queries import casework
from services.reporting.queries.casework import CaseFilter

from .context import ReadContext
from .errors import NotAllowed, NotVisible
from .paging import PageRequest, cursor_key, page
from .periods import riga_text
from .timeline import timeline


def case_item(c: Any) -> dict[str, Any]:
    """A case as listed."""
    return {"case_id": c["case_id"], "family_id": c["family_id"], "municipality_id": c["municipality_id"],
            "domain": c["domain"], "need": c["need"], "status": c["status"], "opened_at": riga_text(c["opened_at"]),
            "opened_by": c["opened_by"], "closed_at": riga_text(c["closed_at"]), "resolution": c["resolution"]}


async def read_case(ctx: ReadContext, principal: Principal, case_id: str, *,
                    min_sequence: int | None) -> dict[str, Any]:
    """A case's state and timeline."""
    scope, as_of = await ctx.begin(principal, min_sequence)
    scope.require_family_reader()
    record = await casework.case(ctx.pool, ctx.schema, case_id, as_of)
    if record is None or not scope.covers(record["municipality_id"]):
        raise NotVisible("case", case_id)
    records = await casework.case_records(ctx.pool, ctx.schema, case_id, as_of)
    return {**case_item(record), "description": record["description"], "closing_note": record["closing_note"],
            "timeline": timeline(record, records), "as_of_sequence": as_of}


async def list_cases(ctx: ReadContext, principal: Principal, which: CaseFilter, request: PageRequest, *,
                     min_sequence: int | None) -> dict[str, Any]:
    """Cases in the order they were opened, filtered and within scope."""
    scope, as_of = await ctx.begin(principal, min_sequence, request.as_of)
    scope.require_family_reader()
    if which.municipality_id is not None and not scope.covers(which.municipality_id):
        raise NotAllowed(f"municipality {which.municipality_id} is outside your scope")
    if which.family_id is not None:
        family = await casework.family(ctx.pool, ctx.schema, which.family_id, as_of)
        if family is None or not scope.covers(family["municipality_id"]):
            raise NotVisible("family", which.family_id)
    which = replace(which, as_of=as_of, municipalities=scope.municipalities)
    after = cursor_key(request, int)
    rows = await casework.cases(ctx.pool, ctx.schema, which, after[0] if after else None, request.limit + 1)
    return page(rows, request, as_of, key=lambda r: [r["sequence"]], item=case_item)
