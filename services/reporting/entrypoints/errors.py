"""How the reads' outcomes other than data become problem+json answers."""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response

from shared.http.problems import install_database_unavailable, problem
from services.reporting.application.errors import BadQuery, NotAllowed, NotCaughtUp, NotVisible


def install_read_errors(app: FastAPI) -> None:
    """Map NotVisible to 404, NotAllowed to 403, BadQuery to 422 and NotCaughtUp or a lost database to 503.

    A bad query value is a 422 naming `query.<parameter>`, as FastAPI's own checks of the
    documented parameter shapes (and the other services) answer it.
    """

    @app.exception_handler(NotVisible)
    async def _not_visible(request: Request, error: NotVisible) -> Response:
        return problem(404, str(error))

    @app.exception_handler(NotAllowed)
    async def _not_allowed(request: Request, error: NotAllowed) -> Response:
        return problem(403, str(error))

    @app.exception_handler(BadQuery)
    async def _bad_query(request: Request, error: BadQuery) -> Response:
        return problem(422, f"bad query parameter {error.field}: {error.detail}",
                       errors=[(f"query.{error.field}", error.detail)])

    @app.exception_handler(NotCaughtUp)
    async def _not_caught_up(request: Request, error: NotCaughtUp) -> Response:
        return problem(503, str(error), headers={"Retry-After": "1"})

    install_database_unavailable(app, "the read models are unavailable; try again")
