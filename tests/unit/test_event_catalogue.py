"""The event catalogue: every contract type, its roles, models, aggregates and upcasting."""

from __future__ import annotations

from types import MappingProxyType
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from examples import EXAMPLES, STORED_EXAMPLES
from shared.events import (AGGREGATE_TYPES, SPECS, UPCASTERS, AggregateRef, EventData, EventSpec,
                           FamilyRegistered, FamilyRegisteredStored, Id, Name, PersonAdded,
                           PersonAddedStored, UnknownEventType, UnsupportedSchemaVersion,
                           parse_data, parse_stored_data, spec_for, upcast)
from shared.events import catalogue
from shared.roles import Role

A, C, M, INST = "admin", "coordinator", "mediator", "institution"

# The contract's "Event catalogue (v1)" table: type -> who may post.
CONTRACT_ROLES: dict[str, set[str]] = {
    "tilts.municipality.registered": {A},
    "tilts.institution.registered": {A, C},
    "tilts.institution.contact_added": {A, C, INST},
    "tilts.mediator.registered": {A, C},
    "tilts.family.registered": {M},
    "tilts.person.added": {M},
    "tilts.family.consent_withdrawn": {M, C},
    "tilts.family.erased": {C, A},
    "tilts.case.opened": {M},
    "tilts.case.closed": {M},
    "tilts.activity.recorded": {M},
    "tilts.cooperation.recorded": {M},
    "tilts.cooperation.acknowledged": {INST},
    "tilts.cooperation.disputed": {INST},
    "tilts.referral.made": {M},
    "tilts.referral.accepted": {INST},
    "tilts.referral.completed": {INST},
    "tilts.referral.declined": {INST},
    "tilts.outcome.recorded": {M},
    "tilts.report.submitted": {M},
    "tilts.report.approved": {C},
    "tilts.report.returned": {C},
    "tilts.evaluation.submitted": {INST},
}

# The contract's data column: (required fields, optional fields).
CONTRACT_FIELDS: dict[str, tuple[set[str], set[str]]] = {
    "tilts.municipality.registered": ({"municipality_id", "name"}, set()),
    "tilts.institution.registered": (
        {"institution_id", "municipality_id", "name", "kind"}, {"domains"}),
    "tilts.institution.contact_added": ({"institution_id", "contact_id", "name", "role"}, set()),
    "tilts.mediator.registered": ({"mediator_id", "display_name", "municipality_ids"}, set()),
    "tilts.family.registered": ({"family_id", "municipality_id", "consent"}, {"personal"}),
    "tilts.person.added": ({"family_id", "person_id", "relation", "birth_year"}, {"personal"}),
    "tilts.family.consent_withdrawn": ({"family_id"}, set()),
    "tilts.family.erased": ({"family_id", "reason"}, set()),
    "tilts.case.opened": ({"case_id", "family_id", "domain", "need"}, {"description"}),
    "tilts.case.closed": ({"case_id", "resolution"}, {"note"}),
    "tilts.activity.recorded": (
        {"activity_id", "kind", "domain"},
        {"family_id", "case_id", "person_ids", "participants", "duration_minutes", "note",
         "municipality_id"}),  # municipality_id: an additive optional field
    "tilts.cooperation.recorded": (
        {"cooperation_id", "institution_id", "contact_id", "domain", "channel", "purpose"},
        {"family_id", "case_id", "municipality_id"}),
    "tilts.cooperation.acknowledged": ({"cooperation_id", "contact_id"}, {"note"}),
    "tilts.cooperation.disputed": ({"cooperation_id", "contact_id", "reason"}, set()),
    "tilts.referral.made": ({"referral_id", "case_id", "institution_id", "service"}, set()),
    "tilts.referral.accepted": ({"referral_id"}, {"note"}),
    "tilts.referral.completed": ({"referral_id"}, {"note"}),
    "tilts.referral.declined": ({"referral_id"}, {"note"}),
    "tilts.outcome.recorded": ({"outcome_id", "case_id", "kind"}, {"person_ids", "note"}),
    "tilts.report.submitted": ({"report_id", "month", "narrative"}, set()),
    "tilts.report.approved": ({"report_id"}, {"note"}),
    "tilts.report.returned": ({"report_id"}, {"note"}),
    "tilts.evaluation.submitted": (
        {"evaluation_id", "institution_id", "contact_id", "mediator_id", "domain", "answers"},
        set()),
}

FAMILY = EXAMPLES["tilts.family.registered"]["family_id"]
CASE = EXAMPLES["tilts.case.opened"]["case_id"]

