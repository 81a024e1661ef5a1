"""``rca-incident``: an RCA names incidents that exist, and its file is named after one.

Passing: ``INC-2026-0042.rca.yaml`` with ``incident: INC-2026-0042`` next to
``INC-2026-0042.yaml``.

Failing: ``incident: INC-2026-9999`` when no such incident file exists; an RCA in a
file not named ``ID.rca.yaml``; a second RCA file for the same incident.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import RCA
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    workspace = context.workspace
    for doc, rca in workspace.target_models(RCA):
        named: list[tuple[str, tuple[str | int, ...]]] = [
            *([(rca.incident, ("incident",))] if rca.incident else []),
            *((name, ("incidents", index)) for index, name in enumerate(rca.incidents or [])),
        ]
        for incident, loc in named:
            if incident not in workspace.incident_files:
                yield doc.problem(
                    rule.id,
                    f"incident {incident} does not exist: there is no {incident}.yaml under "
                    "incidents/; check the id",
                    loc,
                )
        if not doc.path.endswith((".rca.yaml", ".rca.yml")):
            yield doc.problem(
                rule.id,
                f"an RCA's file is named ID.rca.yaml: rename it to {rca.incident_ids[0]}.rca.yaml",
                ("kind",),
            )
        others = [p for p in workspace.rca_files.get(doc.stem, []) if p != doc.path]
        if others:
            yield doc.problem(
                rule.id,
                f"{doc.stem} has another RCA file, {', '.join(others)}: keep one RCA per incident",
                ("kind",),
            )
        if doc.stem not in rca.incident_ids:
            yield doc.problem(
                rule.id,
                f"the file is named after {doc.stem}, which this RCA does not cover: "
                f"name it {rca.incident_ids[0]}.rca.yaml",
                ("incident",) if rca.incident else ("incidents",),
            )


RULE = Rule("rca-incident", "error", "RCAs reference existing incidents", check)
