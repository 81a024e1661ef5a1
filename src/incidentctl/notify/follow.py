"""Staying up: deliver each SLA threshold within a minute of its instant.

A threshold falls when a cycle's elapsed business time reaches a fraction of its
target. Business time never runs faster than the wall clock, so ``fraction × target −
elapsed`` (as the SLA engine measured it) is a lower bound of the wall time until the
threshold: sleeping that long never oversleeps it. The engine judges again on waking;
a business-hours clock that was closed meanwhile just gives a new bound. The wait is
also capped (``POLL``) so that new commits are seen.

``follow`` takes the clock and the wait as arguments: the CLI passes the real ones
(a wait that SIGTERM interrupts), tests a simulated clock.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from incidentctl.github.watch import BREACH, live_cycles, metric_thresholds
from incidentctl.model import SLAPolicy
from incidentctl.sla.engine import Board

POLL = timedelta(seconds=30)
_AFTER = timedelta(seconds=1)  # a breach is strictly over the target


def next_threshold(board: Board, policies: Mapping[str, SLAPolicy]) -> timedelta | None:
    """The shortest wall time before a running cycle of an open incident can cross its
    next threshold; None if no clock is running towards one."""
    soonest: timedelta | None = None
    for _, metric, cycle, used, policy in live_cycles(board, policies):
        if cycle.state == "paused":
            continue
        assert cycle.target is not None
        for level in metric_thresholds(policy, metric.metric):
            if (
                cycle.breached_at is not None
                or used > level.at
                or (used >= level.at and level.at < BREACH)
            ):
                continue
            left = cycle.target * level.at - cycle.elapsed
            if level.at >= BREACH:
                left += _AFTER
            left = max(left, timedelta(0))
            if soonest is None or left < soonest:
                soonest = left
            break  # the lowest threshold not crossed comes first
    return soonest


Tick = Callable[[datetime], timedelta | None]


def follow(
    tick: Tick,
    clock: Callable[[], datetime],
    wait: Callable[[float], bool],
    *,
    until: datetime | None = None,
    poll: timedelta = POLL,
) -> int:
    """Run ``tick(now)`` (which delivers what is due and says how long until the next
    threshold), then wait; until ``until`` or until ``wait`` reports a stop. Returns the
    number of ticks."""
    ticks = 0
    while True:
        now = clock()
        if until is not None and now >= until:
            return ticks
        soonest = tick(now)
        ticks += 1
        pause = poll if soonest is None else min(poll, soonest)
        if until is not None:
            pause = min(pause, until - now)
        if wait(max(pause.total_seconds(), 1.0)):
            return ticks
