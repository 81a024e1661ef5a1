"""The figures of ``incidentctl report``, every one of them computed from the history replay.

Pure: a ``History``, the instant to report at, the RCA documents of the reported commit,
and the filters. Nothing here reads the clock or the work tree; the same history and the
same ``as_of`` give the same ``Report``, in the same order.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from incidentctl.history.model import History, IncidentState, RcaState, Stamp
from incidentctl.model import RCA
from incidentctl.model.incident import INTERNAL_SOURCES
from incidentctl.report.wording import changes
from incidentctl.sla.clock import DELETED
from incidentctl.sla.engine import (
    AFTERMATH,
    MITIGATED,
    IncidentResult,
    Mark,
    evaluate,
    evaluate_incident,
    known_versions,
    present,
    rca_index,
    rca_states_for,
    tell,
)
from incidentctl.sla.story import Story, StoryPhase

# incident -> the versions of the RCA that covers it (``rca_index``)
RcaIndex = dict[str, list[tuple[Stamp, RcaState | None]]]

DETECTION_GOAL = 0.9
TIMES = ("acknowledge", "mitigate", "resolve", "detect")  # MTTA, MTTM, MTTR, MTTD
TIME_LABELS = {"acknowledge": "MTTA", "mitigate": "MTTM", "resolve": "MTTR", "detect": "MTTD"}
SEVERITIES = ("SEV1", "SEV2", "SEV3", "SEV4")
RESOLVED = frozenset({"resolved", "closed"})
OPEN = frozenset({"open", "acknowledged", "mitigated", "waiting"})
# Attainment buckets of a metric state; pending and not_applicable are not counted.
BUCKET = {
    "met": "met",
    "missed": "missed",
    "breached": "breached",
    "running": "running",
    "at_risk": "running",
    "paused": "running",
}


@dataclass(frozen=True, slots=True)
class Stat:
    """Mean, median and 90th percentile of a list of durations, in seconds.

    ``missing`` counts the incidents the figure concerns whose instant is unknown
    (an imported record that declares no such milestone): they are left out of the
    figures, not counted as zero or as some other milestone.
    """

    count: int
    mean: float | None
    median: float | None
    p90: float | None = None
    missing: int = 0

    @classmethod
    def of(cls, values: Sequence[float], missing: int = 0) -> Stat:
        if not values:
            return cls(0, None, None, None, missing)
        ordered = sorted(values)
        # nearest rank: the smallest value with at least 90 % of the values at or below it
        p90 = ordered[max(0, -(-9 * len(ordered) // 10) - 1)]
        return cls(
            len(values),
            sum(values) / len(values),
            float(statistics.median(values)),
            float(p90),
            missing,
        )


@dataclass(frozen=True, slots=True)
class Event:
    """One thing that happened to an incident, and the commit behind it."""

    at: datetime
    what: str
    commit: str
    author: str


@dataclass
class IncidentFigures:
    """One incident as the report sees it: its instants and its SLA result."""

    id: str
    title: str
    severity: str
    status: str
    customer: str | None
    detection_source: str
    opened_at: datetime
    month: str
    times: dict[str, float | None]  # seconds from opening (MTTD: impact to opening)
    result: IncidentResult | None
    events: list[Event]
    # the figures this incident should have but whose instant is unknown
    missing: frozenset[str] = frozenset()
    resolution: str | None = None


@dataclass(frozen=True, slots=True)
class Attainment:
    metric: str
    severity: str
    customer: str
    met: int
    missed: int
    breached: int
    running: int

    @property
    def judged(self) -> int:
        return self.met + self.missed + self.breached

    @property
    def rate(self) -> float | None:
        return self.met / self.judged if self.judged else None


@dataclass(frozen=True, slots=True)
class Cadence:
    met: int
    missed: int
    running: int

    @property
    def rate(self) -> float | None:
        judged = self.met + self.missed
        return self.met / judged if judged else None


@dataclass(frozen=True, slots=True)
class DetectionShare:
    internal: int
    external: int
    goal: float = DETECTION_GOAL

    @property
    def share(self) -> float | None:
        total = self.internal + self.external
        return self.internal / total if total else None

    @property
    def meets_goal(self) -> bool | None:
        share = self.share
        return None if share is None else share > self.goal


@dataclass(frozen=True, slots=True)
class Breach:
    incident: str
    metric: str
    severity: str
    state: str
    breached_at: datetime
    evidence: tuple[Mark, ...]


@dataclass(frozen=True, slots=True)
class OverdueRca:
    incident: str
    metric: str  # postmortem or rca
    due_at: datetime | None
    rca_status: str | None  # None: no RCA yet


@dataclass(frozen=True, slots=True)
class OverdueAction:
    incident: str
    action: str
    title: str
    owner: str | None
    due: date
    days_overdue: int


@dataclass
class Report:
    as_of: datetime
    ref: str
    commit: str | None
    since: date | None
    until: date | None
    customer: str | None
    incidents: list[IncidentFigures]
    excluded_nonproduction: int
    times: dict[str, Stat]
    by_severity: dict[str, dict[str, Stat]]  # severity -> time -> stat
    by_month: dict[str, dict[str, Stat]]  # YYYY-MM -> time -> stat
    attainment: list[Attainment]
    cadence: Cadence
    detection: DetectionShare
    breaches: list[Breach]
    overdue_rcas: list[OverdueRca]
    overdue_actions: list[OverdueAction]
    open_incidents: list[IncidentFigures] = field(default_factory=list)
    false_alarms: int = 0  # cancelled as false alarms: counted, not dropped

    @property
    def false_alarm_rate(self) -> float | None:
        return self.false_alarms / len(self.incidents) if self.incidents else None


def build_report(
    history: History,
    as_of: datetime,
    rcas: Mapping[str, RCA] | None = None,
    *,
    since: date | None = None,
    until: date | None = None,
    customer: str | None = None,
) -> Report:
    """The report of the incidents opened between ``since`` and ``until`` (UTC dates, inclusive).

    ``rcas`` are the RCA documents of the reported commit, by file id; their actions
    are the only figures not in the replay's compact states.
    """
    ids = None
    if customer is not None:  # judge the customer's incidents only
        ids = [
            i
            for i, timeline in history.incidents.items()
            if (life := present(known_versions(timeline.states, as_of)))
            and life[-1][1].customer == customer
        ]
    board = evaluate(history, as_of, ids)
    results = {r.id: r for r in board.incidents}
    index = rca_index(history)  # once, not once per incident's story
    chosen: list[IncidentFigures] = []
    excluded = 0
    for incident_id in sorted(history.incidents):
        versions = known_versions(history.incidents[incident_id].states, as_of)
        life = present(versions)
        if not life:
            continue
        state = life[-1][1]
        if customer is not None and state.customer != customer:
            continue
        figures = _figures(history, incident_id, versions, results.get(incident_id), as_of, index)
        day = figures.opened_at.date()
        if (since is not None and day < since) or (until is not None and day > until):
            continue
        if not any(st.environment == "production" and st.severity != "NONPROD" for _, st in life):
            excluded += 1  # never under a customer SLA
            continue
        chosen.append(figures)
    counted = [f for f in chosen if f.status != "cancelled"]
    report = Report(
        as_of=as_of,
        ref=history.ref,
        commit=history.head,
        since=since,
        until=until,
        customer=customer,
        incidents=chosen,
        excluded_nonproduction=excluded,
        times=_stats(counted),
        by_severity={
            s: _stats([f for f in counted if f.severity == s])
            for s in sorted({f.severity for f in counted}, key=_severity_order)
        },
        by_month={
            m: _stats([f for f in counted if f.month == m])
            for m in sorted({f.month for f in counted})
        },
        attainment=_attainment(chosen),
        cadence=_cadence(chosen),
        detection=DetectionShare(
            sum(1 for f in counted if f.detection_source in INTERNAL_SOURCES),
            sum(1 for f in counted if f.detection_source not in INTERNAL_SOURCES),
        ),
        breaches=_breaches(chosen),
        overdue_rcas=_overdue_rcas(history, chosen),
        overdue_actions=_overdue_actions(rcas or {}, {f.id for f in chosen}, as_of),
        false_alarms=sum(
            1 for f in chosen if f.status == "cancelled" and f.resolution == "false-alarm"
        ),
    )
    report.open_incidents = [f for f in chosen if f.status in OPEN]
    return report


def incident_figures(history: History, incident_id: str, as_of: datetime) -> IncidentFigures | None:
    """One incident's figures as of ``as_of`` (None before it opened)."""
    timeline = history.incidents.get(incident_id)
    if timeline is None:
        return None
    versions = known_versions(timeline.states, as_of)
    if not versions:
        return None
    return _figures(
        history, incident_id, versions, evaluate_incident(history, incident_id, as_of), as_of
    )


