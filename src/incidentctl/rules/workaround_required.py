"""``workaround-required``: a mitigated incident describes its workaround.

Passing: ``status: mitigated`` with ``workaround: Traffic moved to the EU-West cluster``.

Failing: ``status: mitigated`` without ``workaround``.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import Incident
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    for doc, incident in context.workspace.target_models(Incident):
        if incident.status == "mitigated" and not incident.workaround:
            yield doc.problem(
                rule.id,
                "status mitigated needs a workaround: describe it under workaround:",
                ("status",),
            )


RULE = Rule("workaround-required", "error", "mitigated needs a workaround", check)
