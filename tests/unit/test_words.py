"""One wording for what people read: reports and messages name a domain alike; Latvian counts."""

from __future__ import annotations

import pytest

from services.reporting.rendering.labels import WORDS
from shared.events.fields import ActivityKind, Channel, Domain, OutcomeKind
from shared.words import CHANNELS, COOPERATION_ANSWERS, DOMAINS, latvian_count


def test_reports_name_every_domain_as_the_messages_do() -> None:
    assert set(DOMAINS) == {d.value for d in Domain}
    assert WORDS["lv"]["domains"] == {code: lv for code, (lv, _) in DOMAINS.items()}
    assert WORDS["en"]["domains"] == {code: en for code, (_, en) in DOMAINS.items()}


@pytest.mark.parametrize(("count", "text"), [(1, "1 paziņojums"), (2, "2 paziņojumi"), (11, "11 paziņojumi"),
                                             (21, "21 paziņojums"), (111, "111 paziņojumi"), (101, "101 paziņojums")])
def test_a_latvian_count_takes_the_singular_after_one_but_not_after_eleven(count: int, text: str) -> None:
    assert latvian_count(count, "paziņojums", "paziņojumi") == text


@pytest.mark.parametrize("lang", ["lv", "en"])
def test_reports_name_every_outcome_and_activity_kind_of_the_catalogue(lang: str) -> None:
    assert set(WORDS[lang]["outcome_kinds"]) == {k.value for k in OutcomeKind}
    assert set(WORDS[lang]["activity_kinds"]) == {k.value for k in ActivityKind}


def test_outcomes_and_regular_families_are_worded_as_the_seeds_word_them() -> None:
    lv = WORDS["lv"]
    assert lv["families_regular"] == "regulāri (vismaz 3 dažādās dienās)"  # distinct days, not a 3-day stretch
    assert lv["outcome_kinds"]["preschool_enrolled"] == "uzņemts pirmsskolas izglītības iestādē"
    assert lv["outcome_kinds"]["low_income_status_granted"] == "piešķirts trūcīgas vai maznodrošinātas ģimenes statuss"
    assert list(lv["narrative_parts"].values()) == [
        "Pamatjautājumi, ar kuriem nākas strādāt…", "Ir prieks par…", "Lielākie izaicinājumi bija…",
        "Turpmākajā darbā svarīgākais būs…"]


def test_reports_and_messages_name_channels_and_answers_alike() -> None:
    from services.notifications.domain import wording
    assert set(CHANNELS) == {c.value for c in Channel} and wording.CHANNELS is CHANNELS
    assert {k: wording.STATES[k] for k in COOPERATION_ANSWERS} == COOPERATION_ANSWERS
    assert WORDS["lv"]["channels"]["commission_meeting"] == "komisijas sēde"
    assert WORDS["en"]["cooperation_answers"] == {"acknowledged": "acknowledged", "disputed": "disputed"}
