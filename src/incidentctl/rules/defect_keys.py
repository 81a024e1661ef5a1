"""``defect-keys``: defect keys are unique within an incident.

Passing: ``defects: [{key: payment-timeout, ...}, {key: retry-storm, ...}]``.

Failing: two defects with ``key: payment-timeout``.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import Incident
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    for doc, incident in context.workspace.target_models(Incident):
        first: dict[str, int] = {}
        for index, defect in enumerate(incident.defects):
            if defect.key in first:
                yield doc.problem(
                    rule.id,
                    f"defect key {defect.key!r} is already used by defects[{first[defect.key]}]: "
                    "keys are unique within an incident, so rename one of them",
                    ("defects", index, "key"),
                )
            first.setdefault(defect.key, index)


RULE = Rule("defect-keys", "error", "defect keys unique per incident", check)
