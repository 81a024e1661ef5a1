"""The public status page's data: what customers may see, and nothing else.

Pure: the replayed history, the report built from it, the instant to show, and what
the catalogue says may be seen (``Visibility``). Only these fields of an incident reach
the public page: its id, its severity (as an impact), its status (as a Statuspage
status), the instants of its phases, its services (through their public names) and its
customer-audience updates, with every customer's name and contacts taken out. Titles,
summaries, internal updates, roles, customers, defects, RCAs and every field of the
catalogue but a service's public name never do: the public page is built from a list
of named fields, not by leaving fields out, so a field added to the documents later
stays private until it is named here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from incidentctl.history.model import History, IncidentState
from incidentctl.model import Customer, Service
from incidentctl.report.metrics import IncidentFigures, RcaIndex, Report, incident_story
from incidentctl.sla.clock import Phase
from incidentctl.sla.engine import ENDED, known_versions, present, rca_index

HISTORY_DAYS = 90

# SEV -> Statuspage impact; a mitigated incident (workaround in place) is at most minor.
IMPACT = {"SEV1": "critical", "SEV2": "major", "SEV3": "minor", "SEV4": "none"}
IMPACT_ORDER = ("none", "minor", "major", "critical")
# impact -> Statuspage component status
COMPONENT_STATUS = {
    "none": "operational",
    "minor": "degraded_performance",
    "major": "partial_outage",
    "critical": "major_outage",
}
# impact -> the page's overall description, as Statuspage words it
DESCRIPTION = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
}
# incident status -> Statuspage incident status
PUBLIC_STATUS = {
    "open": "investigating",
    "acknowledged": "identified",
    "waiting": "identified",
    "mitigated": "monitoring",
    "resolved": "resolved",
    "closed": "resolved",
}
# the name a public incident gets from its impact (titles are written for engineers)
IMPACT_NAME = {
    "critical": "Outage",
    "major": "Partial outage",
    "minor": "Degraded performance",
    "none": "Service notice",
}


@dataclass(frozen=True, slots=True)
class PublicUpdate:
    id: str
    at: datetime
    status: str  # the Statuspage status of the incident when the update landed
    body: str


@dataclass(frozen=True, slots=True)
class Span:
    """From ``start`` to ``end`` (None: still going) the incident had this impact."""

    start: datetime
    end: datetime | None
    impact: str


@dataclass(frozen=True, slots=True)
class PublicIncident:
    id: str
    name: str
    status: str
    impact: str  # the worst impact of its life
    created_at: datetime
    updated_at: datetime
    monitoring_at: datetime | None
    resolved_at: datetime | None
    components: tuple[str, ...]
    updates: tuple[PublicUpdate, ...]  # newest first, as Statuspage lists them
    spans: tuple[Span, ...]

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    @property
    def current_impact(self) -> str:
        return self.spans[-1].impact if self.spans and self.spans[-1].end is None else "none"


@dataclass(frozen=True, slots=True)
class Component:
    id: str
    name: str
    status: str
    position: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Day:
    day: date
    impact: str  # the worst impact of any incident on the component that day
    incidents: tuple[str, ...]


@dataclass
class StatusPage:
    title: str
    url: str
    as_of: datetime
    components: list[Component]
    incidents: list[PublicIncident]  # open first, then the last 90 days, newest first
    days: dict[str, list[Day]] = field(default_factory=dict)  # component -> oldest first

    @property
    def open_incidents(self) -> list[PublicIncident]:
        return [i for i in self.incidents if i.open]

    @property
    def indicator(self) -> str:
        return max(
            (i.current_impact for i in self.open_incidents),
            key=IMPACT_ORDER.index,
            default="none",
        )

    @property
    def description(self) -> str:
        return DESCRIPTION[self.indicator]


# what stands in an update for a customer's name or contact
WITHHELD = "[customer]"


@dataclass(frozen=True, slots=True)
class Visibility:
    """What the catalogue lets the public page show.

    ``names``: service -> its public name (None: not shown); None when there is no
    Service document, and then every service of a production incident is shown under
    its own name. ``shown_customers``: the customers whose incidents are shown; None
    when there is no Customer document, and then every incident is. ``withheld``:
    customer names and contacts' addresses that are never printed, even in a customer
    update, in any case; ``withheld_as_written``: contacts' names, never printed as
    written (a contact named "Operations" leaves "our operations team" alone).
    """

    names: Mapping[str, str | None] | None = None
    shown_customers: frozenset[str] | None = None
    withheld: tuple[str, ...] = ()
    withheld_as_written: tuple[str, ...] = ()

    def shows(self, customer: str | None) -> bool:
        return customer is None or self.shown_customers is None or customer in self.shown_customers

    def scrub(self, text: str) -> str:
        """``text`` with every withheld name or contact replaced as a whole word."""
        if self.withheld:
            text = _pattern(self.withheld, re.IGNORECASE).sub(WITHHELD, text)
        if self.withheld_as_written:
            text = _pattern(self.withheld_as_written).sub(WITHHELD, text)
        return text


def visibility(
    services: Mapping[str, Service] | None,
    customers: Mapping[str, Customer] | None,
    history: History | None = None,
) -> Visibility:
    """The catalogue's word on the page: services by their ``public_name`` (a service
    without one is not shown), incidents of customers whose ``status_page`` is
    ``public`` (the default is private), and every customer's name, display name and
    contacts withheld, as well as the customers named by the history's incidents.
    A customer's name may be written in any case; a contact's name only as written."""
    withheld: set[str] = set()
    as_written: set[str] = set()
    for customer in (customers or {}).values():
        withheld.update(n for n in (customer.name, customer.display_name) if n)
        withheld.update(contact.email for contact in customer.contacts)
        as_written.update(contact.name for contact in customer.contacts if contact.name)
    if history is not None:
        for timeline in history.incidents.values():
            withheld.update(st.customer for _, st in timeline.states if st and st.customer)
    return Visibility(
        names={n: s.public_name for n, s in services.items()} if services else None,
        shown_customers=frozenset(n for n, c in customers.items() if c.status_page == "public")
        if customers
        else None,
        withheld=tuple(sorted(w for w in withheld if w.strip())),
        withheld_as_written=tuple(sorted(w for w in as_written if w.strip())),
    )


def _pattern(words: Sequence[str], flags: int = 0) -> re.Pattern[str]:
    # longest first, so that "Acme Bank" goes whole before "Acme"; a word boundary only
    # where the word begins or ends with a word character
    parts = [
        (r"\b" if w[0].isalnum() or w[0] == "_" else "")
        + re.escape(w)
        + (r"\b" if w[-1].isalnum() or w[-1] == "_" else "")
        for w in sorted(set(words), key=lambda w: (-len(w), w))
    ]
    return re.compile("|".join(parts), flags)


def public_names(history: History, names: Mapping[str, str | None] | None) -> dict[str, str]:
    """Service -> the name shown on the page.

    With a catalogue (``names``), only services it gives a public name are shown;
    without one, every service of a production incident is shown under its own name.
    """
    if names is not None:
        return {service: public for service, public in names.items() if public and public.strip()}
    seen: dict[str, str] = {}
    for timeline in history.incidents.values():
        for _, state in timeline.states:
            if state is not None and state.environment == "production":
                seen.update((s, s) for s in state.services)
    return dict(sorted(seen.items()))


def build_status(
    history: History,
    report: Report,
    *,
    title: str,
    url: str = "",
    seen: Visibility | None = None,
    zone: tzinfo | None = None,
) -> StatusPage:
    """The status page as of ``report.as_of`` from the incidents of ``report``; its days
    are those of ``zone`` (UTC by default), the page's display zone."""
    as_of = report.as_of
    seen = seen or Visibility()
    shown = public_names(history, seen.names)
    if seen.names is None:  # services' own names, not chosen to be public: no customer's
        shown = {service: seen.scrub(name) for service, name in shown.items()}
    zone = zone or UTC
    first_day = as_of.astimezone(zone).date() - timedelta(days=HISTORY_DAYS - 1)
    start = midnight(first_day, zone)
    incidents: list[PublicIncident] = []
    rcas = rca_index(history)
    for figures in report.incidents:
        public = _public_incident(history, figures, as_of, shown, seen, rcas)
        if public is None:
            continue
        if public.open or (public.resolved_at is not None and public.resolved_at >= start):
            incidents.append(public)
    incidents.sort(key=lambda i: (not i.open, -i.created_at.timestamp(), i.id))
    components = _components(shown, incidents)
    days = {c.name: _days(c.name, incidents, first_day, as_of, zone) for c in components}
    return StatusPage(title, url, as_of, components, incidents, days)


