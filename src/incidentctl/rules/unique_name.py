"""``unique-name``: policy, calendar and catalogue names are unique per kind; ``24x7`` is built in.

Passing: two SLAPolicy files named ``gold`` and ``standard``.

Failing: two SLAPolicy files both named ``gold``; a Calendar named ``24x7``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from incidentctl.load.document import SourceDocument
from incidentctl.model import (
    Calendar,
    Customer,
    DefectPolicy,
    NotificationPolicy,
    Service,
    SLAPolicy,
)
from incidentctl.model.policy import BUILTIN_CALENDAR
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule

_NAMED = (SLAPolicy, Calendar, DefectPolicy, Service, Customer, NotificationPolicy)


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    workspace = context.workspace
    targets = {id(d) for d in workspace.targets}
    for kind in _NAMED:
        by_name: dict[str, list[SourceDocument]] = defaultdict(list)
        for doc in workspace.documents:
            model = doc.model
            if isinstance(model, _NAMED) and type(model) is kind:
                by_name[model.name].append(doc)
        for name, docs in by_name.items():
            for doc in docs:
                if id(doc) not in targets:
                    continue
                if kind is Calendar and name == BUILTIN_CALENDAR:
                    yield doc.problem(
                        rule.id, f"{BUILTIN_CALENDAR} is built in: choose another name", ("name",)
                    )
                others = [d.path for d in docs if d is not doc]
                if others:
                    yield doc.problem(
                        rule.id,
                        f"{kind.__name__} name {name!r} is also used by {', '.join(others)}: "
                        "names are unique per kind, so rename one of them",
                        ("name",),
                    )


RULE = Rule("unique-name", "error", "policy and calendar names are unique per kind", check)
