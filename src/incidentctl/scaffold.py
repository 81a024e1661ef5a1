"""Scaffolding a new incident (``incidentctl new``): the next free id and a valid first file.

Ids are ``INC-YYYY-NNNN``: the year of the moment the incident is recorded (UTC) and
one more than the highest number any file under ``incidents/`` uses for that year, so
gaps are never filled and an id whose file was renamed (``.rca.yaml``, ``.md`` notes)
is not reused. The file is written with an exclusive create: an existing file is never
replaced, not even one that appeared between choosing the id and writing it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString

from incidentctl.edit.roundtrip import dump, timestamp
from incidentctl.fsutil import atomic_write
from incidentctl.load.document import parse_document
from incidentctl.model.types import API_VERSION
from incidentctl.problems import UsageError

INCIDENTS = "incidents"
SCHEMA = Path("schemas") / "incident.json"
_USED_ID = re.compile(r"^INC-(\d{4})-(\d{4,})(?!\d)")


@dataclass(frozen=True, slots=True)
class IncidentFields:
    """What the person opening an incident says about it."""

    title: str
    summary: str
    severity: str
    services: tuple[str, ...]
    source: str
    channel: str
    customer: str | None = None
    environment: str | None = None  # default: production; non-production for NONPROD
    impact_started_at: datetime | None = None
    links: tuple[tuple[str, str], ...] = ()  # (url, title)
    note: str | None = None  # an internal update at the opening: where it came from


@dataclass(frozen=True, slots=True)
class Scaffold:
    """A new document: where it goes and what it holds."""

    path: Path
    text: str


def next_incident_id(root: Path, year: int, used: Iterable[str] = ()) -> str:
    """The next free id of ``year``: 1 + the highest number of that year under incidents/.

    ``used`` adds ids known from elsewhere, such as the audited branch's history, so an
    id whose file was deleted is never handed out again.
    """
    highest = 0
    for name in used:
        match = _USED_ID.match(name)
        if match and int(match.group(1)) == year:
            highest = max(highest, int(match.group(2)))
    for _folder, dirnames, filenames in os.walk(root / INCIDENTS):
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in (*dirnames, *filenames):
            match = _USED_ID.match(name)
            if match and int(match.group(1)) == year:
                highest = max(highest, int(match.group(2)))
    return f"INC-{year:04d}-{highest + 1:04d}"


def scaffold_incident(
    root: Path, fields: IncidentFields, now: datetime, used: Iterable[str] = ()
) -> Scaffold:
    """The first version of the next incident, opened at ``now``; ``UsageError`` if invalid."""
    year = now.astimezone(UTC).year
    incident_id = next_incident_id(root, year, used)
    path = root / INCIDENTS / str(year) / f"{incident_id}.yaml"
    environment = fields.environment or (
        "non-production" if fields.severity == "NONPROD" else "production"
    )
    document = CommentedMap()
    document["apiVersion"] = API_VERSION
    document["kind"] = "Incident"
    document["id"] = incident_id
    document["title"] = fields.title.strip()
    summary = fields.summary.strip()
    # Several lines are kept as they were typed, in a block.
    document["summary"] = LiteralScalarString(summary + "\n") if "\n" in summary else summary
    document["severity"] = fields.severity
    document["status"] = "open"
    document["environment"] = environment
    if fields.customer and fields.customer.strip():
        document["customer"] = fields.customer.strip()
    document["services"] = CommentedSeq(s.strip() for s in fields.services)
    detection = CommentedMap()
    detection["source"] = fields.source
    detection["channel"] = fields.channel
    if fields.impact_started_at is not None and fields.impact_started_at <= now:
        detection["impact_started_at"] = timestamp(fields.impact_started_at)
    detection["reported_at"] = timestamp(now)
    document["detection"] = detection
    if fields.note:
        entry = CommentedMap()
        entry["at"] = timestamp(now)
        entry["audience"] = "internal"
        entry["text"] = fields.note
        document["updates"] = CommentedSeq([entry])
    if fields.links:
        links = CommentedSeq()
        for url, title in fields.links:
            link = CommentedMap()
            link["url"] = url
            link["title"] = title
            links.append(link)
        document["links"] = links
    return Scaffold(path, checked_text(root, path, SCHEMA, dump(document), "incident"))


def checked_text(root: Path, path: Path, schema: Path, body: str, what: str) -> str:
    """A new document's text, headed by its schema comment; ``UsageError`` if invalid."""
    relative = Path(os.path.relpath(root / schema, path.parent)).as_posix()
    text = f"# yaml-language-server: $schema={relative}\n{body}"
    display = path.relative_to(root).as_posix()
    problems = parse_document(display, text.encode("utf-8")).problems
    if problems:
        raise UsageError(
            f"the {what} would not be valid, nothing was written: "
            + "; ".join(p.message for p in problems)
        )
    return text


def create_file(root: Path, path: Path, text: str, when_it_exists: str) -> None:
    """Create the file; ``UsageError`` if it exists (never overwritten) or cannot be written."""
    try:
        atomic_write(path, text, exclusive=True)
    except FileExistsError:
        raise UsageError(
            f"{path.relative_to(root).as_posix()} already exists and was left as it is: "
            f"{when_it_exists}"
        ) from None
    except OSError as error:
        raise UsageError(
            f"{path.relative_to(root).as_posix()}: cannot write it, so nothing was created: "
            f"{error.strerror or error}"
        ) from None


def write_scaffold(root: Path, scaffold: Scaffold) -> None:
    """Create the incident's file; ``UsageError`` if it exists, which is never overwritten."""
    create_file(
        root, scaffold.path, scaffold.text, "run the command again to take the next free id"
    )
