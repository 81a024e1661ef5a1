"""``catalogue-ref``: once a catalogue exists, services and customers are named from it.

With at least one Service document, every service an incident, a defect, an SLA policy,
a defect route or a notification route names must be a catalogued Service, and every
team such a selector names must own a catalogued service (a team is a service's
``owner``); a tier no catalogued service has is a warning, as it selects nothing yet.
Selecting by team or tier without any Service is an error: it can match nothing. With
at least one Customer document, every customer named must be a catalogued Customer. A
Customer's ``contract`` names an SLA policy. The nearest known name is suggested.

Passing: ``services: [payments-api]`` with a Service named ``payments-api``.

Failing: ``services: [payment-api]`` with Services ``payments-api`` and ``ledger``
("did you mean 'payments-api'?"); ``customer: acme`` with only ``acme-bank`` catalogued;
``teams: ['@payment']`` when ``@payments`` owns the services.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterator

from incidentctl.load.document import SourceDocument
from incidentctl.load.errors import Loc
from incidentctl.model import (
    Customer,
    DefectPolicy,
    Incident,
    NotificationPolicy,
    Service,
    SLAPolicy,
)
from incidentctl.model.defects import Route as DefectRoute
from incidentctl.model.notify import Route
from incidentctl.model.policy import Selector, team
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def suggestion(name: str, known: Collection[str]) -> str:
    """``: did you mean 'payments-api'?`` for the nearest known name, else ``""``."""
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return f": did you mean {close[0]!r}?" if close else ""


def _unknown(
    doc: SourceDocument,
    rule: Rule,
    what: str,
    name: str,
    known: Collection[str],
    loc: Loc,
    folder: str,
    also: str,
) -> Problem:
    hint = suggestion(name, known)
    fix = "" if hint else f": use one of {', '.join(sorted(known))}, or add it to {folder}/"
    return doc.problem(rule.id, f"{what} {name!r} is not in the catalogue{hint}{fix}{also}", loc)


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    workspace = context.workspace
    services, customers = workspace.services, workspace.customers
    service_note = workspace.unloaded_note(Service)
    customer_note = workspace.unloaded_note(Customer)
    # A catalogue document that failed to load is reported; what follows from it is not.
    check_services = bool(services) and service_note is not None
    check_customers = bool(customers) and customer_note is not None
    teams = {team(s.owner) for s in services.values()}
    tiers = {s.tier for s in services.values()}

    def service_refs(doc: SourceDocument, names: list[str] | None, loc: Loc) -> Iterator[Problem]:
        for index, name in enumerate(names or ()):
            if check_services and name != "*" and name not in services:
                yield _unknown(
                    doc,
                    rule,
                    "service",
                    name,
                    services,
                    (*loc, index),
                    "services",
                    service_note or "",
                )

    def customer_refs(doc: SourceDocument, names: list[str] | None, loc: Loc) -> Iterator[Problem]:
        for index, name in enumerate(names or ()):
            if check_customers and name not in customers:
                yield _unknown(
                    doc,
                    rule,
                    "customer",
                    name,
                    customers,
                    (*loc, index),
                    "customers",
                    customer_note or "",
                )

    def selector_refs(
        doc: SourceDocument, selected: Selector | Route | DefectRoute, loc: Loc
    ) -> Iterator[Problem]:
        if isinstance(selected, DefectRoute):
            if isinstance(selected.services, list):
                yield from service_refs(doc, selected.services, (*loc, "services"))
                return
            loc, selected = (*loc, "services"), selected.services
        yield from service_refs(doc, selected.services, (*loc, "services"))
        if service_note is None:
            return  # a Service that failed to load is reported; what follows from it is not
        for key in ("teams", "tiers"):
            given = getattr(selected, key)
            if given is not None and not services:
                yield doc.problem(
                    rule.id,
                    f"{key} select catalogued services, and there are none: add Service "
                    f"documents under services/, or select by services",
                    (*loc, key),
                )
        for number, handle in enumerate(selected.teams or () if services else ()):
            if team(handle) not in teams:
                hint = suggestion(team(handle), teams)
                yield doc.problem(
                    rule.id,
                    f"team {handle!r} owns no catalogued service{hint}"
                    + ("" if hint else f": owners are {', '.join(sorted(teams))}"),
                    (*loc, "teams", number),
                )
        for number, tier in enumerate(selected.tiers or () if services else ()):
            if tier not in tiers:
                yield doc.problem(
                    rule.id,
                    f"no catalogued service has tier {tier}, so this selects none yet "
                    f"(tiers in use: {', '.join(str(t) for t in sorted(tiers))})",
                    (*loc, "tiers", number),
                    level="warning",
                )

    for doc, incident in workspace.target_models(Incident):
        yield from service_refs(doc, incident.services, ("services",))
        for index, defect in enumerate(incident.defects):
            yield from service_refs(doc, [defect.service], ("defects", index, "service"))
        if check_customers and incident.customer is not None:
            yield from customer_refs(doc, [incident.customer], ("customer",))
    for doc, policy in workspace.target_models(SLAPolicy):
        yield from selector_refs(doc, policy.applies_to, ("applies_to",))
        yield from customer_refs(doc, policy.applies_to.customers, ("applies_to", "customers"))
    for doc, defects in workspace.target_models(DefectPolicy):
        for index, defect_route in enumerate(defects.routes):
            yield from selector_refs(doc, defect_route, ("routes", index))
    for doc, notifications in workspace.target_models(NotificationPolicy):
        for index, route in enumerate(notifications.routes):
            yield from selector_refs(doc, route, ("routes", index))
            yield from customer_refs(doc, route.customers, ("routes", index, "customers"))
    policies = {p.name for p in workspace.policies}
    policy_note = workspace.unloaded_note(SLAPolicy)
    for doc, customer in workspace.target_models(Customer):
        contract = customer.contract
        if contract is not None and contract not in policies and policy_note is not None:
            hint = suggestion(contract, policies)
            yield doc.problem(
                rule.id,
                f"contract {contract!r} names no SLA policy{hint}"
                + ("" if hint else f": use one of {', '.join(sorted(policies)) or 'none yet'}")
                + policy_note,
                ("contract",),
            )


RULE = Rule("catalogue-ref", "error", "services and customers are catalogued", check)
