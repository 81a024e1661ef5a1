"""Charts as data for the templates: labelled bars, each chart on its own scale.

Bars are HTML (a label, a bar, its value as text), so their numbers stay readable at
any width and to screen readers. A chart whose values spread over more than
``LOG_SPREAD`` times switches to a log scale and says so: on a linear axis one
200-day outlier flattens every other bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

LOG_SPREAD = 20.0


@dataclass(frozen=True, slots=True)
class BarRow:
    group: str
    series: str
    value: float
    text: str  # the value as shown
    width: float  # percent of the track
    tone: str = ""  # a CSS class


@dataclass(frozen=True, slots=True)
class BarChart:
    id: str
    caption: str
    rows: tuple[BarRow, ...]
    log: bool
    note: str = ""


def bar_chart(
    chart_id: str,
    caption: str,
    points: Sequence[tuple[str, str, float]],
    text: Callable[[float], str],
    *,
    top: float | None = None,
    tone: Callable[[float], str] = lambda v: "",
    note: str = "",
) -> BarChart:
    """``points`` are (group, series, value); ``top`` fixes the scale's end (100 for %)."""
    positive = [v for _, _, v in points if v > 0]
    log = top is None and len(positive) > 1 and max(positive) / min(positive) > LOG_SPREAD
    end = top if top is not None else max(positive, default=1.0)
    if log:
        # the smallest value gets a tenth of the track, the largest all of it
        low = min(positive)
        span = math.log10(end / low)

        def width(v: float) -> float:
            return 0.0 if v <= 0 else 10 + 90 * math.log10(max(v, low) / low) / span

    else:

        def width(v: float) -> float:
            return 100 * min(v, end) / end if end else 0.0

    rows = tuple(
        BarRow(group, series, value, text(value), round(max(width(value), 0.5), 2), tone(value))
        for group, series, value in points
    )
    return BarChart(chart_id, caption, rows, log, note)
