"""Reports as CSV: one row per municipality and a total row, with the same columns every time.

`table=by_institution` gives the cooperations by institution instead: one row per institution
within each municipality's section (an institution appears under each municipality whose
mediators worked with it), with how many of those cooperations it acknowledged.

The evaluations report has one row per evaluation instead: who evaluated whom, when, the five
answers and the two texts (which keep their line breaks inside the quoted cell).

`dialect=excel` writes the same table for a spreadsheet opened with a double click: a UTF-8
byte-order mark (without it Excel reads "Rīga" as "RÄ«ga") and semicolons between cells (the
list separator of Latvian regional settings, where a comma is the decimal mark).
"""

from __future__ import annotations

import csv
import io
from typing import Any

from shared.events.fields import ActivityKind, Domain, OutcomeKind
from services.reporting.application.evaluations import QUESTIONS, TEXTS
from services.reporting.application.figures import REFERRAL_STEPS

FIGURE_COLUMNS = (
    "mediators_active", "families_supported", "families_regular", "families_episodic", "persons_helped",
    "activities_total", *(f"activities_kind_{k.value}" for k in ActivityKind),
    *(f"activities_domain_{d.value}" for d in Domain),
    "cooperations_total", "cooperations_acknowledged", *(f"cooperations_domain_{d.value}" for d in Domain),
    "outcomes_total", *(f"outcomes_kind_{k.value}" for k in OutcomeKind),
    # added later: last, so the columns before them keep their places
    "cooperations_disputed", "activities_participants",
    "referrals_total", *(f"referrals_{step}" for step in REFERRAL_STEPS),
)
SUMMARY_COLUMNS = ("from", "to", "as_of_sequence", "municipality_id", "name", *FIGURE_COLUMNS)
MONTHLY_COLUMNS = ("mediator_id", "month", "status", "figures_as_of_sequence", "as_of_sequence",
                   "municipality_id", "name", *FIGURE_COLUMNS)
TABLES = ("figures", "by_institution")
DIALECTS = ("rfc4180", "excel")
EVALUATION_COLUMNS = ("from", "to", "as_of_sequence", "evaluation_id", "sequence", "time", "date", "municipality_id",
                      "institution_id", "institution_name", "mediator_id", "mediator_name", "domain",
                      *QUESTIONS, *TEXTS)
INSTITUTION_COLUMNS = ("municipality_id", "institution_id", "name", "cooperations", "acknowledged", "disputed")


def _text(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def figure_cells(figures: dict[str, Any]) -> dict[str, int]:
    """The figure columns of one municipality (or the total)."""
    activities, cooperations, outcomes = figures["activities"], figures["cooperations"], figures["outcomes"]
    cells = {key: figures[key] for key in FIGURE_COLUMNS[:5]}
    cells["activities_total"] = activities["total"]
    cells |= {f"activities_kind_{k.value}": activities["by_kind"].get(k.value, 0) for k in ActivityKind}
    cells |= {f"activities_domain_{d.value}": activities["by_domain"].get(d.value, 0) for d in Domain}
    cells |= {"cooperations_total": cooperations["total"], "cooperations_acknowledged": cooperations["acknowledged"]}
    cells |= {f"cooperations_domain_{d.value}": cooperations["by_domain"].get(d.value, 0) for d in Domain}
    cells["outcomes_total"] = outcomes["total"]
    cells |= {f"outcomes_kind_{k.value}": outcomes["by_kind"].get(k.value, 0) for k in OutcomeKind}
    cells["cooperations_disputed"] = cooperations["disputed"]
    cells["activities_participants"] = activities["participants"]
    cells |= {f"referrals_{key}": figures["referrals"][key] for key in ("total", *REFERRAL_STEPS)}
    return cells


def _write(columns: tuple[str, ...], rows: list[dict[str, Any]], dialect: str) -> str:
    excel = dialect == "excel"
    out = io.StringIO()
    if excel:
        out.write("\ufeff")
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\r\n", delimiter=";" if excel else ",")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _by_institution(head: dict[str, Any], report: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**head, "municipality_id": m["municipality_id"], "institution_id": i["institution_id"],
             "name": _text(i["name"]), "cooperations": i["count"], "acknowledged": i["acknowledged"],
             "disputed": i["disputed"]}
            for m in report["municipalities"] for i in m["cooperations"]["by_institution"]]


def summary_csv(report: dict[str, Any], table: str = "figures", dialect: str = "rfc4180") -> str:
    """The summary report as CSV."""
    head = {"from": report["from"], "to": report["to"], "as_of_sequence": report["as_of_sequence"]}
    if table == "by_institution":
        return _write((*SUMMARY_COLUMNS[:3], *INSTITUTION_COLUMNS), _by_institution(head, report), dialect)
    rows = [{**head, "municipality_id": m["municipality_id"], "name": _text(m["name"]), **figure_cells(m)}
            for m in report["municipalities"]]
    rows.append({**head, "municipality_id": "total", "name": "", **figure_cells(report["total"])})
    return _write(SUMMARY_COLUMNS, rows, dialect)


def monthly_csv(report: dict[str, Any], table: str = "figures", dialect: str = "rfc4180") -> str:
    """A monthly report as CSV (the figures as submitted, or as of now for a draft)."""
    head = {key: report[key] for key in MONTHLY_COLUMNS[:5]}
    if table == "by_institution":
        return _write((*MONTHLY_COLUMNS[:5], *INSTITUTION_COLUMNS), _by_institution(head, report), dialect)
    rows = [{**head, "municipality_id": m["municipality_id"], "name": _text(m["name"]), **figure_cells(m)}
            for m in report["municipalities"]]
    rows.append({**head, "municipality_id": "total", "name": "", **figure_cells(report)})
    return _write(MONTHLY_COLUMNS, rows, dialect)


def evaluations_csv(report: dict[str, Any], dialect: str = "rfc4180") -> str:
    """Institutions' evaluations as CSV: one row per evaluation, in time order."""
    head = {key: report[key] for key in EVALUATION_COLUMNS[:3]}
    rows = [{**head, **{key: item[key] for key in EVALUATION_COLUMNS[3:9]},
             "institution_name": _text(item["institution_name"] or ""), "mediator_id": item["mediator_id"],
             "mediator_name": _text(item["mediator_name"] or ""), "domain": item["domain"],
             **{q: item["answers"][q] for q in QUESTIONS}, **{t: _text(item["answers"][t]) for t in TEXTS}}
            for item in report["items"]]
    return _write(EVALUATION_COLUMNS, rows, dialect)
