"""What a 503 from the intake promises: nothing stored, or an outcome to learn by re-sending."""

from __future__ import annotations

from shared.bus.eventlog import LogUnavailable, NotSent
from services.intake.application.intake import Unavailable
from services.intake.entrypoints.writes import _unavailable


def test_an_append_sent_but_not_confirmed_may_have_been_stored() -> None:
    problem = _unavailable(Unavailable.of(LogUnavailable("TimeoutError")))
    assert problem.status == 503 and problem.headers["Retry-After"]
    assert "the event log did not confirm" in problem.detail and "may or may not have been stored" in problem.detail


def test_an_append_never_sent_stored_nothing() -> None:
    problem = _unavailable(Unavailable.of(NotSent("not connected to NATS")))
    assert "the event log is unavailable" in problem.detail and "nothing was stored" in problem.detail


def test_a_database_outage_is_named_as_such_and_stored_nothing() -> None:
    # It used to read "the event log did not confirm the write (Connection refused)".
    problem = _unavailable(Unavailable.of(ConnectionRefusedError(111, "Connection refused")))
    assert "the intake's database is unavailable" in problem.detail and "nothing was stored" in problem.detail
    assert "event log" not in problem.detail
