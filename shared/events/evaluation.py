"""Events of an institution's evaluation of a mediator's work in its domain."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from shared.events.base import EventData
from shared.events.fields import Answer, Domain, Id, LongText

__all__ = ["EvaluationAnswers", "EvaluationSubmitted"]


class EvaluationAnswers(BaseModel):
    """Answers to the evaluation questionnaire."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    improved_communication: Answer
    identified_needs: Answer
    improved_access: Answer
    coordinated_actions: Answer
    joint_planning: Answer
    key_achievements: LongText
    keep_in_view: LongText


class EvaluationSubmitted(EventData):
    """A contact at an institution evaluated a mediator's work in the institution's domain."""

    TYPE: ClassVar[str] = "tilts.evaluation.submitted"
    AGGREGATE: ClassVar[str] = "evaluation"
    AGGREGATE_ID: ClassVar[str] = "evaluation_id"

    evaluation_id: Id
    institution_id: Id
    contact_id: Id
    mediator_id: Id
    domain: Domain
    answers: EvaluationAnswers
