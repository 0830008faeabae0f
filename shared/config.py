"""Settings for every Tilts process, read from `TILTS_*` environment variables."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """One settings object per process; CLI flags override the environment."""

    model_config = SettingsConfigDict(env_prefix="TILTS_", extra="ignore")

    data_dir: Path = Path(".tilts")
    nats_url: str | None = None
    database_url: str | None = None

    # The event log.
    stream_name: str = "TILTS_EVENTS"
    subject_prefix: str = "tilts.ev"
    stream_replicas: int = Field(default=1, ge=1, le=5)
    duplicate_window_seconds: float = Field(default=120.0, gt=0)

    # The notary (runs in the intake): signed Merkle checkpoints of the log, in <stream>_CHECKPOINTS.
    # A checkpoint every `notary_max_events` events, and every `notary_interval_seconds` while
    # there are new ones; each is ~1 KB, so a quiet log gets few.
    notary_enabled: bool = True
    notary_interval_seconds: float = Field(default=5.0, gt=0)
    notary_max_events: int = Field(default=1000, ge=1)

    # HTTP.
    bind_host: str = "127.0.0.1"
    intake_port: int = 8080
    reporting_port: int = 8081
    notifications_port: int = 8082
    public_base_url: str | None = None
    intake_workers: int = Field(default=1, ge=1, le=32)
    max_body_bytes: int = 1024 * 1024
    # A statement PostgreSQL has not answered in this long fails (503): a frozen server must not
    # hold writes and reads for asyncpg's default minute.
    database_timeout_seconds: float = Field(default=10.0, gt=0)
    # Per bearer token and process; 0 switches limiting off (benchmarks measuring capacity).
    rate_limit_per_second: float = Field(default=100.0, ge=0)
    rate_limit_burst: float = Field(default=500.0, ge=1)

    # Keys. The master key may come from the environment (base64, 32 bytes); otherwise
    # it is generated on first start under data_dir/keys.
    master_key: str | None = None
    token_issuer: str = "tilts"
    token_audience: str = "tilts"

    # Logs.
    log_format: Literal["json", "console"] = "json"
    log_level: str = "info"

    # Notifications.
    notify_allow_private_targets: bool = False
    notify_max_attempts: int = Field(default=8, ge=1)
    smtp_url: str | None = None
    intake_url: str | None = None  # where notifications posts answers; default: the local intake
    notify_public_url: str | None = None  # base of acknowledgement links; default: the local service
    # The intake as institutions' own systems reach it (told in notices); default: intake_url.
    public_intake_url: str | None = None
    notify_email_from: str = "Tilts <tilts@localhost>"
    notify_link_ttl: timedelta = timedelta(days=30)
    notify_timeout_seconds: float = Field(default=10.0, gt=0)
    notify_backoff_base_seconds: float = Field(default=5.0, gt=0)  # the first retry comes this soon
    notify_backoff_cap_seconds: float = Field(default=6 * 3600.0, gt=0)
    notify_concurrency: int = Field(default=32, ge=1)  # deliveries in flight per process
    notify_per_target_concurrency: int = Field(default=4, ge=1)  # ...and per receiving origin
    notify_poll_seconds: float = Field(default=5.0, gt=0)  # fallback when no wake-up arrives
    notify_digest_hour: int = Field(default=8, ge=0, le=23)  # daily digests leave at this hour, Europe/Riga

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def service_url(self, service: Literal["intake", "reporting", "notifications"]) -> str:
        port = {"intake": self.intake_port, "reporting": self.reporting_port,
                "notifications": self.notifications_port}[service]
        return f"http://{self.bind_host}:{port}"

    def intake_base_url(self) -> str:
        """Where the intake answers (notifications posts acknowledgements there)."""
        return (self.intake_url or self.service_url("intake")).rstrip("/")

    def intake_public_url(self) -> str:
        """The intake's address that notices tell institutions to post answers to.

        Not `intake_base_url()`: in a deployment that is an internal name (`http://intake:8080`),
        which no institution's system can reach; locally the two are the same.
        """
        return (self.public_intake_url or self.intake_base_url()).rstrip("/")

    def notifications_public_url(self) -> str:
        """The base of links sent to institutions."""
        return (self.notify_public_url or self.public_base_url or self.service_url("notifications")).rstrip("/")
