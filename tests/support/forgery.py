"""Bearer tokens an attacker could make: unsigned, HMAC-signed with our public key, expired,
signed by another key, meant for another audience. Each claims to be an admin."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.auth.tokens import TokenAuthority

Forge = Callable[[TokenAuthority], str]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def admin_claims(**changes: Any) -> dict[str, Any]:
    """The claims of an hour-long admin token from our issuer, for our audience."""
    now = datetime.now(UTC)
    claims = {"iss": "tilts", "aud": "tilts", "sub": "admin-1", "role": "admin", "jti": "forged",
              "iat": int(now.timestamp()), "nbf": int(now.timestamp()),
              "exp": int((now + timedelta(hours=1)).timestamp())}
    return {**claims, **changes}


def _hand_signed(header: dict[str, str], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{signing_input}.{_b64(sign(signing_input.encode()))}"


def unsigned(_: TokenAuthority) -> str:
    """`alg: none` with an empty signature."""
    return _hand_signed({"alg": "none", "typ": "JWT"}, admin_claims(), lambda _: b"")


def hmac_with_our_public_key(authority: TokenAuthority) -> str:
    """Algorithm confusion: HS256 keyed with our (public) verification key's PEM bytes."""
    pem = authority._public_key.public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    return _hand_signed({"alg": "HS256", "typ": "JWT"}, admin_claims(),
                        lambda data: hmac.new(pem, data, hashlib.sha256).digest())


def expired(authority: TokenAuthority) -> str:
    """Our key, our audience, but expired an hour ago (well past the 30 s leeway)."""
    past = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())
    return jwt.encode(admin_claims(exp=past), authority._private_key, algorithm="EdDSA")


def signed_by_another_key(_: TokenAuthority) -> str:
    """EdDSA, well formed, signed by a key that is not ours."""
    return jwt.encode(admin_claims(), Ed25519PrivateKey.generate(), algorithm="EdDSA")


def for_another_audience(authority: TokenAuthority) -> str:
    """Our key, but meant for another service."""
    return jwt.encode(admin_claims(aud="another-service"), authority._private_key, algorithm="EdDSA")


FORGERIES: dict[str, Forge] = {
    "alg-none": unsigned, "hs256-with-our-public-key": hmac_with_our_public_key, "expired": expired,
    "another-key": signed_by_another_key, "another-audience": for_another_audience,
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
