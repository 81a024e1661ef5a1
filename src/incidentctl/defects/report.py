"""The outcome of ``defects sync`` as text or JSON."""

from __future__ import annotations

import json
from datetime import datetime

from incidentctl.defects.sync import SyncResult
from incidentctl.model.types import iso


def as_dict(result: SyncResult, as_of: datetime) -> dict[str, object]:
    return {
        "as_of": iso(as_of),
        "items": [
            {
                "incident": o.item.source.incident_id,
                "kind": o.item.source.kind,
                "key": o.item.source.key,
                "file": o.item.source.path,
                "title": o.item.source.title,
                "destination": o.item.destination,
                "labels": list(o.item.labels),
                "due": o.item.due.isoformat() if o.item.due else None,
                "why": o.item.why,
                "outcome": o.action,
                "tracker": o.ref,
                "message": o.message or None,
                "commit": o.commit,
            }
            for o in result.outcomes
        ],
        "pushed": result.pushed,
        "pull_request": result.pull_request,
        "push_error": result.push_error,
    }


def render(result: SyncResult, as_of: datetime, *, fmt: str = "text", dry_run: bool = False) -> str:
    if fmt == "json":
        return json.dumps(as_dict(result, as_of), indent=2)
    lines: list[str] = []
    for o in result.outcomes:
        source = o.item.source
        name = f"{source.incident_id}/{source.key}"
        if source.kind == "action":
            name += " (RCA action)"
        head = f"{name}: {o.action}"
        if o.ref:
            head += f" {o.ref}"
        lines.append(head)
        lines.append(f"  title: {source.title}")
        lines.append(f"  to: {o.item.destination}  labels: {', '.join(o.item.labels) or '-'}")
        if o.item.due or o.item.why:
            due = o.item.due.isoformat() if o.item.due else "none"
            lines.append(f"  due: {due}  ({o.item.why})")
        if o.message:
            lines.append(f"  {'error' if o.action == 'failed' else 'note'}: {o.message}")
        if o.commit:
            lines.append(f"  committed {o.commit[:12]}")
    counts: dict[str, int] = {}
    for o in result.outcomes:
        counts[o.action] = counts.get(o.action, 0) + 1
    summary = ", ".join(f"{n} {a}" for a, n in sorted(counts.items())) or "nothing to do"
    lines.append(("dry run: " if dry_run else "") + summary)
    if result.pushed:
        lines.append(f"pushed {result.pushed[:12]}")
    if result.pull_request:
        lines.append(f"write-backs proposed in {result.pull_request}")
    if result.push_error:
        lines.append(f"push failed: {result.push_error}")
    return "\n".join(lines)
