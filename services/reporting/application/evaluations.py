"""The evaluations report: how institutions answered each question, and what they wrote.

Pure: built from the evaluation rows a query gave, in their order (time, then id). Every
question and every answer appears, zeros included, in the catalogue's order, so the shape of the
report does not depend on the data and its bytes depend only on the events up to `as_of_sequence`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shared.events.evaluation import EvaluationAnswers
from shared.events.fields import Answer

from .periods import riga_text

# The questionnaire's order is the event's: one home for it (shared/events/evaluation.py).
QUESTIONS = tuple(name for name, f in EvaluationAnswers.model_fields.items() if f.annotation is Answer)
TEXTS = tuple(name for name in EvaluationAnswers.model_fields if name not in QUESTIONS)
ANSWERS = tuple(answer.value for answer in Answer)


def evaluation_item(row: Mapping[str, Any]) -> dict[str, Any]:
    """One evaluation as submitted, with the names of its institution and mediator."""
    answers = row["answers"]
    return {"evaluation_id": row["evaluation_id"], "sequence": row["sequence"], "time": riga_text(row["time"]),
            "date": row["local_date"].isoformat(), "municipality_id": row["municipality_id"],
            "institution_id": row["institution_id"], "institution_name": row["institution_name"],
            "mediator_id": row["mediator_id"], "mediator_name": row["mediator_name"], "domain": row["domain"],
            "answers": {key: answers[key] for key in (*QUESTIONS, *TEXTS)}}


def tally(items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per question, in the catalogue's order, how many answered yes, partly and no."""
    counts = {question: dict.fromkeys(ANSWERS, 0) for question in QUESTIONS}
    for item in items:
        for question in QUESTIONS:
            counts[question][item["answers"][question]] += 1
    return [{"question": question, "answers": counts[question]} for question in QUESTIONS]


def texts(items: Sequence[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each free-text question's answers, in the order the evaluations were made, with who wrote them."""
    return {key: [{"evaluation_id": i["evaluation_id"], "time": i["time"], "municipality_id": i["municipality_id"],
                   "institution_id": i["institution_id"], "institution_name": i["institution_name"],
                   "mediator_id": i["mediator_id"], "domain": i["domain"], "text": i["answers"][key]}
                  for i in items]
            for key in TEXTS}


def by_mediator(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The same tallies for each mediator evaluated, by mediator id."""
    mediators: dict[str, list[Mapping[str, Any]]] = {}
    for item in items:
        mediators.setdefault(item["mediator_id"], []).append(item)
    return [{"mediator_id": mediator_id, "name": evaluated[-1]["mediator_name"], "evaluations": len(evaluated),
             "questions": tally(evaluated)}
            for mediator_id, evaluated in sorted(mediators.items())]


def evaluation_report(head: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The report: `head` (period, as_of_sequence, filters), then the tallies, texts, per mediator, and items."""
    items = [evaluation_item(row) for row in rows]
    return {**head, "evaluations": len(items), "questions": tally(items), "texts": texts(items),
            "by_mediator": by_mediator(items), "items": items}
