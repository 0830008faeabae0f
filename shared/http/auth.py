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


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The principal of a request's bearer token, or a 401 problem."""
    authority: TokenAuthority = request.app.state.tokens
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ProblemError(401, "send a bearer token: Authorization: Bearer <token>", headers=_CHALLENGE)
    try:
        principal = authority.verify(credentials.credentials)
    except TokenError as error:
        raise ProblemError(401, f"the token is not valid: {error}", headers=_CHALLENGE) from error
    request.state.principal = principal
    return principal


def authenticate_header(request: Request, authorization: str | None) -> Principal:
    """Like `authenticate`, from the raw Authorization header."""
    scheme, _, token = (authorization or "").partition(" ")
    credentials = HTTPAuthorizationCredentials(scheme=scheme, credentials=token.strip()) if token else None
    return authenticate(request, credentials)


def require_roles(*roles: Role) -> Callable[[Principal], Principal]:
    """A check that the principal has one of the roles, else 403."""
    def check(principal: Principal) -> Principal:
        if principal.role not in roles:
            raise ProblemError(403, f"the {principal.role} role may not do this")
        return principal
    return check
