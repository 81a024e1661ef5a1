"""An incident's story from its history: when it opened, its phases, its customer updates.

Times come from commits (``clock: landed`` or ``authored``), except where SPEC §3
lets a declared time in: ``detection.reported_at`` may start the clock earlier, never
later; an imported record's first version brings its declared milestones (and, for
its RCA, the declared meeting, publication and follow-up times). Every time carries its
evidence: the commit it came from, or the declared field.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from incidentctl.history.model import IncidentState, RcaState, Stamp
from incidentctl.sla.clock import DELETED, Phase

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
    follow_up: Evidence | None = None
    imported: bool = False
    first_stamp: Stamp | None = None
    deleted: bool = False  # the file is deleted as of the story's instant

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


PolicyOf = Callable[[IncidentState], str | None]


def _any_policy(state: IncidentState) -> str | None:
    return ""


def build_story(
    states: Sequence[tuple[Stamp, IncidentState | None]],
    rca_states: Sequence[tuple[Stamp, RcaState | None]],
    *,
    clock: str,
    use_declared: bool,
    as_of: datetime,
    policy_of: PolicyOf = _any_policy,
) -> Story | None:
    """The story of an incident from all its versions (None: deleted), or None before it opened.

    An incident is its id: a deletion is a phase (status ``deleted``, clocks frozen),
    and a restore continues the same story. ``policy_of`` names the SLA policy in force
    for a version (None: none applies); a change of it is a phase like a change of
    status or severity.
    """
    times = stamp_times(states, clock)
    known = [
        (t, stamp, state) for t, (stamp, state) in zip(times, states, strict=True) if t <= as_of
    ]
    while known and known[0][2] is None:
        known.pop(0)  # a deletion before the first version: nothing to tell
    if not known:
        return None
    t0, stamp0, first = known[0]
    assert first is not None
    opened = Evidence.of(stamp0, t0)
    reported = [
        (state.reported_at, stamp)
        for _, stamp, state in known
        if state is not None and state.reported_at is not None and state.reported_at < t0
    ]
    if reported:
        at, stamp = min(reported, key=lambda pair: pair[0])
        opened = Evidence.declared(stamp, at, "detection.reported_at")
    imported = use_declared and first.imported
    last_state = next(state for _, _, state in reversed(known) if state is not None)
    story = Story(first.id, last_state, opened, imported=imported, first_stamp=stamp0)
    story.deleted = known[-1][2] is None
    policy = policy_of(first)
    story.phases.append(StoryPhase(Phase(opened.at, "open", first.severity, policy), opened))
    if imported:
        _declared_phases(story, first, stamp0, t0, policy)
    if first.status != story.phases[-1].phase.status:
        story.phases.append(
            StoryPhase(Phase(t0, first.status, first.severity, policy), Evidence.of(stamp0, t0))
        )
    for index, update in enumerate(first.customer_updates):
        if imported:
            at = min(max(update.at, opened.at), t0)
            story.updates.append(Evidence.declared(stamp0, at, f"updates[{index}].at"))
        else:
            story.updates.append(Evidence.of(stamp0, t0))
    previous = first
    for t, stamp, state in known[1:]:
        last = story.phases[-1].phase
        if state is None:
            if last.status != DELETED:
                story.phases.append(
                    StoryPhase(Phase(t, DELETED, last.severity, last.policy), Evidence.of(stamp, t))
                )
            continue
        policy = policy_of(state)
        if (state.status, state.severity, policy) != (last.status, last.severity, last.policy):
            story.phases.append(
                StoryPhase(Phase(t, state.status, state.severity, policy), Evidence.of(stamp, t))
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


def _declared_phases(
    story: Story, first: IncidentState, stamp: Stamp, t0: datetime, policy: str | None
) -> None:
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
                Phase(at, status, first.severity, policy),
                Evidence.declared(stamp, at, f"milestones.{name}"),
            )
        )


def _rca_marks(
    story: Story,
    rca_states: Sequence[tuple[Stamp, RcaState | None]],
    clock: str,
    as_of: datetime,
) -> None:
    """When the post-mortem meeting and the follow-up review were held and the report
    published, as of ``as_of``.

    A meeting counts when held: a ``meeting_at`` recorded after the fact stops the
    clock at its commit; one recorded ahead of time stops it at ``meeting_at`` only once
    that instant has passed and the RCA in force then still names it. The follow-up
    review's ``follow_up.held_at`` counts the same way. An imported record's first RCA
    version brings its past meeting, publication and follow-up as declared.
    """
    times = stamp_times(rca_states, clock)
    known = [
        (t, stamp, state)
        for t, (stamp, state) in zip(times, rca_states, strict=True)
        if t <= as_of and stamp.landed_at <= as_of  # an authored time may precede the landing
    ]
    for index, (t, stamp, state) in enumerate(known):
        if state is None:
            continue
        declared = index == 0 and story.imported
        if story.published is None and state.status == "published":
            story.published = (
                Evidence.declared(stamp, min(state.published_at, t), "published_at")
                if declared and state.published_at is not None
                else Evidence.of(stamp, t)
            )
    story.meeting = _held(known, story.imported, as_of, "meeting_at", "meeting_at")
    story.follow_up = _held(known, story.imported, as_of, "follow_up_held_at", "follow_up.held_at")


def _held(
    known: Sequence[tuple[datetime, Stamp, RcaState | None]],
    imported: bool,
    as_of: datetime,
    attribute: str,
    name: str,
) -> Evidence | None:
    """The first instant a meeting (``attribute`` of the RCA's states, the field ``name``
    in its file) counts as held: its commit when recorded after the fact, the typed
    instant once passed when recorded ahead and still planned then."""
    held: list[Evidence] = []
    for index, (t, stamp, state) in enumerate(known):
        at: datetime | None = getattr(state, attribute) if state is not None else None
        if at is None:
            continue
        if at <= t:
            declared = index == 0 and imported
            held.append(Evidence.declared(stamp, at, name) if declared else Evidence.of(stamp, t))
        elif at <= as_of and _still_planned(known, at, attribute):
            held.append(Evidence.declared(stamp, at, name))
    return min(held, key=lambda e: e.at, default=None)


def _still_planned(
    known: Sequence[tuple[datetime, Stamp, RcaState | None]], instant: datetime, attribute: str
) -> bool:
    """Whether the RCA version in force at ``instant`` (the last one made at or before
    it) names a meeting at ``instant``."""
    found: RcaState | None = None
    for t, _, state in known:
        if t > instant:
            break
        found = state
    return found is not None and getattr(found, attribute) == instant
