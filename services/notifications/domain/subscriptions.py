"""Subscriptions: where an institution wants to be told, about what, and how often."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from shared.events.fields import Id

from .notices import DEFAULT_EVENT_TYPES, NOTIFIABLE_TYPES
from .targets import Refused, Target, parse_target

Channel = Literal["webhook", "email"]
EMAIL_ORIGIN = "smtp"  # every email goes through the one SMTP server: one concurrency budget

_LOCAL_PART = re.compile(r"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z")
_DOMAIN_LABEL = re.compile(r"\A(?!-)[a-z0-9-]{1,63}(?<!-)\Z")


def _unique_types(types: tuple[str, ...] | None) -> tuple[str, ...] | None:
    if types is not None and len(set(types)) != len(types):
        raise ValueError("event types must not repeat")
    return types


NotifiableType = Literal[NOTIFIABLE_TYPES]  # type: ignore[valid-type]


class SubscriptionRequest(BaseModel):
    """The body of `POST /v1/subscriptions`."""

    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    institution_id: Id
    channel: Channel
    target: Annotated[str, StringConstraints(min_length=1, max_length=2048, strict=True)]
    event_types: Annotated[tuple[NotifiableType, ...] | None, Field(min_length=1),
                           AfterValidator(_unique_types)] = None
    digest: Literal["daily"] | None = None

    @property
    def types(self) -> tuple[str, ...]:
        """The event types to notify: those asked for, else new cooperations and referrals."""
        return tuple(self.event_types or DEFAULT_EVENT_TYPES)


@dataclass(frozen=True, slots=True)
class Subscription:
    """A stored subscription (its secret, if any, stays in the store)."""

    id: str
    institution_id: str
    channel: Channel
    target: str
    event_types: tuple[str, ...]
    digest: str | None
    created_at: datetime
    created_by: str

    def as_json(self) -> dict:
        return {"id": self.id, "institution_id": self.institution_id, "channel": self.channel,
                "target": self.target, "event_types": list(self.event_types), "digest": self.digest,
                "created_at": self.created_at.isoformat(), "created_by": self.created_by}


def parse_email(address: str) -> str | Refused:
    """A plain `local@domain` address, domain lower-cased and IDNA-encoded; no display names."""
    if len(address) > 254 or address.count("@") != 1:
        return Refused("an email target must be one address like name@example.lv")
    local, domain = address.split("@")
    if len(local) > 64 or not _LOCAL_PART.match(local):
        return Refused("the part before @ is not a valid address")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return Refused("the domain of the address is not valid")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.match(label) for label in labels) or labels[-1].isdigit():
        return Refused("the domain of the address is not valid")
    return f"{local}@{domain}"


def check_target(request: SubscriptionRequest, allow_private: bool = False) -> Target | str | Refused:
    """The parsed webhook URL or the normalised email address; Refused if unusable (saying what
    is accepted under `allow_private`, TILTS_NOTIFY_ALLOW_PRIVATE_TARGETS)."""
    if request.channel == "email":
        return parse_email(request.target)
    if request.digest is not None:
        return Refused("a daily digest is for email subscriptions; a webhook gets each event")
    return parse_target(request.target, allow_private)
