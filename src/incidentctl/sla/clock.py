"""One SLA clock cycle: elapsed business time, pauses, a target that steps with severity.

The incident's story is a list of phases (from an instant on: this status, this
severity). A cycle runs from ``start`` to ``stop`` (or to ``as_of``); it is split at
every phase boundary into segments, each with the status, target and calendar in
force at its start. Elapsed time counts only in running segments and only inside the
calendar's hours. The breach instant is the first instant at which elapsed time
exceeds the target in force; once recorded a breach stays, whatever the severity
does later. A cycle stopped at instant X is judged on the segments before X, so the
target in force is the one before the stopping commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Literal

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


@dataclass(frozen=True, slots=True)
class Phase:
    """From ``at`` on, the incident has this status and severity."""

    at: datetime
    status: str
    severity: str


@dataclass(frozen=True, slots=True)
class Rules:
    """How a metric's clock behaves: its target and calendar per severity, and pauses."""

    target: Callable[[str], timedelta | None]
    calendar: Callable[[str], BusinessCalendar]
    pause_on: frozenset[str]
    warn_at: float | None  # the first warning fraction, if any


@dataclass(frozen=True, slots=True)
class Cycle:
    started_at: datetime
    stopped_at: datetime | None
    elapsed: timedelta
    target: timedelta | None
    state: State
    breached_at: datetime | None
    due_at: datetime | None

    @property
    def remaining(self) -> timedelta | None:
        return None if self.target is None else self.target - self.elapsed


def _phase_at(phases: Sequence[Phase], instant: datetime) -> Phase:
    current = phases[0]
    for phase in phases:
        if phase.at > instant:
            break
        current = phase
    return current


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
    running: list[tuple[datetime, datetime, BusinessCalendar]] = []
    for a, b in pairwise(bounds):
        phase = _phase_at(phases, a)
        target = rules.target(phase.severity)
        paused = phase.status in rules.pause_on
        calendar = rules.calendar(phase.severity)
        if breached_at is None and target is not None and elapsed > target:
            breached_at = a  # the target stepped below the time already spent
        if paused:
            continue
        running.append((a, b, calendar))
        spent = calendar.elapsed(a, b)
        if breached_at is None and target is not None and elapsed + spent > target:
            breached_at = calendar.add(a, target - elapsed) if target > elapsed else a
        elapsed += spent
    last = _phase_at(phases, end - timedelta(microseconds=1) if end > start else end)
    target = rules.target(last.severity)
    if breached_at is None and target is not None and elapsed > target:
        breached_at = end
    due_at = _due(running, elapsed, target, last, rules, end, stopped)
    state = _state(stopped, breached_at, target, elapsed, last, rules)
    return Cycle(start, stop if stopped else None, elapsed, target, state, breached_at, due_at)


def _state(
    stopped: bool,
    breached_at: datetime | None,
    target: timedelta | None,
    elapsed: timedelta,
    last: Phase,
    rules: Rules,
) -> State:
    if stopped:
        if breached_at is not None:
            return "missed"
        return "not_applicable" if target is None else "met"
    if last.status in rules.pause_on:
        return "paused"
    if breached_at is not None:
        return "breached"
    if target is None:
        return "running"
    if rules.warn_at is not None and elapsed >= target * rules.warn_at:
        return "at_risk"
    return "running"


def _due(
    running: list[tuple[datetime, datetime, BusinessCalendar]],
    elapsed: timedelta,
    target: timedelta | None,
    last: Phase,
    rules: Rules,
    end: datetime,
    stopped: bool,
) -> datetime | None:
    """When the target in force is (or was) reached; null while paused."""
    if target is None or (not stopped and last.status in rules.pause_on):
        return None
    if elapsed < target:
        return rules.calendar(last.severity).add(end, target - elapsed)
    spent = ZERO
    for a, b, calendar in running:
        piece = calendar.elapsed(a, b)
        if spent + piece >= target:
            return calendar.add(a, target - spent)
        spent += piece
    return end
