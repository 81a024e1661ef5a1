"""``resolution-required``: resolved, closed and cancelled incidents say how they ended.

Passing: ``status: resolved`` with ``resolution: {kind: fixed, summary: Rolled back 4.2.1}``;
``status: cancelled`` with ``resolution: {kind: duplicate, summary: ...,
duplicate_of: INC-2026-0041}``.

Failing: ``status: closed`` without ``resolution``; ``kind: duplicate`` without
``duplicate_of``; ``duplicate_of`` naming the incident itself or one that does not exist.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import Incident
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule

ENDED = ("resolved", "closed", "cancelled")


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    known = context.workspace.incident_files
    for doc, incident in context.workspace.target_models(Incident):
        resolution = incident.resolution
        if incident.status in ENDED and resolution is None:
            yield doc.problem(
                rule.id,
                f"status {incident.status} needs a resolution: add resolution: "
                "{kind: fixed|workaround|duplicate|false-alarm, summary: ...}",
                ("status",),
            )
            continue
        if resolution is None:
            continue
        if resolution.kind == "duplicate" and resolution.duplicate_of is None:
            yield doc.problem(
                rule.id,
                "a duplicate names the incident it duplicates: add duplicate_of: INC-...",
                ("resolution", "kind"),
            )
        target = resolution.duplicate_of
        if target is not None and (target == incident.id or target not in known):
            why = (
                "this incident itself: name the incident it duplicates"
                if target == incident.id
                else f"{target}, which does not exist under incidents/: check the id"
            )
            yield doc.problem(rule.id, f"duplicate_of names {why}", ("resolution", "duplicate_of"))


RULE = Rule("resolution-required", "error", "ended incidents need a resolution", check)
