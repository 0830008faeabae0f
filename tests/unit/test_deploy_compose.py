"""docker-compose.yml: valid per the Compose specification, and the production topology it promises.

Docker is not available where the tests run, so nothing is built or started here: the file is
checked with the `compose-spec` validator and read as data. The NATS permissions themselves are
proven on a real nats-server in tests/integration/test_deploy_nats.py.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from compose_spec import PyCompose

from shared.embedded import nats_server_binary

REPO = Path(__file__).resolve().parents[2]
COMPOSE = REPO / "docker-compose.yml"
NATS_CONF = REPO / "deploy" / "nats" / "nats.conf"
ACCOUNTS = REPO / "deploy" / "nats" / "accounts.conf"
TILTS = {"intake": 8080, "reporting": 8081, "notifications": 8082}
NATS_NODES = ("nats1", "nats2", "nats3")
KEYS_DIR = "/var/lib/tilts/keys"


@pytest.fixture(scope="module")
def text() -> str:
    return COMPOSE.read_text()


@pytest.fixture(scope="module")
def spec(text: str) -> dict[str, Any]:
    compose = PyCompose.from_yaml(text)  # raises ValueError on anything the specification rejects
    compose.validate()
    compose.validate_networks()
    compose.validate_volumes()
    return compose.to_dict()


@pytest.fixture(scope="module")
def services(spec: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return spec["services"]


def env(service: dict[str, Any]) -> dict[str, str]:
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {k: str(v) for k, v in environment.items()}


def interpolated(value: str) -> str:
    """`value` as Compose would pass it, each ${VAR...} standing for its own name."""
    return re.sub(r"\$\{([A-Z0-9_]+)[^}]*\}", r"\1", value)


def nats_urls(service: dict[str, Any]) -> list[Any]:
    return [urlsplit(url) for url in interpolated(env(service)["TILTS_NATS_URL"]).split(",")]


def mounts(service: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(source, target, read_only) of each volume entry, short or long syntax."""
    result = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, str):
            source, target, *mode = entry.split(":")
            result.append((source, target, bool(mode) and "ro" in mode[0].split(",")))
        else:
            result.append((entry.get("source", ""), entry["target"], bool(entry.get("read_only"))))
    return result


