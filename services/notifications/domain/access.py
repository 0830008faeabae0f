"""Who may see and change an institution's subscriptions and deliveries."""

from __future__ import annotations

from shared.auth.tokens import Principal
from shared.roles import Role

from .refusals import Refusal, forbidden


def may_act_for(principal: Principal, institution_id: str) -> Refusal | None:
    """An admin for any institution; an institution token for its own only."""
    if principal.role is Role.ADMIN:
        return None
    if principal.role is Role.INSTITUTION:
        if principal.institution == institution_id:
            return None
        return forbidden("an institution may manage only its own notifications")
    return forbidden(f"the {principal.role} role may not manage notifications")


def scope(principal: Principal, institution_id: str | None) -> Refusal | str | None:
    """Whose records a listing shows: an admin's choice (None: all), an institution's own."""
    if principal.role is Role.ADMIN:
        return institution_id
    if principal.role is Role.INSTITUTION and principal.institution:
        refusal = may_act_for(principal, institution_id or principal.institution)
        return refusal or principal.institution
    return forbidden(f"the {principal.role} role may not see notifications")


def may_see(principal: Principal, institution_id: str) -> bool:
    """Whether one record is visible (others answer 404: their existence is not told)."""
    return may_act_for(principal, institution_id) is None
