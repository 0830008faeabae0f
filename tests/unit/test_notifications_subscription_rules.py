"""Subscription requests: fields, event types, email addresses, digests."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.notifications.domain.subscriptions import SubscriptionRequest, check_target, parse_email
from services.notifications.domain.targets import Refused, Target


def request(**fields: object) -> SubscriptionRequest:
    return SubscriptionRequest.model_validate({"institution_id": "school-1", "channel": "email",
                                               "target": "direktore@skola.lv", **fields})


def test_new_cooperations_and_referrals_are_notified_unless_other_types_are_chosen() -> None:
    assert request().types == ("tilts.cooperation.recorded", "tilts.referral.made")
    chosen = request(event_types=["tilts.cooperation.acknowledged"])
    assert chosen.types == ("tilts.cooperation.acknowledged",)


@pytest.mark.parametrize("fields", [
    {"event_types": []}, {"event_types": ["tilts.family.registered"]},
    {"event_types": ["tilts.referral.made", "tilts.referral.made"]}, {"channel": "sms"}, {"digest": "weekly"},
    {"institution_id": "has space"}, {"target": ""}, {"extra": 1}, {"target": 5},
])
def test_invalid_requests_are_refused(fields: dict) -> None:
    with pytest.raises(ValidationError):
        request(**fields)


@pytest.mark.parametrize(("address", "normalised"), [
    ("direktore@skola.lv", "direktore@skola.lv"), ("Ilze.Kalnina+tilts@Skola.LV", "Ilze.Kalnina+tilts@skola.lv"),
    ("info@līvāni.lv", "info@xn--lvni-rsa4w.lv"),
])
def test_plain_addresses_are_accepted_with_their_domain_normalised(address: str, normalised: str) -> None:
    assert parse_email(address) == normalised


@pytest.mark.parametrize("address", [
    "no-at-sign", "a@b", "a@@b.lv", "Ilze <ilze@skola.lv>", "ilze@skola.lv\r\nBcc: x@y.lv", "a..b@skola.lv",
    ".a@skola.lv", "a@-skola.lv", "a@skola.123", "a@[127.0.0.1]", "a b@skola.lv", "x" * 65 + "@skola.lv",
])
def test_anything_but_a_plain_address_is_refused(address: str) -> None:
    assert isinstance(parse_email(address), Refused)


def test_a_digest_is_for_email_and_a_webhook_target_is_parsed() -> None:
    assert isinstance(check_target(request(channel="webhook", target="https://h.lv/x", digest="daily")), Refused)
    assert isinstance(check_target(request(channel="webhook", target="https://h.lv/x")), Target)
    assert check_target(request(digest="daily")) == "direktore@skola.lv"
