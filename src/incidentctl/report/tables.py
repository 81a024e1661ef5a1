"""Render a report: JSON (the whole of it), CSV (one figure a row), a table, Markdown.

Every renderer is a function of the ``Report`` alone; order comes from the report's
lists, never from a set or a dict built on the way, so the same report gives the same
bytes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from incidentctl.model.types import iso
from incidentctl.report.metrics import (
    TIME_LABELS,
    TIMES,
    Attainment,
    Report,
    Stat,
    percent,
    seconds_text,
)

Rows = list[tuple[str, ...]]
Block = tuple[str, tuple[str, ...], Rows]


def number(value: float | None, digits: int = 1) -> float | int | None:
    """A figure for JSON and CSV: whole numbers stay whole, others keep ``digits``."""
    if value is None:
        return None
    rounded = round(value, digits)
    return int(rounded) if rounded == int(rounded) else rounded


def stat_dict(stat: Stat) -> dict[str, Any]:
    return {
        "count": stat.count,
        "mean_seconds": number(stat.mean),
        "median_seconds": number(stat.median),
        "p90_seconds": number(stat.p90),
        "unknown": stat.missing,
    }


def times_dict(stats: dict[str, Stat]) -> dict[str, Any]:
    return {TIME_LABELS[name].lower(): stat_dict(stats[name]) for name in TIMES}


def attainment_dict(a: Attainment) -> dict[str, Any]:
    return {
        "metric": a.metric,
        "severity": a.severity,
        "customer": a.customer,
        "met": a.met,
        "missed": a.missed,
        "breached": a.breached,
        "running": a.running,
        "rate": number(a.rate, 4),
    }


def report_dict(report: Report) -> dict[str, Any]:
    return {
        "as_of": iso(report.as_of),
        "ref": report.ref,
        "commit": report.commit,
        "filters": {
            "since": report.since.isoformat() if report.since else None,
            "until": report.until.isoformat() if report.until else None,
            "customer": report.customer,
        },
        "incidents": len(report.incidents),
        "excluded_nonproduction": report.excluded_nonproduction,
        "false_alarms": report.false_alarms,
        "false_alarm_rate": number(report.false_alarm_rate, 4),
        "times": times_dict(report.times),
        "by_severity": [
            {"severity": severity, **times_dict(stats)}
            for severity, stats in report.by_severity.items()
        ],
        "by_month": [
            {"month": month, **times_dict(stats)} for month, stats in report.by_month.items()
        ],
        "attainment": [attainment_dict(a) for a in report.attainment],
        "update_cadence": {
            "met": report.cadence.met,
            "missed": report.cadence.missed,
            "running": report.cadence.running,
            "rate": number(report.cadence.rate, 4),
        },
        "detection": {
            "internal": report.detection.internal,
            "external": report.detection.external,
            "share": number(report.detection.share, 4),
            "goal": report.detection.goal,
            "meets_goal": report.detection.meets_goal,
        },
        "breaches": [
            {
                "incident": b.incident,
                "metric": b.metric,
                "severity": b.severity,
                "state": b.state,
                "breached_at": iso(b.breached_at),
                "evidence": [
                    {
                        "event": m.event,
                        "at": iso(m.evidence.at),
                        "commit": m.evidence.commit,
                        "author": m.evidence.author,
                        "source": m.evidence.source,
                    }
                    for m in b.evidence
                ],
            }
            for b in report.breaches
        ],
        "overdue_rcas": [
            {
                "incident": o.incident,
                "metric": o.metric,
                "due_at": iso(o.due_at),
                "rca_status": o.rca_status,
            }
            for o in report.overdue_rcas
        ],
        "overdue_actions": [
            {
                "incident": a.incident,
                "action": a.action,
                "title": a.title,
                "owner": a.owner,
                "due": a.due.isoformat(),
                "days_overdue": a.days_overdue,
            }
            for a in report.overdue_actions
        ],
        "open_incidents": [
            {
                "id": f.id,
                "severity": f.severity,
                "status": f.status,
                "opened_at": iso(f.opened_at),
                "metrics": [
                    {"metric": m.metric, "state": m.state, "due_at": iso(m.due_at)}
                    for m in (f.result.metrics if f.result else [])
                    if m.state not in ("not_applicable", "pending")
                ],
            }
            for f in report.open_incidents
        ],
    }


def as_json(report: Report) -> str:
    return json.dumps(report_dict(report), indent=2, ensure_ascii=False) + "\n"


CSV_COLUMNS = (
    "section", "incident", "metric", "severity", "customer", "month",
    "measure", "value", "at", "commit",
)  # fmt: skip


def _csv_rows(report: Report) -> Iterator[dict[str, Any]]:
    def row(section: str, measure: str, value: Any, **where: Any) -> dict[str, Any]:
        return {"section": section, "measure": measure, "value": value, **where}

    yield row("report", "as_of", iso(report.as_of))
    yield row("report", "ref", report.ref)
    yield row("report", "commit", report.commit)
    yield row("report", "incidents", len(report.incidents))
    yield row("report", "excluded_nonproduction", report.excluded_nonproduction)
    yield row("report", "false_alarms", report.false_alarms)
    groups = [("all", "all", report.times)]
    groups += [(s, "all", stats) for s, stats in report.by_severity.items()]
    groups += [("all", m, stats) for m, stats in report.by_month.items()]
    for severity, month, stats in groups:
        for name in TIMES:
            label = TIME_LABELS[name].lower()
            for measure, value in stat_dict(stats[name]).items():
                yield row("time", measure, value, metric=label, severity=severity, month=month)
    for a in report.attainment:
        where = {"metric": a.metric, "severity": a.severity, "customer": a.customer}
        for measure in ("met", "missed", "breached", "running", "rate"):
            yield row("attainment", measure, attainment_dict(a)[measure], **where)
    cadence = report_dict(report)["update_cadence"]
    for measure, value in cadence.items():
        yield row("update_cadence", measure, value, metric="update_every")
    for measure, value in report_dict(report)["detection"].items():
        yield row("detection", measure, value)
    for b in report.breaches:
        where = {"incident": b.incident, "metric": b.metric, "severity": b.severity}
        yield row("breach", "breached_at", iso(b.breached_at), at=iso(b.breached_at), **where)
        for m in b.evidence:
            yield row(
                "breach", m.event, m.evidence.source, at=iso(m.evidence.at),
                commit=m.evidence.commit, **where,
            )  # fmt: skip
    for o in report.overdue_rcas:
        yield row("overdue_rca", "due_at", iso(o.due_at), incident=o.incident, metric=o.metric)
    for x in report.overdue_actions:
        yield row("overdue_action", "due", x.due.isoformat(), incident=x.incident, metric=x.action)


def as_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in _csv_rows(report):
        writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return out.getvalue()


def blocks(report: Report) -> list[Block]:
    """The report as titled tables, for the terminal and Markdown."""
    labels = tuple(TIME_LABELS[n] for n in TIMES)
    heads = ("group", "n", *(f"{label} mean/median/p90" for label in labels))

    def cell(stat: Stat) -> str:
        text = " / ".join(seconds_text(v) for v in (stat.mean, stat.median, stat.p90))
        return f"{text} ({stat.missing} unknown)" if stat.missing else text

    def time_row(group: str, stats: dict[str, Stat]) -> tuple[str, ...]:
        count = max(stats[n].count for n in TIMES)
        return (group, str(count), *(cell(stats[n]) for n in TIMES))

    times = [time_row("all", report.times)]
    times += [time_row(s, st) for s, st in report.by_severity.items()]
    months = [time_row(m, st) for m, st in report.by_month.items()]
    result: list[Block] = [
        ("Time to acknowledge, mitigate, resolve, detect (by severity)", heads, times),
        ("By month of opening (UTC)", heads, months),
        (
            "SLA attainment",
            ("metric", "severity", "customer", "met", "missed", "breached", "running", "rate"),
            [
                (
                    a.metric,
                    a.severity,
                    a.customer,
                    str(a.met),
                    str(a.missed),
                    str(a.breached),
                    str(a.running),
                    percent(a.rate),
                )
                for a in report.attainment
            ],
        ),
    ]
    c, d = report.cadence, report.detection
    result.append(
        (
            "Update cadence and detection",
            ("figure", "value"),
            [
                ("update_every cycles met", f"{c.met} of {c.met + c.missed} ({percent(c.rate)})"),
                ("update_every cycles running", str(c.running)),
                ("detected internally", f"{d.internal} of {d.internal + d.external}"),
                ("internal share (goal > 90%)", percent(d.share)),
                ("non-production incidents excluded", str(report.excluded_nonproduction)),
                (
                    "cancelled as false alarms",
                    f"{report.false_alarms} of {len(report.incidents)}"
                    f" ({percent(report.false_alarm_rate)})",
                ),
            ],
        )
    )
    result.append(
        (
            "Breaches",
            ("incident", "metric", "severity", "state", "breached at", "evidence"),
            [
                (
                    b.incident,
                    b.metric,
                    b.severity,
                    b.state,
                    iso(b.breached_at) or "",
                    "; ".join(
                        f"{m.event} {iso(m.evidence.at)} {(m.evidence.commit or '')[:12]}"
                        for m in b.evidence
                    ),
                )
                for b in report.breaches
            ],
        )
    )
    result.append(
        (
            "Overdue post-mortems, RCAs and follow-up reviews",
            ("incident", "metric", "due at", "RCA status"),
            [
                (o.incident, o.metric, iso(o.due_at) or "-", o.rca_status or "no RCA")
                for o in report.overdue_rcas
            ],
        )
    )
    result.append(
        (
            "Actions past due",
            ("incident", "action", "title", "owner", "due", "days over"),
            [
                (
                    a.incident,
                    a.action,
                    a.title,
                    a.owner or "-",
                    a.due.isoformat(),
                    str(a.days_overdue),
                )
                for a in report.overdue_actions
            ],
        )
    )
    return result


def _header(report: Report) -> str:
    return (
        f"Incident report as of {iso(report.as_of)} on {report.ref} "
        f"({(report.commit or 'no commit')[:12]}): {len(report.incidents)} incident(s)"
    )


def as_table(report: Report) -> str:
    lines = [_header(report)]
    for title, headers, rows in blocks(report):
        lines += ["", title]
        if not rows:
            lines.append("  none")
            continue
        widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
        for r in [headers, *rows]:
            lines.append(
                "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            )
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\n", " ")


def as_markdown(report: Report) -> str:
    lines = [f"# {_md(_header(report))}"]
    for title, headers, rows in blocks(report):
        lines += ["", f"## {title}", ""]
        if not rows:
            lines.append("None.")
            continue
        lines.append("| " + " | ".join(headers) + " |")
        lines.append("|" + "---|" * len(headers))
        lines += ["| " + " | ".join(_md(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


RENDERER_BY_NAME: dict[str, Callable[[Report], str]] = {
    "table": as_table,
    "markdown": as_markdown,
    "json": as_json,
    "csv": as_csv,
}
