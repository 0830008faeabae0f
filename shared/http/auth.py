"""Bearer-token authentication for FastAPI routes."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from shared.auth.tokens import Principal, TokenAuthority, TokenError
from shared.roles import Role

from .problems import ProblemError

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tilts"'}
bearer_scheme = HTTPBearer(auto_error=False, description="A token from `tilts token create`")


def principal_from_header(authority: TokenAuthority, authorization: str | None) -> Principal:
    """The principal of an `Authorization: Bearer <token>` header, or a 401 problem."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(401, "send a bearer token: Authorization: Bearer <token>", headers=_CHALLENGE)
    try:
        return authority.verify(token.strip())
    except TokenError as error:
        raise ProblemError(401, f"the token is not valid: {error}", headers=_CHALLENGE) from error


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The principal of a request's bearer token, or a 401 problem."""
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    principal = principal_from_header(request.app.state.tokens, header)
    request.state.principal = principal
    return principal


def authenticate_header(request: Request, authorization: str | None) -> Principal:
    """Like `authenticate`, from the raw Authorization header."""
    principal = principal_from_header(request.app.state.tokens, authorization)
    request.state.principal = principal
    return principal


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A check that the principal has one of the roles, else 403."""
    def check(principal: Principal) -> Principal:
        if principal.role not in roles:
            raise ProblemError(403, f"the {principal.role} role may not do this")
        return principal
    return check
