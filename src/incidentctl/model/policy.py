"""SLAPolicy and Calendar documents (SPEC §2)."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping
from datetime import date
from typing import Annotated, Literal, Protocol

from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema, model_validator

from incidentctl.model.base import Document, Strict
from incidentctl.model.types import (
    Date,
    Duration,
    Handle,
    OneLine,
    Percent,
    Severity,
    Status,
    Tier,
    shown,
)

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]

METRICS: tuple[str, ...] = (
    "acknowledge",
    "first_update",
    "update_every",
    "mitigate",
    "resolve",
    "postmortem",
    "rca",
    "follow_up",
)
Metric = Literal[
    "acknowledge",
    "first_update",
    "update_every",
    "mitigate",
    "resolve",
    "postmortem",
    "rca",
    "follow_up",
]
BUILTIN_CALENDAR = "24x7"
# The RCA's follow-up review is held two to four weeks after publication: a policy
# targets it at four weeks (the seed policies do), and it is at risk from half its
# target on, when that window opens.
FOLLOW_UP_WINDOW = 0.5


class Catalogued(Protocol):
    """What a selector reads of a catalogued service (a ``Service``)."""

    @property
    def owner(self) -> str: ...
    @property
    def tier(self) -> int: ...


def team(handle: str) -> str:
    """A team handle without its ``@``: ``@payments`` and ``payments`` are one team."""
    return handle.lstrip("@")


def services_selected(
    names: Collection[str] | None,
    teams: Collection[str] | None,
    tiers: Collection[int] | None,
    services: Iterable[str],
    catalogue: Mapping[str, Catalogued],
) -> bool:
    """Whether one of ``services`` is selected by every service-level key given: named in
    ``names`` (``*`` names any), owned by one of ``teams``, of one of ``tiers``. A team or
    tier is read from the catalogue, so an uncatalogued service has none. No key: any."""
    if names is None and teams is None and tiers is None:
        return True
    wanted = {team(t) for t in teams} if teams is not None else None
    for name in services:
        if names is not None and name not in names and "*" not in names:
            continue
        if wanted is not None or tiers is not None:
            entry = catalogue.get(name)
            if entry is None:
                continue
            if wanted is not None and team(entry.owner) not in wanted:
                continue
            if tiers is not None and entry.tier not in tiers:
                continue
        return True
    return False


class Selector(Strict):
    customers: list[str] | None = None
    environments: list[Literal["production", "non-production"]] | None = None
    services: list[str] | None = None
    teams: list[Handle] | None = None
    tiers: list[Tier] | None = None

    def matches(
        self,
        customer: str | None,
        environment: str,
        services: Iterable[str],
        catalogue: Mapping[str, Catalogued] | None = None,
    ) -> bool:
        if self.customers is not None and customer not in self.customers:
            return False
        if self.environments is not None and environment not in self.environments:
            return False
        return services_selected(self.services, self.teams, self.tiers, services, catalogue or {})


class Target(Strict):
    calendar: Name = BUILTIN_CALENDAR
    acknowledge: Duration | None = None
    first_update: Duration | None = None
    update_every: Duration | None = None
    mitigate: Duration | None = None
    resolve: Duration | None = None
    postmortem: Duration | None = None
    rca: Duration | None = None
    # Counted on the 24x7 calendar whatever ``calendar`` says: a review is booked by date.
    follow_up: Duration | None = None

    def durations(self) -> dict[str, Duration]:
        return {m: d for m in METRICS if (d := getattr(self, m)) is not None}


class Escalation(Strict):
    at: Percent
    notify: Annotated[list[Handle], Field(min_length=1)]


class SLAPolicy(Document):
    kind: Literal["SLAPolicy"]
    name: Name
    description: str = ""
    applies_to: Selector = Selector()
    priority: int = 0
    clock: Literal["landed", "authored"] = "landed"
    imports: Literal["declared", "commit"] = "declared"
    pause_on: list[Status] = Field(default=["waiting"])
    warn_at: list[Percent] = Field(default=[])
    escalation: list[Escalation] = Field(default=[])
    targets: dict[Severity, Target]


def matching(
    policies: list[SLAPolicy],
    customer: str | None,
    environment: str,
    services: list[str],
    catalogue: Mapping[str, Catalogued] | None = None,
) -> list[SLAPolicy]:
    """The policies that apply to an incident, highest priority first. ``catalogue``
    (the services by name) gives each service's team and tier."""
    found = [
        p for p in policies if p.applies_to.matches(customer, environment, services, catalogue)
    ]
    return sorted(found, key=lambda p: (-p.priority, p.name))


