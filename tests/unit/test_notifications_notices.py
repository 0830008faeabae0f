"""Notices are data-minimised by construction: what an institution is told, and nothing else."""

from __future__ import annotations

import json
from typing import Any

from shared.config import Settings
from shared.events.envelope import StoredEvent
from services.notifications.domain.fanout import (AnsweredCooperation, AnsweredReferral, Names, SubscriptionInterest,
                                                  learn, notice_for)
from services.notifications.domain.messages import how_to_respond, webhook_body

NAMES = Names(institutions={"school-1": "Jelgavas Ozolu pamatskola"},
              contacts={("school-1", "contact-1"): ("Ilze Kalniņa", "sociālā pedagoģe")},
              mediators={"mediator-1": "Marta Ozoliņa"})


def stored(type_: str, data: dict[str, Any], *, actor: str = "mediator-1", sequence: int = 10,
           aggregate: str = "cooperation") -> StoredEvent:
    return StoredEvent(id=f"ev-{sequence}", source="phone", type=type_, time="2020-01-14T10:00:00+02:00",
                       subject=f"ev.m.{aggregate}.x", recordedtime="2020-01-14T08:00:01+00:00", actor=actor,
                       actorrole="mediator", municipalityid="jelgava", aggregatetype=aggregate, aggregateid="x",
                       version=1, schemaversion=1, fingerprint="f", prevhash="0" * 64, hash="h", data=data,
                       sequence=sequence)


COOPERATION = stored("tilts.cooperation.recorded", {
    "cooperation_id": "coop-1", "institution_id": "school-1", "contact_id": "contact-1", "domain": "education",
    "channel": "meeting", "purpose": "kavējumu iemesli", "family_id": "family-SECRET", "case_id": "case-SECRET"})


def test_a_cooperation_notice_names_who_what_when_and_never_the_family_or_case() -> None:
    notice = notice_for(COOPERATION, "school-1", NAMES, None)
    assert notice.facts == {
        "kind": "cooperation", "type": "tilts.cooperation.recorded", "time": "2020-01-14T10:00:00+02:00",
        "institution": {"id": "school-1", "name": "Jelgavas Ozolu pamatskola"}, "cooperation_id": "coop-1",
        "mediator": {"id": "mediator-1", "display_name": "Marta Ozoliņa"},
        "contact": {"id": "contact-1", "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"},
        "domain": "education", "channel": "meeting", "purpose": "kavējumu iemesli"}
    body = webhook_body(notice, how_to_respond(notice, "http://intake", "http://link", None))
    assert b"SECRET" not in body


def test_a_referral_notice_tells_the_service_but_not_the_case() -> None:
    referral = stored("tilts.referral.made", {"referral_id": "ref-1", "case_id": "case-SECRET",
                                              "institution_id": "school-1", "service": "pabalsts"},
                      aggregate="referral")
    notice = notice_for(referral, "school-1", NAMES, None)
    assert notice.facts["service"] == "pabalsts" and notice.facts["referral_id"] == "ref-1"
    assert "SECRET" not in json.dumps(notice.facts)


def test_an_answer_notice_carries_neither_the_note_nor_the_reason() -> None:
    disputed = stored("tilts.cooperation.disputed", {"cooperation_id": "coop-1", "contact_id": "contact-1",
                                                     "reason": "SECRET reason"}, actor="contact-1", sequence=11)
    notice = notice_for(disputed, "school-1", NAMES, AnsweredCooperation("contact-1", None, None))
    assert notice.facts["answer"] == "disputed" and notice.facts["contact"]["name"] == "Ilze Kalniņa"
    assert "SECRET" not in json.dumps(notice.facts) and not notice.answerable


def test_an_answer_notice_names_the_cooperation_by_its_time_mediator_and_contact() -> None:
    disputed = stored("tilts.cooperation.disputed", {"cooperation_id": "coop-1", "contact_id": "contact-1",
                                                     "reason": "Nenotika"}, actor="contact-1", sequence=11)
    answered = AnsweredCooperation("contact-1", "mediator-1", "2020-01-13T09:30:00+02:00")
    facts = notice_for(disputed, "school-1", NAMES, answered).facts
    assert facts["cooperation_time"] == "2020-01-13T09:30:00+02:00"
    assert facts["mediator"] == {"id": "mediator-1", "display_name": "Marta Ozoliņa"}
    assert facts["contact"] == {"id": "contact-1", "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"}
    assert "reason" not in facts and "Nenotika" not in json.dumps(facts)


def test_an_answer_to_a_referral_names_it_by_its_time_mediator_and_service_never_the_case() -> None:
    declined = stored("tilts.referral.declined", {"referral_id": "ref-1", "reason": "SECRET reason"},
                      actor="contact-1", aggregate="referral", sequence=12)
    facts = notice_for(declined, "school-1", NAMES,
                       AnsweredReferral("mediator-1", "2020-01-13T09:30:00+02:00", "pabalsts")).facts
    assert (facts["status"], facts["referral_time"], facts["service"]) == (
        "declined", "2020-01-13T09:30:00+02:00", "pabalsts")
    assert facts["mediator"] == {"id": "mediator-1", "display_name": "Marta Ozoliņa"}
    assert "SECRET" not in json.dumps(facts)
    bare = notice_for(declined, "school-1", NAMES, None).facts  # learnt before the fan-out kept them
    assert not {"mediator", "referral_time", "service"} & set(bare)


