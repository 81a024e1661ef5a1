"""One SLA clock cycle: elapsed business time, pauses, a target that steps with severity.

The incident's story is a list of phases (from an instant on: this status, this
severity). A cycle runs from ``start`` to ``stop`` (or to ``as_of``); it is split at
every phase boundary into segments, each with the status, target and calendar in
force at its start. Elapsed time counts only in running segments and only inside the
calendar's hours. The breach instant is the first instant at which elapsed time
exceeds the target in force; once recorded a breach stays, whatever the severity
does later. A cycle stopped at instant X is judged on the segments before X, so the
target in force is the one before the stopping commit.

A phase with no SLA policy in force (the incident was reclassified out of every
policy) or with the file deleted is *frozen*: no time counts and nothing breaches in
it, but a breach recorded before stays, and a cycle frozen at the end is reported as
``missed`` if it breached (``not_applicable`` if it did not).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

from incidentctl.model.policy import BUILTIN_CALENDAR
from incidentctl.sla.calendar import BusinessCalendar

State = Literal[
    "pending", "running", "at_risk", "paused", "breached", "met", "missed", "not_applicable"
]
# How bad a state is, for "the metric's state is the worst of its cycles".
SEVERITY_OF_STATE: dict[str, int] = {
    "not_applicable": 0,
    "pending": 1,
    "met": 2,
    "running": 3,
    "paused": 3,
    "at_risk": 4,
    "missed": 5,
    "breached": 6,
}

ZERO = timedelta(0)


DELETED = "deleted"  # the status of a phase during which the incident's file is deleted


@dataclass(frozen=True, slots=True)
class Phase:
    """From ``at`` on, the incident has this status and severity, under this policy.

    ``policy`` names the SLA policy in force; None when none applies (then the clocks
    are frozen, as they are while the file is deleted).
    """

    at: datetime
    status: str
    severity: str
    policy: str | None = ""

    @property
    def frozen(self) -> bool:
        return self.policy is None or self.status == DELETED


@dataclass(frozen=True, slots=True)
class Rules:
    """How a metric's clock behaves in each phase: its target, calendar and pauses."""

    target: Callable[[Phase], timedelta | None]
    calendar: Callable[[Phase], BusinessCalendar]
    paused: Callable[[Phase], bool]
    warn_at: Callable[[Phase], float | None]  # the first warning fraction, if any


@dataclass(frozen=True, slots=True)
class Cycle:
    started_at: datetime
    stopped_at: datetime | None
    elapsed: timedelta
    target: timedelta | None
    state: State
    breached_at: datetime | None
    due_at: datetime | None
    # The severity in force when the cycle was judged: at its breach, else at its stop,
    # else now. Attainment is counted under it.
    severity: str | None = None
    # The calendar its target counts in, then: elapsed, target and remaining are time on
    # it (business time unless it is the built-in 24x7).
    calendar: str = BUILTIN_CALENDAR

    @property
    def remaining(self) -> timedelta | None:
        return None if self.target is None else self.target - self.elapsed

    @property
    def business(self) -> bool:
        """Whether its durations are business time, to be labelled so where shown."""
        return self.calendar != BUILTIN_CALENDAR


def _phase_at(phases: Sequence[Phase], instant: datetime) -> Phase:
    current = phases[0]
    for phase in phases:
        if phase.at > instant:
            break
        current = phase
    return current


def _last_phase(phases: Sequence[Phase], start: datetime, end: datetime) -> Phase:
    """The phase in force just before ``end`` (at ``end`` for an empty cycle)."""
    return _phase_at(phases, end - timedelta(microseconds=1) if end > start else end)


def _judged_phase(phases: Sequence[Phase], start: datetime, end: datetime) -> Phase | None:
    """The last phase of the cycle that is not frozen: the one it is judged under."""
    last = _last_phase(phases, start, end)
    if not last.frozen:
        return last
    found = None
    for index, phase in enumerate(phases):
        if phase.at >= end:
            break
        following = phases[index + 1].at if index + 1 < len(phases) else end
        if not phase.frozen and following > start:
            found = phase
    return found


def measure(
    start: datetime,
    stop: datetime | None,
    as_of: datetime,
    phases: Sequence[Phase],
    rules: Rules,
) -> Cycle:
    """Measure one cycle as of ``as_of``; a stop after ``as_of`` is not known yet."""
    if start > as_of:
        return Cycle(start, None, ZERO, None, "pending", None, None)
    stopped = stop is not None and stop <= as_of
    end = stop if stop is not None and stopped else as_of
    bounds = sorted({start, end, *(p.at for p in phases if start < p.at < end)})
    elapsed = ZERO
    breached_at: datetime | None = None
    breached_severity: str | None = None
    running: list[tuple[datetime, datetime, BusinessCalendar]] = []
    for a, b in pairwise(bounds):
        phase = _phase_at(phases, a)
        if phase.frozen:
            continue  # deleted, or under no policy: no time counts, nothing breaches
        target = rules.target(phase)
        if breached_at is None and target is not None and elapsed > target:
            breached_at, breached_severity = a, phase.severity  # the target stepped below
        if rules.paused(phase):
            continue
        calendar = rules.calendar(phase)
        running.append((a, b, calendar))
        spent = calendar.elapsed(a, b)
        if breached_at is None and target is not None and elapsed + spent > target:
            breached_at = calendar.add(a, target - elapsed) if target > elapsed else a
            breached_severity = phase.severity
        elapsed += spent
    last = _last_phase(phases, start, end)
    judged = _judged_phase(phases, start, end)
    target = rules.target(judged) if judged is not None else None
    if breached_at is None and target is not None and elapsed > target and not last.frozen:
        breached_at, breached_severity = end, last.severity
    frozen = last.frozen and not stopped
    due_at = None if stopped or frozen else _due(running, elapsed, target, last, rules, end)
    state = _state(stopped, breached_at, target, elapsed, last, rules)
    severity = breached_severity or (judged.severity if judged is not None else last.severity)
    calendar_name = rules.calendar(judged if judged is not None else last).name
    return Cycle(
        start,
        stop if stopped else None,
        elapsed,
        target,
        state,
        breached_at,
        due_at,
        severity,
        calendar_name,
    )


def _state(
    stopped: bool,
    breached_at: datetime | None,
    target: timedelta | None,
    elapsed: timedelta,
    last: Phase,
    rules: Rules,
) -> State:
    if breached_at is not None and (stopped or last.frozen):
        return "missed"
    if stopped:
        return "not_applicable" if target is None else "met"
    if last.frozen:
        return "not_applicable"
    if rules.paused(last):
        return "paused"
    if breached_at is not None:
        return "breached"
    if target is None:
        return "running"
    warn_at = rules.warn_at(last)
    if warn_at is not None and elapsed >= target * warn_at:
        return "at_risk"
    return "running"


def _due(
    running: list[tuple[datetime, datetime, BusinessCalendar]],
    elapsed: timedelta,
    target: timedelta | None,
    last: Phase,
    rules: Rules,
    end: datetime,
) -> datetime | None:
    """When the target in force is (or was) reached, for a running clock; null while paused."""
    if target is None or rules.paused(last):
        return None
    if elapsed < target:
        return rules.calendar(last).add(end, target - elapsed)
    spent = ZERO
    for a, b, calendar in running:
        piece = calendar.elapsed(a, b)
        if spent + piece >= target:
            return calendar.add(a, target - spent)
        spent += piece
    return end