EXPECTED_AGGREGATES: dict[str, tuple[str, str]] = {
    "tilts.municipality.registered": ("municipality", "jelgava"),
    "tilts.institution.registered": ("institution", "inst-jelgava-ozolu-pamatskola"),
    "tilts.institution.contact_added": ("institution", "inst-jelgava-ozolu-pamatskola"),
    "tilts.mediator.registered": ("mediator", "med-0007"),
    "tilts.family.registered": ("family", FAMILY),
    "tilts.person.added": ("family", FAMILY),
    "tilts.family.consent_withdrawn": ("family", FAMILY),
    "tilts.family.erased": ("family", FAMILY),
    "tilts.case.opened": ("case", CASE),
    "tilts.case.closed": ("case", CASE),
    "tilts.activity.recorded": ("case", CASE),
    "tilts.cooperation.recorded": ("cooperation", "coop-2019-10-03-001"),
    "tilts.cooperation.acknowledged": ("cooperation", "coop-2019-10-03-001"),
    "tilts.cooperation.disputed": ("cooperation", "coop-2019-10-03-002"),
    "tilts.referral.made": ("referral", "ref-2019-10-10-001"),
    "tilts.referral.accepted": ("referral", "ref-2019-10-10-001"),
    "tilts.referral.completed": ("referral", "ref-2019-10-10-001"),
    "tilts.referral.declined": ("referral", "ref-2019-10-10-002"),
    "tilts.outcome.recorded": ("case", CASE),
    "tilts.report.submitted": ("report", "rep-med-0007-2019-10"),
    "tilts.report.approved": ("report", "rep-med-0007-2019-10"),
    "tilts.report.returned": ("report", "rep-med-0007-2019-09"),
    "tilts.evaluation.submitted": ("evaluation", "eval-2020-04-ozolu-001"),
}

ALL_TYPES = sorted(CONTRACT_ROLES)


# --- the registry ----------------------------------------------------------------------------

def test_every_contract_type_is_registered_and_nothing_else() -> None:
    assert set(SPECS) == set(CONTRACT_ROLES)


def test_the_examples_cover_every_registered_type() -> None:
    assert set(EXAMPLES) == set(SPECS) == set(STORED_EXAMPLES)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_the_roles_that_may_post_match_the_contract(event_type: str) -> None:
    roles = SPECS[event_type].roles
    assert isinstance(roles, frozenset) and all(isinstance(r, Role) for r in roles)
    assert {str(r) for r in roles} == CONTRACT_ROLES[event_type]


def test_no_event_type_may_be_posted_by_an_auditor() -> None:
    assert all(Role.AUDITOR not in spec.roles for spec in SPECS.values())


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_a_spec_is_consistent_with_its_models(event_type: str) -> None:
    spec = SPECS[event_type]
    assert isinstance(spec, EventSpec)
    assert spec.type == event_type == spec.data_model.TYPE == spec.stored_model.TYPE
    assert spec.schema_version == 1
    assert issubclass(spec.stored_model, spec.data_model)
    assert spec.has_personal == (spec.stored_model is not spec.data_model)
    assert spec_for(event_type) is spec


def test_only_family_registration_and_person_added_carry_personal_data() -> None:
    assert {t for t, s in SPECS.items() if s.has_personal} == {
        "tilts.family.registered", "tilts.person.added"}
    assert SPECS["tilts.family.registered"].stored_model is FamilyRegisteredStored
    assert SPECS["tilts.person.added"].stored_model is PersonAddedStored


