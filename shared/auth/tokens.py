"""Bearer tokens: Ed25519-signed JWTs (EdDSA) minted by `tilts token create`.

Only EdDSA with our own key verifies; `alg: none`, HMAC algorithms (the classic confusion with
a public key used as an HMAC secret), expired tokens and tokens for another audience fail.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.config import Settings
from shared.roles import Role
from shared.secrets import load_or_create

ALGORITHM = "EdDSA"
_DURATION = re.compile(r"\A([0-9]{1,7})([smhdw])\Z")
MAX_TOKEN_LIFETIME = timedelta(days=3650)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class TokenError(ValueError):
    """The token is missing, malformed, unsigned, expired or not ours."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a role, a subject id, and the scope the token grants."""

    role: Role
    subject: str
    municipalities: frozenset[str] = field(default_factory=frozenset)
    institution: str | None = None
    token_id: str | None = None

    @property
    def actor(self) -> str:
        return self.subject


def _why_refused(error: Exception) -> str:
    """What a caller is told about a refused token: the reason in plain words, never a library's
    internals (a garbage token made PyJWT quote the bytes it could not decode)."""
    reasons: list[tuple[type[Exception], str]] = [
        (jwt.ExpiredSignatureError, "the token has expired"),
        (jwt.ImmatureSignatureError, "the token is not valid yet"),
        (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
        (jwt.InvalidAudienceError, "the token was not issued for this system"),
        (jwt.InvalidIssuerError, "the token was not issued by this system"),
        (jwt.InvalidSignatureError, "the token's signature does not verify"),
        (jwt.InvalidAlgorithmError, "the token is not signed the way Tilts signs tokens"),
        ((KeyError, ValueError), "the token names no known role"),
    ]
    for kind, reason in reasons:
        if isinstance(error, kind):
            return reason
    return "the token is not a well-formed signed token"


def parse_duration(text: str) -> timedelta:
    """'90m', '8h', '30d', '2w' -> timedelta."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 8h, 30d)")
    duration = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if duration > MAX_TOKEN_LIFETIME:
        raise ValueError(f"a token may live at most {MAX_TOKEN_LIFETIME.days} days")
    return duration


def subject_problem(subject: str) -> str | None:
    """Why `subject` cannot name a token's holder, if it cannot: every event and every read of
    personal data is attributed to it, so it must name someone."""
    if not subject.strip():
        return "a token must name its subject (who it speaks for)"
    if subject != subject.strip() or not subject.isprintable():
        return "a token's subject has no surrounding spaces or control characters"
    return None


def signing_key_path(settings: Settings) -> Path:
    """Where the data dir keeps the token signing key (created on first use)."""
    return settings.keys_dir / "token-signing-ed25519.pem"


def _generate_private_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class TokenAuthority:
    """Mints and verifies tokens with the signing key kept in the data dir."""

    def __init__(self, private_key: Ed25519PrivateKey, *, issuer: str, audience: str,
                 cache_size: int = 10_000) -> None:
        self._private_key = private_key
        self._public_key: Ed25519PublicKey = private_key.public_key()
        self._issuer = issuer
        self._audience = audience
        # A phone sends the same token with every request: verify its signature once, then
        # only check that it has not expired.
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        self._cache_size = cache_size

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenAuthority:
        pem = load_or_create(signing_key_path(settings), _generate_private_key)
        key = serialization.load_pem_private_key(pem, password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise TokenError("the token signing key is not an Ed25519 key")
        return cls(key, issuer=settings.token_issuer, audience=settings.token_audience)

    def mint(self, role: Role, subject: str, *, municipalities: list[str] | tuple[str, ...] = (),
             institution: str | None = None, ttl: timedelta = timedelta(hours=24)) -> str:
        now = datetime.now(UTC)
        claims = {"iss": self._issuer, "aud": self._audience, "sub": subject, "role": str(role),
                  "iat": now, "nbf": now, "exp": now + ttl, "jti": uuid.uuid4().hex}
        if municipalities:
            claims["municipalities"] = sorted(set(municipalities))
        if institution:
            claims["institution"] = institution
        return jwt.encode(claims, self._private_key, algorithm=ALGORITHM)

    def verify(self, token: str) -> Principal:
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            self._verified.move_to_end(token)
            return cached[0]
        principal, expires = self._verify_signed(token)
        self._verified[token] = (principal, expires)
        if len(self._verified) > self._cache_size:
            self._verified.popitem(last=False)
        return principal

    def _verify_signed(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(token, self._public_key, algorithms=[ALGORITHM], audience=self._audience,
                                issuer=self._issuer, leeway=30,
                                options={"require": ["exp", "iat", "sub", "aud", "iss"]})
            role = Role(claims["role"])
        except (jwt.PyJWTError, KeyError, ValueError) as error:
            raise TokenError(_why_refused(error)) from error
        municipalities = claims.get("municipalities") or []
        institution = claims.get("institution")
        if not isinstance(municipalities, list) or not all(isinstance(m, str) for m in municipalities):
            raise TokenError("malformed municipalities claim")
        if institution is not None and not isinstance(institution, str):
            raise TokenError("malformed institution claim")
        if role is Role.INSTITUTION and not institution:
            raise TokenError("an institution token must name its institution")
        if (problem := subject_problem(str(claims["sub"]))) is not None:
            raise TokenError(problem)
        try:
            expires, lifetime = float(claims["exp"]), float(claims["exp"]) - float(claims["iat"])
        except (OverflowError, TypeError, ValueError) as error:
            raise TokenError("malformed exp or iat claim") from error
        if lifetime > MAX_TOKEN_LIFETIME.total_seconds():
            # `tilts token create` never mints one; a token that says so was not made here as it should be
            raise TokenError(f"the token lives longer than {MAX_TOKEN_LIFETIME.days} days")
        principal = Principal(role=role, subject=str(claims["sub"]), municipalities=frozenset(municipalities),
                              institution=institution, token_id=claims.get("jti"))
        return principal, expires
