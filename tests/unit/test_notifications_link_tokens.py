"""Answer links: signed, tamper-proof, expiring, one event id per step; answers step by step."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.notifications.adapters.keys import WebhookSecrets, derive_key
from services.notifications.domain.answers import ACTIONS, InvalidAnswer, answer_data, current_step
from services.notifications.domain.links import Link, LinkRefused, answer_event_id, read_link, sign_link

KEY = derive_key(b"m" * 32, "answer-links")
LINK = Link(kind="cooperation", subject_id="coop-1", institution_id="school-1", contact_id="contact-1",
            subscription_id="sub-1", delivery_id="delivery-1", expires=datetime.now(UTC) + timedelta(days=30))
REFERRAL = Link(kind="referral", subject_id="ref-1", institution_id="school-1", contact_id=None,
                subscription_id="sub-1", delivery_id="delivery-2", expires=LINK.expires)


def test_a_signed_link_reads_back_as_itself() -> None:
    read = read_link(sign_link(LINK, KEY), KEY)
    assert isinstance(read, Link) and replace(read, expires=LINK.expires) == LINK
    assert abs((read.expires - LINK.expires).total_seconds()) < 1  # whole seconds in the token


def test_an_altered_forged_or_foreign_link_is_invalid() -> None:
    token = sign_link(LINK, KEY)
    header, _, signature = token.split(".")
    other = sign_link(replace(LINK, subject_id="coop-2"), KEY)
    assert read_link(f"{header}.{other.split('.')[1]}.{signature}", KEY) == LinkRefused("invalid")
    assert read_link(token, derive_key(b"x" * 32, "answer-links")) == LinkRefused("invalid")
    unsigned = jwt.encode({"aud": "tilts-notify-link", "k": "cooperation", "s": "c", "i": "i", "u": "u",
                           "jti": "d", "exp": 9999999999}, None, algorithm="none")
    assert read_link(unsigned, KEY) == LinkRefused("invalid")
    assert read_link("not-a-token", KEY) == LinkRefused("invalid")
    bearer_like = jwt.encode({"aud": "tilts", "sub": "x", "exp": 9999999999}, KEY, algorithm="HS256")
    assert read_link(bearer_like, KEY) == LinkRefused("invalid")


def test_an_expired_link_says_so() -> None:
    expired = sign_link(replace(LINK, expires=datetime.now(UTC) - timedelta(seconds=5)), KEY)
    assert read_link(expired, KEY) == LinkRefused("expired")


def test_the_answer_event_id_is_the_same_for_every_submit_of_a_step_and_differs_between_steps() -> None:
    assert answer_event_id("delivery-1", "answer") == answer_event_id("delivery-1", "answer")
    ids = {answer_event_id(d, s) for d in ("delivery-1", "delivery-2") for s in ("answer", "respond", "complete")}
    assert len(ids) == 6 and all(len(i) <= 64 for i in ids)


def test_a_cooperation_is_answered_once_and_a_referral_in_two_steps() -> None:
    assert current_step(LINK, None).actions == ("acknowledge", "dispute")
    assert current_step(LINK, "acknowledged") is None
    assert current_step(REFERRAL, "made").actions == ("accept", "decline")
    assert current_step(REFERRAL, "accepted").actions == ("complete", "decline")
    assert current_step(REFERRAL, "completed") is None and current_step(REFERRAL, "declined") is None


def test_answer_data_is_validated_by_the_catalogue() -> None:
    assert answer_data(LINK, ACTIONS["acknowledge"], "  ") == {"cooperation_id": "coop-1", "contact_id": "contact-1"}
    assert answer_data(LINK, ACTIONS["dispute"], None) == InvalidAnswer("reason", "please give a reason", "missing")
    assert answer_data(LINK, ACTIONS["dispute"], "Nenotika") == {
        "cooperation_id": "coop-1", "contact_id": "contact-1", "reason": "Nenotika"}
    too_long = answer_data(LINK, ACTIONS["dispute"], "x" * 501)
    assert isinstance(too_long, InvalidAnswer) and too_long.field == "reason"
    assert (too_long.code, dict(too_long.context)) == ("string_too_long", {"max_length": 500})
    assert answer_data(REFERRAL, ACTIONS["complete"], "Paldies") == {"referral_id": "ref-1", "note": "Paldies"}


def test_a_textarea_reason_over_several_lines_becomes_one_line_and_a_note_keeps_its_lines() -> None:
    typed = "Tikšanās nenotika.\r\nSkolotāja bija slima.\n\n\tCitreiz. "
    assert answer_data(LINK, ACTIONS["dispute"], typed)["reason"] == (
        "Tikšanās nenotika. Skolotāja bija slima. Citreiz.")
    assert answer_data(LINK, ACTIONS["acknowledge"], "Tikāmies.\r\nViss kārtībā.")["note"] == (
        "Tikāmies.\nViss kārtībā.")
    assert answer_data(REFERRAL, ACTIONS["decline"], "Nav vietu.\nMēģiniet martā.")["note"] == (
        "Nav vietu.\nMēģiniet martā.")


def test_single_line_fields_are_told_by_their_event_type() -> None:
    from shared.events.fields import OptionalShortText, is_single_line
    from shared.events.institution import InstitutionRegistered
    from shared.events.work import CooperationAcknowledged, CooperationDisputed

    assert is_single_line(CooperationDisputed, "reason") and not is_single_line(CooperationAcknowledged, "note")
    assert is_single_line(InstitutionRegistered, "name")

    class WithOptional(CooperationAcknowledged):
        summary: OptionalShortText = None
    assert is_single_line(WithOptional, "summary")


def test_a_refused_answer_is_told_by_its_real_cause_in_latvian_and_english() -> None:
    from services.notifications.domain.wording import problem_words

    too_long = answer_data(LINK, ACTIONS["dispute"], "x" * 501)
    assert problem_words(too_long.code, too_long.detail, dict(too_long.context)) == (
        "Teksts ir par garu: ne vairāk kā 500 rakstzīmes.", "The text is too long: at most 500 characters.")
    control = answer_data(LINK, ACTIONS["acknowledge"], "Labi\x07")
    assert problem_words(control.code, control.detail, dict(control.context))[0].startswith("Tekstā ir vadības")
    assert problem_words("missing", "please give a reason", {}) == ("Lūdzu, norādiet iemeslu.", "Please give a reason.")
    for odd in ("Labi\ufffe", "Labi\ud800"):  # a noncharacter, an unpaired surrogate: said in Latvian too
        refused = answer_data(LINK, ACTIONS["acknowledge"], odd)
        assert problem_words(refused.code, refused.detail, {})[0] == "Tekstā ir rakstzīmes, kuras nevar saglabāt."
    assert problem_words("something_new", "Odd input", {}) == ("Atbilde nav derīga: Odd input",
                                                               "The answer is not valid: Odd input")


def test_webhook_secrets_are_standard_and_sealed_to_their_subscription() -> None:
    secrets = WebhookSecrets(derive_key(b"m" * 32, "webhook-secrets"))
    secret = secrets.generate()
    assert secret.startswith("whsec_") and len(secret) == len("whsec_") + 44
    sealed = secrets.seal("sub-1", secret)
    assert secret.encode() not in sealed and secrets.open("sub-1", sealed) == secret
    with pytest.raises(ValueError):
        secrets.open("sub-2", sealed)
    assert derive_key(b"m" * 32, "webhook-secrets") != derive_key(b"m" * 32, "answer-links")