def _severity_order(severity: str) -> tuple[int, str]:
    return (SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES), severity)


# The statuses that establish each time, and the declared milestone that may stand for it.
_MILESTONES: dict[str, tuple[str, frozenset[str] | None]] = {
    "acknowledge": ("acknowledged_at", None),  # any status past open
    "mitigate": ("mitigated_at", MITIGATED),
    "resolve": ("resolved_at", RESOLVED),
}


def _reaches(status: str, statuses: frozenset[str] | None) -> bool:
    return status not in ("open", DELETED) if statuses is None else status in statuses


def _figures(
    history: History,
    incident_id: str,
    versions: list[tuple[Stamp, IncidentState | None]],
    result: IncidentResult | None,
    as_of: datetime,
    rcas: RcaIndex | None = None,
) -> IncidentFigures:
    life = present(versions)
    state = life[-1][1]
    story = incident_story(history, incident_id, as_of, rcas)
    opened = story.opened.at if story is not None else life[0][0].landed_at
    times: dict[str, float | None] = dict.fromkeys(TIMES)
    missing: set[str] = set()
    if story is not None:
        for name, (milestone, reached) in _MILESTONES.items():
            entry = next((p for p in story.phases if _reaches(p.phase.status, reached)), None)
            if entry is None or entry.phase.status == "cancelled":
                continue
            if _established(story, entry, milestone):
                times[name] = (entry.evidence.at - opened).total_seconds()
            else:
                missing.add(name)
    if state.impact_started_at is not None:
        # impact noticed "before it started" is a typo in the file, not negative time
        times["detect"] = max(0.0, (opened - state.impact_started_at).total_seconds())
    elif state.status != "cancelled":
        missing.add("detect")
    return IncidentFigures(
        id=incident_id,
        title=state.title,
        severity=state.severity,
        status="deleted" if versions[-1][1] is None else state.status,
        customer=state.customer,
        detection_source=state.detection_source,
        opened_at=opened,
        month=opened.astimezone(UTC).strftime("%Y-%m"),
        times=times,
        result=result,
        events=incident_events(versions),
        missing=frozenset(missing),
        resolution=state.resolution,
    )


