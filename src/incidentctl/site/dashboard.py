"""The internal pages' content: figures from the report, timelines from the history.

Nothing here re-computes an SLA figure: times, attainment, breaches and states come
from the ``Report``; the history gives only each incident's story (its phases and
updates, with their commits) for the timeline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from markupsafe import Markup

from incidentctl.history.model import History
from incidentctl.model.types import format_hours
from incidentctl.report.metrics import (
    TIME_LABELS,
    TIMES,
    IncidentFigures,
    RcaIndex,
    Report,
    Stat,
    incident_story,
    percent,
)
from incidentctl.site.charts import BarChart, bar_chart
from incidentctl.site.timeline import CommitLink, timeline_svg
from incidentctl.sla.engine import known_versions, present

LIVE = frozenset({"running", "at_risk", "paused", "breached"})
TONE = {
    "breached": "bad", "missed": "bad", "at_risk": "warn", "paused": "info",
    "running": "info", "met": "good", "pending": "muted", "not_applicable": "muted",
}  # fmt: skip


def duration_text(value: float | None) -> str:
    """A duration to read at a glance: its two largest units, the rest dropped
    (``7d7h`` for 7d7h42m36s, ``1h6m``, ``45s``); exact figures are in JSON and CSV."""
    if value is None:
        return "-"
    rest = round(abs(value))
    units: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, rest = divmod(rest, size)
        if amount or units:
            units.append(f"{amount}{unit}" if amount else "")
    text = "".join(units[:2]) or "0s"
    return f"-{text}" if value < 0 else text


def span_text(value: float | None, business: bool) -> str:
    """An SLA clock's duration at a glance; business time in hours and said to be so
    (``27h business``), since ``1d3h`` would read as wall-clock time."""
    if not business or value is None:
        return duration_text(value)
    return format_hours(round(value)) + " business"


def commit_link(server: str | None, repository: str | None) -> CommitLink:
    """Commit -> its page on the forge, when both the server and the repository are known."""

    def link(sha: str | None) -> str | None:
        if not (server and repository and sha):
            return None
        return f"{server.rstrip('/')}/{repository}/commit/{sha}"

    return link


@dataclass(frozen=True, slots=True)
class Figure:
    name: str
    value: str
    detail: str = ""


def stat_detail(stat: Stat) -> str:
    if not stat.count:
        return "n=0"
    return f"median {duration_text(stat.median)} · p90 {duration_text(stat.p90)} · n={stat.count}"


def cards(report: Report) -> list[Figure]:
    t = report.times
    d, c = report.detection, report.cadence
    result = [Figure("incidents", str(len(report.incidents)))]
    result += [
        Figure(f"{TIME_LABELS[n]} mean", duration_text(t[n].mean), stat_detail(t[n])) for n in TIMES
    ]
    result += [
        Figure(
            "internal detection",
            percent(d.share),
            f"{d.internal} of {d.internal + d.external}, goal > {d.goal * 100:g}%",
        ),
        Figure("update cadence met", percent(c.rate), f"{c.met} of {c.met + c.missed} cycles"),
        Figure("breaches", str(len(report.breaches))),
        Figure("non-production excluded", str(report.excluded_nonproduction)),
    ]
    return result


def time_charts(report: Report) -> list[BarChart]:
    """One panel per time (never MTTA and MTTR on one axis), by severity and by month."""
    charts = []
    for name in ("acknowledge", "resolve", "mitigate", "detect"):
        label = TIME_LABELS[name]
        points = [
            (group, label.lower(), value)
            for group, stats in report.by_severity.items()
            if (value := stats[name].mean) is not None
        ]
        spread = {g: (s[name].median, s[name].p90) for g, s in report.by_severity.items()}
        if points:
            charts.append(
                bar_chart(
                    f"chart-{label.lower()}-severity",
                    f"{label} by severity: mean, median and p90",
                    points,
                    duration_text,
                    spread=spread,
                )
            )
    for name in ("acknowledge", "resolve"):
        label = TIME_LABELS[name]
        points = [
            (month, label.lower(), value)
            for month, stats in report.by_month.items()
            if (value := stats[name].mean) is not None
        ]
        spread = {m: (s[name].median, s[name].p90) for m, s in report.by_month.items()}
        if points:
            charts.append(
                bar_chart(
                    f"chart-{label.lower()}-month",
                    f"{label} by month of opening: mean, median and p90",
                    points,
                    duration_text,
                    spread=spread,
                    wide=True,
                )
            )
    return charts


def attainment_chart(report: Report) -> BarChart:
    per: dict[str, list[int]] = {}
    for a in report.attainment:
        met, judged = per.setdefault(a.severity, [0, 0])
        per[a.severity] = [met + a.met, judged + a.judged]
    points = [(s, "rate", 100 * met / judged) for s, (met, judged) in per.items() if judged]
    counts = {s: f"{met} of {judged}" for s, (met, judged) in per.items()}

    def tone(v: float) -> str:
        return "good" if v >= 95 else "warn" if v >= 80 else "bad"

    chart = bar_chart(
        "chart-attainment",
        "SLA attainment by severity (met of judged)",
        points,
        lambda v: f"{v:.1f}%",
        top=100.0,
        tone=tone,
    )
    rows = tuple(
        type(r)(r.group, r.series, r.value, f"{r.text} ({counts[r.group]})", r.width, r.tone)
        for r in chart.rows
    )
    return BarChart(chart.id, chart.caption, rows, chart.log)


def attainment_matrix(report: Report) -> dict[str, Any]:
    """Metric x severity, each cell met of judged; the per-customer rows fold below."""
    severities = list(dict.fromkeys(a.severity for a in report.attainment))
    cells: dict[str, dict[str, list[int]]] = {}
    for a in report.attainment:
        row = cells.setdefault(a.metric, {})
        met, judged, running = row.get(a.severity, [0, 0, 0])
        row[a.severity] = [met + a.met, judged + a.judged, running + a.running]
    return {"severities": severities, "rows": cells}


@dataclass
class IncidentView:
    figures: IncidentFigures
    timeline: Markup | None
    live: list[Any]
    done: list[Any]
    file: str | None = None  # the incident's file, as of the view
    file_url: str | None = None  # its page on the forge at the commit of that version


def incident_view(
    history: History | None,
    f: IncidentFigures,
    as_of: datetime,
    link: CommitLink,
    rcas: RcaIndex | None = None,
    zone: tzinfo | None = None,
) -> IncidentView:
    """``rcas``: ``rca_index(history)``, computed once by a caller that shows many."""
    metrics = [m for m in (f.result.metrics if f.result else []) if m.state != "not_applicable"]
    live = [m for m in metrics if m.state in LIVE]
    done = [m for m in metrics if m.state not in LIVE]
    svg = None
    if history is not None and f.id in history.incidents:
        life = present(known_versions(history.incidents[f.id].states, as_of))
        story = incident_story(history, f.id, as_of, rcas) if life else None
        if story is not None:
            svg = timeline_svg(story, f.result, as_of, link, zone)
    file, url = _file(history, f.id, as_of, link) if history is not None else (None, None)
    return IncidentView(f, svg, live, done, file, url)


def _file(
    history: History, incident_id: str, as_of: datetime, link: CommitLink
) -> tuple[str | None, str | None]:
    """The incident's file as of ``as_of`` and its page on the forge: the commit's address
    with ``/commit/SHA`` turned into ``/blob/SHA/PATH``, as GitHub names it."""
    timeline = history.incidents.get(incident_id)
    versions = [v for v in (timeline.versions if timeline else []) if v.stamp.landed_at <= as_of]
    if not versions or versions[-1].blob is None:
        return None, None
    last = versions[-1]
    commit = link(last.stamp.sha)
    marker = f"/commit/{last.stamp.sha}"
    if commit is None or not commit.endswith(marker):
        return last.path, None
    return last.path, f"{commit[: -len(marker)]}/blob/{last.stamp.sha}/{last.path}"


def incident_context(
    view: IncidentView, link: CommitLink, as_of: datetime, zone: tzinfo | None = None
) -> dict[str, Any]:
    """What an incident's page needs: its view, and the helpers of the templates."""
    return {
        "view": view,
        "zone": zone,
        "as_of": as_of,
        "link": link,
        "tone": TONE,
        "labels": TIME_LABELS,
        "seconds": duration_text,
        "span": span_text,
    }


def context(
    report: Report,
    link: CommitLink,
    href: Callable[[str], str],
    zone: tzinfo | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """What the dashboard and the customer views need; times shown in ``zone``."""
    return {
        "report": report,
        "zone": zone,
        "cards": cards(report),
        "charts": time_charts(report),
        "attainment": attainment_chart(report),
        "matrix": attainment_matrix(report),
        "detection": report.detection,
        "link": link,
        "href": href,
        "tone": TONE,
        "live": LIVE,
        "labels": TIME_LABELS,
        "times": TIMES,
        "seconds": duration_text,
        "span": span_text,
        "percent": percent,
        **extra,
    }
