"""Where each product defect and RCA action goes, and when its fix is due (pure).

The due date of a defect follows the DefectPolicy:

- the mode is the defect's own ``fix:`` when set, else the policy's ``fix`` for the
  governing severity; a ``SEV2`` whose policy says hotfix gets one only if the incident
  had no workaround at that time, otherwise ``next-release`` (SEV2 means "workaround
  possible": with a workaround in place the fix can ride the train);
- the governing severity is the incident's severity when the defect was recorded (the
  commit that first landed its key); if the severity changed later, the latest change
  governs from the time it landed, so a re-triage shows on the next sync;
- ``hotfix``: the deadline is that time plus the policy's hotfix duration (wall-clock
  time: a hotfix is a 24x7 promise), due on its UTC date;
- ``next-release``: the first release of the train whose freeze starts strictly after
  the defect was recorded; releases fall on ``first + k * every`` (k >= 0) and a freeze
  starts at 00:00 UTC of the release date minus ``freeze``.

RCA actions (open, of type ``fix`` or ``prevent``, without a tracker) are routed by
their incident's first service and are due on their own ``due:`` date.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from incidentctl.model.defects import DefectPolicy, Hotfix, ReleaseTrain, Route
from incidentctl.model.policy import Catalogued
from incidentctl.model.types import iso

DEFECT_LABEL = "incident-defect"
"""Every ticket carries it; GitHub issues are found again by listing it."""

ItemKind = Literal["defect", "action"]
Mode = Literal["hotfix", "next-release"]


@dataclass(frozen=True, slots=True)
class Recorded:
    """What history says about a defect: when it landed and the severity story since."""

    at: datetime
    severity: str
    workaround: bool
    # The latest severity change after ``at`` (when, new severity, workaround then).
    changed_at: datetime | None = None
    changed_to: str | None = None
    changed_workaround: bool = False


@dataclass(frozen=True, slots=True)
class Source:
    """One defect or RCA action as the files hold it, before planning."""

    kind: ItemKind
    incident_id: str
    key: str  # the defect key or the action id
    title: str
    service: str | None
    path: str  # the file to write the reference into, relative to the repository
    index: int  # its position in ``defects`` or ``actions``
    tracker: str | None
    fix: Mode | None = None  # a defect's own fix mode
    due: date | None = None  # an action's own due date
    recorded: Recorded | None = None  # None: not on the audited branch yet
    final: bool = False  # the incident is closed or cancelled
    status: str | None = None  # an action's status
    fixed_in: str | None = None  # a defect's release, as written back


@dataclass(frozen=True, slots=True)
class Planned:
    """Where one item goes and why; ``problem`` says why it cannot go anywhere."""

    source: Source
    route: Route | None
    labels: tuple[str, ...]
    due: date | None
    why: str
    problem: str | None = None

    @property
    def marker(self) -> str:
        return marker(self.source)

    @property
    def destination(self) -> str:
        route = self.route
        if route is None:
            return "-"
        if route.github is not None:
            return f"github:{route.github}"
        assert route.jira is not None
        return f"jira:{route.jira.project} ({route.jira.issue_type})"


def marker(source: Source) -> str:
    """The hidden marker naming the item: ``incidentctl:defect INC-2026-0042/key``."""
    return f"incidentctl:{source.kind} {source.incident_id}/{source.key}"


_LABEL_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def marker_label(source: Source) -> str:
    """The marker as a Jira label: no spaces, only ``[A-Za-z0-9_.-]``, under 255 chars."""
    kind = "" if source.kind == "defect" else "action-"
    text = f"incidentctl-{kind}{source.incident_id}-{source.key}"
    return _LABEL_UNSAFE.sub("_", text)[:255]


def release_due(recorded_at: datetime, train: ReleaseTrain) -> tuple[date, datetime]:
    """The first release whose freeze starts after ``recorded_at``, and that freeze start."""
    every = train.every.delta
    step_days = max(1, round(every / timedelta(days=1)))
    start0 = datetime.combine(train.first, time(0), UTC) - train.freeze.delta
    k = 0
    if recorded_at >= start0:
        k = (recorded_at - start0) // timedelta(days=step_days)
    while True:
        release = train.first + timedelta(days=step_days * k)
        freeze = datetime.combine(release, time(0), UTC) - train.freeze.delta
        if freeze > recorded_at:
            return release, freeze
        k += 1


def hotfix_duration(policy: DefectPolicy, severity: str) -> Hotfix | None:
    """The hotfix deadline for ``severity``, else the policy's shortest one."""
    rule = policy.fix.get(severity)  # type: ignore[call-overload]
    if isinstance(rule, Hotfix):
        return rule
    hotfixes = [r for r in policy.fix.values() if isinstance(r, Hotfix)]
    return min(hotfixes, key=lambda h: h.hotfix.seconds) if hotfixes else None


