"""What the services' logging lets through: our own lines, never the HTTP client's request lines
(a webhook target's URL may carry the receiver's token)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
import structlog

from shared.observability.logs import configure_logging


@pytest.fixture
def configured(capsys: pytest.CaptureFixture[str]) -> Iterator[pytest.CaptureFixture[str]]:
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {name: logging.getLogger(name).level for name in ("httpx", "httpcore")}
    configure_logging("info", "json", service="notifications")
    try:
        yield capsys
    finally:
        root.handlers[:], root.level = saved[0], saved[1]
        for name, level in saved[2].items():
            logging.getLogger(name).setLevel(level)
        structlog.reset_defaults()


def test_the_http_clients_request_lines_are_not_logged_but_ours_are(configured: pytest.CaptureFixture[str]) -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200))
    with httpx.Client(transport=transport) as client:
        client.post("http://127.0.0.1:9300/hook?token=RECEIVERSECRET")
    logging.getLogger("tilts.test").info("delivery.sent")
    written = configured.readouterr().err
    assert "delivery.sent" in written
    assert "RECEIVERSECRET" not in written and "HTTP Request" not in written
