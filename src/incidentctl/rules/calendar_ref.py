"""``calendar-ref``: calendars that targets and unions name exist; unions are acyclic.

Passing: ``targets: {SEV3: {calendar: emea-support}}`` with a Calendar named
``emea-support``; ``union: [apac-support, emea-support]``.

Failing: ``calendar: emea`` with no such calendar; ``a`` a union of ``b`` and ``b``
a union of ``a``; a timezone that is not an IANA name.
"""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidentctl.model import Calendar, SLAPolicy
from incidentctl.model.policy import BUILTIN_CALENDAR
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def _cycle(name: str, calendars: dict[str, Calendar]) -> list[str] | None:
    path: list[str] = []

    def visit(current: str) -> list[str] | None:
        if current in path:
            return [*path[path.index(current) :], current]
        calendar = calendars.get(current)
        if calendar is None:
            return None
        path.append(current)
        for member in calendar.union:
            found = visit(member)
            if found:
                return found
        path.pop()
        return None

    return visit(name)


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    workspace = context.workspace
    calendars = workspace.calendars
    known = {*calendars, BUILTIN_CALENDAR}
    also = workspace.unloaded_note(Calendar)
    for doc, policy in workspace.target_models(SLAPolicy):
        for severity, target in policy.targets.items():
            if target.calendar not in known and also is not None:
                yield doc.problem(
                    rule.id,
                    f"calendar {target.calendar!r} does not exist: use one of "
                    f"{', '.join(sorted(known))}, or add a Calendar named so{also}",
                    ("targets", severity, "calendar"),
                )
    for doc, calendar in workspace.target_models(Calendar):
        for index, member in enumerate(calendar.union):
            if member not in known and also is not None:
                yield doc.problem(
                    rule.id,
                    f"calendar {member!r} does not exist: use one of "
                    f"{', '.join(sorted(known))}, or add a Calendar named so{also}",
                    ("union", index),
                )
        cycle = _cycle(calendar.name, calendars)
        if cycle:
            yield doc.problem(
                rule.id,
                f"the union is circular: {' -> '.join(cycle)}: a union joins calendars with "
                "hours, never itself",
                ("union",),
            )
        if calendar.timezone is not None:
            try:
                ZoneInfo(calendar.timezone)
            except (ZoneInfoNotFoundError, ValueError):
                yield doc.problem(
                    rule.id,
                    f"timezone {calendar.timezone!r} is not an IANA time zone such as "
                    "Europe/Berlin or America/New_York",
                    ("timezone",),
                )


RULE = Rule("calendar-ref", "error", "referenced calendars exist and unions are acyclic", check)
