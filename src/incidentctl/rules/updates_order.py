"""``updates-order``: the communication log is in time order and not in the future.

Passing: updates at 10:05 then 10:20, validated at 11:00.

Failing: an update at 10:20 listed before one at 10:05; an update at 12:00 when
``--now`` is 11:00.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import Incident
from incidentctl.model.types import iso
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    for doc, incident in context.workspace.target_models(Incident):
        for index, update in enumerate(incident.updates):
            if index and update.at < incident.updates[index - 1].at:
                yield doc.problem(
                    rule.id,
                    f"update at {iso(update.at)} is earlier than the one before it "
                    f"({iso(incident.updates[index - 1].at)}): keep updates in time order",
                    ("updates", index, "at"),
                )
            if context.now is not None and update.at > context.now:
                yield doc.problem(
                    rule.id,
                    f"update at {iso(update.at)} is in the future (now is {iso(context.now)}): "
                    "fix its time",
                    ("updates", index, "at"),
                )


RULE = Rule("updates-order", "error", "updates in time order, none in the future", check)
