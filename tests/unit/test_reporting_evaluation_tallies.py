"""The evaluations report: tallies per question in the questionnaire's order, texts with who wrote
them, the same per mediator; as CSV (a row per evaluation) and as a printable page in the seed's words."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime
from typing import Any

from markupsafe import escape

from services.reporting.application.evaluations import ANSWERS, QUESTIONS, TEXTS, evaluation_report, tally
from services.reporting.rendering.csv_export import EVALUATION_COLUMNS, evaluations_csv
from services.reporting.rendering.html import render_evaluations
from services.reporting.rendering.labels import WORDS

HEAD = {"from": "2020-04-01", "to": "2020-04-30", "as_of_sequence": 120}


def _row(n: int, mediator: str, answers: tuple[str, ...], *, institution: str = "inst-school",
         name: str | None = "Ozolu pamatskola", texts: tuple[str, str] = ("Bērni apmeklē skolu", "Pumpurs"),
         at: datetime | None = None) -> dict[str, Any]:
    return {"evaluation_id": f"ev-{n}", "sequence": 100 + n,
            "time": at or datetime(2020, 4, 10 + n, 8, 30, tzinfo=UTC), "local_date": date(2020, 4, 10 + n),
            "municipality_id": "jelgava", "institution_id": institution, "institution_name": name,
            "mediator_id": mediator, "mediator_name": f"Vārds {mediator}", "domain": "education",
            "answers": {**dict(zip(QUESTIONS, answers, strict=True)), **dict(zip(TEXTS, texts, strict=True))}}


ROWS = [_row(1, "med-b", ("yes", "yes", "partly", "no", "no")),
        _row(2, "med-a", ("yes", "partly", "partly", "yes", "no"), institution="inst-social", name="Sociālais dienests"),
        _row(3, "med-b", ("partly", "yes", "no", "yes", "yes"), texts=("=HYPERLINK(\"x\")", "<script>alert(1)</script>"))]


def test_the_questions_are_the_events_five_in_the_questionnaires_order_and_answers_yes_partly_no() -> None:
    assert QUESTIONS == ("improved_communication", "identified_needs", "improved_access", "coordinated_actions",
                         "joint_planning")
    assert TEXTS == ("key_achievements", "keep_in_view") and ANSWERS == ("yes", "partly", "no")


def test_every_question_and_answer_is_tallied_with_zeros_included() -> None:
    assert tally([]) == [{"question": q, "answers": {"yes": 0, "partly": 0, "no": 0}} for q in QUESTIONS]
    report = evaluation_report(HEAD, ROWS)
    assert report["evaluations"] == 3
    tallies = {t["question"]: t["answers"] for t in report["questions"]}
    assert tallies["improved_communication"] == {"yes": 2, "partly": 1, "no": 0}
    assert tallies["improved_access"] == {"yes": 0, "partly": 2, "no": 1}
    assert tallies["joint_planning"] == {"yes": 1, "partly": 0, "no": 2}
    assert all(sum(t["answers"].values()) == 3 for t in report["questions"])


def test_texts_come_in_time_order_naming_the_institution_the_mediator_and_the_riga_time() -> None:
    texts = evaluation_report(HEAD, ROWS)["texts"]
    assert list(texts) == ["key_achievements", "keep_in_view"]
    first = texts["key_achievements"][0]
    assert first == {"evaluation_id": "ev-1", "time": "2020-04-11T11:30:00+03:00", "municipality_id": "jelgava",
                     "institution_id": "inst-school", "institution_name": "Ozolu pamatskola", "mediator_id": "med-b",
                     "domain": "education", "text": "Bērni apmeklē skolu"}
    assert [t["evaluation_id"] for t in texts["keep_in_view"]] == ["ev-1", "ev-2", "ev-3"]


def test_each_mediator_gets_the_same_tallies_by_mediator_id() -> None:
    by_mediator = evaluation_report(HEAD, ROWS)["by_mediator"]
    assert [(m["mediator_id"], m["name"], m["evaluations"]) for m in by_mediator] == [
        ("med-a", "Vārds med-a", 1), ("med-b", "Vārds med-b", 2)]
    b = {t["question"]: t["answers"] for t in by_mediator[1]["questions"]}
    assert b["identified_needs"] == {"yes": 2, "partly": 0, "no": 0}


def test_the_report_keeps_its_head_and_serialises_the_same_every_time() -> None:
    report = evaluation_report({**HEAD, "municipality_id": "jelgava"}, ROWS)
    assert list(report)[:4] == ["from", "to", "as_of_sequence", "municipality_id"]
    assert json.dumps(report, ensure_ascii=False) == json.dumps(evaluation_report(
        {**HEAD, "municipality_id": "jelgava"}, [dict(r) for r in ROWS]), ensure_ascii=False)
    assert [i["evaluation_id"] for i in report["items"]] == ["ev-1", "ev-2", "ev-3"]
    assert report["items"][0]["answers"]["coordinated_actions"] == "no"


def test_the_csv_has_a_row_per_evaluation_under_fixed_columns_with_formulas_written_as_text() -> None:
    rows = list(csv.DictReader(io.StringIO(evaluations_csv(evaluation_report(HEAD, ROWS)))))
    assert tuple(rows[0]) == EVALUATION_COLUMNS and [r["evaluation_id"] for r in rows] == ["ev-1", "ev-2", "ev-3"]
    assert rows[0]["as_of_sequence"] == "120" and rows[1]["improved_access"] == "partly"
    assert rows[2]["key_achievements"].startswith("'=")
    empty = evaluations_csv(evaluation_report(HEAD, []), dialect="excel")
    assert empty == "\ufeff" + ";".join(EVALUATION_COLUMNS) + "\r\n"


def test_the_page_asks_the_seeds_questions_in_latvian_and_escapes_what_institutions_wrote() -> None:
    page = render_evaluations(evaluation_report(HEAD, ROWS), "lv")
    assert '<html lang="lv">' in page and "Pašvaldības darbinieku aptauju kopsavilkums" in page
    for question in (*QUESTIONS, *TEXTS):
        assert str(escape(WORDS["lv"]["questions"][question])) in page
    assert "<script" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "daļēji" in page and "<svg" in page and "Vārds med-a" in page


def test_the_english_page_has_every_question_in_english() -> None:
    page = render_evaluations(evaluation_report(HEAD, ROWS), "en")
    assert all(str(escape(WORDS["en"]["questions"][q])) in page for q in (*QUESTIONS, *TEXTS))
    assert "Summary of the municipal staff surveys" in page and "partly" in page
    assert set(WORDS["en"]["questions"]) == set(WORDS["lv"]["questions"]) == {*QUESTIONS, *TEXTS}


def test_a_page_without_evaluations_says_so_and_one_mediators_page_names_them() -> None:
    assert WORDS["lv"]["no_evaluations"] in render_evaluations(evaluation_report(HEAD, []), "lv")
    own = render_evaluations(evaluation_report({**HEAD, "mediator_id": "med-b"}, ROWS[::2]), "en")
    assert "Vārds med-b (med-b)" in own and WORDS["en"]["by_mediator"] not in own
    limited = render_evaluations(evaluation_report({**HEAD, "figures_limited_to": ["balvi", "jelgava"]}, []), "en")
    assert "balvi, jelgava" in limited and "all municipalities" not in limited
