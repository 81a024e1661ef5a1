"""Charts as data for the templates: labelled bars, each chart on its own scale.

Bars are HTML (a label, a bar, its value as text), so their numbers stay readable at
any width and to screen readers. A chart whose values spread over more than
``LOG_SPREAD`` times switches to a log scale and says so: on a linear axis one
200-day outlier flattens every other bar. A bar of a mean may carry its group's median
and 90th percentile: as text beside the mean, and as ticks on the same scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
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
    detail: str = ""  # the median and p90 as shown
    median: float | None = None  # where they fall, in percent of the track
    p90: float | None = None


@dataclass(frozen=True, slots=True)
class BarChart:
    id: str
    caption: str
    rows: tuple[BarRow, ...]
    log: bool
    note: str = ""
    wide: bool = False  # spans the whole row of panels (many rows of bars)


def bar_chart(
    chart_id: str,
    caption: str,
    points: Sequence[tuple[str, str, float]],
    text: Callable[[float], str],
    *,
    top: float | None = None,
    tone: Callable[[float], str] = lambda v: "",
    note: str = "",
    spread: Mapping[str, tuple[float | None, float | None]] | None = None,
    wide: bool = False,
) -> BarChart:
    """``points`` are (group, series, value); ``top`` fixes the scale's end (100 for %);
    ``spread``: group -> (median, p90), drawn on the same scale as the values."""
    spread = spread or {}
    others = [v for pair in spread.values() for v in pair if v is not None]
    positive = [v for v in [*(v for _, _, v in points), *others] if v > 0]
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

    def at(v: float | None) -> float | None:
        return None if v is None else round(min(max(width(v), 0.5), 100.0), 2)

    rows = []
    for group, series, value in points:
        median, p90 = spread.get(group, (None, None))
        detail = " · ".join(
            f"{name} {text(v)}" for name, v in (("median", median), ("p90", p90)) if v is not None
        )
        rows.append(
            BarRow(
                group,
                series,
                value,
                text(value),
                round(max(width(value), 0.5), 2),
                tone(value),
                detail,
                at(median),
                at(p90),
            )
        )
    return BarChart(chart_id, caption, tuple(rows), log, note, wide)
