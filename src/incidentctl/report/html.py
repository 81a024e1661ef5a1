"""The dashboard: one self-contained HTML file with inline CSS and inline SVG charts.

Nothing is fetched: no script, no font, no stylesheet from elsewhere, so the file can
be published on GitHub Pages, mailed, or opened from an artifact as it is. Every text
that comes from a document is escaped; every chart element carries a ``<title>`` (read
by screen readers and shown as a tooltip) and its number in ``data-value``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from incidentctl.model.types import iso
from incidentctl.report.metrics import (
    TIME_LABELS,
    IncidentFigures,
    Report,
    percent,
    seconds_text,
)
from incidentctl.report.tables import blocks, number

COLOURS = {"mtta": "#0969da", "mttr": "#bf3989", "rate": "#1a7f37", "miss": "#cf222e"}
STATE_CLASS = {
    "breached": "bad",
    "missed": "bad",
    "at_risk": "warn",
    "paused": "info",
    "running": "info",
    "met": "good",
}

CSS = """
:root{color-scheme:light;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);margin:0}
header{background:#24292f;color:#fff;padding:1rem 2rem}header p{margin:.2rem 0;color:#d1d9e0}
main{padding:1rem 2rem;max-width:80rem}h1{margin:0;font-size:1.5rem}
h2{border-bottom:1px solid var(--line);padding-bottom:.3rem;margin-top:2rem}
.cards{display:flex;flex-wrap:wrap;gap:1rem}.card{border:1px solid var(--line);
border-radius:6px;padding:.6rem 1rem;min-width:9rem}.card b{display:block;font-size:1.4rem}
.charts{display:flex;flex-wrap:wrap;gap:1.5rem}figure{margin:0;border:1px solid var(--line);
border-radius:6px;padding:.5rem}figcaption{font-weight:600;margin-bottom:.3rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid var(--line);
padding:.25rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
code{font-size:90%}.bad{color:#cf222e;font-weight:600}.warn{color:#9a6700;font-weight:600}
.good{color:#1a7f37}.info{color:#0969da}.muted{color:var(--muted)}
svg text{font:11px system-ui,sans-serif;fill:var(--fg)}
"""


@dataclass(frozen=True, slots=True)
class Bar:
    group: str  # the x label
    series: str
    value: float
    label: str  # for <title>


def bar_chart(chart_id: str, caption: str, bars: Sequence[Bar], unit: str, top: float) -> str:
    """Grouped vertical bars; ``top`` is the value at the top of the axis."""
    groups = list(dict.fromkeys(b.group for b in bars))
    series = list(dict.fromkeys(b.series for b in bars))
    width, height, left, bottom = max(220, 70 * len(groups) + 60), 200, 44, 28
    plot = height - bottom - 10
    slot = (width - left - 10) / max(1, len(groups))
    bar_w = min(28.0, (slot - 12) / max(1, len(series)))
    top = top or 1.0
    parts = [
        f'<svg id="{chart_id}" role="img" aria-labelledby="{chart_id}-t" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(caption)}</title>',
        f'<line x1="{left}" y1="10" x2="{left}" y2="{10 + plot}" stroke="#8c959f"/>',
        f'<line x1="{left}" y1="{10 + plot}" x2="{width - 10}" y2="{10 + plot}" stroke="#8c959f"/>',
        f'<text x="{left - 4}" y="14" text-anchor="end">{escape(_axis(top, unit))}</text>',
        f'<text x="{left - 4}" y="{10 + plot}" text-anchor="end">0</text>',
    ]
    for gi, group in enumerate(groups):
        x0 = left + 6 + gi * slot
        for b in bars:
            if b.group != group:
                continue
            si = series.index(b.series)
            h = plot * min(b.value, top) / top
            parts.append(
                f'<rect class="bar" data-series="{escape(b.series)}" data-group="{escape(group)}" '
                f'data-value="{number(b.value, 2)}" x="{x0 + si * bar_w:.1f}" '
                f'y="{10 + plot - h:.1f}" width="{bar_w - 2:.1f}" height="{h:.1f}" '
                f'fill="{COLOURS.get(b.series, "#6e7781")}"><title>{escape(b.label)}</title></rect>'
            )
        parts.append(
            f'<text x="{x0 + len(series) * bar_w / 2:.1f}" y="{height - 10}" '
            f'text-anchor="middle">{escape(group)}</text>'
        )
    parts.append("</svg>")
    legend = " ".join(
        f'<span style="color:{COLOURS.get(s, "#6e7781")}">&#9632;</span> {escape(s.upper())}'
        for s in series
        if len(series) > 1
    )
    return f"<figure><figcaption>{escape(caption)}</figcaption>{''.join(parts)}{legend}</figure>"


def _axis(top: float, unit: str) -> str:
    return seconds_text(top) if unit == "s" else f"{top:g}{unit}"


def detection_chart(report: Report) -> str:
    d = report.detection
    share = d.share
    width, height, left = 320, 90, 10
    span = width - 2 * left
    value = 0.0 if share is None else share * 100
    goal_x = left + span * d.goal
    label = (
        "no incidents"
        if share is None
        else f"Detected internally: {value:.1f}% ({d.internal} of {d.internal + d.external})"
    )
    fill = COLOURS["rate"] if d.meets_goal else COLOURS["miss"]
    return (
        "<figure><figcaption>Internal detection vs the 90 % goal</figcaption>"
        f'<svg id="chart-detection" role="img" aria-labelledby="chart-detection-t" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg">'
        '<title id="chart-detection-t">Share of incidents detected internally</title>'
        f'<rect x="{left}" y="20" width="{span}" height="26" fill="#eaeef2"/>'
        f'<rect class="bar" data-series="internal" data-value="{number(value, 1)}" '
        f'x="{left}" y="20" width="{span * value / 100:.1f}" height="26" fill="{fill}">'
        f"<title>{escape(label)}</title></rect>"
        f'<line class="goal" data-value="{number(d.goal * 100, 1)}" x1="{goal_x:.1f}" y1="12" '
        f'x2="{goal_x:.1f}" y2="54" stroke="#1f2328" stroke-width="2" stroke-dasharray="4 2">'
        f"<title>Goal: more than {d.goal * 100:g}% detected internally</title></line>"
        f'<text x="{goal_x:.1f}" y="68" text-anchor="middle">goal {d.goal * 100:g}%</text>'
        f'<text x="{left}" y="84">{escape(label)}</text>'
        "</svg></figure>"
    )


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], table_id: str = "") -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    ident = f' id="{table_id}"' if table_id else ""
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _open_incidents(report: Report) -> str:
    if not report.open_incidents:
        return '<p class="muted">No open incidents.</p>'
    rows = []
    for f in report.open_incidents:
        metrics = [
            m for m in (f.result.metrics if f.result else []) if m.state not in ("not_applicable",)
        ]
        cells = "".join(
            f'<li data-metric="{escape(m.metric)}" data-state="{escape(m.state)}">'
            f'{escape(m.metric)}: <span class="{STATE_CLASS.get(m.state, "muted")}">'
            f"{escape(m.state)}</span>"
            + (f" (due {escape(iso(m.due_at) or '')})" if m.due_at else "")
            + "</li>"
            for m in metrics
        )
        rows.append(
            f'<tr data-incident="{escape(f.id)}"><td><a href="#{escape(f.id)}">{escape(f.id)}</a>'
            f"</td><td>{escape(f.severity)}</td><td>{escape(f.status)}</td>"
            f"<td>{escape(iso(f.opened_at) or '')}</td><td><ul>{cells}</ul></td></tr>"
        )
    return (
        '<table id="open-incidents"><thead><tr><th>incident</th><th>severity</th><th>status</th>'
        "<th>opened</th><th>SLA as of the report</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _incident_section(f: IncidentFigures) -> str:
    facts = (
        f"{f.severity} · {f.status} · customer {f.customer or '-'} · detected by "
        f"{f.detection_source} · opened {iso(f.opened_at)}"
    )
    times = ", ".join(
        f"{TIME_LABELS[name]} {seconds_text(value)}"
        for name, value in f.times.items()
        if value is not None
    )
    rows = [(iso(e.at) or "", e.what, e.commit[:12], e.author) for e in f.events]
    return (
        f'<section class="incident" id="{escape(f.id)}"><h3>{escape(f.id)}: {escape(f.title)}</h3>'
        f"<p>{escape(facts)}</p><p>{escape(times or 'no milestone yet')}</p>"
        + _table(("time (UTC)", "event", "commit", "author"), rows)
        + "</section>"
    )


def dashboard(report: Report) -> str:
    e = escape
    months = list(report.by_month)
    trend = [
        Bar(month, key, value, f"{TIME_LABELS[name]} {month}: {seconds_text(value)}")
        for month in months
        for name, key in (("acknowledge", "mtta"), ("resolve", "mttr"))
        if (value := report.by_month[month][name].mean) is not None
    ]
    per_severity: dict[str, list[int]] = {}
    for a in report.attainment:
        met, judged = per_severity.setdefault(a.severity, [0, 0])
        per_severity[a.severity] = [met + a.met, judged + a.judged]
    attainment = [
        Bar(
            s, "rate", 100 * met / judged, f"{s}: {met} of {judged} met ({100 * met / judged:.1f}%)"
        )
        for s, (met, judged) in per_severity.items()
        if judged
    ]
    t = report.times

    def spread(name: str) -> str:
        stat = t[name]
        return " · ".join(
            f"{label} {seconds_text(value)}"
            for label, value in (("mean", stat.mean), ("median", stat.median), ("p90", stat.p90))
        ) + (f" · {stat.missing} unknown" if stat.missing else "")

    cards = [
        ("incidents", str(len(report.incidents))),
        ("MTTA", spread("acknowledge")),
        ("MTTM", spread("mitigate")),
        ("MTTR", spread("resolve")),
        ("MTTD", spread("detect")),
        ("internal detection", percent(report.detection.share)),
        ("update cadence met", percent(report.cadence.rate)),
        ("breaches", str(len(report.breaches))),
        ("non-production excluded", str(report.excluded_nonproduction)),
        ("false alarms", percent(report.false_alarm_rate)),
    ]
    sections = "".join(
        f"<h2>{e(title)}</h2>{_table(headers, rows)}" for title, headers, rows in blocks(report)
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>Incident dashboard · {e(report.ref)}</title><style>{CSS}</style></head>",
            "<body><header><h1>Incident dashboard</h1>",
            f'<p>As of <time id="as-of">{e(iso(report.as_of) or "")}</time> on '
            f'{e(report.ref)} at commit <code id="commit">{e(report.commit or "none")}</code></p>',
            "</header><main>",
            '<section class="cards">'
            + "".join(
                f'<div class="card" data-figure="{e(name)}"><span class="muted">{e(name)}</span>'
                f"<b>{e(value)}</b></div>"
                for name, value in cards
            )
            + "</section>",
            '<h2>Charts</h2><div class="charts">',
            bar_chart(
                "chart-trend",
                "Mean time to acknowledge and to resolve, by month of opening",
                trend,
                "s",
                max((b.value for b in trend), default=0.0),
            ),
            bar_chart("chart-attainment", "SLA attainment by severity", attainment, "%", 100.0),
            detection_chart(report),
            "</div>",
            "<h2>Open incidents</h2>",
            _open_incidents(report),
            sections,
            "<h2>Incidents</h2>",
            "".join(_incident_section(f) for f in report.incidents),
            "</main></body></html>",
        ]
    )


def as_html(report: Report) -> str:
    return dashboard(report) + "\n"
