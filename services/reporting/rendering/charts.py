"""Horizontal bar charts as plain geometry, drawn as inline SVG by the report template.

A label longer than a line wraps onto more lines (whole words where it can) and its row grows to
hold them, the bar centred on the label: a printed report never cuts a name short, so two
institutions whose names begin alike stay distinguishable.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LABEL_WIDTH = 250
BAR_AREA = 330
ROW_HEIGHT = 22
BAR_HEIGHT = 15
LINE_HEIGHT = 12
# What fits LABEL_WIDTH in the 10px sans-serif of the page, with room for wide letters.
LABEL_CHARACTERS = 40
ROW_PADDING = 4
TOP = 2


@dataclass(frozen=True)
class Bar:
    """One bar: its label (and the lines it is printed on), value, optional highlighted part, and geometry.

    `y` is the bar's top; `label_y` the baseline of the label's first line; `height` the row's.
    """

    label: str
    value: int
    y: int
    width: float
    part: int | None = None
    part_width: float = 0.0
    lines: tuple[str, ...] = ()
    label_y: int = 0
    height: int = ROW_HEIGHT


@dataclass(frozen=True)
class Chart:
    """A titled bar chart; `height` is the SVG's height in pixels."""

    title: str
    bars: tuple[Bar, ...]
    label_width: int = LABEL_WIDTH
    bar_area: int = BAR_AREA
    line_height: int = LINE_HEIGHT
    bar_height: int = BAR_HEIGHT

    @property
    def height(self) -> int:
        return sum(bar.height for bar in self.bars) + 2 * TOP if self.bars else ROW_HEIGHT + 4

    @property
    def width(self) -> int:
        return self.label_width + self.bar_area + 60


def label_lines(label: str, width: int = LABEL_CHARACTERS) -> tuple[str, ...]:
    """A label as the lines it is printed on: words kept whole, a word longer than a line split."""
    return tuple(textwrap.wrap(label, width, break_on_hyphens=False)) or ("",)


def _row(label: str, top: int) -> tuple[tuple[str, ...], int, int, int]:
    """A label's lines, its row's height, the bar's top and the first line's baseline, centred on each other."""
    lines = label_lines(label)
    text_height = len(lines) * LINE_HEIGHT
    height = max(ROW_HEIGHT, text_height + 2 * ROW_PADDING)
    bar_y = top + (height - BAR_HEIGHT) // 2
    label_y = top + (height - text_height) // 2 + LINE_HEIGHT - 2
    return lines, height, bar_y, label_y


def bar_chart(title: str, values: Sequence[tuple[str, int]] | Mapping[str, int],
              parts: Sequence[int] | None = None) -> Chart:
    """A chart of labelled values in the order given; `parts` highlights a share of each bar (in
    the same order: labels need not be unique)."""
    items = list(values.items()) if isinstance(values, Mapping) else list(values)
    most = max((value for _, value in items), default=0) or 1
    bars = []
    top = TOP
    for row, (label, value) in enumerate(items):
        part = parts[row] if parts else None
        lines, height, bar_y, label_y = _row(label, top)
        bars.append(Bar(label, value, bar_y, round(BAR_AREA * value / most, 1), part,
                        round(BAR_AREA * (part or 0) / most, 1), lines, label_y, height))
        top += height
    return Chart(title, tuple(bars))