def networks(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    value = service.get("networks") or {}
    return {name: {} for name in value} if isinstance(value, list) else {k: v or {} for k, v in value.items()}


def nats_services(services: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services.items() if str(s.get("image", "")).startswith("nats:")}


# --- the file --------------------------------------------------------------------------------

def test_the_validator_rejects_what_the_specification_rejects(text: str) -> None:
    broken = text.replace("    restart: unless-stopped\n", "    restart: unless-stopped\n    restrat: always\n", 1)
    with pytest.raises(ValueError):
        PyCompose.from_yaml(broken)


def test_every_named_volume_network_and_dependency_is_declared(spec: dict[str, Any],
                                                               services: dict[str, dict[str, Any]]) -> None:
    declared_volumes, declared_networks = set(spec.get("volumes") or {}), set(spec.get("networks") or {})
    for name, service in services.items():
        for source, _, _ in mounts(service):
            if not source.startswith((".", "/")):
                assert source in declared_volumes, f"{name} uses undeclared volume {source}"
        assert set(networks(service)) <= declared_networks, name
        depends = service.get("depends_on") or {}
        assert set(depends) <= set(services), f"{name} depends on an unknown service"
    used = {source for s in services.values() for source, _, _ in mounts(s)}
    assert declared_volumes <= used, "a declared volume is not used"


def test_only_the_http_apis_and_the_mail_ui_are_published_and_only_on_loopback(
        services: dict[str, dict[str, Any]]) -> None:
    published = {}
    for name, service in services.items():
        for port in service.get("ports") or []:
            assert isinstance(port, str) and port.startswith("127.0.0.1:"), f"{name} publishes {port} beyond loopback"
            published[name] = port
    assert set(published) == {*TILTS, "mailpit"}, published


def test_secrets_come_from_the_environment_and_make_secrets_provides_all_of_them(
        text: str, services: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    for name, service in services.items():
        for key, value in env(service).items():
            if "PASSWORD" in key:
                assert re.fullmatch(r"\$\{[A-Z_]+:\?[^}]+\}", value), f"{name}.{key} must be a required variable"
            if key.endswith("_URL") and "@" in value:
                assert all("${" in part.split("@")[0] for part in value.split(",")), f"{name}.{key}"
    required = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert {"POSTGRES_PASSWORD", "NATS_INTAKE_PASSWORD", "NATS_OPERATOR_PASSWORD"} <= required
    out = tmp_path / ".env"
    subprocess.run(["sh", str(REPO / "deploy" / "make-secrets.sh"), str(out)], check=True, capture_output=True)
    written = dict(line.split("=", 1) for line in out.read_text().splitlines() if line and not line.startswith("#"))
    assert required <= set(written)
    for key in required:  # nats-server re-parses environment values: letters and digits, a letter first
        assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{23,}", written[key]), key


# --- NATS --------------------------------------------------------------------------------------

def test_three_nats_nodes_with_their_own_names_volumes_and_routes_to_each_other(
        spec: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    nodes = nats_services(services)
    assert sorted(nodes) == list(NATS_NODES)
    conf = NATS_CONF.read_text()
    routes = set(re.findall(r'"nats-route://([^"]+)"', conf))
    names, data_volumes, route_hosts = set(), set(), set()
    for name, node in nodes.items():
        environment = env(node)
        names.add(environment["NATS_SERVER_NAME"])
        assert node["command"] == ["--config", "/etc/nats/nats.conf"]
        config_mounts = [m for m in mounts(node) if m[1] == "/etc/nats"]
        assert config_mounts == [("./deploy/nats", "/etc/nats", True)]
        [data] = [m for m in mounts(node) if m[1] == "/data"]
        assert not data[0].startswith((".", "/")) and data[0] in spec["volumes"], "named volume for the store"
        data_volumes.add(data[0])
        route_host = environment["NATS_CLUSTER_LISTEN"]
        assert route_host == f"{name}-route:6222" and route_host in routes
        assert networks(node)["nats-routes"]["aliases"] == [f"{name}-route"]
        route_hosts.add(route_host)
        assert "backend" in networks(node)
        assert "/healthz" in " ".join(node["healthcheck"]["test"])
    assert len(names) == len(data_volumes) == 3
    assert route_hosts == routes, "every node routes to every node"
    assert spec["networks"]["nats-routes"].get("internal") is True
    # Nothing but the NATS nodes sits on the route network.
    assert {n for n, s in services.items() if "nats-routes" in networks(s)} == set(NATS_NODES)


def test_jetstream_fsyncs_every_write_on_file_storage() -> None:
    conf = NATS_CONF.read_text()
    jetstream = re.search(r"jetstream\s*\{(.*?)\}", conf, re.DOTALL)
    assert jetstream is not None
    assert re.search(r"^\s*sync_interval:\s*always\s*$", jetstream.group(1), re.MULTILINE)
    assert re.search(r'^\s*store_dir:\s*"/data/jetstream"', jetstream.group(1), re.MULTILINE)
    assert 'include "accounts.conf"' in conf


def test_the_nats_image_is_the_server_version_the_tests_run(services: dict[str, dict[str, Any]]) -> None:
    output = subprocess.run([str(nats_server_binary()), "--version"], capture_output=True, text=True, check=True).stdout
    tested = re.search(r"v(\d+)\.(\d+)\.", output)
    assert tested is not None, output
    for name, node in nats_services(services).items():
        tag = re.fullmatch(r"nats:(\d+)\.(\d+)(?:\.\d+)?-alpine", node["image"])
        assert tag is not None, f"{name}: pin an official nats:<major>.<minor>-alpine image"
        assert tag.groups() == tested.groups(), f"{name} runs {node['image']}, the tests run {output.strip()}"
        assert (int(tag.group(1)), int(tag.group(2))) >= (2, 12), "atomic batch publish needs nats-server 2.12+"


# --- the users the services connect as ---------------------------------------------------------

def _user_blocks(accounts: str) -> dict[str, str]:
    """Each user's block of accounts.conf (from its `user:` to the next), comments left out."""
    accounts = re.sub(r"#[^\n]*", "", accounts)
    starts = [(m.start(), m.group(1)) for m in re.finditer(r"\buser:\s*\"?([A-Za-z0-9_-]+)\"?", accounts)]
    return {name: accounts[start:(starts[i + 1][0] if i + 1 < len(starts) else len(accounts))]
            for i, (start, name) in enumerate(starts)}


def test_each_service_connects_to_all_three_nodes_as_its_own_user(services: dict[str, dict[str, Any]]) -> None:
    for name in TILTS:
        parts = nats_urls(services[name])
        assert len(parts) == 3
        assert {(p.scheme, p.hostname, p.port) for p in parts} == {("nats", n, 4222) for n in NATS_NODES}
        assert {(p.username, p.password) for p in parts} == {(name, f"NATS_{name.upper()}_PASSWORD")}


def test_no_service_user_may_delete_or_purge(services: dict[str, dict[str, Any]]) -> None:
    accounts = ACCOUNTS.read_text()
    protect = re.search(r"PROTECT_THE_RECORD:\s*\[(.*?)\]", accounts, re.DOTALL)
    assert protect is not None
    denied = set(re.findall(r'"([^"]+)"', protect.group(1)))
    assert {"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>", "$JS.API.STREAM.MSG.DELETE.>",
            "$JS.API.STREAM.UPDATE.>"} <= denied
    blocks = _user_blocks(accounts)
    used = {url.username for name in TILTS for url in nats_urls(services[name])}
    assert used == set(TILTS) and "operator" not in used
    for user in TILTS:
        block = blocks[user]
        assert "deny: $PROTECT_THE_RECORD" in block, user
        allowed = re.findall(r'"([^"]+)"', block.split("deny:")[0])
        for subject in allowed:  # no allow rule that would cover a stream-wide API
            assert not re.match(r"\$JS\.API\.(>|\*|STREAM\.(>|\*|DELETE|PURGE|MSG|UPDATE))", subject), (user, subject)
            assert subject not in (">", "$JS.>", "$JS.API.>"), (user, subject)
    assert "permissions" not in blocks["operator"]


# --- PostgreSQL, SMTP, the Tilts services ------------------------------------------------------

def test_postgres_keeps_its_data_on_a_named_volume_and_has_a_healthcheck(
        spec: dict[str, Any], services: dict[str, dict[str, Any]]) -> None:
    postgres = services["postgres"]
    image = re.fullmatch(r"postgres:(\d+)", postgres["image"])
    assert image is not None and int(image.group(1)) >= 17
    # 18+ keeps PGDATA in /var/lib/postgresql/<major>/docker; the volume goes one level up.
    target = "/var/lib/postgresql" if int(image.group(1)) >= 18 else "/var/lib/postgresql/data"
    [(source, _, read_only)] = [m for m in mounts(postgres) if m[1] == target]
    assert source in spec["volumes"] and not read_only
    assert "pg_isready" in postgres["healthcheck"]["test"]


def test_notifications_mail_goes_to_the_smtp_catcher(services: dict[str, dict[str, Any]]) -> None:
    smtp = urlsplit(env(services["notifications"])["TILTS_SMTP_URL"])
    assert smtp.scheme == "smtp" and smtp.hostname in services and smtp.port == 1025
    assert services[smtp.hostname]["image"].startswith("axllent/mailpit:")
    assert smtp.hostname in services["notifications"]["depends_on"]


@pytest.mark.parametrize("name", TILTS)
def test_each_tilts_service_is_built_from_its_own_dockerfile_and_checks_readyz(
        services: dict[str, dict[str, Any]], name: str) -> None:
    service = services[name]
    build = service["build"]
    assert build["context"] == "." and build["dockerfile"] == f"deploy/{name}.Dockerfile"
    assert (REPO / build["dockerfile"]).is_file()
    health = " ".join(service["healthcheck"]["test"])
    assert f"http://127.0.0.1:{TILTS[name]}/readyz" in health
    assert service["ports"] == [f"127.0.0.1:{TILTS[name]}:{TILTS[name]}"]
    environment = env(service)
    assert environment["TILTS_STREAM_REPLICAS"] == "3"
    assert environment["TILTS_BIND_HOST"] == "0.0.0.0"
    database = urlsplit(interpolated(environment["TILTS_DATABASE_URL"]))
    assert database.scheme == "postgresql" and database.hostname == "postgres"
    depends = service["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    # The keys: one volume, written only by the intake (it creates them on first start).
    [(source, _, read_only)] = [m for m in mounts(service) if m[1] == KEYS_DIR]
    assert source == "tilts-keys" and read_only == (name != "intake")
    if name == "intake":
        assert all(depends[node]["condition"] == "service_healthy" for node in NATS_NODES)
    else:  # the intake creates the stream, which only its user may do
        assert depends["intake"]["condition"] == "service_healthy"
    assert "TILTS_MASTER_KEY" not in environment


def test_answer_links_and_posts_do_not_point_at_the_bind_address(services: dict[str, dict[str, Any]]) -> None:
    environment = env(services["notifications"])
    assert urlsplit(environment["TILTS_INTAKE_URL"]).hostname == "intake"
    assert "0.0.0.0" not in environment["TILTS_NOTIFY_PUBLIC_URL"]
    # Notices tell institutions where to post answers: never the backend network's name for it.
    told = re.fullmatch(r"\$\{TILTS_PUBLIC_INTAKE_URL:-([^}]+)\}", environment["TILTS_PUBLIC_INTAKE_URL"])
    assert told, "the public intake address comes from .env, like the links' public address"
    assert urlsplit(told.group(1)).hostname not in ("intake", "0.0.0.0")
    assert environment["TILTS_NOTIFY_ALLOW_PRIVATE_TARGETS"] == "false"
