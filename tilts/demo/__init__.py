"""An invented but realistic season of Roma mediators' work, and a loader that posts it.

`build_season()` is pure and deterministic; `load_season()` posts it through the intake's
public batch API, so loading it twice appends nothing new.
"""

from .loader import DemoLoadError, DemoSummary, load_season
from .model import (ActorSpec, DemoContact, DemoInstitution, DemoMediator, DemoMunicipality,
                    DemoSeason, DemoStep)
from .season import build_season

__all__ = ["ActorSpec", "DemoContact", "DemoInstitution", "DemoLoadError", "DemoMediator",
           "DemoMunicipality", "DemoSeason", "DemoStep", "DemoSummary", "build_season",
           "load_season"]
