"""Policy and calendar changes that would re-grade incidents opened before them.

An incident is judged by the policies and calendars as they stood when it opened
(SPEC §3), so changing a policy today never re-grades yesterday's incidents. The
audit makes such changes visible: for every version of an SLA policy or a calendar
(created, changed or deleted), the incidents opened before it are judged again as of
the audit's instant with that one document replaced, and those whose metric states
would differ are listed with the old and the new state.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from incidentctl.audit.findings import Finding
from incidentctl.history.model import History, IncidentState, PolicyModel, Stamp
from incidentctl.model import Calendar, Service, SLAPolicy
from incidentctl.model.policy import matching
from incidentctl.model.types import iso
from incidentctl.sla.engine import (
    CalendarCache,
    IncidentResult,
    Snapshot,
    evaluate_incident,
    known_versions,
    present,
)


def policy_regrades(history: History, as_of: datetime) -> Iterator[Finding]:
    changes: list[tuple[str, str, Stamp, PolicyModel | None, str]] = []
    for (kind, name), versions in sorted(history.policies.items()):
        if kind not in ("SLAPolicy", "Calendar"):
            continue
        previous: PolicyModel | None = None
        for stamp, model in versions:
            if stamp.landed_at > as_of:
                break
            change = "deleted" if model is None else "created" if previous is None else "changed"
            changes.append((kind, name, stamp, model, change))
            previous = model
    if not changes:
        return
    # Only production incidents are judged by a policy; each with its opening and state now.
    lives: dict[str, tuple[int, list[IncidentState]]] = {}
    for incident_id in sorted(history.incidents):
        known = known_versions(history.incidents[incident_id].states, as_of)
        life = present(known)
        if life and any(
            state.environment == "production" and state.severity != "NONPROD" for _, state in life
        ):
            lives[incident_id] = (known[0][0].seq, [state for _, state in life])
    cache = CalendarCache()
    snapshots: dict[int, Snapshot] = {}
    catalogues: dict[int, dict[str, Service]] = {}
    judged: dict[str, IncidentResult | None] = {}
    for kind, name, stamp, model, change in changes:
        for incident_id, (seq, states) in lives.items():
            if seq >= stamp.seq:
                continue
            base = snapshots.get(seq)
            if base is None:
                base = snapshots[seq] = history.policies_at(seq)
            catalogue = catalogues.get(seq)
            if catalogue is None:
                catalogue = catalogues[seq] = history.catalogue_at(seq)
            if not any(_concerns(kind, name, model, base, state, catalogue) for state in states):
                continue
            if incident_id not in judged:
                judged[incident_id] = evaluate_incident(history, incident_id, as_of, cache)
            old = judged[incident_id]
            new = evaluate_incident(
                history, incident_id, as_of, cache, _replaced(base, kind, name, model)
            )
            if old is not None and new is not None:
                finding = _compare(f"{kind}/{name}", change, stamp, old, new, as_of)
                if finding is not None:
                    yield finding


def _replaced(base: Snapshot, kind: str, name: str, model: PolicyModel | None) -> Snapshot:
    policies, calendars = base
    if kind == "SLAPolicy":
        policies = [p for p in policies if p.name != name]
        if isinstance(model, SLAPolicy):
            policies.append(model)
        return policies, calendars
    calendars = {n: c for n, c in calendars.items() if n != name}
    if isinstance(model, Calendar):
        calendars[name] = model
    return policies, calendars


def _concerns(
    kind: str,
    name: str,
    model: PolicyModel | None,
    base: Snapshot,
    state: IncidentState,
    catalogue: dict[str, Service],
) -> bool:
    """Whether replacing the document can change the incident's grade (a cheap filter)."""
    policies, calendars = base
    found = matching(policies, state.customer, state.environment, list(state.services), catalogue)
    top = [p for p in found if p.priority == found[0].priority]
    chosen = top[0] if len(top) == 1 else None
    if kind == "SLAPolicy":
        if chosen is None or chosen.name == name:
            return True
        return isinstance(model, SLAPolicy) and model.applies_to.matches(
            state.customer, state.environment, list(state.services), catalogue
        )
    if chosen is None:
        return False  # no policy applies, so no calendar does
    wanted = [t.calendar for t in chosen.targets.values()]
    seen: set[str] = set()
    while wanted:
        calendar = wanted.pop()
        if calendar == name:
            return True
        if calendar in seen:
            continue
        seen.add(calendar)
        found_calendar = calendars.get(calendar)
        if found_calendar is not None:
            wanted.extend(found_calendar.union)
    return False


def _compare(
    document: str,
    change: str,
    stamp: Stamp,
    old: IncidentResult,
    new: IncidentResult,
    as_of: datetime,
) -> Finding | None:
    before = {m.metric: m.state for m in old.metrics}
    after = {m.metric: m.state for m in new.metrics}
    changes = [
        (metric, before.get(metric, "not_applicable"), after.get(metric, "not_applicable"))
        for metric in dict.fromkeys([*before, *after])
        if before.get(metric, "not_applicable") != after.get(metric, "not_applicable")
    ]
    if not changes:
        return None
    listed = ", ".join(f"{metric} {a} -> {b}" for metric, a, b in changes)
    policy = ""
    if old.policy != new.policy:
        policy = f" (policy {old.policy or 'none'} -> {new.policy or 'none'})"
    return Finding(
        "warning",
        "policy-regrade",
        f"{document} as {change} in {stamp.sha[:12]} ({iso(stamp.landed_at)}) would re-grade "
        f"{old.id}, opened {iso(old.opened_at)} and judged by the version in force then: "
        f"{listed}{policy} as of {iso(as_of)}",
        (old.id, document),
        (stamp.sha,),
        {
            "document": document,
            "changed_at": iso(stamp.landed_at),
            "opened_at": iso(old.opened_at),
            "policy": {"old": old.policy, "new": new.policy},
            "metrics": [{"metric": m, "old": a, "new": b} for m, a, b in changes],
        },
    )
