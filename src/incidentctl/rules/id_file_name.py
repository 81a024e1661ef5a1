"""``id-file-name``: an incident's id equals its file name, and each id is used once.

Passing: ``incidents/2026/INC-2026-0042.yaml`` holding ``id: INC-2026-0042``.

Failing: the same file holding ``id: INC-2026-0043``; or a second
``incidents/old/INC-2026-0042.yaml`` anywhere under ``incidents/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from incidentctl.model import Incident
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule

_INCIDENT_ID = re.compile(r"^INC-\d{4}-\d{4,}$")


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    workspace = context.workspace
    for doc, incident in workspace.target_models(Incident):
        if incident.id != doc.stem:
            fix = f"rename the file to {incident.id}.yaml"
            if _INCIDENT_ID.match(doc.stem):
                fix += f" or set id: {doc.stem}"
            yield doc.problem(
                rule.id, f"id {incident.id!r} differs from the file name: {fix}", ("id",)
            )
        others = [p for p in workspace.incident_files.get(incident.id, []) if p != doc.path]
        if others:
            yield doc.problem(
                rule.id,
                f"id {incident.id} is also used by {', '.join(others)}: ids are unique, so "
                "give one of them the next free id",
                ("id",),
            )


RULE = Rule("id-file-name", "error", "ids are unique and equal to file names", check)