def _public_incident(
    history: History,
    figures: IncidentFigures,
    as_of: datetime,
    shown: Mapping[str, str],
    seen: Visibility,
    rcas: RcaIndex,
) -> PublicIncident | None:
    if figures.status == "cancelled":
        return None  # a duplicate or a false alarm is not news to customers
    life = present(known_versions(history.incidents[figures.id].states, as_of))
    if not life:
        return None
    state = life[-1][1]
    if not seen.shows(state.customer):
        return None  # the customer's incidents stay off the page
    components = tuple(dict.fromkeys(shown[s] for s in state.services if s in shown))
    if not components:
        return None  # only services that are not on the page
    story = incident_story(history, figures.id, as_of, rcas)
    if story is None:
        return None
    spans: list[Span] = []
    monitoring_at = resolved_at = None
    for index, entry in enumerate(story.phases):
        phase = entry.phase
        end = story.phases[index + 1].phase.at if index + 1 < len(story.phases) else None
        if phase.status in ENDED:
            resolved_at = resolved_at or phase.at
            continue
        resolved_at = None
        if phase.status == "mitigated" and monitoring_at is None:
            monitoring_at = phase.at
        impact = IMPACT.get(phase.severity, "none")
        if phase.status == "mitigated" and IMPACT_ORDER.index(impact) > 1:
            impact = "minor"
        spans.append(Span(phase.at, end, impact))
    updates = _updates(figures.id, state, story.plain_phases, seen.scrub)
    status = PUBLIC_STATUS.get(state.status, "resolved")
    instants = [figures.opened_at, *(s.start for s in spans), *(u.at for u in updates)]
    if resolved_at is not None:
        instants.append(resolved_at)
    return PublicIncident(
        id=figures.id,
        name=f"{IMPACT_NAME[_worst(spans)]}: {', '.join(components)}",
        status=status,
        impact=_worst(spans),
        created_at=figures.opened_at,
        updated_at=max((i for i in instants if i <= as_of), default=figures.opened_at),
        monitoring_at=monitoring_at,
        resolved_at=resolved_at,
        components=components,
        updates=tuple(reversed(updates)),
        spans=tuple(spans),
    )


