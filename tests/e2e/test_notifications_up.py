"""`tilts up`: a cooperation reaches a subscribed institution's webhook, and its link answers it."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
from standardwebhooks import Webhook

from services.notifications.domain.links import answer_event_id
from tests.e2e.conftest import System


class _Inbox(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        self.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Inbox)
    _Inbox.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tilts", _Inbox.received
    finally:
        server.shutdown()


def _event(type_: str, data: dict) -> dict:
    return {"specversion": "1.0", "id": f"e2e-{uuid.uuid4().hex[:12]}", "source": "e2e/phone",
            "type": type_, "time": datetime.now(UTC).isoformat(), "data": data}


def test_a_cooperation_is_delivered_signed_and_acknowledged_through_its_link(
        system: System, receiver: tuple[str, list]) -> None:
    url, received = receiver
    intake, notify = system.urls["intake"], system.urls["notifications"]
    uid = uuid.uuid4().hex[:8]
    admin = {"Authorization": f"Bearer {system.token('admin', 'e2e-admin')}"}
    mediator = {"Authorization": f"Bearer {system.token('mediator', f'med-{uid}')}"}
    for headers, body in [
        (admin, _event("tilts.municipality.registered", {"municipality_id": f"m-{uid}", "name": "Valmiera"})),
        (admin, _event("tilts.institution.registered", {
            "institution_id": f"school-{uid}", "municipality_id": f"m-{uid}", "name": "Valmieras pamatskola",
            "kind": "school"})),
        (admin, _event("tilts.institution.contact_added", {"institution_id": f"school-{uid}", "contact_id": f"c-{uid}",
                                                           "name": "Anna Bērziņa", "role": "direktore"})),
        (admin, _event("tilts.mediator.registered", {"mediator_id": f"med-{uid}", "display_name": "Rasa Liepiņa",
                                                     "municipality_ids": [f"m-{uid}"]})),
    ]:
        assert httpx.post(f"{intake}/v1/events", json=body, headers=headers, timeout=10).status_code == 201

    subscribed = httpx.post(f"{notify}/v1/subscriptions", headers=admin, timeout=10, json={
        "institution_id": f"school-{uid}", "channel": "webhook", "target": url})
    assert subscribed.status_code == 201, subscribed.text
    cooperation = _event("tilts.cooperation.recorded", {
        "cooperation_id": f"coop-{uid}", "institution_id": f"school-{uid}", "contact_id": f"c-{uid}",
        "domain": "education", "channel": "meeting", "purpose": "skolas apmeklējums"})
    assert httpx.post(f"{intake}/v1/events", json=cooperation, headers=mediator, timeout=10).status_code == 201

    deadline = time.monotonic() + 30
    while not received and time.monotonic() < deadline:
        time.sleep(0.1)
    [(headers, body)] = received
    notice = Webhook(subscribed.json()["secret"]).verify(body, headers)
    assert notice["id"] == cooperation["id"] and notice["data"]["contact"]["name"] == "Anna Bērziņa"

    link = notice["data"]["respond"]["link"]
    assert link.startswith(f"{notify}/v1/ack/")
    answered = httpx.post(link, data={"action": "acknowledge", "text": ""}, headers={"Accept": "text/html"},
                          timeout=10)
    assert answered.status_code == 200, answered.text
    [delivery] = httpx.get(f"{notify}/v1/deliveries", params={"institution_id": f"school-{uid}"},
                           headers=admin, timeout=10).json()["items"]
    assert delivery["status"] == "delivered"
    stored = httpx.get(f"{intake}/v1/events/{answer_event_id(delivery['id'], 'answer')}", headers=admin, timeout=10)
    assert stored.status_code == 200 and stored.json()["actor"] == f"c-{uid}"
    assert stored.json()["type"] == "tilts.cooperation.acknowledged"
