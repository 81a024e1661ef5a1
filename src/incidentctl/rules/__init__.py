"""Validation rules, one module each, and the registry that lists them."""

from __future__ import annotations

from collections.abc import Iterable

from incidentctl.problems import Problem
from incidentctl.rules import (
    business_days,
    calendar_ref,
    catalogue_ref,
    clamped_commit,
    closed_immutable,
    commander_required,
    defect_keys,
    defect_route,
    evidence_removed,
    id_file_name,
    id_reused,
    imported_record,
    notify_config,
    rca_incident,
    rca_published,
    resolution_required,
    sla_policy_match,
    status_transition,
    tracker_fields,
    unique_name,
    updates_order,
    workaround_required,
)
from incidentctl.rules.base import Context, Rule

REGISTRY: tuple[Rule, ...] = (
    id_file_name.RULE,
    unique_name.RULE,
    rca_incident.RULE,
    calendar_ref.RULE,
    business_days.RULE,
    sla_policy_match.RULE,
    workaround_required.RULE,
    resolution_required.RULE,
    commander_required.RULE,
    updates_order.RULE,
    defect_keys.RULE,
    rca_published.RULE,
    defect_route.RULE,
    imported_record.RULE,
    tracker_fields.RULE,
    catalogue_ref.RULE,
    notify_config.RULE,
    # history rules: they compare with the audited branch and need its replay
    status_transition.RULE,
    closed_immutable.RULE,
    id_reused.RULE,
    clamped_commit.RULE,
    evidence_removed.RULE,
)
RULE_BY_ID = {rule.id: rule for rule in REGISTRY}
assert len(RULE_BY_ID) == len(REGISTRY), "rule ids are unique"


def run_rules(context: Context, rules: Iterable[Rule] = REGISTRY) -> list[Problem]:
    """Every problem in the targets: loading problems first, then each rule's, sorted."""
    problems = [p for doc in context.workspace.targets for p in doc.problems]
    for rule in rules:
        problems.extend(rule.run(context))
    return sorted(set(problems))


__all__ = ["REGISTRY", "RULE_BY_ID", "Context", "Rule", "run_rules"]
