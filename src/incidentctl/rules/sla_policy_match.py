"""``sla-policy-match``: one highest-priority SLA policy applies to each production incident.

Passing: ``gold`` (priority 10, ``customers: [acme]``) and ``standard`` (priority 0,
no selector); an ``acme`` incident gets ``gold``, every other one ``standard``.

Failing: no policy matches a production incident; two matching policies share the
highest priority; the chosen policy has no target for the incident's severity.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import Incident, SLAPolicy
from incidentctl.model.policy import matching
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    policies = context.workspace.policies
    also = context.workspace.unloaded_note(SLAPolicy)
    for doc, incident in context.workspace.target_models(Incident):
        if incident.environment != "production" or incident.severity == "NONPROD":
            continue
        found = matching(
            policies,
            incident.customer,
            incident.environment,
            incident.services,
            context.workspace.services,
        )
        if not found:
            if also is None:
                continue  # a policy that failed to load is reported; this may follow from it
            yield doc.problem(
                rule.id,
                "no SLA policy applies to this production incident "
                f"(customer {incident.customer or 'none'}, services "
                f"{', '.join(incident.services)}): add a policy whose applies_to matches, "
                f"or a default policy without applies_to{also}",
                ("customer",) if incident.customer else ("environment",),
            )
            continue
        top = [p for p in found if p.priority == found[0].priority]
        if len(top) > 1:
            yield doc.problem(
                rule.id,
                f"SLA policies {', '.join(p.name for p in top)} all match with priority "
                f"{found[0].priority}: give one of them a higher priority",
                ("customer",) if incident.customer else ("environment",),
            )
        elif incident.severity not in found[0].targets:
            yield doc.problem(
                rule.id,
                f"SLA policy {found[0].name!r} has no targets for {incident.severity}: "
                f"add targets.{incident.severity} to it",
                ("severity",),
            )


RULE = Rule("sla-policy-match", "error", "one highest-priority SLA policy per incident", check)