def _worst(spans: Sequence[Span]) -> str:
    return max((s.impact for s in spans), key=IMPACT_ORDER.index, default="none")


def _updates(
    incident_id: str,
    state: IncidentState,
    phases: Sequence[Phase],
    scrub: Callable[[str], str],
) -> list[PublicUpdate]:
    """The customer updates of the current version, each with the status in force when it
    was written (the phase of the incident at its ``at``), customers' names taken out."""

    def status_at(at: datetime) -> str:
        current = phases[0].status if phases else "open"
        for phase in phases:
            if phase.at > at:
                break
            current = phase.status
        return PUBLIC_STATUS.get(current, "resolved")

    return [
        PublicUpdate(f"{incident_id}-u{n}", u.at, status_at(u.at), scrub(u.text))
        for n, u in enumerate(sorted(state.customer_updates, key=lambda u: u.at), start=1)
    ]


def _components(shown: Mapping[str, str], incidents: Sequence[PublicIncident]) -> list[Component]:
    names = sorted(set(shown.values()))
    result = []
    for position, name in enumerate(names, start=1):
        touching = [i for i in incidents if name in i.components]
        now = max(
            (i.current_impact for i in touching if i.open), key=IMPACT_ORDER.index, default="none"
        )
        created = min((i.created_at for i in touching), default=None)
        updated = max((i.updated_at for i in touching), default=None)
        result.append(
            Component(
                id=slug(name),
                name=name,
                status=COMPONENT_STATUS[now],
                position=position,
                created_at=created or datetime(1970, 1, 1, tzinfo=UTC),
                updated_at=updated or datetime(1970, 1, 1, tzinfo=UTC),
            )
        )
    return result


def midnight(day: date, zone: tzinfo) -> datetime:
    """The instant ``day`` begins in ``zone`` (a day of a clock change is 23 or 25 hours)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _days(
    name: str, incidents: Sequence[PublicIncident], first: date, as_of: datetime, zone: tzinfo
) -> list[Day]:
    days = []
    for n in range(HISTORY_DAYS):
        day = first + timedelta(days=n)
        begin = midnight(day, zone)
        end = min(midnight(day + timedelta(days=1), zone), as_of)
        worst, ids = "none", []
        for incident in incidents:
            if name not in incident.components:
                continue
            for span in incident.spans:
                if span.start < end and (span.end is None or span.end > begin):
                    if IMPACT_ORDER.index(span.impact) >= IMPACT_ORDER.index(worst):
                        worst = span.impact
                    if incident.id not in ids:
                        ids.append(incident.id)
        days.append(Day(day, worst, tuple(ids)))
    return days


def slug(text: str) -> str:
    """A name as a file or anchor name: lower case letters, digits and dashes."""
    out = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in out.split("-") if part) or "x"
