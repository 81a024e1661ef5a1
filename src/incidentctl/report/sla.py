"""Render an SLA board: JSON exactly as SPEC §5, a table for terminals, Markdown for PRs."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any

from incidentctl.model.types import format_span, iso
from incidentctl.sla.engine import Board, IncidentResult, MetricResult
from incidentctl.when import shown

STATE_COLOURS = {
    "breached": "red",
    "missed": "red",
    "at_risk": "yellow",
    "paused": "blue",
    "running": "cyan",
    "met": "green",
    "pending": None,
    "not_applicable": None,
}


def seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def metric_json(m: MetricResult) -> dict[str, Any]:
    return {
        "metric": m.metric,
        "state": m.state,
        # the seconds below are business seconds unless the calendar is 24x7
        "calendar": m.calendar,
        "business_time": m.business,
        "target_seconds": seconds(m.target),
        "elapsed_seconds": seconds(m.elapsed),
        "remaining_seconds": seconds(m.remaining),
        "due_at": iso(m.due_at),
        "breached_at": iso(m.breached_at),
        "cycles": [
            {
                "started_at": iso(c.started_at),
                "stopped_at": iso(c.stopped_at),
                "elapsed_seconds": seconds(c.elapsed),
                "target_seconds": seconds(c.target),
                "state": c.state,
                "breached_at": iso(c.breached_at),
                "severity": c.severity,
                "calendar": c.calendar,
            }
            for c in m.cycles
        ],
        "evidence": [
            {
                "event": mark.event,
                "at": iso(mark.evidence.at),
                "commit": mark.evidence.commit,
                "author": mark.evidence.author,
                "source": mark.evidence.source,
                **({"field": mark.evidence.field} if mark.evidence.field else {}),
                **({"detail": mark.detail} if mark.detail else {}),
            }
            for mark in m.evidence
        ],
    }


def incident_dict(i: IncidentResult) -> dict[str, Any]:
    return {
        "id": i.id,
        "title": i.title,
        "severity": i.severity,
        "status": i.status,
        "customer": i.customer,
        "policy": i.policy,
        "opened_at": iso(i.opened_at),
        **({"note": i.note} if i.note else {}),
        "metrics": [metric_json(m) for m in i.metrics],
    }


def board_dict(board: Board) -> dict[str, Any]:
    """The board as SPEC §5's JSON."""
    return {
        "as_of": iso(board.as_of),
        "ref": board.ref,
        "commit": board.commit,
        "incidents": [incident_dict(i) for i in board.incidents],
    }


def as_json(board: Board, color: bool = False, zone: tzinfo | None = None) -> str:
    # Compact: json.dumps with indent falls back to the pure-Python encoder, ~10x slower.
    return json.dumps(board_dict(board), separators=(",", ":"))


def _progress(m: MetricResult) -> str:
    if m.target is None:
        return ""
    elapsed, target = m.elapsed.total_seconds(), m.target.total_seconds()
    return f"{format_span(elapsed, m.business, label=False)} of {format_span(target, m.business)}"


def _remaining(m: MetricResult) -> str:
    if m.remaining is None or m.state in ("met", "missed", "pending"):
        return ""
    left = m.remaining.total_seconds()
    if left >= 0:
        return f"{format_span(left, m.business)} left"
    return f"{format_span(-left, m.business)} over"


def state_text(m: MetricResult) -> str:
    """The metric's state, and for a recurring one how many of its cycles share it: the
    row stands for one cycle (the worst), the count tells of the others."""
    if len(m.cycles) < 2:
        return m.state
    alike = sum(1 for c in m.cycles if c.state == m.state)
    return f"{m.state} ({alike} of {len(m.cycles)} cycles)"


def _due(m: MetricResult, as_of: datetime, zone: tzinfo | None) -> str:
    if m.state in ("missed",) and m.breached_at is not None:
        return f"breached {shown(m.breached_at, zone, as_of)}"
    if m.due_at is None or m.state in ("met", "pending"):
        return ""
    return f"due {shown(m.due_at, zone, as_of)}"


def rows(board: Board) -> list[tuple[IncidentResult, MetricResult | None]]:
    """One row per incident and applicable metric; one row for an incident with none."""
    result: list[tuple[IncidentResult, MetricResult | None]] = []
    for incident in board.incidents:
        shown = [m for m in incident.metrics if m.state != "not_applicable"]
        if not shown:
            result.append((incident, None))
        result.extend((incident, m) for m in shown)
    return result


def table(board: Board, color: bool = False, zone: tzinfo | None = None) -> str:
    import click

    header = (
        "INCIDENT",
        "SEV",
        "STATUS",
        "POLICY",
        "METRIC",
        "STATE",
        "ELAPSED",
        "REMAINING",
        "DUE",
    )
    lines: list[tuple[str, ...]] = [header]
    for incident, m in rows(board):
        base = (incident.id, incident.severity, incident.status, incident.policy or "-")
        if m is None:
            lines.append((*base, "-", "n/a", incident.note or "no targets", "", ""))
        else:
            lines.append(
                (
                    *base,
                    m.metric,
                    state_text(m),
                    _progress(m),
                    _remaining(m),
                    _due(m, board.as_of, zone),
                )
            )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for number, line in enumerate(lines):
        cells = [cell.ljust(width) for cell, width in zip(line, widths, strict=True)]
        if color and number:
            state = line[5].split(" ", 1)[0]
            colour = STATE_COLOURS.get(state)
            if colour:
                cells[5] = click.style(cells[5], fg=colour, bold=state == "breached")
        out.append("  ".join(cells).rstrip())
    out.append("")
    out.append(
        f"as of {shown(board.as_of, zone)} on {board.ref}"
        + (f" at {board.commit[:12]}" if board.commit else "")
        + f": {len(board.incidents)} incident(s)"
    )
    return "\n".join(out)


STATE_ICONS = {
    "breached": "🔴",
    "missed": "🔴",
    "at_risk": "🟠",
    "paused": "⏸️",
    "running": "🔵",
    "met": "🟢",
    "pending": "⚪",
    "not_applicable": "⚪",
}


def markdown(board: Board, color: bool = False, zone: tzinfo | None = None) -> str:
    lines = [
        "| Incident | Severity | Status | Metric | State | Elapsed | Remaining | Due |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for incident, m in rows(board):
        if m is None:
            lines.append(
                f"| {incident.id} | {incident.severity} | {incident.status} | - | "
                f"n/a | {incident.note or 'no targets'} | | |"
            )
            continue
        lines.append(
            f"| {incident.id} | {incident.severity} | {incident.status} | {m.metric} | "
            f"{STATE_ICONS[m.state]} {state_text(m)} | {_progress(m)} | {_remaining(m)} | "
            f"{_due(m, board.as_of, zone)} |"
        )
    lines.append("")
    lines.append(
        f"_As of {shown(board.as_of, zone)} on `{board.ref}`"
        + (f" at `{board.commit[:12]}`" if board.commit else "")
        + "._"
    )
    return "\n".join(lines)


RENDERER_BY_NAME: dict[str, Callable[..., str]] = {
    "table": table,
    "json": as_json,
    "markdown": markdown,
}
