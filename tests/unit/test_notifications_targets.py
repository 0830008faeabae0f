"""Webhook target rules: URL forms, tricky hosts, address classes, resolution re-checked."""

from __future__ import annotations

import ipaddress

import pytest

from services.notifications.application.vetting import vet
from services.notifications.domain.targets import (AddressKind, Refused, Target, check_addresses, classify,
                                                   parse_ipv4_host, parse_target)


class FakeResolver:
    """Answers from a fixed table, as a DNS server under someone else's control might."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.asked: list[str] = []

    async def resolve(self, host: str, port: int) -> list:
        self.asked.append(host)
        return [ipaddress.ip_address(a) for a in self.table.get(host, [])]


@pytest.mark.parametrize(("host", "address"), [
    ("127.0.0.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("0x7f.0.0.1", "127.0.0.1"),
    ("2130706433", "127.0.0.1"), ("017700000001", "127.0.0.1"), ("0177.0.0.1", "127.0.0.1"),
    ("127.1", "127.0.0.1"), ("10.0.0.8.", "10.0.0.8"), ("0x", "0.0.0.0"), ("0xA9.0xFE.0xA9.0xFE", "169.254.169.254"),
])
def test_numeric_hosts_are_read_as_resolvers_read_them(host: str, address: str) -> None:
    assert parse_ipv4_host(host) == ipaddress.IPv4Address(address)
    target = parse_target(f"https://{host}/hook")
    assert isinstance(target, Target) and target.address == ipaddress.IPv4Address(address)


@pytest.mark.parametrize("host", ["1.2.3.4.5", "256.1.1.1", "1.2.3.0x100", "09.1.1.1", "1..1"])
def test_hosts_that_end_in_a_number_but_are_no_ipv4_address_are_refused(host: str) -> None:
    assert isinstance(parse_target(f"https://{host}/"), Refused)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.lv/hook", "https://"), ("https://user:pw@example.lv/", "credentials"),
    ("https://example.lv/hook#frag", "fragment"), ("https://exa mple.lv/", "spaces"),
    ("https://example.lv\\@evil.lv/", "backslashes"), ("https://[::1/", "not valid"),
    ("https://ex_-.lv/", "host name"), ("https://" + "a" * 64 + ".lv/", "host name"),
    ("https://example.lv:99999/", "not valid"), ("https:///hook", "host name"),
])
def test_malformed_or_unsafe_urls_are_refused(url: str, reason: str) -> None:
    refused = parse_target(url)
    assert isinstance(refused, Refused) and reason in refused.reason


def test_a_refused_scheme_is_told_what_this_server_accepts() -> None:
    strict, local = parse_target("ftp://example.lv/hook"), parse_target("ftp://example.lv/hook", allow_private=True)
    assert strict == Refused("a webhook URL must start with https://")
    assert isinstance(local, Refused) and "https://" in local.reason and "http:// to a loopback or private" in local.reason
    public_over_http = parse_target("http://hooks.skola.lv/")
    refused = check_addresses(public_over_http, [ipaddress.ip_address("8.8.8.8")], allow_private=True)
    assert refused == local
    assert check_addresses(public_over_http, [ipaddress.ip_address("8.8.8.8")], allow_private=False) == strict


def test_a_url_keeps_its_port_path_and_query_and_names_its_origin() -> None:
    target = parse_target("https://Hooks.Skola.LV:8443/tilts?token=abc")
    assert isinstance(target, Target)
    assert (target.host, target.port, target.origin) == ("hooks.skola.lv", 8443, "https://hooks.skola.lv:8443")
    unicode_host = parse_target("https://skola.līvāni.lv/h")
    assert isinstance(unicode_host, Target) and unicode_host.host == "skola.xn--lvni-rsa4w.lv"  # IDNA of līvāni
    v6 = parse_target("https://[2606:4700::1111]/h")
    assert isinstance(v6, Target) and v6.origin == "https://[2606:4700::1111]:443"


@pytest.mark.parametrize(("address", "kind"), [
    ("8.8.8.8", AddressKind.PUBLIC), ("2606:4700::1111", AddressKind.PUBLIC),
    ("127.0.0.1", AddressKind.LOOPBACK), ("127.255.0.9", AddressKind.LOOPBACK), ("::1", AddressKind.LOOPBACK),
    ("10.1.2.3", AddressKind.PRIVATE), ("172.16.0.1", AddressKind.PRIVATE), ("192.168.1.1", AddressKind.PRIVATE),
    ("100.64.0.1", AddressKind.PRIVATE), ("fd00::1", AddressKind.PRIVATE),
    ("169.254.169.254", AddressKind.FORBIDDEN), ("fe80::1", AddressKind.FORBIDDEN), ("0.0.0.0", AddressKind.FORBIDDEN),
    ("::", AddressKind.FORBIDDEN), ("224.0.0.1", AddressKind.FORBIDDEN), ("ff02::1", AddressKind.FORBIDDEN),
    ("255.255.255.255", AddressKind.FORBIDDEN), ("192.0.2.1", AddressKind.FORBIDDEN),
    ("198.18.0.1", AddressKind.FORBIDDEN), ("240.0.0.1", AddressKind.FORBIDDEN),
    ("2001:db8::1", AddressKind.FORBIDDEN), ("::127.0.0.1", AddressKind.FORBIDDEN),
    ("2001::1", AddressKind.FORBIDDEN),  # Teredo
])
def test_addresses_are_classified(address: str, kind: AddressKind) -> None:
    assert classify(ipaddress.ip_address(address)) is kind


@pytest.mark.parametrize(("address", "kind"), [
    ("::ffff:127.0.0.1", AddressKind.LOOPBACK), ("::ffff:10.0.0.1", AddressKind.PRIVATE),
    ("::ffff:169.254.169.254", AddressKind.FORBIDDEN), ("::ffff:8.8.8.8", AddressKind.PUBLIC),
    ("64:ff9b::7f00:1", AddressKind.LOOPBACK), ("64:ff9b::a9fe:a9fe", AddressKind.FORBIDDEN),
    ("2002:7f00:1::", AddressKind.LOOPBACK), ("2002:0a00:0001::1", AddressKind.PRIVATE),
])
def test_ipv6_forms_that_carry_an_ipv4_address_are_judged_by_it(address: str, kind: AddressKind) -> None:
    assert classify(ipaddress.ip_address(address)) is kind


def _check(url: str, addresses: list[str], allow_private: bool) -> Refused | None:
    target = parse_target(url)
    assert isinstance(target, Target)
    return check_addresses(target, [ipaddress.ip_address(a) for a in addresses], allow_private)


def test_public_https_is_accepted_and_plain_http_only_to_local_addresses_in_local_use() -> None:
    assert _check("https://hooks.skola.lv/", ["8.8.8.8"], False) is None
    assert isinstance(_check("http://hooks.skola.lv/", ["8.8.8.8"], False), Refused)
    assert isinstance(_check("http://hooks.skola.lv/", ["8.8.8.8"], True), Refused)
    assert _check("http://127.0.0.1:8080/", ["127.0.0.1"], True) is None
    assert _check("https://intranet/", ["10.0.0.5"], True) is None
    assert isinstance(_check("https://intranet/", ["10.0.0.5"], False), Refused)


def test_one_bad_address_among_several_refuses_the_target() -> None:
    refused = _check("https://hooks.skola.lv/", ["8.8.8.8", "127.0.0.1"], False)
    assert isinstance(refused, Refused) and "private or loopback" in refused.reason
    forbidden = _check("https://hooks.skola.lv/", ["10.0.0.1", "169.254.169.254"], True)
    assert isinstance(forbidden, Refused) and "link-local" in forbidden.reason
    assert isinstance(_check("https://hooks.skola.lv/", [], True), Refused)


async def test_names_are_resolved_and_every_address_checked() -> None:
    resolver = FakeResolver({"127.0.0.1.nip.io": ["127.0.0.1"], "hooks.skola.lv": ["8.8.4.4", "2606:4700::1"],
                             "rebound.example.lv": ["8.8.8.8", "::ffff:127.0.0.1"]})
    nip = parse_target("https://127.0.0.1.nip.io/hook")
    assert isinstance(nip, Target) and nip.address is None
    assert isinstance(await vet(nip, resolver, allow_private=False), Refused)
    good = parse_target("https://hooks.skola.lv/")
    assert isinstance(good, Target)
    assert [str(a) for a in await vet(good, resolver, allow_private=False)] == ["8.8.4.4", "2606:4700::1"]
    rebound = parse_target("https://rebound.example.lv/")
    assert isinstance(rebound, Target) and isinstance(await vet(rebound, resolver, allow_private=False), Refused)
    nowhere = parse_target("https://nowhere.example.lv/")
    assert isinstance(nowhere, Target) and isinstance(await vet(nowhere, resolver, allow_private=True), Refused)


async def test_a_literal_address_is_not_resolved() -> None:
    resolver = FakeResolver({})
    target = parse_target("https://[::ffff:127.0.0.1]/hook")
    assert isinstance(target, Target) and isinstance(await vet(target, resolver, allow_private=False), Refused)
    assert resolver.asked == []
