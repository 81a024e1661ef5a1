"""``commander-required``: an acknowledged SEV1 or SEV2 has an incident commander.

Passing: ``severity: SEV1``, ``status: acknowledged``, ``roles: {commander: "@dana"}``.

Failing: the same without ``roles.commander``. An ``open`` SEV1 needs none yet.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import Incident
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    for doc, incident in context.workspace.target_models(Incident):
        if (
            incident.severity in ("SEV1", "SEV2")
            and incident.status not in ("open", "cancelled")
            and incident.roles.commander is None
        ):
            yield doc.problem(
                rule.id,
                f"a {incident.severity} incident that is {incident.status} needs an incident "
                "commander: set roles.commander to a handle such as @alice",
                ("roles",) if "roles" in (doc.data or {}) else ("status",),
            )


RULE = Rule("commander-required", "error", "acknowledged SEV1/SEV2 need a commander", check)
