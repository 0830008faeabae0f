"""Reach: has each institution been told of the cooperations and referrals that concern it?

The point of Tilts is that no institution's management can be unaware of a cooperation. The
deliveries list says how each message went; this view says, per institution, what is still
untold: a cooperation or referral is *told* once a notice of it was delivered to one of the
institution's subscriptions, *answered* once the institution acknowledged, disputed or answered
it (it evidently knows), and *untold* when neither holds — no subscription, a delivery still
pending, or one parked after its attempts ran out. A coordinator reads it to see which
institutions to phone or to help set up a subscription.

Who sees what: an admin or an auditor every institution; a coordinator the institutions of
their municipalities; an institution itself. Naming something outside one's scope is a 403, as
in the other filtered reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.auth.tokens import Principal
from shared.roles import Role

from .refusals import Refusal, forbidden


@dataclass(frozen=True, slots=True)
class ReachScope:
    """The institutions a reach listing covers: `None` means no restriction on that part."""

    municipalities: frozenset[str] | None = None
    institution: str | None = None


def reach_scope(principal: Principal, municipality_id: str | None, institution_id: str | None,
                home_of_institution: str | None) -> ReachScope | Refusal:
    """The scope of a listing; `home_of_institution` is the named institution's municipality, if known."""
    if principal.role in (Role.ADMIN, Role.AUDITOR):
        return ReachScope(frozenset({municipality_id}) if municipality_id else None, institution_id)
    if principal.role is Role.COORDINATOR:
        if municipality_id is not None and municipality_id not in principal.municipalities:
            return forbidden(f"municipality {municipality_id} is outside your scope")
        if home_of_institution is not None and home_of_institution not in principal.municipalities:
            return forbidden(f"institution {institution_id} is outside your scope")
        wanted = frozenset({municipality_id}) if municipality_id else principal.municipalities
        return ReachScope(wanted, institution_id)
    if principal.role is Role.INSTITUTION and principal.institution:
        if institution_id is not None and institution_id != principal.institution:
            return forbidden("an institution may see only its own reach")
        return ReachScope(frozenset({municipality_id}) if municipality_id else None, principal.institution)
    return forbidden(f"the {principal.role} role may not see which institutions were told")


def _told(row: dict[str, Any], kind: str) -> dict[str, int]:
    total, told, answered, untold = (row[f"{kind}_{part}"] for part in ("total", "told", "answered", "untold"))
    return {"total": total, "told": told, "answered": answered, "untold": untold}


def reach_json(row: dict[str, Any]) -> dict[str, Any]:
    """The public form of one institution's reach."""
    last = row["last_told_at"]
    return {"institution_id": row["institution_id"], "name": row["name"], "municipality_id": row["municipality_id"],
            "subscriptions": {"webhook": row["webhooks"], "email": row["emails"]},
            "cooperations": _told(row, "cooperations"), "referrals": _told(row, "referrals"),
            "deliveries": {"pending": row["pending"], "failed": row["failed"], "parked": row["parked"]},
            "last_told_at": last.isoformat() if last is not None else None}