def test_the_registry_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        SPECS["tilts.x"] = SPECS["tilts.case.opened"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        SPECS["tilts.case.opened"].roles = frozenset()  # type: ignore[misc]


def test_an_unknown_type_has_no_spec_and_cannot_be_parsed() -> None:
    assert spec_for("tilts.case.reopened") is None
    with pytest.raises(KeyError):
        parse_data("tilts.case.reopened", {"case_id": "c1"})
    with pytest.raises(UnknownEventType):
        parse_stored_data("tilts.case.reopened", {"case_id": "c1"}, 1)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_required_and_optional_fields_match_the_contract(event_type: str) -> None:
    required, optional = CONTRACT_FIELDS[event_type]
    fields = SPECS[event_type].data_model.model_fields
    assert {n for n, f in fields.items() if f.is_required()} == required
    assert {n for n, f in fields.items() if not f.is_required()} == optional


# --- the models ------------------------------------------------------------------------------

@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_a_realistic_example_validates_and_survives_a_json_round_trip(event_type: str) -> None:
    model = parse_data(event_type, EXAMPLES[event_type])
    assert type(model) is SPECS[event_type].data_model
    assert parse_data(event_type, model.model_dump(mode="json")) == model
    assert type(model).model_validate_json(model.model_dump_json()) == model


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_a_stored_example_validates_as_the_stored_model(event_type: str) -> None:
    model = parse_stored_data(event_type, STORED_EXAMPLES[event_type], 1)
    assert type(model) is SPECS[event_type].stored_model
    assert parse_stored_data(event_type, model.model_dump(mode="json"), 1) == model


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_is_frozen_and_hashable(event_type: str) -> None:
    model = parse_data(event_type, EXAMPLES[event_type])
    first_field = next(iter(type(model).model_fields))
    with pytest.raises(ValidationError):
        setattr(model, first_field, "changed")
    hash(model)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_forbids_extra_fields(event_type: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_data(event_type, {**EXAMPLES[event_type], "author": "med-0007"})
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_rejects_a_missing_required_field(event_type: str) -> None:
    required, _ = CONTRACT_FIELDS[event_type]
    for name in required:
        data = {k: v for k, v in EXAMPLES[event_type].items() if k != name}
        with pytest.raises(ValidationError):
            parse_data(event_type, data)


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_validates_with_only_its_required_fields(event_type: str) -> None:
    required, optional = CONTRACT_FIELDS[event_type]
    model = parse_data(event_type, {k: v for k, v in EXAMPLES[event_type].items() if k in required})
    for name in optional:
        assert getattr(model, name) in (None, ())


@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_nested_blocks_also_forbid_extra_fields(event_type: str) -> None:
    data = dict(EXAMPLES[event_type])
    nested = [k for k, v in data.items() if isinstance(v, dict)]
    for key in nested:
        with pytest.raises(ValidationError):
            parse_data(event_type, {**data, key: {**data[key], "extra": "x"}})


def test_an_id_given_as_a_number_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_data("tilts.family.consent_withdrawn", {"family_id": 5})


def test_enumerations_are_read_from_their_string_values() -> None:
    model = parse_data("tilts.cooperation.recorded", EXAMPLES["tilts.cooperation.recorded"])
    assert model.channel == "meeting" and type(model.channel).__name__ == "Channel"  # type: ignore[attr-defined]


def test_an_unknown_enumeration_value_is_rejected() -> None:
    with pytest.raises(ValidationError):
        parse_data("tilts.case.opened", {**EXAMPLES["tilts.case.opened"], "domain": "culture"})


def test_data_that_is_not_an_object_is_rejected() -> None:
    data: Any
    for data in (None, [], "tilts", 5):
        with pytest.raises(ValidationError):
            parse_data("tilts.family.consent_withdrawn", data)


def test_validation_errors_do_not_echo_the_input() -> None:
    secret = "Ozoliņš-ĻOTI-PRIVĀTS"
    data = {**EXAMPLES["tilts.person.added"],
            "personal": {"surname": secret, "personal_code": "nav-koda"}}
    with pytest.raises(ValidationError) as caught:
        parse_data("tilts.person.added", data)
    assert secret not in str(caught.value) and "nav-koda" not in str(caught.value)


# --- aggregates ------------------------------------------------------------------------------

@pytest.mark.parametrize("event_type", ALL_TYPES)
def test_every_event_names_its_aggregate(event_type: str) -> None:
    for model in (parse_data(event_type, EXAMPLES[event_type]),
                  parse_stored_data(event_type, STORED_EXAMPLES[event_type], 1)):
        ref = model.aggregate()
        assert ref == AggregateRef(*EXPECTED_AGGREGATES[event_type])
        assert ref.type in AGGREGATE_TYPES


def test_an_activity_without_a_case_is_its_own_aggregate() -> None:
    data = {k: v for k, v in EXAMPLES["tilts.activity.recorded"].items() if k != "case_id"}
    assert parse_data("tilts.activity.recorded", data).aggregate() == AggregateRef(
        "activity", "act-2019-10-02-001")


def test_a_community_event_can_name_just_a_municipality() -> None:
    model = parse_data("tilts.activity.recorded", {
        "activity_id": "act-2019-12-14-kopiena", "kind": "community_event", "domain": "community",
        "participants": 48, "municipality_id": "jelgava",
        "note": "Romu kultūras diena bibliotēkā."})
    assert model.aggregate() == AggregateRef("activity", "act-2019-12-14-kopiena")
    assert model.municipality_id == "jelgava"  # type: ignore[attr-defined]


def test_every_aggregate_type_is_used_by_some_event() -> None:
    used = {t for t, _ in EXPECTED_AGGREGATES.values()} | {"activity"}
    assert used == AGGREGATE_TYPES


def test_an_aggregate_ref_is_an_immutable_value() -> None:
    ref = AggregateRef("case", "c1")
    assert ref == AggregateRef("case", "c1") and hash(ref) == hash(AggregateRef("case", "c1"))
    with pytest.raises(AttributeError):
        ref.id = "c2"  # type: ignore[misc]


# --- upcasting -------------------------------------------------------------------------------

TEST_TYPE = "tilts.test.thing"


class ThingV3(EventData):
    """A test-only event at schema version 3: v1 had `name`, v2 renamed it, v3 added `count`."""

    TYPE: ClassVar[str] = TEST_TYPE
    AGGREGATE: ClassVar[str] = "thing"
    AGGREGATE_ID: ClassVar[str] = "thing_id"

    thing_id: Id
    title: Name
    count: int


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    data["title"] = data.pop("name")
    return data


def _v2_to_v3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "count": 0}


@pytest.fixture
def thing_v3(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = EventSpec(type=TEST_TYPE, data_model=ThingV3, stored_model=ThingV3, schema_version=3,
                     roles=frozenset({Role.ADMIN}), has_personal=False)
    monkeypatch.setattr(catalogue, "SPECS", MappingProxyType({**catalogue.SPECS, TEST_TYPE: spec}))
    monkeypatch.setitem(UPCASTERS, (TEST_TYPE, 1), _v1_to_v2)
    monkeypatch.setitem(UPCASTERS, (TEST_TYPE, 2), _v2_to_v3)


def test_no_upcasters_are_registered_today() -> None:
    assert UPCASTERS == {}


def test_current_data_is_not_upcast() -> None:
    data = EXAMPLES["tilts.case.opened"]
    assert upcast("tilts.case.opened", 1, data) == data


@pytest.mark.usefixtures("thing_v3")
def test_upcasting_applies_the_whole_chain_of_upcasters() -> None:
    stored = {"thing_id": "t1", "name": "Pirmā lieta"}
    assert upcast(TEST_TYPE, 1, stored) == {"thing_id": "t1", "title": "Pirmā lieta", "count": 0}
    assert upcast(TEST_TYPE, 2, {"thing_id": "t1", "title": "x"}) == {
        "thing_id": "t1", "title": "x", "count": 0}
    assert stored == {"thing_id": "t1", "name": "Pirmā lieta"}  # the caller's dict is untouched


@pytest.mark.usefixtures("thing_v3")
def test_stored_data_of_an_old_version_is_upcast_before_validation() -> None:
    model = parse_stored_data(TEST_TYPE, {"thing_id": "t1", "name": " Lieta "}, 1)
    assert isinstance(model, ThingV3)
    assert (model.thing_id, model.title, model.count) == ("t1", " Lieta ", 0)  # texts read back as stored
    assert parse_stored_data(TEST_TYPE, {"thing_id": "t1", "title": "a", "count": 2}, 3).count == 2  # type: ignore[attr-defined]


@pytest.mark.usefixtures("thing_v3")
def test_a_missing_upcaster_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(UPCASTERS, (TEST_TYPE, 2))
    with pytest.raises(UnsupportedSchemaVersion):
        upcast(TEST_TYPE, 1, {"thing_id": "t1", "name": "x"})


@pytest.mark.usefixtures("thing_v3")
@pytest.mark.parametrize("version", [0, 4, -1])
def test_a_version_outside_the_known_range_is_an_error(version: int) -> None:
    with pytest.raises(UnsupportedSchemaVersion):
        parse_stored_data(TEST_TYPE, {"thing_id": "t1", "title": "x", "count": 1}, version)


def test_a_future_version_of_a_real_type_is_an_error() -> None:
    with pytest.raises(UnsupportedSchemaVersion):
        parse_stored_data("tilts.case.opened", EXAMPLES["tilts.case.opened"], 2)


def test_the_posted_and_stored_family_models_are_distinct_types() -> None:
    assert FamilyRegistered.model_fields["personal"].annotation != (
        FamilyRegisteredStored.model_fields["personal"].annotation)
    assert PersonAdded.TYPE == PersonAddedStored.TYPE


def test_texts_in_the_log_read_back_as_stored_even_if_todays_rules_would_refuse_them() -> None:
    # Stored before a rule was added (bidi controls, a name of only invisible characters): the
    # log must stay readable, for the intake's state, a reporting rebuild and an audit alike.
    stored = {"institution_id": "i2", "municipality_id": "m1", "name": "Skola\u202eadiks", "kind": "school"}
    assert catalogue.parse_stored_data("tilts.institution.registered", stored, 1).name == "Skola\u202eadiks"
    contact = {"institution_id": "i2", "contact_id": "c1", "name": "\u200b", "role": "sociālā pedagoģe"}
    assert catalogue.parse_stored_data("tilts.institution.contact_added", contact, 1).name == "\u200b"
    with pytest.raises(ValidationError):
        catalogue.parse_data("tilts.institution.registered", stored)  # posted today: refused


def test_times_at_the_edges_of_a_datetime_turn_into_riga_time_without_failing() -> None:
    from datetime import datetime

    from shared.riga import riga_date, riga_month
    first = datetime.fromisoformat("0001-01-01T00:00:00+14:00")
    last = datetime.fromisoformat("9999-12-31T23:59:59-14:00")
    assert riga_date(first).year == 1 and riga_month(last) == "9999-12"
