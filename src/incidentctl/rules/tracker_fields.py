"""``tracker-fields``: what a defect or RCA action sends to its tracker, the tracker takes.

GitHub refuses an issue title over 256 characters; Jira refuses a summary over 255
characters or with a line break, and a label with a space. Such a file would validate
and then fail on every ``defects sync``, so ``validate`` says it first, at the field.

Passing: a defect titled ``Payments time out after 30s`` routed to Jira, a route with
``labels: [needs-triage]``.

Failing: a defect title of 300 characters, a title over two lines, a Jira route with
``labels: [needs triage]``, a GitHub label over 50 characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from incidentctl.load.document import SourceDocument
from incidentctl.load.errors import Loc
from incidentctl.model import RCA, DefectPolicy, Incident, Service
from incidentctl.model.defects import Route
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule

GITHUB_TITLE = 256
JIRA_SUMMARY = 255
GITHUB_LABEL = 50
JIRA_LABEL = 255
TRACKED_ACTIONS = frozenset({"fix", "prevent"})
_SPACE = re.compile(r"\s")


def route_of(
    policies: list[DefectPolicy], service: str | None, catalogue: Mapping[str, Service]
) -> Route | None:
    if service is None:
        return None
    return next((r for p in policies for r in p.routes if r.matches(service, catalogue)), None)


def title_problem(title: str, route: Route) -> str | None:
    """Why ``route``'s tracker would refuse ``title``, or None."""
    where, limit = ("GitHub", GITHUB_TITLE) if route.github else ("Jira", JIRA_SUMMARY)
    if "\n" in title.strip() or "\r" in title.strip():
        return f"{where} takes a title on one line: write it on one line (details go elsewhere)"
    if len(title) > limit:
        return (
            f"the title has {len(title)} characters and {where} takes at most {limit}: shorten it"
        )
    return None


def label_problem(label: str, route: Route) -> str | None:
    if route.jira is not None:
        if _SPACE.search(label):
            return f"Jira labels cannot contain spaces: write {_SPACE.sub('-', label)!r}"
        if len(label) > JIRA_LABEL:
            return f"Jira labels have at most {JIRA_LABEL} characters: shorten it"
    elif len(label) > GITHUB_LABEL:
        return f"GitHub labels have at most {GITHUB_LABEL} characters: shorten it"
    return None


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    workspace = context.workspace
    policies = workspace.defect_policies

    def titled(doc: SourceDocument, title: str, route: Route | None, loc: Loc) -> Iterator[Problem]:
        why = title_problem(title, route) if route is not None else None
        if why:
            yield doc.problem(rule.id, why, loc)

    for doc, incident in workspace.target_models(Incident):
        for index, defect in enumerate(incident.defects):
            if defect.tracker is None:
                route = route_of(policies, defect.service, workspace.services)
                yield from titled(doc, defect.title, route, ("defects", index, "title"))
    services = {i.id: i.services for _, i in workspace.models(Incident)}
    for doc, rca in workspace.target_models(RCA):
        first = services.get(rca.incident_ids[0]) or []
        route = route_of(policies, first[0] if first else None, workspace.services)
        for index, action in enumerate(rca.actions):
            if action.status == "open" and action.type in TRACKED_ACTIONS and not action.tracker:
                yield from titled(doc, action.title, route, ("actions", index, "title"))
    for doc, policy in workspace.target_models(DefectPolicy):
        for r, route in enumerate(policy.routes):
            for n, label in enumerate(route.labels):
                why = label_problem(label, route)
                if why:
                    yield doc.problem(
                        rule.id, f"label {label!r}: {why}", ("routes", r, "labels", n)
                    )


RULE = Rule("tracker-fields", "error", "defects and actions fit their tracker", check)
