"""``incidentctl rca new``: an RCA draft prefilled from the incident and its history.

The RCA model has no timeline, so the timeline goes in as YAML comments above the
summary: the author reads it while writing, ``fmt`` keeps it, and ``rca render`` takes
the timeline from the history anyway (where it cannot be edited by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from incidentctl.edit.roundtrip import dump
from incidentctl.history.model import History
from incidentctl.model import Incident
from incidentctl.model.types import API_VERSION, format_duration, iso
from incidentctl.problems import UsageError
from incidentctl.rca.files import find_file, read_document
from incidentctl.report import wording
from incidentctl.report.metrics import Event, incident_figures
from incidentctl.scaffold import checked_text, create_file

SCHEMA = Path("schemas") / "rca.json"
FOLLOW_UP = timedelta(weeks=3)  # SPEC: follow up 2-4 weeks after


@dataclass(frozen=True, slots=True)
class RcaScaffold:
    path: Path
    text: str


def timeline_comment(events: list[Event], ref: str) -> str:
    lines = [f"Timeline from the history of {ref} (UTC; commit, author):"]
    for e in events:
        lines.append(f"  {iso(e.at)}  {e.what}  ({e.commit[:12]}, {e.author})")
    return "".join(f"# {line}".rstrip() + "\n" for line in lines)


def scaffold_rca(root: Path, history: History, incident_id: str, as_of: datetime) -> RcaScaffold:
    """The draft RCA next to the incident's file; ``UsageError`` if it would not be valid."""
    incident_path = find_file(root, incident_id, rca=False)
    if incident_path is None:
        raise UsageError(
            f"no incident file {incident_id}.yaml under incidents/: check the id "
            "(incidentctl sla lists the incidents)"
        )
    incident = read_document(root, incident_path, "Incident").model
    assert isinstance(incident, Incident)  # read_document checked the kind
    path = incident_path.with_name(f"{incident_id}.rca.yaml")
    figures = incident_figures(history, incident_id, as_of)
    resolved_at = None
    if figures is not None and figures.times["resolve"] is not None:
        resolved_at = figures.opened_at + timedelta(seconds=figures.times["resolve"])
    doc = CommentedMap()
    doc["apiVersion"] = API_VERSION
    doc["kind"] = "RCA"
    doc["incident"] = incident_id
    doc["status"] = "draft"
    if incident.roles.commander:
        doc["owner"] = incident.roles.commander
    doc["summary"] = incident.summary
    impact = CommentedMap()
    impact["description"] = incident.title
    impact["customers"] = 1 if incident.customer else None
    impact["transactions"] = None
    impact["money"] = None
    start = incident.detection.impact_started_at or (figures.opened_at if figures else None)
    if start is not None and resolved_at is not None:
        took = format_duration((resolved_at - start).total_seconds())
        impact["duration"] = f"{took}, from {iso(start)} to {iso(resolved_at)}"
    elif start is not None:
        impact["duration"] = f"Since {iso(start)}; not resolved as of {iso(as_of)}"
    else:
        impact["duration"] = None
    doc["impact"] = impact
    doc["trigger"] = ""
    doc["root_causes"] = CommentedSeq()
    detection = CommentedMap()
    found = incident.detection
    detection["how"] = wording.detection(
        found.source,
        found.channel,
        incident.customer,
        found.reported_at or (figures.opened_at if figures else None),
        found.impact_started_at,
    )
    detection["why_not_earlier"] = ""
    doc["detection"] = detection
    doc["resolution"] = incident.resolution.summary if incident.resolution else ""
    actions = CommentedSeq()
    for defect in incident.defects:
        action = CommentedMap()
        action["id"] = defect.key
        action["title"] = f"Fix: {defect.title} ({defect.service})"
        action["type"] = "fix"
        action["status"] = "open"
        if defect.tracker:
            action["tracker"] = defect.tracker
        actions.append(action)
    doc["actions"] = actions
    if resolved_at is not None:
        doc["follow_up_at"] = (resolved_at.astimezone(UTC) + FOLLOW_UP).date().isoformat()
    body = dump(doc)
    if figures is not None and figures.events:
        timeline = timeline_comment(figures.events, history.ref)
        body = body.replace("\nsummary:", f"\n{timeline}summary:", 1)
    return RcaScaffold(path, checked_text(root, path, SCHEMA, body, "RCA"))


def write_rca(root: Path, scaffold: RcaScaffold) -> None:
    create_file(root, scaffold.path, scaffold.text, "edit it, or delete it first to start again")
