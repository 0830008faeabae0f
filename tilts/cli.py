"""The `tilts` command: run the system, mint tokens, audit the log."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from shared.auth.tokens import TokenAuthority, parse_duration, signing_key_path, subject_problem
from shared.roles import Role

from .audit import audit_app
from .backup import backup_command, restore_command
from .options import DataDir, settings_for
from .rebuild import rebuild_app
from .services import SERVICES

app = typer.Typer(help="Tilts: a record of Roma mediators' work with families and institutions.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
token_app = typer.Typer(help="Bearer tokens for the API.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(rebuild_app, name="rebuild")
console = Console(stderr=True)

ServiceName = StrEnum("ServiceName", {name: name for name in SERVICES})


@app.command()
def up(demo: Annotated[bool, typer.Option("--demo", help="Also load an invented season of mediator work")] = False,
       cluster: Annotated[int, typer.Option("--cluster", min=1, max=5,
                                            help="Run NATS as a JetStream cluster of this many nodes (3: the "
                                                 "production topology, stream at R3)")] = 1,
       data_dir: DataDir = None) -> None:
    """Start NATS, PostgreSQL and every service on this machine; Ctrl-C stops them all."""
    from .up import run_system
    raise typer.Exit(run_system(settings_for(data_dir), demo=demo, console=console, cluster=cluster))


@app.command()
def serve(service: Annotated[ServiceName, typer.Argument(help="Which service to run")],
          data_dir: DataDir = None) -> None:
    """Run one service in the foreground (TILTS_NATS_URL and TILTS_DATABASE_URL must be set)."""
    from .serve import serve_service
    serve_service(SERVICES[service.value], settings_for(data_dir))


@token_app.command("create")
def token_create(
    role: Annotated[Role, typer.Option(help="admin, coordinator, mediator, institution or auditor")],
    subject: Annotated[str, typer.Option(help="Who the token speaks for (e.g. the mediator id)")],
    municipality: Annotated[list[str] | None, typer.Option(help="A municipality in scope (repeatable)")] = None,
    institution: Annotated[str | None, typer.Option(help="The institution an institution token acts for")] = None,
    ttl: Annotated[str, typer.Option(help="Lifetime, e.g. 30m, 8h, 30d")] = "24h",
    data_dir: DataDir = None,
) -> None:
    """Print a signed bearer token."""
    try:
        lifetime: timedelta = parse_duration(ttl)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--ttl") from error
    if (problem := subject_problem(subject)) is not None:
        raise typer.BadParameter(problem, param_hint="--subject")
    if any(not m.strip() for m in municipality or []):
        raise typer.BadParameter("a municipality id cannot be empty", param_hint="--municipality")
    if role is Role.INSTITUTION and not institution:
        raise typer.BadParameter("an institution token needs --institution", param_hint="--institution")
    if role is Role.COORDINATOR and not municipality:
        # A coordinator sees and writes only in the token's municipalities: without one, nothing.
        raise typer.BadParameter("a coordinator token needs --municipality (repeatable)", param_hint="--municipality")
    settings = settings_for(data_dir)
    fresh_key = not signing_key_path(settings).exists()
    authority = TokenAuthority.from_settings(settings)
    if fresh_key:  # a token only a system on this data dir accepts: say so, or it is a puzzling 401
        console.print(f"[yellow]No token signing key was in {settings.data_dir}: made a new one.[/] "
                      "This token works only for a system using that data dir (--data-dir / TILTS_DATA_DIR).")
    print(authority.mint(role, subject, municipalities=municipality or [], institution=institution, ttl=lifetime))


app.command("backup")(backup_command)
app.command("restore")(restore_command)


def main() -> None:
    try:
        app()
    except OSError as error:
        if error.filename is None:  # not a file or directory: a real fault, with its traceback
            raise
        # A data dir that cannot be made or read is the user's to fix: say which path, and why.
        console.print(f"[red]{escape(error.strerror or type(error).__name__)}: {escape(str(error.filename))}[/]\n"
                      "Check the data dir (--data-dir or TILTS_DATA_DIR) and that this user may write there.")
        raise SystemExit(1) from None
