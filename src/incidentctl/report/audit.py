"""Render an audit: aligned text lines for people, one JSON object for machines."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from incidentctl.audit.findings import AuditReport, Finding
from incidentctl.model.types import iso

LEVEL_COLOURS = {"error": "red", "warning": "yellow", "info": "cyan"}
_SHOWN = 3  # documents and commits named per text line; JSON has them all


def _listed(items: Sequence[str], width: int | None = None) -> str:
    shown = [item[:width] if width else item for item in items[:_SHOWN]]
    more = f" +{len(items) - _SHOWN}" if len(items) > _SHOWN else ""
    return ",".join(shown) + more if items else "-"


def text(report: AuditReport, color: bool = False) -> str:
    import click

    rows = [
        (f.level, f.code, _listed(f.documents), _listed(f.commits, 12), f.message)
        for f in report.findings
    ]
    widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
    lines = []
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=True)]
        if color:
            cells[0] = click.style(cells[0], fg=LEVEL_COLOURS[row[0]], bold=row[0] == "error")
        lines.append("  ".join([*cells, row[4]]))
    if lines:
        lines.append("")
    where = f"{report.ref}" + (f" at {report.head[:12]}" if report.head else " (no commits)")
    counts = (
        f"{report.count('error')} error(s), {report.count('warning')} warning(s), "
        f"{report.count('info')} info"
    )
    lines.append(
        f"audit of {where}, {report.commit_count} commit(s), as of {iso(report.as_of)}: {counts}"
    )
    if report.checkpoint_written:
        lines.append(f"checkpoint recorded in {report.checkpoint_written}")
    return "\n".join(lines)


def finding_dict(finding: Finding) -> dict[str, Any]:
    return {
        "level": finding.level,
        "code": finding.code,
        "documents": list(finding.documents),
        "commits": list(finding.commits),
        "message": finding.message,
        "details": dict(finding.details),
    }


def as_json(report: AuditReport, color: bool = False) -> str:
    options = report.options
    return json.dumps(
        {
            "ref": report.ref,
            "commit": report.head,
            "as_of": iso(report.as_of),
            "commits_checked": report.commit_count,
            "options": {
                "require_signed": options.require_signed,
                "require_merges": options.require_merges,
                "max_declared_gap_seconds": int(options.max_declared_gap.total_seconds()),
            },
            "summary": {level: report.count(level) for level in ("error", "warning", "info")},
            "findings": [finding_dict(f) for f in report.findings],
            "checkpoint_written": report.checkpoint_written,
        },
        indent=2,
    )


RENDERER_BY_NAME: dict[str, Callable[[AuditReport, bool], str]] = {
    "text": text,
    "json": as_json,
}
