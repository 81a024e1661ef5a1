"""``business-days``: durations in days or weeks are only allowed on the 24x7 calendar.

A "day" of business hours is ambiguous (8 business hours? a calendar day?), so write
business-hours targets in hours. ``follow_up`` is the exception: the RCA's follow-up
review is booked by date and always counts calendar time.

Passing: ``SEV1: {calendar: 24x7, rca: 3d}``; ``SEV3: {calendar: emea-support, resolve: 24h}``.

Failing: ``SEV3: {calendar: emea-support, resolve: 3d}``.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import SLAPolicy
from incidentctl.model.policy import BUILTIN_CALENDAR
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    for doc, policy in context.workspace.target_models(SLAPolicy):
        for severity, target in policy.targets.items():
            if target.calendar == BUILTIN_CALENDAR:
                continue
            for metric, duration in target.durations().items():
                if duration.uses_days and metric != "follow_up":  # counted on 24x7
                    yield doc.problem(
                        rule.id,
                        f"{metric}: {duration} counts days on the business-hours calendar "
                        f"{target.calendar!r}, where a day is ambiguous: write the target in "
                        "business hours (three 8-hour days are 24h) or use calendar 24x7",
                        ("targets", severity, metric),
                    )


RULE = Rule("business-days", "error", "day durations only on the 24x7 calendar", check)
