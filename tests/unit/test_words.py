"""One wording for what people read: reports and messages name a domain alike; Latvian counts."""

from __future__ import annotations

import pytest

from services.reporting.rendering.labels import WORDS
from shared.events.fields import Domain
from shared.words import DOMAINS, latvian_count


def test_reports_name_every_domain_as_the_messages_do() -> None:
    assert set(DOMAINS) == {d.value for d in Domain}
    assert WORDS["lv"]["domains"] == {code: lv for code, (lv, _) in DOMAINS.items()}
    assert WORDS["en"]["domains"] == {code: en for code, (_, en) in DOMAINS.items()}


@pytest.mark.parametrize(("count", "text"), [(1, "1 paziņojums"), (2, "2 paziņojumi"), (11, "11 paziņojumi"),
                                             (21, "21 paziņojums"), (111, "111 paziņojumi"), (101, "101 paziņojums")])
def test_a_latvian_count_takes_the_singular_after_one_but_not_after_eleven(count: int, text: str) -> None:
    assert latvian_count(count, "paziņojums", "paziņojumi") == text
