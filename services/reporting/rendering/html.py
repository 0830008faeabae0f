"""Printable HTML reports: Jinja2 with autoescaping, charts as inline SVG, no scripts or external files."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from services.reporting.application.evaluations import ANSWERS
from services.reporting.application.monthly import FIGURE_KEYS, acknowledged_since_submission

from .charts import Chart, bar_chart
from .labels import WORDS

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
KEY_FIGURES = ("mediators_active", "families_supported", "families_regular", "families_episodic", "persons_helped")


@cache
def _environment() -> Environment:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                              undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["minute"] = on_paper
    return environment


def on_paper(moment: str | None) -> str | None:
    """A Riga-time RFC 3339 text as a printed page shows it: `2020-01-31 16:05` (the JSON keeps it whole)."""
    return moment[:16].replace("T", " ") if moment else moment


def _named(counts: dict[str, int], names: dict[str, str]) -> list[tuple[str, int]]:
    return [(names.get(key, key), value) for key, value in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _institution_labels(by_institution: list[dict[str, Any]]) -> list[str]:
    """Each institution's name; a name that two institutions share (a Bāriņtiesa in every
    municipality) carries the institution's id too, so their bars can be told apart."""
    names = [i["name"] for i in by_institution]
    return [f"{i['name']} ({i['institution_id']})" if names.count(i["name"]) > 1 else i["name"] for i in by_institution]


def charts(figures: dict[str, Any], words: dict[str, Any]) -> list[Chart]:
    """The charts of one set of figures: activities, cooperations and outcomes."""
    activities, cooperations, outcomes = figures["activities"], figures["cooperations"], figures["outcomes"]
    by_institution = cooperations["by_institution"]
    institutions = list(zip(_institution_labels(by_institution), (i["count"] for i in by_institution), strict=True))
    acknowledged = [i["acknowledged"] for i in by_institution]
    return [
        bar_chart(f"{words['activities']}: {words['by_kind']}", _named(activities["by_kind"], words["activity_kinds"])),
        bar_chart(f"{words['activities']}: {words['by_domain']}", _named(activities["by_domain"], words["domains"])),
        bar_chart(words["chart_institutions"], institutions, acknowledged),
        bar_chart(f"{words['cooperations']}: {words['by_domain']}",
                  _named(cooperations["by_domain"], words["domains"])),
        bar_chart(f"{words['outcomes']}: {words['by_kind']}", _named(outcomes["by_kind"], words["outcome_kinds"])),
    ]


def _columns(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The table's columns: each municipality, then the total."""
    total = report.get("total") or {k: v for k, v in report.items() if k in FIGURE_KEYS}
    return [*report["municipalities"], {"municipality_id": None, "name": None, **total}]


def _limited_to(report: dict[str, Any]) -> list[str]:
    """The names of the municipalities a scoped report's figures are limited to (none: not limited)."""
    names = {m["municipality_id"]: m["name"] for m in report["municipalities"]}
    return [names.get(m, m) for m in report.get("figures_limited_to") or []]


def place_line(names: list[str] | None, words: dict[str, Any]) -> tuple[str, str]:
    """The header's label and value for the municipalities a page covers (None: every one): the
    label is plural before more than one name."""
    if names is None:
        return words["municipalities"], words["all_municipalities"]
    return words["municipalities" if len(names) > 1 else "municipality"], ", ".join(names) or words["none"]


def _summary_places(report: dict[str, Any], municipality_id: str | None) -> list[str] | None:
    """What the summary page's header names: the municipality asked for, those a scoped caller
    sees, or None for every municipality."""
    if municipality_id and report["municipalities"]:
        return [report["municipalities"][0]["name"]]
    if report.get("figures_limited_to") is not None:
        return _limited_to(report)
    return None


def render_summary(report: dict[str, Any], lang: str, municipality_id: str | None) -> str:
    """The summary report as a printable page (`municipality_id`: the one it was asked for, if any)."""
    words = WORDS[lang]
    return _environment().get_template("summary.html.j2").render(
        lang=lang, w=words, report=report, place=place_line(_summary_places(report, municipality_id), words),
        columns=_columns(report), key_figures=KEY_FIGURES, charts=charts(report["total"], words))


def render_monthly(report: dict[str, Any], lang: str) -> str:
    """A mediator's monthly report as a printable page."""
    words = WORDS[lang]
    live = report.get("live")
    acknowledged = acknowledged_since_submission(report)
    return _environment().get_template("monthly.html.j2").render(
        acknowledged_since=words["acknowledged_since"](acknowledged) if acknowledged else None,
        lang=lang, w=words, report=report, columns=_columns(report), key_figures=KEY_FIGURES,
        place=place_line([m["name"] or m["municipality_id"] for m in report["municipalities"]], words),
        charts=charts(report, words), live_columns=_columns(live) if live else None, limited_to=_limited_to(report))


def _evaluated_mediator(report: dict[str, Any]) -> str | None:
    """Whom an evaluations page is about, when one mediator was asked for (or is reading their own)."""
    mediator_id = report.get("mediator_id")
    if mediator_id is None:
        return None
    names = [m["name"] for m in report["by_mediator"] if m["name"]]
    return f"{names[0]} ({mediator_id})" if names else mediator_id


def _evaluations_places(report: dict[str, Any]) -> list[str] | None:
    """What the evaluations page's header names: the municipality asked for, those a scoped caller
    sees, or None for every municipality."""
    if report.get("municipality_id"):
        return [report.get("municipality_name") or report["municipality_id"]]
    return report.get("figures_limited_to")


def render_evaluations(report: dict[str, Any], lang: str) -> str:
    """Institutions' evaluations as a printable page: the questionnaire's own words, tallies and texts."""
    words = WORDS[lang]
    charts = [bar_chart(words["questions_short"][t["question"]],
                        [(words["answers"][a], t["answers"][a]) for a in ANSWERS]) for t in report["questions"]]
    return _environment().get_template("evaluations.html.j2").render(
        lang=lang, w=words, report=report, answers=ANSWERS, charts=charts, place=place_line(_evaluations_places(report), words),
        mediator=_evaluated_mediator(report),
        mediator_names={m["mediator_id"]: m["name"] for m in report["by_mediator"]})
