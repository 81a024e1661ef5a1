"""An incident's story from its history: when it opened, its phases, its customer updates.

Times come from commits (``clock: landed`` or ``authored``), except where SPEC §3
lets a declared time in: ``detection.reported_at`` may start the clock earlier, never
later; an imported record's first version brings its declared milestones (and, for
its RCA, the declared meeting and publication times). Every time carries its
evidence: the commit it came from, or the declared field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from incidentctl.history.model import IncidentState, RcaState, Stamp
from incidentctl.sla.clock import Phase

# Declared milestones, and the status each one means.
MILESTONE_STATUS = (
    ("acknowledged_at", "acknowledged"),
    ("mitigated_at", "mitigated"),
    ("resolved_at", "resolved"),
    ("closed_at", "closed"),
    ("cancelled_at", "cancelled"),
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """Where an instant came from: a commit, or a field declared in a document."""

    at: datetime
    source: Literal["commit", "declared"]
    commit: str | None = None
    author: str | None = None
    field: str | None = None

    @classmethod
    def of(cls, stamp: Stamp, at: datetime) -> Evidence:
        return cls(at, "commit", stamp.sha, stamp.author)

    @classmethod
    def declared(cls, stamp: Stamp, at: datetime, name: str) -> Evidence:
        return cls(at, "declared", stamp.sha, stamp.author, name)


@dataclass(frozen=True, slots=True)
class StoryPhase:
    phase: Phase
    evidence: Evidence


@dataclass
class Story:
    """What happened to one incident, as of some instant, in the policy's clock."""

    id: str
    state: IncidentState
    opened: Evidence
    phases: list[StoryPhase] = field(default_factory=list)
    updates: list[Evidence] = field(default_factory=list)
    meeting: Evidence | None = None
    published: Evidence | None = None
    imported: bool = False
    first_stamp: Stamp | None = None

    @property
    def plain_phases(self) -> list[Phase]:
        return [p.phase for p in self.phases]


def stamp_times(states: Sequence[tuple[Stamp, object]], clock: str) -> list[datetime]:
    """The instant of each version: landing time, or author time kept in order."""
    times: list[datetime] = []
    for stamp, _ in states:
        at = stamp.landed_at if clock == "landed" else stamp.authored_at
        if times and at < times[-1]:
            at = times[-1]  # a change cannot happen before the one it follows
        times.append(at)
    return times


def build_story(
    states: Sequence[tuple[Stamp, IncidentState]],
    rca_states: Sequence[tuple[Stamp, RcaState | None]],
    *,
    clock: str,
    use_declared: bool,
    as_of: datetime,
) -> Story | None:
    """The story of an incident from its (non-deleted) states, or None before it opened."""
    times = stamp_times(states, clock)
    known = [
        (t, stamp, state) for t, (stamp, state) in zip(times, states, strict=True) if t <= as_of
    ]
    if not known:
        return None
    t0, stamp0, first = known[0]
    opened = Evidence.of(stamp0, t0)
    reported = [
        (state.reported_at, stamp)
        for _, stamp, state in known
        if state.reported_at is not None and state.reported_at < t0
    ]
    if reported:
        at, stamp = min(reported, key=lambda pair: pair[0])
        opened = Evidence.declared(stamp, at, "detection.reported_at")
    imported = use_declared and first.status != "open"
    story = Story(first.id, known[-1][2], opened, imported=imported, first_stamp=stamp0)
    story.phases.append(StoryPhase(Phase(opened.at, "open", first.severity), opened))
    if imported:
        _declared_phases(story, first, stamp0, t0)
    if first.status != story.phases[-1].phase.status:
        story.phases.append(
            StoryPhase(Phase(t0, first.status, first.severity), Evidence.of(stamp0, t0))
        )
    for index, update in enumerate(first.customer_updates):
        if imported:
            at = min(max(update.at, opened.at), t0)
            story.updates.append(Evidence.declared(stamp0, at, f"updates[{index}].at"))
        else:
            story.updates.append(Evidence.of(stamp0, t0))
    previous = first
    for t, stamp, state in known[1:]:
        if (state.status, state.severity) != (previous.status, previous.severity):
            story.phases.append(
                StoryPhase(Phase(t, state.status, state.severity), Evidence.of(stamp, t))
            )
        # an update is new if its `at` is: an edit of an existing update's text is not
        seen = Counter(update.at for update in previous.customer_updates)
        for update in state.customer_updates:
            if seen[update.at] > 0:
                seen[update.at] -= 1
            else:
                story.updates.append(Evidence.of(stamp, t))
        previous = state
    _rca_marks(story, rca_states, clock, as_of)
    return story


def _declared_phases(story: Story, first: IncidentState, stamp: Stamp, t0: datetime) -> None:
    """An imported record's milestones, each clamped between the opening and its commit."""
    declared = dict(first.milestones)
    floor = story.opened.at
    for name, status in MILESTONE_STATUS:
        value = declared.get(name)
        if value is None:
            continue
        at = min(max(value, floor), t0)
        floor = at
        story.phases.append(
            StoryPhase(
                Phase(at, status, first.severity),
                Evidence.declared(stamp, at, f"milestones.{name}"),
            )
        )


def _rca_marks(
    story: Story,
    rca_states: Sequence[tuple[Stamp, RcaState | None]],
    clock: str,
    as_of: datetime,
) -> None:
    times = stamp_times(rca_states, clock)
    first = True
    for t, (stamp, state) in zip(times, rca_states, strict=True):
        if t > as_of or stamp.landed_at > as_of:
            break  # not on the branch yet (an authored time may precede the landing)
        if state is None:
            continue
        declared = first and story.imported
        first = False
        if story.meeting is None and state.meeting_at is not None:
            story.meeting = (
                Evidence.declared(stamp, min(state.meeting_at, t), "meeting_at")
                if declared
                # a meeting recorded ahead of time is held when it is, not when scheduled
                else Evidence.declared(stamp, state.meeting_at, "meeting_at")
                if state.meeting_at > t
                else Evidence.of(stamp, t)
            )
        if story.published is None and state.status == "published":
            story.published = (
                Evidence.declared(stamp, min(state.published_at, t), "published_at")
                if declared and state.published_at is not None
                else Evidence.of(stamp, t)
            )
