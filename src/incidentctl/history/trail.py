"""The audit trail of one document: every version, and which fields changed from what to what."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from incidentctl.history.blobs import parse_version
from incidentctl.history.model import Timeline, VersionRef

MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    old: Any
    new: Any


@dataclass
class LogEntry:
    version: VersionRef
    kind: str  # created, changed, moved, deleted, unreadable
    changes: list[Change] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    moved_from: str | None = None


def flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Leaves of a document as (dotted path, value): ``updates[1].text``."""
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from flatten(item, f"{prefix}[{index}]")
    else:
        yield prefix, value


def changes(old: Any, new: Any) -> list[Change]:
    before = dict(flatten(old)) if old is not None else {}
    after = dict(flatten(new)) if new is not None else {}
    result = []
    for path in dict.fromkeys([*before, *after]):
        a, b = before.get(path, MISSING), after.get(path, MISSING)
        if a != b:
            result.append(Change(path, a, b))
    return result


def incident_log(timeline: Timeline, read_blob: Callable[[str], bytes]) -> list[LogEntry]:
    """One entry per commit that touched the incident's file, oldest first."""
    entries: list[LogEntry] = []
    previous: Any = None
    previous_path: str | None = None
    for version in timeline.versions:
        if version.blob is None:
            entries.append(LogEntry(version, "deleted", changes(previous, None)))
            previous, previous_path = None, None
            continue
        doc = parse_version(version.path, read_blob(version.blob))
        data = doc.data if isinstance(doc.data, dict) else None
        if doc.problems and data is None:
            entries.append(
                LogEntry(version, "unreadable", problems=[p.render() for p in doc.problems])
            )
            continue
        kind = "created" if previous is None else "changed"
        entry = LogEntry(version, kind, changes(previous, data), [p.render() for p in doc.problems])
        if previous_path is not None and previous_path != version.path:
            entry.kind = "moved" if not entry.changes else "changed"
            entry.moved_from = previous_path
        entries.append(entry)
        previous, previous_path = data, version.path
    return entries