def _established(story: Story, entry: StoryPhase, milestone: str) -> bool:
    """Whether a commit or the matching declared milestone establishes the instant.

    An imported record's first version tells its story by declared milestones only: a
    status it arrives in, without the milestone, says that it happened, not when.
    """
    evidence = entry.evidence
    if not story.imported or story.first_stamp is None:
        return True
    if evidence.source == "declared":
        return evidence.field == f"milestones.{milestone}"
    return evidence.commit != story.first_stamp.sha


def incident_story(
    history: History, incident_id: str, as_of: datetime, rcas: RcaIndex | None = None
) -> Story | None:
    """The story the SLA engine tells of the incident (in the landed clock when no policy
    ever applied to it). ``rcas``: ``rca_index(history)``, when the caller tells many."""
    told = tell(history, incident_id, as_of, rcas=rcas)
    return told.story if told is not None else None


def incident_events(versions: Sequence[tuple[Stamp, IncidentState | None]]) -> list[Event]:
    """What each commit changed in the incident's tracked fields, oldest first."""
    events: list[Event] = []
    previous: IncidentState | None = None
    deleted = False
    for stamp, state in versions:
        if state is None:
            events.append(Event(stamp.landed_at, "File deleted", stamp.sha, stamp.author))
            deleted = True
            continue
        if deleted:
            events.append(Event(stamp.landed_at, "File restored", stamp.sha, stamp.author))
            deleted = False
        for what in changes(previous, state):
            events.append(Event(stamp.landed_at, what, stamp.sha, stamp.author))
        previous = state
    return events


