"""The defects and RCA actions of the work tree, with what history says about them.

Documents come from the work tree, which is what the write-back edits (in CI, the
checkout of the audited branch); times and severities come from the replayed history
of the audited branch. A defect that is not on that branch yet has no recording time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from incidentctl.defects.plan import Recorded, Source
from incidentctl.history.blobs import parse_version
from incidentctl.history.model import History, Stamp, Timeline
from incidentctl.load.repository import Workspace
from incidentctl.model import RCA, Incident
from incidentctl.model.incident import FINAL_STATUSES

ReadBlob = Callable[[str], bytes]
ACTION_TYPES = frozenset({"fix", "prevent"})


def _had_workaround(timeline: Timeline, stamp: Stamp, read_blob: ReadBlob) -> bool:
    """Whether the incident's file held a workaround as of ``stamp``."""
    current = None
    for version in timeline.versions:
        if version.stamp.seq > stamp.seq:
            break
        current = version
    if current is None or current.blob is None:
        return False
    data: Any = parse_version(current.path, read_blob(current.blob)).data
    return isinstance(data, dict) and bool(data.get("workaround"))


def recorded(timeline: Timeline, key: str, read_blob: ReadBlob) -> Recorded | None:
    """When the defect ``key`` first landed, and the latest severity change after it."""
    first: tuple[Stamp, str] | None = None
    previous: str | None = None
    change: tuple[Stamp, str] | None = None
    for stamp, state in timeline.states:
        if state is None:
            continue
        if first is None:
            if key in state.defect_keys:
                first = (stamp, state.severity)
        elif state.severity != previous:
            change = (stamp, state.severity)
        previous = state.severity
    if first is None:
        return None
    stamp, severity = first
    result = Recorded(stamp.landed_at, severity, _had_workaround(timeline, stamp, read_blob))
    if change is not None and change[1] != severity:
        when, to = change
        return Recorded(
            result.at, severity, result.workaround, when.landed_at, to,
            _had_workaround(timeline, when, read_blob),
        )  # fmt: skip
    return result


def sources(workspace: Workspace, history: History, read_blob: ReadBlob) -> Iterator[Source]:
    """Every defect of every incident, then every open fix/prevent action without a tracker
    and every action with one."""
    incidents: dict[str, Incident] = {}
    for doc, incident in sorted(workspace.models(Incident), key=lambda d: d[1].id):
        incidents[incident.id] = incident
        timeline = history.incidents.get(incident.id)
        for index, defect in enumerate(incident.defects):
            yield Source(
                kind="defect",
                incident_id=incident.id,
                key=defect.key,
                title=defect.title,
                service=defect.service,
                path=doc.path,
                index=index,
                tracker=defect.tracker,
                fix=defect.fix,
                recorded=recorded(timeline, defect.key, read_blob) if timeline else None,
                final=incident.status in FINAL_STATUSES,
                fixed_in=defect.fixed_in,
            )
    for doc, rca in sorted(workspace.models(RCA), key=lambda d: d[0].path):
        incident_id = rca.incident_ids[0]
        owner = incidents.get(incident_id)
        for index, action in enumerate(rca.actions):
            tracked = action.tracker is not None  # its ticket's state is read back
            if not tracked and (action.status != "open" or action.type not in ACTION_TYPES):
                continue
            yield Source(
                kind="action",
                incident_id=incident_id,
                key=action.id,
                title=action.title,
                service=owner.services[0] if owner else None,
                path=doc.path,
                index=index,
                tracker=action.tracker,
                due=action.due,
                status=action.status,
            )
