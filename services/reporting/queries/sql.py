"""Small helpers for SQL over a read-model schema chosen at run time (live, or a rebuild's)."""

from __future__ import annotations


def qualified(template: str, schema: str) -> str:
    """`template` with `{s}` replaced by the quoted schema name."""
    return template.replace("{s}", f'"{schema}"')


class Params:
    """Collects positional parameters and hands out their `$n` placeholders."""

    def __init__(self, *initial: object) -> None:
        self.values: list[object] = list(initial)

    def add(self, value: object) -> str:
        self.values.append(value)
        return f"${len(self.values)}"
