"""What the reads answer, as JSON Schema for the OpenAPI document.

A client developer generates a client from these. They name every field the reads give and its
type (building blocks: shared/http/schemas.py).
tests/integration/test_reporting_response_schemas.py checks real answers against them.
"""

from __future__ import annotations

from typing import Any

from shared.http.schemas import BOOLEAN, DAY, INTEGER, SEQUENCE, STRING, Schema, nullable, obj, strings

TIME: Schema = {"type": "string", "format": "date-time", "description": "Europe/Riga time with its offset"}
COUNTS: Schema = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1},
                  "description": "A count per kind or domain (kinds with none are left out)"}

MEDIATOR = obj({"mediator_id": STRING, "name": nullable(STRING)})
INSTITUTION = obj({"institution_id": STRING, "name": nullable(STRING)})
CONTACT = obj({"contact_id": STRING, "name": nullable(STRING), "role": nullable(STRING)})
FAMILY_REFERENCE = {"family_id": nullable(STRING), "case_id": nullable(STRING)}
WITH_FAMILY = "family_id and case_id are left out for an institution"

COOPERATION = obj({
    "cooperation_id": STRING, "sequence": SEQUENCE, "time": TIME, "date": DAY, "municipality_id": STRING,
    "mediator": MEDIATOR, "institution": INSTITUTION, "contact": CONTACT, "domain": STRING, "channel": STRING,
    "purpose": STRING, "status": {"type": "string", "enum": ["recorded", "acknowledged", "disputed"]},
    "answer": nullable(obj({"status": STRING, "at": TIME, "sequence": SEQUENCE, "contact": CONTACT},
                           optional={"note": nullable(STRING), "reason": nullable(STRING)}))},
    optional=FAMILY_REFERENCE, description=f"One line of the ledger; {WITH_FAMILY}")

REFERRAL = obj({
    "referral_id": STRING, "sequence": SEQUENCE, "time": TIME, "municipality_id": STRING, "mediator": MEDIATOR,
    "institution": INSTITUTION, "service": STRING,
    "status": {"type": "string", "enum": ["made", "accepted", "completed", "declined"]},
    **{f"{step}_at": nullable(TIME) for step in ("accepted", "completed", "declined")},
    **{f"{step}_note": nullable(STRING) for step in ("accepted", "completed", "declined")}},
    optional=FAMILY_REFERENCE, description=f"A referral and how far it has gone; {WITH_FAMILY}")

CASE = obj({"case_id": STRING, "family_id": STRING, "municipality_id": STRING, "domain": STRING, "need": STRING,
            "status": {"type": "string", "enum": ["open", "closed"]}, "opened_at": TIME, "opened_by": STRING,
            "closed_at": nullable(TIME), "resolution": nullable(STRING)})

TIMELINE = {"type": "array", "description": "What happened, in time order", "items": obj(
    {"type": {"type": "string", "description": "The event type"}, "sequence": SEQUENCE, "time": TIME},
    description="One event's entry; its other fields follow its type")}

CASE_FILE = {**obj({**CASE["properties"], "description": nullable(STRING), "closing_note": nullable(STRING),
                    "timeline": TIMELINE, "as_of_sequence": SEQUENCE})}

PERSONAL = nullable({"type": "object", "description": "The opened personal block (null unless personal_data is "
                                                      "shown)"})
FAMILY_FILE = obj({
    "family_id": STRING, "municipality_id": STRING, "registered_at": TIME, "registered_by": STRING,
    "consent": obj({"given_on": DAY, "scope": STRING, "withdrawn_at": nullable(TIME)}),
    "erased": BOOLEAN, "erased_at": nullable(TIME), "erasure_reason": nullable(STRING),
    "erasure_recorded_at": nullable({**TIME, "description": "When the intake received the erasure (erased_at "
                                                            "is the time the client gave)"}),
    "personal_data": {"type": "string", "enum": ["shown", "withheld", "erased", "none"]}, "personal": PERSONAL,
    "persons": {"type": "array", "items": obj({"person_id": STRING, "relation": STRING,
                                               "birth_year": {"type": "integer"}, "personal": PERSONAL})},
    "cases": {"type": "array", "items": obj({
        "case_id": STRING, "domain": STRING, "need": STRING, "status": STRING, "opened_at": TIME,
        "closed_at": nullable(TIME), "resolution": nullable(STRING)})},
    "work": obj({"days": INTEGER, "first_day": nullable(DAY), "last_day": nullable(DAY)},
                description="On how many days work was recorded with the family, first and last"),
    "timeline": {**TIMELINE, "description": "Work that named the family but none of its cases"},
    "as_of_sequence": SEQUENCE})

ACCESS = obj({"id": INTEGER, "at": TIME, "actor": STRING, "role": STRING, "family_id": STRING,
              "reason": nullable(STRING), "personal_shown": BOOLEAN, "status": {"type": "integer"},
              "as_of_sequence": nullable(SEQUENCE)})

