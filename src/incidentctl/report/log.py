"""Render an incident's audit trail."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from incidentctl.history.trail import MISSING, LogEntry
from incidentctl.model.types import iso
from incidentctl.when import shown


def _value(value: Any) -> str:
    if value is MISSING:
        return "(none)"
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def text(
    entries: Sequence[LogEntry],
    trailers: dict[str, list[tuple[str, str]]],
    zone: tzinfo | None = None,
) -> str:
    lines: list[str] = []
    for entry in entries:
        stamp = entry.version.stamp
        lines.append(
            f"{stamp.sha[:12]}  {shown(stamp.landed_at, zone)}  {stamp.author}  {entry.kind}  "
            f"{entry.version.path}"
        )
        if entry.moved_from:
            lines.append(f"    moved from {entry.moved_from}")
        for key, value in trailers.get(stamp.sha, []):
            lines.append(f"    {key}: {value}")
        if entry.kind == "created":
            lines.append(f"    created with {len(entry.changes)} field(s)")
        else:
            for change in entry.changes:
                lines.append(f"    {change.path}: {_value(change.old)} -> {_value(change.new)}")
        lines.extend(f"    problem: {p}" for p in entry.problems)
        if stamp.clamped:
            lines.append(
                f"    commit dated {shown(stamp.committer_date, zone)}, earlier than its parent: "
                f"counted at {shown(stamp.landed_at, zone)}"
            )
    return "\n".join(lines)


def as_json(
    entries: Sequence[LogEntry],
    trailers: dict[str, list[tuple[str, str]]],
    zone: tzinfo | None = None,
) -> str:
    def plain(value: Any) -> Any:
        return None if value is MISSING else value

    return json.dumps(
        [
            {
                "commit": e.version.stamp.sha,
                "landed_at": iso(e.version.stamp.landed_at),
                "authored_at": iso(e.version.stamp.authored_at),
                "author": e.version.stamp.author,
                "path": e.version.path,
                "kind": e.kind,
                "moved_from": e.moved_from,
                "trailers": [
                    {"key": k, "value": v} for k, v in trailers.get(e.version.stamp.sha, [])
                ],
                "changes": [
                    {"field": c.path, "from": plain(c.old), "to": plain(c.new)} for c in e.changes
                ],
                "problems": e.problems,
            }
            for e in entries
        ],
        indent=2,
        default=str,
    )
