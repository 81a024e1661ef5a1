"""The Incident document (SPEC §2)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from incidentctl.model.base import Document, Strict
from incidentctl.model.types import (
    Handle,
    Line,
    OneLine,
    Severity,
    Status,
    Summary,
    TicketTitle,
    Timestamp,
)

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
IncidentId = Annotated[str, StringConstraints(pattern=r"^INC-\d{4}-\d{4,}$")]

DetectionSource = Literal["monitoring", "synthetic", "internal", "customer", "third-party"]
INTERNAL_SOURCES: frozenset[str] = frozenset({"monitoring", "synthetic", "internal"})


class Detection(Strict):
    source: DetectionSource
    channel: Literal["hotline", "portal", "email", "monitoring", "chat", "other"]
    impact_started_at: Timestamp | None = None
    reported_at: Timestamp | None = None


class Roles(Strict):
    commander: Handle | None = None
    communications: Handle | None = None


class Update(Strict):
    at: Timestamp
    audience: Literal["customer", "internal"]
    text: Text


TrackerRef = Annotated[
    str, StringConstraints(pattern=r"^(github:[\w.-]+/[\w.-]+#\d+|jira:[A-Z][A-Z0-9_]*-\d+)$")
]


class Defect(Strict):
    key: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]*$")]
    title: TicketTitle
    service: Line
    fix: Literal["hotfix", "next-release"] | None = None
    tracker: TrackerRef | None = None
    # The release that fixed it, as its ticket says (written back by defects sync).
    fixed_in: Line | None = None


class Resolution(Strict):
    kind: Literal["fixed", "workaround", "duplicate", "false-alarm"]
    summary: Text
    duplicate_of: IncidentId | None = None


class Milestones(Strict):
    acknowledged_at: Timestamp | None = None
    mitigated_at: Timestamp | None = None
    resolved_at: Timestamp | None = None
    closed_at: Timestamp | None = None
    # An imported duplicate or false alarm says when it was cancelled.
    cancelled_at: Timestamp | None = None


class Link(Strict):
    url: Text
    title: OneLine | None = None


class Incident(Document):
    kind: Literal["Incident"]
    id: IncidentId
    title: Line
    summary: Summary
    severity: Severity
    status: Status
    environment: Literal["production", "non-production"]
    customer: Line | None = None
    services: Annotated[list[Line], Field(min_length=1)]
    detection: Detection
    roles: Roles = Roles()
    assignees: list[Handle] = Field(default=[])
    workaround: Text | None = None
    updates: list[Update] = Field(default=[])
    defects: list[Defect] = Field(default=[])
    resolution: Resolution | None = None
    milestones: Milestones | None = None
    links: list[Text | Link] = Field(default=[])
    labels: list[Line] = Field(default=[])


# SPEC §2: the legal status moves; anything else is refused against the previous version.
LEGAL_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "mitigated", "waiting", "resolved", "cancelled"}),
    "acknowledged": frozenset({"mitigated", "waiting", "resolved", "cancelled"}),
    "mitigated": frozenset({"acknowledged", "waiting", "resolved"}),
    "waiting": frozenset({"acknowledged", "mitigated", "resolved"}),
    "resolved": frozenset({"closed", "open"}),
    "closed": frozenset(),
    "cancelled": frozenset(),
}
FINAL_STATUSES = frozenset({"closed", "cancelled"})


def is_legal_move(old: str, new: str) -> bool:
    return old == new or new in LEGAL_MOVES.get(old, frozenset())
