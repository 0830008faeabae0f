"""The email an institution gets: tidy, aligned, in time order, and an answer says which cooperation."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from services.notifications.adapters.deliveries import ClaimedDelivery
from services.notifications.adapters.templates import Templates
from services.notifications.application.couriers import Composer, EmailCourier, SendResult

INSTITUTION = {"id": "school-1", "name": "Jelgavas Ozolu pamatskola"}
CONTACT = {"id": "contact-1", "name": "Ilze Kalniņa", "role": "sociālā pedagoģe"}
MEDIATOR = {"id": "mediator-1", "display_name": "Marta Ozoliņa"}


def cooperation(number: int, time: str) -> dict[str, Any]:
    return {"kind": "cooperation", "type": "tilts.cooperation.recorded", "time": time, "institution": INSTITUTION,
            "cooperation_id": f"coop-{number}", "mediator": MEDIATOR, "contact": CONTACT, "domain": "education",
            "channel": "joint_visit", "purpose": "kavējumu iemesli"}


DISPUTED = {"kind": "cooperation", "type": "tilts.cooperation.disputed", "time": "2020-01-15T12:00:00+02:00",
            "institution": INSTITUTION, "cooperation_id": "coop-1", "answer": "disputed", "contact": CONTACT,
            "mediator": MEDIATOR, "cooperation_time": "2020-01-14T10:00:00+02:00"}


def delivery(number: int, facts: dict[str, Any]) -> ClaimedDelivery:
    return ClaimedDelivery(delivery_id=f"d{number}", event_id=f"ev-{number}", event_type=facts["type"],
                           subscription_id="sub-1", institution_id="school-1", channel="email", origin="smtp",
                           attempts=1, recorded_at=datetime(2020, 1, 16, tzinfo=UTC), facts=facts,
                           target="direktore@ozolu-skola.lv", sealed_secret=None, digest="daily",
                           subscription_deleted=False)


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send(self, to: str, subject: str, text: str, message_id: str) -> SendResult:
        self.sent.append((subject, text))
        return SendResult(True)


def mail(*deliveries: ClaimedDelivery) -> str:
    outbox = Outbox()
    composer = Composer(b"k" * 32, "https://tilts.example", "https://api.tilts.example", timedelta(days=30),
                        clock=lambda: datetime(2020, 1, 16, tzinfo=UTC))
    asyncio.run(EmailCourier(outbox, Templates(), composer).deliver(list(deliveries)))
    [(_, text)] = outbox.sent
    return text


def test_the_mail_never_shows_two_blank_lines_in_a_row() -> None:
    for text in (mail(delivery(1, cooperation(1, "2020-01-14T10:00:00+02:00"))), mail(delivery(2, DISPUTED)),
                 mail(delivery(1, cooperation(1, "2020-01-14T10:00:00+02:00")), delivery(2, DISPUTED))):
        assert "\n\n\n" not in text
        assert text.startswith("Labdien!\n\n") and "\nHello,\n\n" in text


def test_the_facts_of_a_notice_line_up_in_one_column() -> None:
    text = mail(delivery(1, cooperation(1, "2020-01-14T10:00:00+02:00")))
    for block in (["Kontaktpersona", "Joma", "Sadarbības veids", "Mērķis", "Sadarbības ID"],
                  ["Contact person", "Domain", "Channel", "Purpose", "Cooperation id"]):
        columns = set()
        for label in block:
            [line] = [line for line in text.splitlines() if line.startswith(f"  {label}:")]
            columns.add(re.match(r"  [^:]+:\s+", line).end())
        assert len(columns) == 1, (block, columns)


def test_a_digest_lists_its_notices_in_time_order_whatever_order_they_were_claimed_in() -> None:
    later, earlier = cooperation(2, "2020-01-15T09:00:00+02:00"), cooperation(1, "2020-01-14T09:00:00+02:00")
    text = mail(delivery(2, later), delivery(1, earlier))  # the requeued one came first
    assert text.index("coop-1") < text.index("coop-2")
    english = text[text.index("English"):]
    assert english.index("coop-1") < english.index("coop-2")


def test_an_answer_mail_says_which_cooperation_it_answers() -> None:
    text = mail(delivery(2, DISPUTED))
    assert "Sadarbība coop-1 ir apstrīdēta (15.01.2020. 12:00)." in text
    assert "  Sadarbības laiks: 14.01.2020. 10:00" in text and "  Romu mediators:   Marta Ozoliņa" in text
    assert "  Kontaktpersona:   Ilze Kalniņa (sociālā pedagoģe)" in text
    assert "  Cooperation time: 2020-01-14 10:00 (Riga time)" in text and "  Roma mediator:    Marta Ozoliņa" in text


def test_an_answer_mail_says_which_referral_it_answers() -> None:
    declined = {"kind": "referral", "type": "tilts.referral.declined", "time": "2020-01-15T12:00:00+02:00",
                "institution": INSTITUTION, "referral_id": "ref-1", "status": "declined", "mediator": MEDIATOR,
                "referral_time": "2020-01-14T10:00:00+02:00", "service": "sociālais pabalsts"}
    text = mail(delivery(3, declined))
    assert "  Nosūtīts:         14.01.2020. 10:00" in text and "  Romu mediators:   Marta Ozoliņa" in text
    assert "  Pakalpojums:      sociālais pabalsts" in text and "  Nosūtījuma ID:    ref-1" in text
    assert "  Referred:         2020-01-14 10:00 (Riga time)" in text and "  Service:          sociālais pabalsts" in text
    assert "\n\n\n" not in text
