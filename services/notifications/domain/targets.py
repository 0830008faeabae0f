"""Webhook target rules: which URLs and addresses a subscription may send to (SSRF defence).

A webhook makes this server send requests wherever a subscriber says, so a target must be an
`https://` URL on a public address. Host names are resolved and *every* address checked, at
subscription time and again before each delivery (a name may be re-pointed at 127.0.0.1 later:
DNS rebinding). Hosts are read the way browsers and resolvers read them, so `0x7f.1`,
`2130706433` and `017700000001` are all 127.0.0.1 here too, and IPv6 forms that embed an IPv4
address (`::ffff:127.0.0.1`, NAT64, 6to4) are judged by the address they carry.

With `allow_private` (local use) loopback and private addresses are accepted, over `http://`
too. Link-local (cloud metadata at 169.254.169.254), unspecified, multicast, documentation and
reserved addresses are never accepted.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MAX_URL_LENGTH = 2048
_LABEL = re.compile(r"\A(?!-)[a-z0-9_-]{1,63}(?<!-)\Z")
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")


class AddressKind(StrEnum):
    PUBLIC = "public"
    PRIVATE = "private"
    LOOPBACK = "loopback"
    FORBIDDEN = "forbidden"


def _networks(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(c) for c in cidrs)


_LOOPBACK = _networks("127.0.0.0/8", "::1/128")
_PRIVATE = _networks("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7")
_FORBIDDEN = _networks(
    "0.0.0.0/8", "169.254.0.0/16", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::/96", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "fe80::/10", "fec0::/10",
    "ff00::/8")
_GLOBAL_UNICAST_V6 = ipaddress.ip_network("2000::/3")
_NAT64 = _networks("64:ff9b::/96", "64:ff9b:1::/48")


@dataclass(frozen=True, slots=True)
class Target:
    """A parsed webhook URL: scheme, host (IDNA, lower case), port, and the address if literal."""

    url: str
    scheme: str
    host: str
    port: int
    address: IPAddress | None

    @property
    def origin(self) -> str:
        """scheme://host:port — the unit of per-target concurrency."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


@dataclass(frozen=True, slots=True)
class Refused:
    """Why a target may not be used."""

    reason: str


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if any(address in net for net in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def classify(address: IPAddress) -> AddressKind:
    """Public, private, loopback, or never allowed."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return classify(inner)
    if any(address in net for net in _LOOPBACK):  # first: ::1 lies inside the reserved ::/96
        return AddressKind.LOOPBACK
    if any(address in net for net in _FORBIDDEN):
        return AddressKind.FORBIDDEN
    if any(address in net for net in _PRIVATE):
        return AddressKind.PRIVATE
    if isinstance(address, ipaddress.IPv6Address) and address not in _GLOBAL_UNICAST_V6:
        return AddressKind.FORBIDDEN
    return AddressKind.PUBLIC if address.is_global else AddressKind.FORBIDDEN


def _ends_in_a_number(labels: list[str]) -> bool:
    last = labels[-1]
    return last.isdigit() or (last[:2] in ("0x", "0X") and all(c in "0123456789abcdefABCDEF" for c in last[2:]))


def _ipv4_number(part: str) -> int | None:
    if part[:2] in ("0x", "0X"):
        digits, base = part[2:], 16
    elif len(part) > 1 and part.startswith("0"):
        digits, base = part[1:], 8
    else:
        digits, base = part, 10
    if digits == "":
        return 0 if base == 16 else None
    try:
        return int(digits, base)
    except ValueError:
        return None


def parse_ipv4_host(host: str) -> ipaddress.IPv4Address | None:
    """A host read as IPv4 the way URL parsers and `inet_aton` do (hex, octal, short forms)."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if not parts or len(parts) > 4 or any(p == "" for p in parts):
        return None
    numbers = [_ipv4_number(p) for p in parts]
    if any(n is None for n in numbers):
        return None
    *leading, last = numbers
    if any(n > 255 for n in leading) or last >= 256 ** (5 - len(numbers)):  # type: ignore[operator]
        return None
    value = last
    for index, number in enumerate(leading):
        value += number * 256 ** (3 - index)  # type: ignore[operator]
    return ipaddress.IPv4Address(value)


def _host(raw: str, bracketed: bool) -> tuple[str, IPAddress | None] | Refused:
    if bracketed:
        try:
            return raw, ipaddress.IPv6Address(raw)
        except ValueError:
            return Refused("the host is not a valid IPv6 address")
    try:
        host = raw.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return Refused("the host name is not valid")
    labels = host.rstrip(".").split(".")
    if host and _ends_in_a_number(labels):
        address = parse_ipv4_host(host)
        return (str(address), address) if address else Refused("the host looks like an IPv4 address but is not one")
    if not host or len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        return Refused("the host name is not valid")
    return host.rstrip("."), None


def scheme_rule(allow_private: bool) -> str:
    """Which URLs a webhook may have under the current setting, in the words a refusal uses."""
    if allow_private:
        return ("a webhook URL must start with https://, or http:// to a loopback or private address "
                "(allowed on this server)")
    return "a webhook URL must start with https://"


def parse_target(url: str, allow_private: bool = False) -> Target | Refused:
    """Read a webhook URL; Refused if it is not a plain http(s) URL with a valid host.
    `allow_private` only words the refusal of another scheme (addresses are judged later)."""
    if len(url) > MAX_URL_LENGTH or _UNSAFE_CHARACTERS.search(url):
        return Refused("the URL is too long or contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return Refused("the URL is not valid")
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http"):
        return Refused(scheme_rule(allow_private))
    if parts.username is not None or parts.password is not None:
        return Refused("a webhook URL must not carry credentials")
    if parts.fragment:
        return Refused("a webhook URL must not have a #fragment")
    netloc_host = parts.netloc.rpartition("@")[2]
    bracketed = netloc_host.startswith("[")
    host = _host(parts.hostname or "", bracketed)
    if isinstance(host, Refused):
        return host
    name, address = host
    return Target(url=url, scheme=scheme, host=name, port=port or (443 if scheme == "https" else 80),
                  address=address)


def check_addresses(target: Target, addresses: list[IPAddress], allow_private: bool) -> Refused | None:
    """Refused unless every address the target resolves to may be sent to over its scheme."""
    if not addresses:
        return Refused("the host name does not resolve")
    kinds = {classify(a) for a in addresses}
    if AddressKind.FORBIDDEN in kinds:
        return Refused("the host resolves to a link-local, multicast, reserved or unspecified address")
    local = kinds - {AddressKind.PUBLIC}
    if local and not allow_private:
        return Refused("the host resolves to a private or loopback address")
    if target.scheme == "http" and not (allow_private and not (kinds & {AddressKind.PUBLIC})):
        return Refused(scheme_rule(allow_private))
    return None
