"""Settings for every Tilts process, read from `TILTS_*` environment variables."""

from __future__ import annotations

from functools import cached_property
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

    # HTTP.
    bind_host: str = "127.0.0.1"
    intake_port: int = 8080
    reporting_port: int = 8081
    notifications_port: int = 8082
    public_base_url: str | None = None
    intake_workers: int = Field(default=1, ge=1, le=32)
    max_body_bytes: int = 1024 * 1024

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

    @cached_property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    def service_url(self, service: Literal["intake", "reporting", "notifications"]) -> str:
        port = {"intake": self.intake_port, "reporting": self.reporting_port,
                "notifications": self.notifications_port}[service]
        return f"http://{self.bind_host}:{port}"
