"""The reporting HTTP API: parse the query, authenticate, call the read, shape the answer."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials

from shared.auth.tokens import Principal
from shared.events.fields import Domain
from shared.http.auth import authenticate, bearer_scheme
from shared.http.ids import id_in_path
from shared.http.openapi import problems
from shared.http.schemas import json_answer, listing
from services.reporting.application.access_reads import list_reads
from services.reporting.application.casework import list_cases, read_case
from services.reporting.application.context import ReadContext
from services.reporting.application.errors import BadQuery
from services.reporting.application.family_file import read_family
from services.reporting.application.ledger import list_cooperations, list_referrals
from services.reporting.application.paging import DEFAULT_LIMIT, MAX_LIMIT, page_request
from services.reporting.application.report_reads import read_evaluations, read_monthly, read_summary
from services.reporting.queries.access_log import ReadsFilter
from services.reporting.queries.casework import CaseFilter
from services.reporting.queries.ledger import LedgerFilter
from services.reporting.rendering.csv_export import DIALECTS, TABLES, evaluations_csv, monthly_csv, summary_csv
from services.reporting.rendering.html import render_evaluations, render_monthly, render_summary
from services.reporting.rendering.labels import LANGUAGES

from . import params, responses

# Every read may answer these; reads of one thing (or filtered by one) also 404.
READ_PROBLEMS = problems(401, 403, 422, 429, 503)
NOT_FOUND = problems(404)
router = APIRouter(prefix="/v1", tags=["reading"], responses=READ_PROBLEMS)

FORMATS = ("json", "csv", "html")
DOMAINS = tuple(d.value for d in Domain)
REFERRAL_STATUSES = ("made", "accepted", "completed", "declined")
# Printable pages carry no scripts and fetch nothing: only their own inline styles.
HTML_POLICY = {"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:"}

ID = params.ID_PATTERN
MIN_SEQUENCE = Query(None, ge=0, le=params.MAX_SEQUENCE,
                     description="Wait (at most 5 s) until the read models include this sequence")
LIMIT = Query(None, ge=1, le=MAX_LIMIT, description=f"Items per page (default {DEFAULT_LIMIT})")
CURSOR = Query(None, description="The `next` cursor of the previous page")
AS_OF = Query(None, ge=0, le=params.MAX_SEQUENCE,
              description="Compute the report as of this sequence (at most the current position)")
FORMAT = Query("json", description="json, csv or a printable html page")
LANG = Query("lv", description="Language of the html page")
TABLE = Query("figures", description="for csv: figures (a row per municipality and the total) or "
                                     "by_institution (cooperations and acknowledgements per institution)")
DIALECT = Query("rfc4180", description="for csv: rfc4180 (commas, plain UTF-8) or excel (semicolons and a "
                                       "UTF-8 byte-order mark, for a spreadsheet opened with Latvian settings)")
FROM_TIME = Query(None, alias="from", pattern=params.BOUND_PATTERN,
                  description="First Riga day, YYYY-MM-DD (or an RFC 3339 time with an offset)")
TO_TIME = Query(None, pattern=params.BOUND_PATTERN,
                description="Last Riga day, included, YYYY-MM-DD (or an RFC 3339 time with an offset)")
FROM_DAY = Query(alias="from", pattern=params.DAY_PATTERN, description="First day, YYYY-MM-DD")
TO_DAY = Query(pattern=params.DAY_PATTERN, description="Last day, YYYY-MM-DD (included)")
Format = Literal[FORMATS]  # type: ignore[valid-type]
Language = Literal[LANGUAGES]  # type: ignore[valid-type]
Table = Literal[TABLES]  # type: ignore[valid-type]
Dialect = Literal[DIALECTS]  # type: ignore[valid-type]
DomainName = Literal[DOMAINS]  # type: ignore[valid-type]
ReferralStatus = Literal[REFERRAL_STATUSES]  # type: ignore[valid-type]
Id = Annotated[str | None, Query(pattern=ID)]


async def caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme)
                 ) -> Principal:
    return authenticate(request, credentials)


CALLER = Depends(caller)


def context(request: Request) -> ReadContext:
    return request.app.state.reading


def _table(table: str, dialect: str, shape: str) -> str:
    for name, value, default in (("table", table, TABLES[0]), ("dialect", dialect, DIALECTS[0])):
        if value != default and shape != "csv":
            raise BadQuery(name, "applies to format=csv")
    return table


def _csv(text: str, name: str, table: str) -> Response:
    suffix = "" if table == TABLES[0] else f"-{table}"
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}{suffix}.csv"'})


@router.get("/families/{family_id}", summary="A family's file (personal data only for readers allowed to see it)",
            responses={**json_answer(responses.FAMILY_FILE), **NOT_FOUND})
async def get_family(request: Request, family_id: str = id_in_path("family"), reason: str | None = Query(
        None, max_length=params.MAX_REASON,
        description="Why personal data is needed (coordinators, auditors, admins); one line, recorded"),
        min_sequence: int | None = MIN_SEQUENCE, principal: Principal = CALLER) -> JSONResponse:
    return JSONResponse(await read_family(context(request), principal, family_id, reason=params.reason(reason),
                                          min_sequence=min_sequence))


@router.get("/cases/{case_id}", summary="A case's state and timeline",
            responses={**json_answer(responses.CASE_FILE), **NOT_FOUND})
async def get_case(request: Request, case_id: str = id_in_path("case"), min_sequence: int | None = MIN_SEQUENCE,
                   principal: Principal = CALLER) -> JSONResponse:
    return JSONResponse(await read_case(context(request), principal, case_id, min_sequence=min_sequence))


@router.get("/cases", summary="Cases, in the order they were opened",
            responses={**json_answer(listing(responses.CASE)), **NOT_FOUND})
async def get_cases(request: Request, family_id: Id = None, municipality_id: Id = None,
                    status: Literal["open", "closed"] | None = None, domain: DomainName | None = None,
                    limit: int | None = LIMIT, cursor: str | None = CURSOR, min_sequence: int | None = MIN_SEQUENCE,
                    principal: Principal = CALLER) -> JSONResponse:
    which = CaseFilter(0, family_id=family_id, municipality_id=municipality_id, status=status, domain=domain)
    return JSONResponse(await list_cases(context(request), principal, which, page_request(limit, cursor),
                                         min_sequence=min_sequence))


@router.get("/cooperations", summary="The cooperation ledger, in time order",
            responses=json_answer(listing(responses.COOPERATION)))
async def get_cooperations(request: Request, institution_id: Id = None, mediator_id: Id = None,
                           from_: str | None = FROM_TIME, to: str | None = TO_TIME, limit: int | None = LIMIT,
                           cursor: str | None = CURSOR, min_sequence: int | None = MIN_SEQUENCE,
                           principal: Principal = CALLER) -> JSONResponse:
    which = LedgerFilter(0, institution_id=institution_id, mediator_id=mediator_id,
                         **params.window(from_, to))
    return JSONResponse(await list_cooperations(context(request), principal, which, page_request(limit, cursor),
                                                min_sequence=min_sequence))


@router.get("/referrals", summary="Referrals and how far each has gone",
            responses=json_answer(listing(responses.REFERRAL)))
async def get_referrals(request: Request, institution_id: Id = None, mediator_id: Id = None,
                        status: ReferralStatus | None = None, from_: str | None = FROM_TIME,
                        to: str | None = TO_TIME, limit: int | None = LIMIT, cursor: str | None = CURSOR,
                        min_sequence: int | None = MIN_SEQUENCE, principal: Principal = CALLER) -> JSONResponse:
    which = LedgerFilter(0, institution_id=institution_id, mediator_id=mediator_id, status=status,
                         **params.window(from_, to))
    return JSONResponse(await list_referrals(context(request), principal, which, page_request(limit, cursor),
                                             min_sequence=min_sequence))


@router.get("/reports/monthly", summary="A mediator's monthly report (JSON, CSV or printable HTML)",
            responses={**responses.report_shapes(responses.MONTHLY), **NOT_FOUND})
async def get_monthly(request: Request, mediator_id: str = Query(pattern=ID),
                      month: str = Query(pattern=params.MONTH_PATTERN, description="YYYY-MM, a year 2000-2100"),
                      format: Format = FORMAT, lang: Language = LANG, as_of_sequence: int | None = AS_OF,
                      min_sequence: int | None = MIN_SEQUENCE, table: Table = TABLE, dialect: Dialect = DIALECT,
                      principal: Principal = CALLER) -> Response:
    chosen = _table(table, dialect, format)
    report = await read_monthly(context(request), principal, mediator_id, month, as_of_sequence=as_of_sequence,
                                min_sequence=min_sequence)
    if format == "csv":
        return _csv(monthly_csv(report, chosen, dialect), f"tilts-{report['mediator_id']}-{report['month']}", chosen)
    if format == "html":
        return HTMLResponse(render_monthly(report, lang), headers=HTML_POLICY)
    return JSONResponse(report)


@router.get("/reports/summary", summary="Figures per municipality and in total for a period (JSON, CSV or HTML)",
            responses={**responses.report_shapes(responses.SUMMARY), **NOT_FOUND})
async def get_summary(request: Request, from_: str = FROM_DAY, to: str = TO_DAY, municipality_id: Id = None,
                      format: Format = FORMAT, lang: Language = LANG, as_of_sequence: int | None = AS_OF,
                      min_sequence: int | None = MIN_SEQUENCE, table: Table = TABLE, dialect: Dialect = DIALECT,
                      principal: Principal = CALLER) -> Response:
    chosen = _table(table, dialect, format)
    report = await read_summary(context(request), principal, params.period(from_, to), municipality_id,
                                as_of_sequence=as_of_sequence, min_sequence=min_sequence)
    if format == "csv":
        return _csv(summary_csv(report, chosen, dialect), f"tilts-summary-{report['from']}-{report['to']}", chosen)
    if format == "html":
        return HTMLResponse(render_summary(report, lang, municipality_id), headers=HTML_POLICY)
    return JSONResponse(report)


@router.get("/reports/evaluations", summary="Institutions' evaluations of mediators for a period: answers per "
                                            "question and the texts (JSON, CSV or printable HTML)",
            responses={**responses.report_shapes(responses.EVALUATIONS), **NOT_FOUND})
async def get_evaluations(request: Request, from_: str = FROM_DAY, to: str = TO_DAY, municipality_id: Id = None,
                          mediator_id: Id = None, format: Format = FORMAT, lang: Language = LANG,
                          as_of_sequence: int | None = AS_OF, min_sequence: int | None = MIN_SEQUENCE,
                          dialect: Dialect = DIALECT, principal: Principal = CALLER) -> Response:
    _table(TABLES[0], dialect, format)  # a dialect is a CSV's; the evaluations have one table
    report = await read_evaluations(context(request), principal, params.period(from_, to), municipality_id,
                                    mediator_id, as_of_sequence=as_of_sequence, min_sequence=min_sequence)
    if format == "csv":
        return _csv(evaluations_csv(report, dialect), f"tilts-evaluations-{report['from']}-{report['to']}",
                    TABLES[0])
    if format == "html":
        return HTMLResponse(render_evaluations(report, lang), headers=HTML_POLICY)
    return JSONResponse(report)


@router.get("/audit/access", tags=["auditing"], summary="Who read which family's file, when and why (auditors)",
            responses=json_answer(listing(responses.ACCESS)))
async def get_access(request: Request, family_id: Id = None, actor: Id = None,
                     from_: str | None = FROM_TIME, to: str | None = TO_TIME, limit: int | None = LIMIT,
                     cursor: str | None = CURSOR, min_sequence: int | None = MIN_SEQUENCE,
                     principal: Principal = CALLER) -> JSONResponse:
    which = ReadsFilter(family_id=family_id, actor=actor,
                        **params.window(from_, to))
    return JSONResponse(await list_reads(context(request), principal, which, page_request(limit, cursor),
                                         min_sequence=min_sequence))