def applicable(
    policies: list[SLAPolicy],
    customer: str | None,
    environment: str,
    services: list[str],
    severity: str,
    catalogue: Mapping[str, Catalogued] | None = None,
) -> SLAPolicy | None:
    """The one policy that judges an incident with these attributes: None outside
    production, for ``NONPROD``, and when no policy matches or several tie at the
    highest priority. ``catalogue`` gives each service's team and tier."""
    if environment != "production" or severity == "NONPROD":
        return None
    found = matching(policies, customer, environment, services, catalogue)
    top = [p for p in found if p.priority == found[0].priority] if found else []
    return top[0] if len(top) == 1 else None


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_days(spec: str) -> list[int]:
    """``mon-fri`` -> [0..4]; ``sat,sun`` -> [5, 6]; ``daily`` -> every day. ValueError if bad."""
    days: list[int] = []
    for part in spec.lower().replace(" ", "").split(","):
        if part in ("daily", "all"):
            days.extend(range(7))
        elif "-" in part:
            first, last = part.split("-", 1)
            start, end = _DAYS.index(first), _DAYS.index(last)
            wrapped = [*range(start, 7), *range(end + 1)]
            days.extend(range(start, end + 1) if start <= end else wrapped)
        else:
            days.append(_DAYS.index(part))
    return sorted(set(days))


def parse_window(text: str) -> tuple[int, int]:
    """``09:00-18:00`` -> minutes (540, 1080); an end at or before the start runs overnight."""
    match = _WINDOW_RE.match(text.strip())
    if match is None:
        raise ValueError(text)
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end > 24 * 60 or start == end:
        raise ValueError(text)
    return start, end


def _check_day_spec(value: str) -> str:
    try:
        parse_days(value)
    except ValueError:
        raise ValueError(
            f"{shown(value)} is not a day or range of days: use mon, tue, wed, thu, fri, sat, sun, "
            "ranges like mon-fri, lists like sat,sun, or daily"
        ) from None
    return value


def _check_window(value: str) -> str:
    try:
        parse_window(value)
    except ValueError:
        raise ValueError(
            f"{shown(value)} is not a time window: write HH:MM-HH:MM, e.g. 09:00-18:00 "
            "or 22:00-06:00"
        ) from None
    return value


DaySpec = Annotated[str, AfterValidator(_check_day_spec)]
Window = Annotated[
    str,
    AfterValidator(_check_window),
    WithJsonSchema({"type": "string", "pattern": _WINDOW_RE.pattern, "examples": ["09:00-18:00"]}),
]


class Holiday(Strict):
    date: Date
    name: OneLine = ""


class Calendar(Document):
    kind: Literal["Calendar"]
    name: Name
    description: str = ""
    timezone: str | None = None
    hours: dict[DaySpec, list[Window]] = Field(default={})
    holidays: list[Date | Holiday] = Field(default=[])
    union: list[Name] = Field(default=[])

    @model_validator(mode="after")
    def _hours_or_union(self) -> Calendar:
        if self.union:
            if self.hours or self.holidays or self.timezone:
                raise ValueError(
                    "a union calendar has only union: hours, holidays and timezone "
                    "belong to the calendars it joins"
                )
        elif not self.hours:
            raise ValueError("a calendar needs hours (with a timezone) or a union of calendars")
        elif self.timezone is None:
            raise ValueError("a calendar with hours needs a timezone, e.g. Europe/Berlin")
        return self

    def holiday_dates(self) -> list[date]:
        return [h.date if isinstance(h, Holiday) else h for h in self.holidays]
