"""`tilts up` runs the system; events survive a restart; personal data stays sealed on disk."""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import psutil

from tests.e2e.conftest import System


def _event(type_: str, data: dict) -> dict:
    return {"specversion": "1.0", "id": f"e2e-{uuid.uuid4().hex[:12]}", "source": "e2e/phone",
            "type": type_, "time": datetime.now(UTC).isoformat(), "data": data}


def test_a_client_registers_a_family_and_reads_it_back_after_a_restart(system: System) -> None:
    intake = system.urls["intake"]
    admin = {"Authorization": f"Bearer {system.token('admin', 'e2e-admin')}"}
    mediator = {"Authorization": f"Bearer {system.token('mediator', 'e2e-med')}"}
    uid = uuid.uuid4().hex[:8]
    surname = f"Neredzamā{uid}"
    posts = [
        (admin, _event("tilts.municipality.registered", {"municipality_id": f"m-{uid}", "name": "Talsi"})),
        (admin, _event("tilts.mediator.registered", {"mediator_id": "e2e-med", "display_name": "Rasa Liepiņa",
                                                     "municipality_ids": [f"m-{uid}"]})),
        (mediator, _event("tilts.family.registered", {
            "family_id": f"fam-{uid}", "municipality_id": f"m-{uid}",
            "consent": {"given_on": "2020-02-03", "scope": "mediācija"}, "personal": {"surname": surname}})),
    ]
    created = []
    for headers, body in posts:
        answer = httpx.post(f"{intake}/v1/events", json=body, headers=headers, timeout=10)
        assert answer.status_code == 201, answer.text
        created.append(answer.json())

    assert system.stop() == 0
    assert not [p for p in psutil.process_iter(["cmdline"])
                if str(system.data_dir) in " ".join(p.info["cmdline"] or [])], "a server outlived tilts up"
    system.start()

    family = posts[2][1]
    stored = httpx.get(f"{intake}/v1/events/{family['id']}", headers=mediator, timeout=10)
    assert stored.status_code == 200 and stored.json()["sequence"] == created[2]["sequence"]
    resent = httpx.post(f"{intake}/v1/events", json=family, headers=mediator, timeout=10)
    assert resent.status_code == 200 and resent.json()["duplicate"] is True

    grep = subprocess.run(["grep", "-r", "-l", "-a", surname, str(system.data_dir)], capture_output=True, text=True)
    assert grep.stdout == "", f"plaintext surname found in {grep.stdout}"


def test_every_service_answers_health_and_openapi(system: System) -> None:
    for url in system.urls.values():
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        assert httpx.get(f"{url}/readyz", timeout=5).status_code == 200
        assert "paths" in httpx.get(f"{url}/openapi.json", timeout=5).json()
        assert "tilts_projection_position" in httpx.get(f"{url}/metrics", timeout=5).text


def _child(system: System, *words: str) -> psutil.Process:
    assert system.proc is not None
    for child in psutil.Process(system.proc.pid).children(recursive=True):
        try:
            line = " ".join(child.cmdline())
        except psutil.Error:  # gone, or a zombie not reaped yet
            continue
        if all(word in line for word in words) and child.status() != psutil.STATUS_ZOMBIE:
            return child
    raise AssertionError(f"no child of tilts up runs {words}")


def _eventually(check: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.3)


def _posts(system: System, token: str) -> bool:
    body = _event("tilts.municipality.registered", {"municipality_id": f"m-{uuid.uuid4().hex[:8]}", "name": "Cēsis"})
    try:
        return httpx.post(f"{system.urls['intake']}/v1/events", json=body, timeout=10,
                          headers={"Authorization": f"Bearer {token}"}).status_code == 201
    except httpx.HTTPError:
        return False


def test_a_server_or_service_that_dies_is_started_again(system: System) -> None:
    # An operator's bad day: each process of the system killed in turn; `tilts up` brings it back
    # (it used to stop the whole system when a service died, and not notice a dead server).
    admin = system.token("admin", "e2e-admin")
    for words in (("serve", "intake"), ("nats-server",), ("postgres", "-D")):
        before = _child(system, *words)
        before.kill()
        _eventually(lambda: _child_or_none(system, *words) not in (None, before), f"{words} to be started again")
        _eventually(lambda: _posts(system, admin), f"writes to work again after {words} died")
    assert system.proc is not None and system.proc.poll() is None
    assert "started again" in (system.data_dir.parent / "up.log").read_text()


def _child_or_none(system: System, *words: str) -> psutil.Process | None:
    try:
        return _child(system, *words)
    except (AssertionError, psutil.Error):
        return None
