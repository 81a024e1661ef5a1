"""``defect-route``: every service with a product defect has a route to a tracker.

Passing: a defect on service ``payments-api`` and a DefectPolicy route with
``services: [payments-api, checkout]``.

Failing: a defect on ``ledger`` that no route covers, or defects and no DefectPolicy.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import DefectPolicy, Incident
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    policies = context.workspace.defect_policies
    also = context.workspace.unloaded_note(DefectPolicy)
    if also is None:
        return  # a DefectPolicy that failed to load is reported; this may follow from it
    for doc, incident in context.workspace.target_models(Incident):
        for index, defect in enumerate(incident.defects):
            if not any(
                r.matches(defect.service, context.workspace.services)
                for p in policies
                for r in p.routes
            ):
                yield doc.problem(
                    rule.id,
                    f"no DefectPolicy route covers service {defect.service!r}, so its defects "
                    "have no tracker: add the service to a route's services in "
                    f"policies/defects.yaml{also}",
                    ("defects", index, "service"),
                )


RULE = Rule("defect-route", "error", "defects have a route", check)
