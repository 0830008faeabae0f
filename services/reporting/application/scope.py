"""What each caller may read.

- mediator: the municipalities of their latest registration (narrowed by the token, if it names any);
- coordinator: the municipalities in the token;
- institution: only its own cooperations and referrals, never a family or case;
- auditor and admin: everything.
Personal data is opened for a mediator in scope, and for coordinators, auditors and admins
only when they give a reason (which the access log keeps).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.auth.tokens import Principal
from shared.roles import Role

from .errors import NotAllowed

EVERYWHERE = None


@dataclass(frozen=True)
class Scope:
    """A caller and the part of the records they may read."""

    role: Role
    subject: str
    municipalities: frozenset[str] | None  # None: every municipality
    institution: str | None = None

    @property
    def is_institution(self) -> bool:
        return self.role is Role.INSTITUTION

    def covers(self, municipality_id: str) -> bool:
        """Whether the caller may read records of this municipality."""
        if self.is_institution:
            return False
        return self.municipalities is None or municipality_id in self.municipalities

    def may_open_personal(self, reason: str | None) -> bool:
        """Whether a family file read opens personal data (in a municipality already covered)."""
        if self.role is Role.MEDIATOR:
            return True
        return self.role in (Role.COORDINATOR, Role.AUDITOR, Role.ADMIN) and bool(reason)

    def require_family_reader(self) -> None:
        """Institutions never read families or cases."""
        if self.is_institution:
            raise NotAllowed("an institution sees its own cooperations and referrals, never a family's file")

    def require(self, *roles: Role) -> None:
        if self.role not in roles:
            raise NotAllowed(f"the {self.role} role may not read this")


def scope_of(principal: Principal, mediator_municipalities: tuple[str, ...] | None) -> Scope:
    """The scope of a caller; `mediator_municipalities` is a mediator's latest registration."""
    role = principal.role
    if role in (Role.ADMIN, Role.AUDITOR):
        return Scope(role, principal.subject, EVERYWHERE)
    if role is Role.COORDINATOR:
        return Scope(role, principal.subject, frozenset(principal.municipalities))
    if role is Role.INSTITUTION:
        return Scope(role, principal.subject, frozenset(), principal.institution)
    registered = frozenset(mediator_municipalities or ())
    if principal.municipalities:
        registered &= principal.municipalities
    return Scope(role, principal.subject, registered)
