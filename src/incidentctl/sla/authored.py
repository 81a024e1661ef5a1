"""``clock: authored``: each fact credited to the commit that made it, never erasing a breach.

With ``clock: authored`` an event happens at the author date of the commit that made
the change, not when it landed on the audited branch. For a merged pull request the
merge brings the branch's final content in one step; the facts of that content
(status, severity, environment, customer, services, each customer update) are each
credited to the branch commit that introduced the value the merge lands: the start of
the last run of branch commits that hold it. A value withdrawn and made again is
credited to the making again; a value the branch never held (a conflict resolution,
a change on the other side) counts when the merge lands.

Author dates come from the committer's machine, so they are trusted only where that
cannot rewrite the record: when crediting a landing's facts to their author dates
would change a breach already on record before it landed (as ``sla --at`` just before
the landing reports it), every fact of that landing counts at its landing time
instead. A breach once reported is never erased by a commit that arrives later with an
earlier date.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from incidentctl.history.model import CustomerUpdate, IncidentState, RcaState, Stamp

# The fields of an incident whose changes are events of the SLA clocks.
TRACKED = ("status", "severity", "environment", "customer", "services")

Versions = list[tuple[Stamp, IncidentState | None]]
RcaVersions = list[tuple[Stamp, RcaState | None]]
Trace = tuple[tuple[Stamp, IncidentState | None], ...]
# keeps(before, after, landing): whether every breach on record just before ``landing``
# (judged on ``before``) is still there at ``landing`` (judged on ``after``).
Keeps = Callable[[tuple[Versions, RcaVersions], tuple[Versions, RcaVersions], datetime], bool]


def credit_authored(
    versions: Sequence[tuple[Stamp, IncidentState | None]],
    traces: Mapping[str, Trace],
    rca_versions: Sequence[tuple[Stamp, RcaState | None]],
    keeps: Keeps,
) -> tuple[Versions, RcaVersions]:
    """The versions of an incident and its RCA, with the instants ``clock: authored`` credits.

    A merged version is split into the facts its branch made (see ``expand``). Going
    through the landings in order, a landing credited before its landing time keeps
    that credit only if ``keeps`` says the breaches on record just before it survive
    the credit; otherwise it counts at its landing.
    """
    landings = sorted(
        [(stamp.landed_at, 0, index) for index, (stamp, _) in enumerate(versions)]
        + [(stamp.landed_at, 1, index) for index, (stamp, _) in enumerate(rca_versions)]
    )
    incident: Versions = []
    rca: RcaVersions = []
    before: IncidentState | None = None
    for landing, kind, index in landings:
        if kind == 1:
            stamp, rca_state = rca_versions[index]
            if stamp.authored_at < landing and not keeps(
                (incident, rca), (incident, [*rca, (stamp, rca_state)]), landing
            ):
                stamp = replace(stamp, authored_at=landing)
            rca.append((stamp, rca_state))
            continue
        stamp, state = versions[index]
        if state is None:
            incident.append((stamp, None))
            continue
        trace = traces.get(stamp.sha)
        entries = expand(before, state, stamp, trace) if trace else [(stamp, state)]
        if any(s.authored_at < landing for s, _ in entries) and not keeps(
            (incident, rca), ([*incident, *entries], rca), landing
        ):
            entries = [(replace(stamp, authored_at=landing), state)]
        incident.extend(entries)
        before = state
    return incident, rca


def expand(
    before: IncidentState | None, merged: IncidentState, stamp: Stamp, trace: Trace
) -> list[tuple[Stamp, IncidentState]]:
    """A merged version as the facts its branch made, each at its commit's author date.

    ``before`` is the incident on the branch before the merge (None: the merge adds the
    file, which is then credited as a whole to the commit that made its content).
    """
    if before is None:
        # the merge adds the file: it opened as the branch first made it
        created = [(i, st) for i, (_, st) in enumerate(trace) if st is not None]
        if not created:
            return [(stamp, merged)]
        index, opening = created[0]
        return [(trace[index][0], opening), *expand(opening, merged, stamp, trace[index + 1 :])]
    states = [state for _, state in trace]
    starts: dict[str, int | None] = {}
    for name in TRACKED:
        final = getattr(merged, name)
        if final != getattr(before, name):
            starts[name] = _final_run(
                [getattr(s, name, None) if s else None for s in states], final
            )
    known = {update.at for update in before.customer_updates}
    new_updates = [
        (update, _final_run([_holds(s, update) for s in states], True))
        for update in merged.customer_updates
        if update.at not in known
    ]
    entries: list[tuple[Stamp, IncidentState]] = []
    previous = before
    for index, (side_stamp, _) in enumerate(trace):
        fields = {
            name: getattr(merged, name) if (k := starts.get(name)) is not None and index >= k
            else getattr(before, name)
            for name in TRACKED
        }  # fmt: skip
        updates = before.customer_updates + tuple(
            update for update, k in new_updates if k is not None and index >= k
        )
        made = replace(merged, customer_updates=updates, **fields)
        if _facts(made) != _facts(previous):
            entries.append((side_stamp, made))
            previous = made
    if _facts(previous) != _facts(merged):
        entries.append((replace(stamp, authored_at=stamp.landed_at), merged))
    elif entries:
        entries[-1] = (entries[-1][0], merged)
    else:
        entries.append((stamp, merged))
    return entries


def _final_run(values: Sequence[object], final: object) -> int | None:
    """Where the last run of ``final`` at the end of ``values`` starts; None if they do
    not end with it."""
    if not values or values[-1] != final:
        return None
    start = len(values) - 1
    while start > 0 and values[start - 1] == final:
        start -= 1
    return start


def _holds(state: IncidentState | None, update: CustomerUpdate) -> bool:
    return state is not None and any(u.at == update.at for u in state.customer_updates)


def _facts(state: IncidentState) -> tuple[object, ...]:
    return (*(getattr(state, name) for name in TRACKED), state.customer_updates)
