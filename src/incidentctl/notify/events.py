"""What happened: the events of a range of commits, and the SLA thresholds due now.

Events are read from the replayed history (one per change between two states of an
incident, or of an RCA) and thresholds from the SLA engine's board, through the same
``crossings`` as ``github watch``. Pure: history and board in, events out.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from incidentctl.github.watch import Crossing, crossings, percent
from incidentctl.history.model import History, IncidentState, Stamp
from incidentctl.load.document import parse_document
from incidentctl.model import Incident, SLAPolicy
from incidentctl.model.types import iso
from incidentctl.sla.engine import Board, IncidentResult

PAGE_ACTIONS = {
    "open": "trigger",
    "acknowledged": "acknowledge",
    "mitigated": "acknowledge",
    "waiting": "acknowledge",
    "resolved": "resolve",
    "closed": "resolve",
    "cancelled": "resolve",
}


@dataclass(frozen=True, slots=True)
class Event:
    """One thing to tell people about.

    ``keys`` identify it in the delivery ledger: one key, except for SLA thresholds
    crossed since the last run, which share one message (naming the highest) and keep
    one key each. ``state`` is the incident as the event left it; ``previous`` as it was
    before (None for an opening). ``commit`` is the commit that brought the change (None
    for a threshold, which no commit makes).
    """

    keys: tuple[str, ...]
    type: str
    incident: str
    at: datetime
    state: IncidentState
    previous: IncidentState | None = None
    commit: str | None = None
    text: str = ""  # a customer update's text; a threshold's description
    crossing: Crossing | None = None

    @property
    def key(self) -> str:
        return self.keys[-1]


def range_events(history: History, commits: Collection[str]) -> list[Event]:
    """The events the first-parent ``commits`` brought, oldest first."""
    found: list[Event] = []
    for incident_id, timeline in sorted(history.incidents.items()):
        previous: IncidentState | None = None
        for stamp, state in timeline.states:
            if state is not None and stamp.sha in commits:
                found.extend(_changes(incident_id, stamp, previous, state))
            if state is not None:
                previous = state
    states = {i: _latest(history, i) for i in history.incidents}
    for name, versions in sorted(history.rcas.items()):
        was_published = False
        for stamp, rca in versions:
            published = rca is not None and rca.status == "published"
            if published and not was_published and stamp.sha in commits and rca is not None:
                for incident_id in rca.incidents:
                    state = states.get(incident_id)
                    if state is not None:
                        found.append(
                            Event(
                                (f"{incident_id}/rca-published/{stamp.sha}",),
                                "rca-published",
                                incident_id,
                                stamp.landed_at,
                                state,
                                commit=stamp.sha,
                                text=f"RCA {name}",
                            )
                        )
            was_published = published
    # Stable: the events of one commit keep their order (a status change, then an update).
    return sorted(found, key=lambda e: (e.at, e.incident))


def defect_events(
    history: History, commits: Collection[str], read: Callable[[str], bytes]
) -> list[Event]:
    """A product defect whose tracker reference the commits wrote (``defects sync``
    writes it back when it opens the ticket): one event per defect, read from the
    incident's file as those commits left it (``read`` gives a blob's bytes)."""
    found: list[Event] = []
    for incident_id, timeline in sorted(history.incidents.items()):
        state = _latest(history, incident_id)
        versions = timeline.versions
        if state is None or not any(v.stamp.sha in commits for v in versions):
            continue
        known: dict[str, str] = {}
        for version in versions:
            trackers = _trackers(version.path, version.blob, read)
            if version.stamp.sha in commits:
                for key, (title, tracker) in trackers.items():
                    if known.get(key) != tracker:
                        found.append(
                            Event((f"{incident_id}/defect/{key}",), "defect-ticket",
                                  incident_id, version.stamp.landed_at, state,
                                  commit=version.stamp.sha, text=f"{title}: {tracker}")
                        )  # fmt: skip
            known = {key: tracker for key, (_, tracker) in trackers.items()}
    return found


def _trackers(
    path: str, blob: str | None, read: Callable[[str], bytes]
) -> dict[str, tuple[str, str]]:
    if blob is None:
        return {}
    model = parse_document(path, read(blob)).model
    if not isinstance(model, Incident):
        return {}
    return {d.key: (d.title, d.tracker) for d in model.defects if d.tracker}


def _latest(history: History, incident_id: str) -> IncidentState | None:
    states = [s for _, s in history.incidents[incident_id].states if s is not None]
    return states[-1] if states else None


def _changes(
    incident_id: str, stamp: Stamp, previous: IncidentState | None, state: IncidentState
) -> Iterator[Event]:
    at, sha = stamp.landed_at, stamp.sha
    if previous is None:
        yield Event((f"{incident_id}/opened",), "opened", incident_id, at, state, None, sha)
        # An incident that arrives with updates already written has told its customers.
        return
    if previous.severity != state.severity:
        yield Event(
            (f"{incident_id}/severity/{sha}",),
            "severity-changed",
            incident_id,
            at,
            state,
            previous,
            sha,
        )
    if previous.status != state.status:
        yield Event(
            (f"{incident_id}/status/{sha}",),
            "status-changed",
            incident_id,
            at,
            state,
            previous,
            sha,
        )
    told = {u.at for u in previous.customer_updates}
    for update in state.customer_updates:
        if update.at not in told:
            yield Event(
                (f"{incident_id}/update/{iso(update.at)}",),
                "customer-update",
                incident_id,
                at,
                state,
                previous,
                sha,
                text=update.text,
            )


def threshold_events(
    board: Board, policies: Mapping[str, SLAPolicy], history: History
) -> list[Event]:
    """One event per metric whose current cycle has crossed thresholds; each keeps the key
    of every threshold it crossed (as ``github watch`` names them), lowest first."""
    found = []
    for crossing in crossings(board, policies):
        state = _latest(history, crossing.incident.id)
        if state is None:
            continue
        top = crossing.crossed[-1]
        kind = "sla-breach" if top.breach else "sla-warning"
        text = (
            f"{crossing.metric} breached"
            if top.breach
            else f"{crossing.metric} at {percent(top.at)}% of its target"
        )
        at = (
            crossing.cycle.breached_at if top.breach and crossing.cycle.breached_at else board.as_of
        )
        found.append(
            Event(
                tuple(crossing.key(t) for t in crossing.crossed),
                kind,
                crossing.incident.id,
                at,
                state,
                text=text,
                crossing=crossing,
            )
        )
    return found


def result_of(board: Board, incident_id: str) -> IncidentResult | None:
    return next((r for r in board.incidents if r.id == incident_id), None)
