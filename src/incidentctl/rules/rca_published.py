"""``rca-published``: a published RCA has a root cause, and its open actions an owner and due date.

Passing: ``status: published`` with one ``root_causes`` entry and every ``open``
action carrying ``owner`` and ``due``.

Failing: ``status: published`` with ``root_causes: []``; an open action without ``due``.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import RCA
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    for doc, rca in context.workspace.target_models(RCA):
        if rca.status != "published":
            continue
        if not rca.root_causes:
            yield doc.problem(
                rule.id,
                "a published RCA needs at least one root cause: add root_causes with "
                "category and description, or set status back to in-review",
                ("root_causes",) if "root_causes" in (doc.data or {}) else ("status",),
            )
        for index, action in enumerate(rca.actions):
            if action.status != "open":
                continue
            missing = [name for name in ("owner", "due") if getattr(action, name) is None]
            if missing:
                yield doc.problem(
                    rule.id,
                    f"open action {action.id!r} of a published RCA needs "
                    f"{' and '.join(missing)}: add {' and '.join(missing)} to it",
                    ("actions", index),
                )


RULE = Rule("rca-published", "error", "published RCAs are complete", check)
