"""What the history replay produces: stamped, compact states of each document over time.

The replay keeps, per document, only the versions whose state differs from the one
before, and only the fields the SLA engine, ``log`` and ``audit`` need, so that a
cached replay is small and loads fast. Full documents are re-read from their blobs
when a command needs every field (``incidentctl log``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from incidentctl.model import RCA, Calendar, DefectPolicy, Incident, SLAPolicy


@dataclass(frozen=True, slots=True)
class Stamp:
    """When and by whom a version reached the audited branch.

    ``landed_at`` is the committer date of the first-parent commit that brought the
    change to the branch (for a merged pull request, the merge), clamped so that it is
    never earlier than its first parent's; ``authored_at`` is the author date of the
    commit that made the change (for a merge, the side commit that produced the blob).
    """

    seq: int  # position in the first-parent history, 0 for the root commit
    sha: str
    landed_at: datetime
    authored_at: datetime
    author: str
    committer_date: datetime
    clamped: bool = False


@dataclass(frozen=True, slots=True)
class CustomerUpdate:
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class IncidentState:
    """The fields of an incident that events are made of."""

    id: str
    title: str
    status: str
    severity: str
    environment: str
    customer: str | None
    services: tuple[str, ...]
    detection_source: str
    reported_at: datetime | None
    impact_started_at: datetime | None
    commander: str | None
    milestones: tuple[tuple[str, datetime], ...]
    customer_updates: tuple[CustomerUpdate, ...]
    defect_keys: tuple[str, ...]

    @classmethod
    def of(cls, incident: Incident) -> IncidentState:
        milestones = incident.milestones
        return cls(
            id=incident.id,
            title=incident.title,
            status=incident.status,
            severity=incident.severity,
            environment=incident.environment,
            customer=incident.customer,
            services=tuple(incident.services),
            detection_source=incident.detection.source,
            reported_at=incident.detection.reported_at,
            impact_started_at=incident.detection.impact_started_at,
            commander=incident.roles.commander,
            milestones=tuple(
                (name, value)
                for name, value in (milestones.model_dump().items() if milestones else ())
                if value is not None
            ),
            customer_updates=tuple(
                CustomerUpdate(u.at, u.text) for u in incident.updates if u.audience == "customer"
            ),
            defect_keys=tuple(d.key for d in incident.defects),
        )


@dataclass(frozen=True, slots=True)
class RcaState:
    incidents: tuple[str, ...]
    status: str
    meeting_at: datetime | None
    published_at: datetime | None = None

    @classmethod
    def of(cls, rca: RCA) -> RcaState:
        return cls(tuple(rca.incident_ids), rca.status, rca.meeting_at, rca.published_at)


@dataclass(frozen=True, slots=True)
class VersionRef:
    """One version of a document file: where it was and which blob it had (None: deleted)."""

    stamp: Stamp
    path: str
    blob: str | None


@dataclass
class Timeline:
    """The versions of one incident, and its states where they changed.

    ``states`` pairs each stamp with the state from then on; a ``None`` state means the
    file was deleted or did not parse at that version (see ``problems``).
    """

    id: str
    versions: list[VersionRef] = field(default_factory=list)
    states: list[tuple[Stamp, IncidentState | None]] = field(default_factory=list)
    problems: list[tuple[Stamp, str]] = field(default_factory=list)


PolicyModel = SLAPolicy | Calendar | DefectPolicy


@dataclass
class History:
    """The replayed first-parent history of the audited branch.

    ``policies`` holds every version of every SLAPolicy, Calendar and DefectPolicy,
    keyed by (kind, name); a ``None`` model means the policy was removed then.
    """

    ref: str
    head: str | None
    commit_count: int = 0
    clamped: list[Stamp] = field(default_factory=list)
    incidents: dict[str, Timeline] = field(default_factory=dict)
    rcas: dict[str, list[tuple[Stamp, RcaState | None]]] = field(default_factory=dict)
    policies: dict[tuple[str, str], list[tuple[Stamp, PolicyModel | None]]] = field(
        default_factory=dict
    )

    def policies_at(self, seq: int) -> tuple[list[SLAPolicy], dict[str, Calendar]]:
        """The SLA policies and calendars as they stood after the commit at ``seq``."""
        policies: list[SLAPolicy] = []
        calendars: dict[str, Calendar] = {}
        for (kind, name), versions in self.policies.items():
            current: PolicyModel | None = None
            for stamp, model in versions:
                if stamp.seq > seq:
                    break
                current = model
            if kind == "SLAPolicy" and isinstance(current, SLAPolicy):
                policies.append(current)
            elif kind == "Calendar" and isinstance(current, Calendar):
                calendars[name] = current
        return policies, calendars
