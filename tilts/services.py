"""The services `tilts up` runs and `tilts serve` starts, with their ports."""

from __future__ import annotations

from dataclasses import dataclass

from shared.config import Settings


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    app_factory: str  # "module:function" returning a FastAPI app

    def port(self, settings: Settings) -> int:
        return getattr(settings, f"{self.name}_port")


SERVICES: dict[str, ServiceSpec] = {
    "intake": ServiceSpec("intake", "services.intake.bootstrap:create_app"),
    "reporting": ServiceSpec("reporting", "services.reporting.bootstrap:create_app"),
    "notifications": ServiceSpec("notifications", "services.notifications.bootstrap:create_app"),
}
