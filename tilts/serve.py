"""Running one service under uvicorn (uvloop + httptools: several times the pure-Python speed)."""

from __future__ import annotations

import gc
import os

import uvicorn

from shared.config import Settings
from shared.observability.logs import configure_logging

from .services import ServiceSpec


def _tune_garbage_collector() -> None:
    # Long-lived caches of small objects make full collections slow; freeze what startup
    # allocated and collect the young generation less often, which keeps tail latency down.
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 50)


def serve_service(spec: ServiceSpec, settings: Settings) -> None:
    # The app factory reads its settings from the environment; pass on what flags said.
    os.environ["TILTS_DATA_DIR"] = str(settings.data_dir)
    configure_logging(settings.log_level, settings.log_format, service=spec.name)
    _tune_garbage_collector()
    uvicorn.run(spec.app_factory, factory=True, host=settings.bind_host, port=spec.port(settings),
                loop="uvloop", http="httptools", log_config=None, access_log=False,
                workers=settings.intake_workers if spec.name == "intake" else 1,
                timeout_graceful_shutdown=10, lifespan="on")