def _stats(figures: Sequence[IncidentFigures]) -> dict[str, Stat]:
    return {
        name: Stat.of(
            [v for f in figures if (v := f.times[name]) is not None],
            sum(1 for f in figures if name in f.missing),
        )
        for name in TIMES
    }


def _attainment(figures: Sequence[IncidentFigures]) -> list[Attainment]:
    """Every cycle counted once, under the severity in force when it was met, missed or
    breached (a SEV1 miss stays a SEV1 miss after a downgrade)."""
    counts: dict[tuple[str, str, str], dict[str, int]] = {}
    for f in figures:
        if f.result is None:
            continue
        for m in f.result.metrics:
            for cycle in m.cycles:
                bucket = BUCKET.get(cycle.state)
                if bucket is None:
                    continue
                key = (m.metric, cycle.severity or f.severity, f.customer or "-")
                counts.setdefault(key, dict.fromkeys(("met", "missed", "breached", "running"), 0))
                counts[key][bucket] += 1
    order = {name: index for index, name in enumerate(_metric_order())}
    return [
        Attainment(metric, severity, customer, **counts[(metric, severity, customer)])
        for metric, severity, customer in sorted(
            counts, key=lambda k: (order.get(k[0], 99), _severity_order(k[1]), k[2])
        )
    ]


def _metric_order() -> tuple[str, ...]:
    from incidentctl.model.policy import METRICS

    return tuple(METRICS)


def _cadence(figures: Sequence[IncidentFigures]) -> Cadence:
    met = missed = running = 0
    for f in figures:
        if f.result is None:
            continue
        for m in f.result.metrics:
            if m.metric != "update_every":
                continue
            for cycle in m.cycles:
                if cycle.state == "met":
                    met += 1
                elif cycle.state in ("missed", "breached"):
                    missed += 1
                else:
                    running += 1
    return Cadence(met, missed, running)


def _breaches(figures: Sequence[IncidentFigures]) -> list[Breach]:
    """Every breached cycle, under the severity in force at its breach."""
    found = [
        Breach(
            f.id,
            m.metric,
            c.severity or f.severity,
            c.state,
            c.breached_at,
            tuple(m.evidence),
        )
        for f in figures
        if f.result is not None
        for m in f.result.metrics
        for c in m.cycles
        if c.breached_at is not None
    ]
    return sorted(found, key=lambda b: (b.breached_at, b.incident, b.metric))


def _overdue_rcas(history: History, figures: Sequence[IncidentFigures]) -> list[OverdueRca]:
    found = []
    for f in figures:
        if f.result is None:
            continue
        for m in f.result.metrics:
            if m.metric in AFTERMATH and m.state == "breached":
                versions = rca_states_for(history, f.id)
                last = versions[-1][1] if versions else None
                found.append(OverdueRca(f.id, m.metric, m.due_at, last.status if last else None))
    return found


def _overdue_actions(
    rcas: Mapping[str, RCA], incidents: set[str], as_of: datetime
) -> list[OverdueAction]:
    today = as_of.astimezone(UTC).date()
    found = []
    for rca_id in sorted(rcas):
        rca = rcas[rca_id]
        covered = [i for i in rca.incident_ids if i in incidents]
        if not covered:
            continue
        for action in rca.actions:
            if action.status == "open" and action.due is not None and action.due < today:
                found.append(
                    OverdueAction(
                        covered[0],
                        action.id,
                        action.title,
                        action.owner,
                        action.due,
                        (today - action.due).days,
                    )
                )
    return sorted(found, key=lambda a: (a.due, a.incident, a.action))


def seconds_text(value: float | None) -> str:
    """A duration in whole seconds for tables: ``1h30m``; ``-`` when there is none."""
    from incidentctl.model.types import format_duration

    return "-" if value is None else format_duration(round(value))


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"
