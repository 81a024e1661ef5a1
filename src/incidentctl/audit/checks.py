"""The audit checks that need nothing but the replayed history.

Each is a generator of findings over a ``History``: commits dated before their parent,
declared times far from the commit that brought them, imported records, edits of
finished incidents, reused ids and illegal status moves already on the branch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from datetime import datetime, timedelta

from incidentctl.audit.findings import Finding, names
from incidentctl.history.model import History, IncidentState, Stamp
from incidentctl.model.incident import FINAL_STATUSES, LEGAL_MOVES, is_legal_move
from incidentctl.model.types import format_duration, iso

_SHOWN_FIELDS = tuple(f.name for f in fields(IncidentState))


def touched_documents(history: History, wanted: set[str] | None = None) -> dict[str, list[str]]:
    """The documents each first-parent commit changed (of ``wanted`` commits), by sha."""
    index: dict[str, dict[str, None]] = {}
    if wanted is not None and not wanted:
        return {}  # the versions of every incident are not built for nothing

    def add(sha: str, name: str) -> None:
        if wanted is None or sha in wanted:
            index.setdefault(sha, {})[name] = None

    for incident_id in sorted(history.incidents):
        for version in history.incidents[incident_id].versions:
            add(version.stamp.sha, incident_id)
    for name in sorted(history.rcas):
        for stamp, _ in history.rcas[name]:
            add(stamp.sha, f"RCA/{name}")
    for kind, name in sorted(history.policies):
        for stamp, _ in history.policies[(kind, name)]:
            add(stamp.sha, f"{kind}/{name}")
    return {sha: list(found) for sha, found in index.items()}


def clamped_commits(history: History, touched: dict[str, list[str]]) -> Iterator[Finding]:
    """Commits dated earlier than their first parent (SPEC §3): their time was clamped."""
    for stamp in history.clamped:
        documents = touched.get(stamp.sha, [])
        message = (
            f"commit dated {iso(stamp.committer_date)}, earlier than its first parent "
            f"({iso(stamp.landed_at)}): its changes count from {iso(stamp.landed_at)}"
        )
        if documents:
            message += f"; it changed {names(documents)}"
        else:
            message += "; it changed no document, so no clock depends on its date"
        yield Finding(
            # As validate says it: the clocks already count the commit at its parent's
            # time, so the backdating changes no figure; it is for a person to look at.
            "warning",
            "clamped-commit",
            message,
            tuple(documents),
            (stamp.sha,),
            {
                "committed_at": iso(stamp.committer_date),
                "parent_at": iso(stamp.landed_at),
                "counted_at": iso(stamp.landed_at),
            },
        )


def declared_gaps(history: History, limit: timedelta) -> Iterator[Finding]:
    """Declared times far from the commit that brought them, one finding per version.

    Checked: ``detection.reported_at``, the ``at`` of each customer update and each
    declared milestone, when a version brings a new value. Gaps are measured from the
    time the version landed on the branch. The first version of an imported record is
    left out: its declared times are the record's story, listed by ``imported-record``.
    """
    for incident_id in sorted(history.incidents):
        previous: IncidentState | None = None
        for stamp, state in history.incidents[incident_id].states:
            if state is None:
                previous = None
                continue
            if previous is None and state.imported:
                previous = state
                continue
            far = [
                (name, at, stamp.landed_at - at)
                for name, at in _new_declared(previous, state)
                if abs(stamp.landed_at - at) > limit
            ]
            previous = state
            if not far:
                continue
            yield Finding(
                "warning",
                "declared-time-gap",
                _gap_message(far, stamp, limit),
                (incident_id,),
                (stamp.sha,),
                {
                    "landed_at": iso(stamp.landed_at),
                    "max_gap_seconds": int(limit.total_seconds()),
                    "declared": [
                        {"field": name, "at": iso(at), "gap_seconds": int(gap.total_seconds())}
                        for name, at, gap in far
                    ],
                },
            )


def _new_declared(
    previous: IncidentState | None, state: IncidentState
) -> Iterator[tuple[str, datetime]]:
    if state.reported_at is not None and (
        previous is None or previous.reported_at != state.reported_at
    ):
        yield "detection.reported_at", state.reported_at
    seen = set(previous.customer_updates) if previous is not None else set()
    for update in state.customer_updates:
        if update not in seen:
            yield "customer update", update.at
    known = set(previous.milestones) if previous is not None else set()
    for name, at in state.milestones:
        if (name, at) not in known:
            yield f"milestones.{name}", at


def _gap_message(far: list[tuple[str, datetime, timedelta]], stamp: Stamp, limit: timedelta) -> str:
    """One declared time in full; several (an imported record's) counted by field."""
    landed = f"the commit that brought {'it' if len(far) == 1 else 'them'} ({iso(stamp.landed_at)})"
    allowed = f"more than the {format_duration(limit.total_seconds())} allowed"
    if len(far) == 1:
        [(name, at, gap)] = far
        return f"{name} {iso(at)} is {_gap(gap)} {landed}: {allowed}"
    counts: dict[str, int] = {}
    for name, _, _ in far:
        counts[name] = counts.get(name, 0) + 1
    fields = ", ".join(f"{name} (x{n})" if n > 1 else name for name, n in counts.items())
    farthest = max(far, key=lambda item: abs(item[2]))
    return (
        f"{len(far)} declared times far from {landed}, {allowed}: {fields}; the farthest, "
        f"{farthest[0]} {iso(farthest[1])}, is {_gap(farthest[2])}"
    )


def _gap(gap: timedelta) -> str:
    seconds = int(gap.total_seconds())
    # to the minute: a gap this long does not need its seconds
    shown = format_duration(abs(seconds) // 60 * 60 if abs(seconds) >= 3600 else abs(seconds))
    return f"{shown} before" if seconds >= 0 else f"{shown} after"


def imported_records(history: History) -> Iterator[Finding]:
    """Incidents whose first version declares milestones: imported records.

    Listed for information; an error when a declared milestone lies after the commit
    that brought it (the engine counts it at that commit, never later).
    """
    for incident_id in sorted(history.incidents):
        states = history.incidents[incident_id].states
        stamp, state = next(((s, st) for s, st in states if st is not None), (None, None))
        if stamp is None or state is None or not state.imported:
            continue
        declared = ", ".join(f"{name} {iso(at)}" for name, at in state.milestones)
        later = [name for name, at in state.milestones if at > stamp.landed_at]
        message = (
            f"imported record: its first version (landed {iso(stamp.landed_at)}) is "
            f"already {state.status} and declares {declared}"
        )
        if later:
            message += (
                f"; {', '.join(later)} after that commit cannot have happened yet: "
                f"counted at {iso(stamp.landed_at)}"
            )
        yield Finding(
            "error" if later else "info",
            "imported-record",
            message,
            (incident_id,),
            (stamp.sha,),
            {
                "status": state.status,
                "landed_at": iso(stamp.landed_at),
                "milestones": {name: iso(at) for name, at in state.milestones},
                **({"after_commit": later} if later else {}),
            },
        )


def removed_evidence(history: History) -> Iterator[Finding]:
    """Incident files deleted without being cancelled first: the record of an incident is
    evidence, and a deletion hides it from the work tree (the SLA figures keep it)."""
    for incident_id in sorted(history.incidents):
        last: IncidentState | None = None
        states = history.incidents[incident_id].states
        for index, (stamp, state) in enumerate(states):
            if state is None and last is not None and last.status != "cancelled":
                restored = next((s for s, st in states[index + 1 :] if st is not None), None)
                yield Finding(
                    "error",
                    "evidence-removed",
                    f"incident file deleted at {iso(stamp.landed_at)} while {last.status}, "
                    "not cancelled first"
                    + (
                        f"; restored at {iso(restored.landed_at)}"
                        if restored is not None
                        else "; its SLA record is kept and reported as deleted"
                    ),
                    (incident_id,),
                    (stamp.sha, *((restored.sha,) if restored is not None else ())),
                    {
                        "status": last.status,
                        "deleted_at": iso(stamp.landed_at),
                        "restored_at": iso(restored.landed_at) if restored else None,
                    },
                )
            if state is not None:
                last = state


def _lives(
    states: list[tuple[Stamp, IncidentState | None]],
) -> Iterator[tuple[Stamp, IncidentState | None, IncidentState | None, bool]]:
    """Each version with the incident's last state before it, and whether it reuses the id.

    A version after a deletion continues the incident when it restores it (same title,
    as a revert of the deletion does); with another title it is another incident.
    """
    last: IncidentState | None = None
    deleted = False
    for stamp, state in states:
        if state is None:
            deleted = True
            yield stamp, None, last, False
            continue
        reused = deleted and last is not None and last.title != state.title
        yield stamp, state, last, reused
        last, deleted = state, False


def closed_edits(history: History) -> Iterator[Finding]:
    """Versions of an incident's file after it was closed or cancelled that change anything.

    Versions are compared by blob, so any edit shows, even one outside the fields the
    replay keeps; a version that does not even load (an edit that broke the file)
    counts too. A file restored after a deletion as another incident is a reused id,
    reported by ``id-reused``, and starts afresh.
    """
    for incident_id in sorted(history.incidents):
        timeline = history.incidents[incident_id]
        changed_at = {stamp.seq: state for stamp, state in timeline.states}
        broken = {stamp.seq: message for stamp, message in timeline.problems}
        current: IncidentState | None = None
        final: tuple[Stamp, IncidentState] | None = None
        blob: str | None = None
        for version in timeline.versions:
            seq = version.stamp.seq
            state = changed_at.get(seq, current) if version.blob is not None else None
            if final is not None:
                if version.blob is None:
                    yield _closed_edit(incident_id, version.stamp, "deleted the file", *final)
                elif blob is None:
                    if state is not None and current is not None and state.title != current.title:
                        final = None  # another incident under the same id
                elif version.blob != blob:
                    if seq in broken:
                        what = f"changed the file into one that does not load ({broken[seq]})"
                    else:
                        names = [
                            n
                            for n in _SHOWN_FIELDS
                            if current is not None
                            and state is not None
                            and getattr(state, n) != getattr(current, n)
                        ]
                        what = f"changed {', '.join(names)}" if names else "changed the document"
                    yield _closed_edit(incident_id, version.stamp, what, *final)
            if final is None and state is not None and state.status in FINAL_STATUSES:
                final = (version.stamp, state)
            if state is not None:
                current = state
            blob = version.blob


def _closed_edit(
    incident_id: str, stamp: Stamp, what: str, closed_at: Stamp, closed: IncidentState
) -> Finding:
    return Finding(
        "error",
        "closed-immutable",
        f"{what} after the incident was {closed.status} in {closed_at.sha[:12]} "
        f"({iso(closed_at.landed_at)})",
        (incident_id,),
        (stamp.sha, closed_at.sha),
        {"final_status": closed.status, "finished_at": iso(closed_at.landed_at)},
    )


def reused_ids(history: History) -> Iterator[Finding]:
    """Ids deleted and then used again for another incident (another title)."""
    for incident_id in sorted(history.incidents):
        deletion: Stamp | None = None
        for stamp, state, last, reused in _lives(history.incidents[incident_id].states):
            if state is None:
                deletion = stamp
            elif reused and deletion is not None and last is not None:
                yield Finding(
                    "error",
                    "id-reused",
                    f"id deleted in {deletion.sha[:12]} ({iso(deletion.landed_at)}) and used "
                    f"again in {stamp.sha[:12]} ({iso(stamp.landed_at)}) for another incident: "
                    f"{last.title!r} became {state.title!r}",
                    (incident_id,),
                    (stamp.sha, deletion.sha),
                    {"deleted_in": deletion.sha, "old_title": last.title, "new_title": state.title},
                )


def illegal_transitions(history: History) -> Iterator[Finding]:
    """Consecutive versions whose statuses are not a legal move (SPEC §2)."""
    for incident_id in sorted(history.incidents):
        before: Stamp | None = None
        for stamp, state, last, reused in _lives(history.incidents[incident_id].states):
            if state is None:
                continue
            if last is not None and not reused and not is_legal_move(last.status, state.status):
                allowed = ", ".join(sorted(LEGAL_MOVES[last.status]))
                legal = f"from {last.status} it may move to {allowed}" if allowed else "it is final"
                yield Finding(
                    "error",
                    "status-transition",
                    f"status moved from {last.status} to {state.status}, which is not a legal "
                    f"move: {legal}",
                    (incident_id,),
                    (stamp.sha, *((before.sha,) if before is not None else ())),
                    {"from": last.status, "to": state.status},
                )
            before = stamp
