"""The README's command table says what the commands do by default."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from tilts.cli import token_create

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_token_lifetime_the_readme_shows_is_the_default() -> None:
    [row] = [line for line in README.read_text().splitlines() if line.startswith("| `tilts token create")]
    shown = re.search(r"\[--ttl ([^\]]+)\]", row).group(1)
    assert shown == inspect.signature(token_create).parameters["ttl"].default == "24h"