def _policy_mode(policy: DefectPolicy, severity: str, workaround: bool) -> tuple[Mode, str]:
    rule = policy.fix.get(severity)  # type: ignore[call-overload]
    if isinstance(rule, Hotfix):
        if severity == "SEV2" and workaround:
            return "next-release", "SEV2 with a workaround in place: next release"
        return "hotfix", f"{severity} policy: hotfix within {rule.hotfix}"
    if rule == "next-release":
        return "next-release", f"{severity} policy: next release"
    return "next-release", f"the policy sets no fix for {severity}: next release"


def defect_due(
    policy: DefectPolicy, recorded: Recorded, own: Mode | None
) -> tuple[date | None, str]:
    """The due date of a defect and the reason, as the module docstring says."""
    severity, since, workaround = recorded.severity, recorded.at, recorded.workaround
    story = f"recorded {iso(recorded.at)} at {recorded.severity}"
    if recorded.changed_at is not None and recorded.changed_to is not None:
        severity, since = recorded.changed_to, recorded.changed_at
        workaround = recorded.changed_workaround
        story += f", {severity} since {iso(since)}"
    if own is not None:
        mode: Mode = own
        reason = f"fix: {own} set on the defect"
    else:
        mode, reason = _policy_mode(policy, severity, workaround)
    if mode == "hotfix":
        rule = hotfix_duration(policy, severity)
        if rule is None:
            return None, f"{story}; {reason}, but the policy sets no hotfix deadline"
        deadline = since + rule.hotfix.delta
        return deadline.astimezone(UTC).date(), (
            f"{story}; {reason}: hotfix by {iso(deadline)} ({iso(since)} + {rule.hotfix})"
        )
    train = policy.release_train
    if train is None:
        return None, f"{story}; {reason}, but the policy has no release_train"
    release, freeze = release_due(recorded.at, train)
    return release, (
        f"{story}; {reason}: release {release.isoformat()}, whose freeze starts {iso(freeze)}"
    )


def route_for(
    policies: Sequence[DefectPolicy],
    service: str,
    catalogue: Mapping[str, Catalogued] | None = None,
) -> tuple[DefectPolicy, Route] | None:
    """The first route that takes the defects of ``service``: policies by name, routes in
    their order (``catalogue`` gives the service's team and tier)."""
    for policy in policies:
        for route in policy.routes:
            if route.matches(service, catalogue):
                return policy, route
    return None


def plan(
    sources: Sequence[Source],
    policies: Sequence[DefectPolicy],
    catalogue: Mapping[str, Catalogued] | None = None,
) -> list[Planned]:
    """One ``Planned`` per source, in order; an item without a route or history says why."""
    planned: list[Planned] = []
    for source in sources:
        found = route_for(policies, source.service, catalogue) if source.service else None
        if found is None and source.tracker:
            # already tracked: only its ticket's state is read back
            planned.append(Planned(source, None, (), source.due, "tracked"))
            continue
        if found is None:
            what = f"service {source.service!r}" if source.service else "no service"
            planned.append(
                Planned(
                    source,
                    None,
                    (),
                    None,
                    "",
                    f"no DefectPolicy route covers {what}: "
                    "add it to a route's services in policies/defects.yaml",
                )
            )
            continue
        policy, route = found
        labels = tuple(dict.fromkeys([DEFECT_LABEL, *route.labels]))
        if source.kind == "action":
            why = f"RCA action, due {source.due.isoformat()} as the RCA says" if source.due else (
                "RCA action without a due date: set due: in the RCA")  # fmt: skip
            planned.append(Planned(source, route, labels, source.due, why))
            continue
        if source.recorded is None:
            planned.append(
                Planned(
                    source,
                    route,
                    labels,
                    None,
                    "",
                    "the defect is not on the audited branch yet: commit and merge it first",
                )
            )
            continue
        due, why = defect_due(policy, source.recorded, source.fix)
        planned.append(Planned(source, route, labels, due, why))
    return planned