def test_the_fan_out_learns_what_an_answer_will_name_a_referral_by() -> None:
    made = stored("tilts.referral.made", {"referral_id": "ref-1", "case_id": "case-1", "institution_id": "school-1",
                                          "service": "pabalsts"}, actor="mediator-1", aggregate="referral")
    assert learn([made]).referrals == [("ref-1", "school-1", made.id, "mediator-1", made.time, "pabalsts")]


def test_the_webhook_body_is_a_cloudevent_with_how_to_answer() -> None:
    notice = notice_for(COOPERATION, "school-1", NAMES, None)
    body = json.loads(webhook_body(notice, how_to_respond(notice, "http://intake:8080", None, None)))
    assert {k: body[k] for k in ("specversion", "type", "source", "id")} == {
        "specversion": "1.0", "type": "tilts.cooperation.recorded", "source": "tilts/notifications", "id": "ev-10"}
    respond = body["data"]["respond"]
    assert respond["intake"]["url"] == "http://intake:8080/v1/events"
    assert respond["intake"]["events"][1] == {"type": "tilts.cooperation.disputed", "required": ["reason"],
                                              "data": {"cooperation_id": "coop-1", "contact_id": "contact-1"}}
    assert "link" not in respond


def test_unknown_names_leave_ids_only() -> None:
    notice = notice_for(COOPERATION, "school-1", Names({}, {}, {}), None)
    assert notice.facts["mediator"] == {"id": "mediator-1", "display_name": None}
    assert notice.facts["contact"] == {"id": "contact-1", "name": None}


def test_the_fan_out_learns_names_and_answer_states_in_log_order() -> None:
    learnt = learn([
        stored("tilts.institution.registered", {"institution_id": "school-1", "municipality_id": "jelgava",
                                                "name": "Skola", "kind": "school"}, aggregate="institution"),
        stored("tilts.mediator.registered", {"mediator_id": "mediator-1", "display_name": "Marta",
                                             "municipality_ids": ["jelgava"]}, aggregate="mediator"),
        COOPERATION,
        stored("tilts.cooperation.acknowledged", {"cooperation_id": "coop-1", "contact_id": "contact-1"}),
        stored("tilts.referral.accepted", {"referral_id": "ref-1"}, aggregate="referral"),
    ])
    assert learnt.institutions == [("school-1", "jelgava", "Skola")]
    assert learnt.mediators == [("mediator-1", "Marta")]
    assert learnt.cooperations == [("coop-1", "school-1", "contact-1", "ev-10", "mediator-1",
                                    "2020-01-14T10:00:00+02:00")]
    assert learnt.cooperation_answers == [("coop-1", "acknowledged", "2020-01-14T08:00:01+00:00")]
    assert learnt.referral_answers == [("ref-1", "accepted")]


def test_a_subscription_wants_its_types_and_only_events_after_it_began() -> None:
    interest = SubscriptionInterest("sub-1", "school-1", "webhook", "https://h:443",
                                    frozenset({"tilts.cooperation.recorded"}), None, from_sequence=10)
    assert not interest.wants(COOPERATION)  # sequence 10: already in the log when it subscribed
    assert interest.wants(COOPERATION.with_sequence(11))
    assert not interest.wants(stored("tilts.referral.made", {}, sequence=12))


def test_a_link_runs_from_when_it_is_sent_so_a_requeued_notice_does_not_arrive_expired() -> None:
    from datetime import UTC, datetime, timedelta

    from services.notifications.adapters.deliveries import ClaimedDelivery
    from services.notifications.application.couriers import Composer

    recorded = datetime(2020, 1, 14, 8, tzinfo=UTC)
    facts = notice_for(COOPERATION, "school-1", NAMES, None).facts
    delivery = ClaimedDelivery(delivery_id="d1", event_id=COOPERATION.id, event_type=COOPERATION.type,
                               subscription_id="s1", institution_id="school-1", channel="webhook",
                               origin="https://school.example", attempts=1, recorded_at=recorded, facts=facts,
                               target="https://school.example/hook", sealed_secret=b"x", digest=None,
                               subscription_deleted=False)
    key, ttl = b"k" * 32, timedelta(days=30)
    on_time = Composer(key, "http://n", "http://i", ttl, clock=lambda: recorded + timedelta(seconds=2))
    assert on_time.link(delivery)[1] == recorded + timedelta(seconds=2) + ttl
    requeued_at = recorded + timedelta(days=45)  # parked during an outage, requeued weeks later
    late = Composer(key, "http://n", "http://i", ttl, clock=lambda: requeued_at)
    assert late.link(delivery)[1] == requeued_at + ttl


def test_notices_tell_the_public_intake_address_which_defaults_to_the_one_answers_are_posted_to() -> None:
    internal = Settings(intake_url="http://intake:8080/")
    assert internal.intake_public_url() == internal.intake_base_url() == "http://intake:8080"
    public = internal.model_copy(update={"public_intake_url": "https://api.tilts.example/"})
    assert (public.intake_public_url(), public.intake_base_url()) == ("https://api.tilts.example", "http://intake:8080")