FIGURES: dict[str, Schema] = {
    "mediators_active": INTEGER, "families_supported": INTEGER, "families_regular": INTEGER,
    "families_episodic": INTEGER, "persons_helped": INTEGER,
    "activities": obj({"total": INTEGER, "by_kind": COUNTS, "by_domain": COUNTS, "participants": INTEGER}),
    "cooperations": obj({"total": INTEGER, "acknowledged": INTEGER, "disputed": INTEGER, "by_domain": COUNTS,
                         "by_institution": {"type": "array", "items": obj({
                             "institution_id": STRING, "name": STRING, "count": INTEGER, "acknowledged": INTEGER,
                             "disputed": INTEGER})}}),
    "outcomes": obj({"total": INTEGER, "by_kind": COUNTS}),
    "referrals": obj({"total": INTEGER, "accepted": INTEGER, "completed": INTEGER, "declined": INTEGER,
                      "by_institution": {"type": "array", "items": obj({
                          "institution_id": STRING, "name": STRING, "count": INTEGER, "accepted": INTEGER,
                          "completed": INTEGER, "declined": INTEGER})}},
                     description="Referrals made in the period, and how many the institutions had accepted, "
                                 "completed and declined by as_of_sequence"),
}
MUNICIPALITY_FIGURES = obj({"municipality_id": STRING, "name": nullable(STRING), **FIGURES})
LIMITED = {"figures_limited_to": {**strings(), "description": "Present when the figures (and the total) cover only "
                                                               "these municipalities of the caller's"}}

SUMMARY = obj({"from": DAY, "to": DAY, "as_of_sequence": SEQUENCE,
               "municipalities": {"type": "array", "items": MUNICIPALITY_FIGURES}, "total": obj(FIGURES)},
              optional={"municipality_id": STRING, **LIMITED})

MONTHLY = obj({
    "mediator_id": STRING, "mediator_name": nullable(STRING), "month": STRING, "from": DAY, "to": DAY,
    "as_of_sequence": SEQUENCE, "status": {"type": "string", "enum": ["draft", "submitted", "approved", "returned"]},
    "report_id": nullable(STRING), "submitted_sequence": nullable(SEQUENCE), "submitted_at": nullable(TIME),
    "reviewed_at": nullable(TIME), "review_note": nullable(STRING),
    "narrative": nullable({"type": "object", "additionalProperties": STRING}),
    "figures_as_of_sequence": SEQUENCE, **FIGURES,
    "municipalities": {"type": "array", "items": MUNICIPALITY_FIGURES}, "amended_after_submission": BOOLEAN},
    optional={"cooperations_list": {
                  "type": "array", "items": COOPERATION,
                  "description": "The month's cooperations, in time order, as the ledger has them as of as_of_sequence "
                                 "(not figures_as_of_sequence): an item or answer whose sequence is above "
                                 "submitted_sequence came after the report was submitted. Never a family or case."},
              "referrals_list": {
                  "type": "array", "items": REFERRAL,
                  "description": "The month's referrals, in the order they were made, and how far each had gone "
                                 "as of as_of_sequence. Never a family or case."},
              "live": obj({"as_of_sequence": SEQUENCE, **FIGURES,
                           "municipalities": {"type": "array", "items": MUNICIPALITY_FIGURES}},
                          description="The figures now, when they changed after the report was submitted"),
              **LIMITED},
    description="The monthly report; its figures are as of its submission (figures_as_of_sequence)")

ANSWER_COUNTS = obj({"yes": INTEGER, "partly": INTEGER, "no": INTEGER},
                    description="How many evaluations gave each answer (zeros included)")
QUESTION_TALLIES = {"type": "array", "description": "Every yes/partly/no question, in the catalogue's order: "
                                                    "improved_communication, identified_needs, improved_access, "
                                                    "coordinated_actions, joint_planning",
                    "items": obj({"question": STRING, "answers": ANSWER_COUNTS})}
EVALUATION_TEXT = obj({"evaluation_id": STRING, "time": TIME, "municipality_id": STRING, "institution_id": STRING,
                       "institution_name": nullable(STRING), "mediator_id": STRING, "domain": STRING,
                       "text": STRING}, description="One institution's answer to a free-text question")
EVALUATION = obj({
    "evaluation_id": STRING, "sequence": SEQUENCE, "time": TIME, "date": DAY,
    "municipality_id": {**STRING, "description": "The evaluating institution's municipality"},
    "institution_id": STRING, "institution_name": nullable(STRING), "mediator_id": STRING,
    "mediator_name": nullable(STRING), "domain": STRING,
    "answers": {"type": "object", "additionalProperties": STRING,
                "description": "The five questions' yes/partly/no and the two texts, as submitted"}},
    description="One evaluation as submitted")
EVALUATIONS = obj({
    "from": DAY, "to": DAY, "as_of_sequence": SEQUENCE, "evaluations": INTEGER, "questions": QUESTION_TALLIES,
    "texts": obj({key: {"type": "array", "items": EVALUATION_TEXT} for key in ("key_achievements", "keep_in_view")},
                 description="The free-text answers, in the order the evaluations were made"),
    "by_mediator": {"type": "array", "description": "The same tallies for each mediator evaluated, by mediator id",
                    "items": obj({"mediator_id": STRING, "name": nullable(STRING), "evaluations": INTEGER,
                                  "questions": QUESTION_TALLIES})},
    "items": {"type": "array", "items": EVALUATION,
              "description": "Every evaluation counted, in time order (then by id)"}},
    optional={"municipality_id": STRING, "municipality_name": STRING,
              "mediator_id": {**STRING, "description": "The mediator asked for (a mediator's own, always)"},
              **LIMITED},
    description="Institutions' evaluations of mediators made in the period (by event time, Riga days)")


def report_shapes(json_schema: Schema) -> dict[int, Any]:
    """A report as JSON (this schema), CSV or a printable page."""
    return {200: {"description": "The report as JSON, CSV or a printable page", "content": {
        "application/json": {"schema": json_schema}, "text/csv": {"schema": STRING},
        "text/html": {"schema": STRING}}}}
