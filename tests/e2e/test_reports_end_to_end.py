"""End to end: the demo season posted to `tilts up`, read back as reports, and rebuilt from the log."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
import sys

import httpx

from shared.auth.tokens import TokenAuthority
from shared.config import Settings
from tests.e2e.conftest import System
from tilts.demo import ActorSpec, build_season, load_season

SEASON = {"from": "2019-09-01", "to": "2020-04-30"}


def _load_demo(system: System) -> int:
    """Post the season through the intake's batch API; the sequence of its last event."""
    authority = TokenAuthority.from_settings(Settings(data_dir=system.data_dir))

    def mint(actor: ActorSpec) -> str:
        return authority.mint(actor.role, actor.subject, municipalities=list(actor.municipalities),
                              institution=actor.institution)

    season = build_season()
    summary = asyncio.run(load_season(season, system.urls["intake"], mint))
    assert summary.rejected == 0 and summary.total == season.event_count
    last = season.steps[-1].events[-1]["id"]
    admin = {"Authorization": f"Bearer {system.token('admin', 'e2e-admin')}"}
    return httpx.get(f"{system.urls['intake']}/v1/events/{last}", headers=admin, timeout=10).json()["sequence"]


def test_the_demo_season_reads_back_as_reports_that_a_rebuild_reproduces(system: System) -> None:
    last = _load_demo(system)
    reporting = system.urls["reporting"]
    auditor = {"Authorization": f"Bearer {system.token('auditor', 'e2e-auditor')}"}

    def get(path: str, **query: object) -> httpx.Response:
        answer = httpx.get(f"{reporting}{path}", params={"min_sequence": last, **query}, headers=auditor, timeout=30)
        assert answer.status_code == 200, answer.text
        return answer

    summary = get("/v1/reports/summary", **SEASON)
    places = {m["municipality_id"]: m for m in summary.json()["municipalities"]}
    assert 24 <= places["jelgava"]["families_supported"] <= 36  # the seeds: Jelgava supported 30 families
    assert 14 <= places["ventspils"]["families_regular"] <= 20 and 4 <= places["ventspils"]["families_episodic"] <= 8
    assert 33 <= places["riga"]["persons_helped"] <= 49          # Rīga: support to 41 persons
    assert summary.json()["total"]["mediators_active"] == 5

    monthly = get("/v1/reports/monthly", mediator_id="med-ventspils", month="2019-11").json()
    assert monthly["status"] in ("approved", "submitted") and monthly["narrative"]["main_issues"]
    rows = list(csv.DictReader(io.StringIO(get("/v1/reports/monthly", mediator_id="med-ventspils", month="2019-11",
                                               format="csv").text)))
    assert rows[-1]["municipality_id"] == "total"
    assert rows[-1]["families_supported"] == str(monthly["families_supported"])
    page = get("/v1/reports/summary", format="html", **SEASON).text
    assert "Romu mediatoru darba pārskats" in page and "<svg" in page and "<script" not in page

    rebuild = subprocess.run([sys.executable, "-m", "tilts", "rebuild", "reporting"], env=system.env,
                             capture_output=True, text=True, timeout=300)
    assert rebuild.returncode == 0, rebuild.stderr
    assert "match" in rebuild.stderr and "swapped in" in rebuild.stderr

    again = get("/v1/reports/summary", as_of_sequence=summary.json()["as_of_sequence"], **SEASON)
    assert again.content == summary.content
    assert get("/v1/reports/monthly", mediator_id="med-ventspils", month="2019-11").json() == monthly
