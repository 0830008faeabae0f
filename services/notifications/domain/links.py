"""Signed single-use links: how a person at an institution answers a notice without a token.

A link carries what it answers (a cooperation or a referral), for which institution, as which
contact, through which subscription, and until when; it is an HMAC-signed JWT (HS256) with a
key derived from the master key, so it cannot be forged or altered and cannot pass for a
bearer token (those verify only as EdDSA). Its `jti` is the delivery id: every re-send of the
same delivery carries the same link, and a use is recorded against it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import jwt

AUDIENCE = "tilts-notify-link"
ALGORITHM = "HS256"

LinkKind = Literal["cooperation", "referral"]


@dataclass(frozen=True, slots=True)
class Link:
    """What one link lets its holder answer."""

    kind: LinkKind
    subject_id: str            # the cooperation or referral id
    institution_id: str
    contact_id: str | None     # the contact the cooperation names (cooperations only)
    subscription_id: str
    delivery_id: str
    expires: datetime


@dataclass(frozen=True, slots=True)
class LinkRefused:
    """Why a link cannot be used: run out, not ours (or altered), or revoked (the subscription it
    was sent to was deleted: e.g. the person who received it left the institution)."""

    reason: Literal["expired", "invalid", "revoked"]


def sign_link(link: Link, key: bytes) -> str:
    """The token to put in a link's URL."""
    claims = {"aud": AUDIENCE, "k": link.kind, "s": link.subject_id, "i": link.institution_id,
              "u": link.subscription_id, "jti": link.delivery_id, "exp": int(link.expires.timestamp())}
    if link.contact_id is not None:
        claims["c"] = link.contact_id
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def read_link(token: str, key: bytes) -> Link | LinkRefused:
    """The link a token stands for, if it is ours, unaltered and not expired."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM], audience=AUDIENCE,
                            options={"require": ["exp", "jti", "aud"]})
        kind = claims["k"]
        if kind not in ("cooperation", "referral") or not all(
                isinstance(claims.get(f), str) for f in ("s", "i", "u", "jti")):
            return LinkRefused("invalid")
        return Link(kind=kind, subject_id=claims["s"], institution_id=claims["i"], contact_id=claims.get("c"),
                    subscription_id=claims["u"], delivery_id=claims["jti"],
                    expires=datetime.fromtimestamp(claims["exp"], UTC))
    except jwt.ExpiredSignatureError:
        return LinkRefused("expired")
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return LinkRefused("invalid")


def answer_event_id(delivery_id: str, step: str) -> str:
    """The id of the event a link posts at one step: the same for every submit of that step,
    so a double submit is one event (the intake answers the second as a duplicate)."""
    return "link-" + hashlib.sha256(f"{delivery_id}:{step}".encode()).hexdigest()[:40]


def fingerprint(token: str) -> str:
    """A short, non-reversible handle on a token for logs (never log the token itself)."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]
