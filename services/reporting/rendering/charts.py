"""Horizontal bar charts as plain geometry, drawn as inline SVG by the report template."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LABEL_WIDTH = 250
BAR_AREA = 330
ROW_HEIGHT = 22
BAR_HEIGHT = 15


@dataclass(frozen=True)
class Bar:
    """One bar: its label, value, optional highlighted part, and geometry."""

    label: str
    value: int
    y: int
    width: float
    part: int | None = None
    part_width: float = 0.0


@dataclass(frozen=True)
class Chart:
    """A titled bar chart; `height` is the SVG's height in pixels."""

    title: str
    bars: tuple[Bar, ...]
    label_width: int = LABEL_WIDTH
    bar_area: int = BAR_AREA

    @property
    def height(self) -> int:
        return max(1, len(self.bars)) * ROW_HEIGHT + 4

    @property
    def width(self) -> int:
        return self.label_width + self.bar_area + 60


def bar_chart(title: str, values: Sequence[tuple[str, int]] | Mapping[str, int],
              parts: Sequence[int] | None = None) -> Chart:
    """A chart of labelled values in the order given; `parts` highlights a share of each bar (in
    the same order: labels need not be unique)."""
    items = list(values.items()) if isinstance(values, Mapping) else list(values)
    top = max((value for _, value in items), default=0) or 1
    bars = []
    for row, (label, value) in enumerate(items):
        part = parts[row] if parts else None
        bars.append(Bar(label, value, row * ROW_HEIGHT + 2, round(BAR_AREA * value / top, 1), part,
                        round(BAR_AREA * (part or 0) / top, 1)))
    return Chart(title, tuple(bars))
