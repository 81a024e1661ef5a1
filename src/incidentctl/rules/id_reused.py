"""``id-reused``: an incident id deleted from the audited branch is never used again.

Passing: ``INC-2026-0007`` created once and never deleted.

Failing: ``INC-2026-0007`` deleted in one commit and a new file with that id added later
(or in the change being validated). Restoring the deleted incident itself (same title,
e.g. by reverting the deletion) is not a reuse.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.history.model import History
from incidentctl.model import Incident
from incidentctl.model.types import iso
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    history: History = context.history
    for doc, incident in context.workspace.target_models(Incident):
        timeline = history.incidents.get(incident.id)
        if timeline is None:
            continue
        for index, (stamp, state) in enumerate(timeline.states):
            if state is not None or index == 0:
                continue
            before = timeline.states[index - 1][1]
            if before is not None and before.title == incident.title:
                continue  # the same incident restored (a revert of its deletion), not a reuse
            yield doc.problem(
                rule.id,
                f"id {incident.id} was deleted in {stamp.sha[:12]} ({iso(stamp.landed_at)}) "
                f"and may not be reused: use the next free id (incidentctl new)",
                ("id",),
            )
            break


RULE = Rule("id-reused", "error", "ids are never reused after deletion", check, needs_history=True)
