"""What merging a pull request now would do to the SLAs of the incidents it touches.

Each incident the pull request touches is judged on the base and on the simulated
merge, as of the same instant (``incidentctl.pulldiff`` replays both), so that every
difference is the pull request's doing. Each metric that differs is classified
(``MetricChange.kind``) for the renderers, which word it; this module never formats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from incidentctl.history.blobs import file_stem
from incidentctl.history.model import History
from incidentctl.problems import Problem
from incidentctl.sla.clock import Cycle
from incidentctl.sla.engine import Board, IncidentResult, MetricResult
from incidentctl.sla.landing import Landing

_INCIDENT_ID = re.compile(r"^INC-\d{4}-\d{4,}$")
_RCA_SUFFIXES = (".rca.yaml", ".rca.yml")
RUNNING = frozenset({"running", "at_risk", "paused", "breached"})
STOPPED = frozenset({"met", "missed"})
INACTIVE = frozenset({"pending", "not_applicable"})

Kind = Literal[
    "met",  # the merge stops a running clock in time
    "missed",  # the merge stops a clock after its target
    "started",  # a clock starts (a new incident, a reopen, the next update cycle)
    "breached",  # a running clock is now past its target (a raised severity)
    "breach_stays",  # a breach recorded before stays (a lowered severity)
    "due_moved",  # a running clock's due time moves (a severity change)
    "paused",
    "resumed",
    "not_applicable",  # the incident no longer has this target
    "changed",  # anything else
]


@dataclass(frozen=True)
class MetricChange:
    """One metric whose result differs between the base and the merge.

    ``stopped`` is the cycle the merge stops (with its judgement), ``started`` the
    cycle it starts, when it does either.
    """

    metric: str
    kind: Kind
    before: MetricResult | None
    after: MetricResult | None
    stopped: Cycle | None = None
    started: Cycle | None = None

    @property
    def late(self) -> timedelta | None:
        """How far past its target the stopped cycle was (missed only)."""
        cycle = self.stopped
        if cycle is None or cycle.target is None or cycle.state != "missed":
            return None
        return cycle.elapsed - cycle.target


@dataclass(frozen=True)
class IncidentChange:
    """One incident the pull request touches: its result on the base and after the merge."""

    id: str
    before: IncidentResult | None
    after: IncidentResult | None
    metrics: list[MetricChange] = field(default_factory=list)

    @property
    def change(self) -> Literal["opened", "removed", "changed", "unchanged"]:
        if self.before is None and self.after is not None:
            return "opened"
        if self.after is None and self.before is not None:
            return "removed"
        return "changed" if self.metrics or self.severity or self.status else "unchanged"

    @property
    def severity(self) -> tuple[str, str] | None:
        return _moved(self.before, self.after, "severity")

    @property
    def status(self) -> tuple[str, str] | None:
        return _moved(self.before, self.after, "status")


def _moved(
    before: IncidentResult | None, after: IncidentResult | None, name: str
) -> tuple[str, str] | None:
    if before is None or after is None:
        return None
    old, new = getattr(before, name), getattr(after, name)
    return (old, new) if old != new else None


@dataclass(frozen=True)
class SlaDiff:
    """The SLA consequences of landing a pull request now, and its validation problems."""

    landing: Landing
    as_of: datetime
    before: Board
    after: Board | None  # None when the merge conflicts
    incidents: list[IncidentChange]
    problems: list[Problem]
    validated: int  # how many changed files were validated

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def touched(changed: Sequence[str], before: History, after: History | None) -> list[str]:
    """The incidents whose files (or RCA files) the pull request changes, followed by id.

    A file is named after its incident (``id-file-name``); a file that is not is
    looked up by path in the histories. An RCA brings the incidents it covers.
    """
    histories = [h for h in (before, after) if h is not None]
    ids: set[str] = set()
    unnamed: set[str] = set()
    for path in changed:
        stem = file_stem(path)
        if path.endswith(_RCA_SUFFIXES):
            for history in histories:
                for _, state in history.rcas.get(stem, []):
                    if state is not None:
                        ids.update(state.incidents)
            ids.add(stem)
        elif _INCIDENT_ID.match(stem):
            ids.add(stem)
        else:
            unnamed.add(path)
    if unnamed:
        for history in histories:
            for incident_id, timeline in history.incidents.items():
                if any(v.path in unnamed for v in timeline.versions):
                    ids.add(incident_id)
    known = set().union(*(h.incidents for h in histories))
    return sorted(ids & known)


def compare(ids: Sequence[str], before: Board, after: Board | None) -> list[IncidentChange]:
    """Each incident's change; none when there is no merge to judge (a conflict)."""
    if after is None:
        return []
    old = {i.id: i for i in before.incidents}
    new = {i.id: i for i in after.incidents}
    changes = []
    for incident_id in ids:
        a, b = old.get(incident_id), new.get(incident_id)
        if a is None and b is None:
            continue
        metrics: list[MetricChange] = []
        if a is not None and b is not None:
            before_metrics = {m.metric: m for m in a.metrics}
            for m in b.metrics:
                change = classify(before_metrics.get(m.metric), m)
                if change is not None:
                    metrics.append(change)
        elif b is not None:
            metrics = [c for m in b.metrics if (c := classify(None, m)) is not None]
        changes.append(IncidentChange(incident_id, a, b, metrics))
    return changes


def _same(a: MetricResult, b: MetricResult) -> bool:
    return (
        a.state == b.state
        and a.target == b.target
        and a.elapsed == b.elapsed
        and a.due_at == b.due_at
        and a.breached_at == b.breached_at
        and a.cycles == b.cycles
    )


def classify(before: MetricResult | None, after: MetricResult) -> MetricChange | None:
    """What the merge does to one metric; None when nothing changes."""
    if before is not None and _same(before, after):
        return None
    if before is None and after.state in INACTIVE:
        return None
    old_cycles = {c.started_at: c for c in before.cycles} if before is not None else {}
    stopped = next(
        (
            c
            for c in reversed(after.cycles)
            if c.stopped_at is not None
            and (c.started_at not in old_cycles or old_cycles[c.started_at].stopped_at is None)
        ),
        None,
    )
    started = next(
        (c for c in after.cycles if c.stopped_at is None and c.started_at not in old_cycles),
        None,
    )
    state = before.state if before is not None else "pending"
    kind: Kind
    running = bool(after.cycles) and after.cycles[-1].stopped_at is None
    if state == after.state and state in STOPPED and stopped is None and started is None:
        # The metric's state is the worst of its cycles: a past miss stays a miss. What
        # the merge changes, if anything, is the running cycle's due time.
        if not running or before is None or before.due_at == after.due_at:
            return None
        return MetricChange(after.metric, "due_moved", before, after, stopped, started)
    if stopped is not None and stopped.state in STOPPED:
        kind = "met" if stopped.state == "met" else "missed"
    elif started is not None and after.state in RUNNING:
        kind = "started"
    elif after.state == "not_applicable":
        kind = "not_applicable"
    elif after.state == "paused" and state != "paused":
        kind = "paused"
    elif state == "paused" and after.state in RUNNING:
        kind = "resumed"
    elif after.state == "breached" and state == "breached":
        kind = "breach_stays"
    elif after.state == "breached":
        kind = "breached"
    elif after.state in RUNNING and state in RUNNING and before is not None:
        kind = "due_moved"
    else:
        kind = "changed"
    return MetricChange(after.metric, kind, before, after, stopped, started)
