"""``evidence-removed``: an incident's file is deleted without the incident being cancelled.

An incident is its id: deleting its file ends nothing (its SLA record stays, reported
as deleted), but it removes the record from the work tree. An incident that should not
exist is cancelled (``cancel ID --kind duplicate|false-alarm``), which stops its
clocks; then its file may go.

Passing: the work tree keeps every incident of the audited branch, or deletes only
cancelled ones.

Failing: ``git rm`` of an open incident's file. Checked when the whole repository is
validated (a run over named files cannot tell a deletion from a file left out).
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.history.model import History
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    history: History = context.history
    workspace = context.workspace
    if len(workspace.targets) != len(workspace.documents):
        return  # named files only: a file not named is not a deleted one
    for incident_id in sorted(history.incidents):
        timeline = history.incidents[incident_id]
        if not timeline.states or not timeline.versions:
            continue
        state = timeline.states[-1][1]
        if state is None or state.status == "cancelled" or incident_id in workspace.incident_files:
            continue
        yield Problem(
            timeline.versions[-1].path,
            1,
            1,
            "error",
            rule.id,
            f"{incident_id} is {state.status} on {history.ref} and its file is deleted: an "
            f"incident's record is evidence; cancel it first (incidentctl cancel "
            f"{incident_id} --kind duplicate|false-alarm) or restore the file",
        )


RULE = Rule(
    "evidence-removed", "error", "incident files deleted without cancel", check, needs_history=True
)
