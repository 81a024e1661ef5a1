"""``imported-record``: a record imported from another tool tells its story completely.

An imported record is an incident whose first version declares ``milestones``: its
declared times stand for the commits it never had. So it must declare the milestone
its status implies (a resolved record says when it was resolved; the SLA clock would
otherwise stop at the import commit), and no milestone may lie after the time of the
check: a time yet to come cannot have happened.

Passing: ``status: resolved`` with ``milestones: {acknowledged_at: ..., resolved_at: ...}``.

Failing: ``status: resolved`` with ``milestones: {acknowledged_at: ...}`` only; a
``resolved_at`` tomorrow.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import Incident
from incidentctl.model.types import iso
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule

# The milestones each status implies for an imported record.
REQUIRED: dict[str, tuple[str, ...]] = {
    "acknowledged": ("acknowledged_at",),
    "mitigated": ("mitigated_at",),
    "resolved": ("resolved_at",),
    "closed": ("resolved_at", "closed_at"),
    "cancelled": ("cancelled_at",),
}


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    history = context.history
    for doc, incident in context.workspace.target_models(Incident):
        milestones = incident.milestones
        declared = {k: v for k, v in (milestones.model_dump() if milestones else {}).items() if v}
        if not declared:
            continue
        timeline = history.incidents.get(incident.id) if history is not None else None
        if timeline is not None and timeline.states:
            continue  # not a first version: later milestones never stop a clock
        missing = [m for m in REQUIRED.get(incident.status, ()) if m not in declared]
        if missing:
            yield doc.problem(
                rule.id,
                f"an imported record with status {incident.status} declares when it got "
                f"there: add milestones.{', milestones.'.join(missing)}",
                ("milestones",),
            )
        if context.now is not None:
            for name, at in sorted(declared.items()):
                if at > context.now:
                    yield doc.problem(
                        rule.id,
                        f"milestones.{name} {iso(at)} is after now ({iso(context.now)}): "
                        "an imported record tells what has already happened",
                        ("milestones", name),
                    )


RULE = Rule("imported-record", "error", "imported records declare their milestones", check)
