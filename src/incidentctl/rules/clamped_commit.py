"""``clamped-commit``: a commit that touched an incident is dated earlier than its parent.

Its time is clamped to the parent's for the SLA clocks; the warning makes the
backdating visible to reviewers (``incidentctl audit`` lists every such commit).

Passing: commits whose committer dates never go backwards.

Failing: a commit dated 09:00 on top of a parent dated 10:00 that changes the incident.
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
        for version in timeline.versions:
            stamp = version.stamp
            if stamp.clamped:
                yield doc.problem(
                    rule.id,
                    f"commit {stamp.sha[:12]} is dated {iso(stamp.committer_date)}, earlier "
                    f"than its parent: its changes count from {iso(stamp.landed_at)}",
                    level="warning",
                )


RULE = Rule(
    "clamped-commit", "warning", "commits dated before their parent", check, needs_history=True
)
