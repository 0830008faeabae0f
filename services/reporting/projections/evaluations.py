"""Read model of institutions' evaluations of a mediator's work in their domain."""

from __future__ import annotations

from shared.events.evaluation import EvaluationSubmitted

from .changes import Change, Insert
from .facts import Fact
from .known import Known


def evaluation_submitted(fact: Fact, known: Known) -> list[Change]:
    data: EvaluationSubmitted = fact.data  # type: ignore[assignment]
    return [Insert("evaluations", {
        "evaluation_id": data.evaluation_id, "event_id": fact.event_id, "sequence": fact.sequence,
        "time": fact.time, "local_date": fact.local_date, "municipality_id": fact.municipality_id,
        "institution_id": data.institution_id, "contact_id": data.contact_id, "mediator_id": data.mediator_id,
        "domain": str(data.domain), "answers": data.answers.model_dump(mode="json")})]


HANDLERS = {EvaluationSubmitted: evaluation_submitted}
