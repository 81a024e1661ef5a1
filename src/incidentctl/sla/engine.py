"""The SLA engine: from a replayed history to the state of every incident's metrics.

Pure: the history, the instant to judge at, and nothing else. Each incident is
judged by the SLA policies and calendars as they stood on the audited branch when it
was opened (SPEC §3), chosen by its current customer, environment and services.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from incidentctl.history.model import History, IncidentState, RcaState, Stamp
from incidentctl.model import Calendar, SLAPolicy
from incidentctl.model.policy import BUILTIN_CALENDAR, METRICS, matching
from incidentctl.sla.calendar import BusinessCalendar, CalendarError, build_calendar
from incidentctl.sla.clock import SEVERITY_OF_STATE, Cycle, Phase, Rules, State, measure
from incidentctl.sla.story import Evidence, Story, StoryPhase, build_story

ENDED = frozenset({"resolved", "closed", "cancelled"})
MITIGATED = frozenset({"mitigated", "resolved", "closed", "cancelled"})


@dataclass(frozen=True, slots=True)
class Mark:
    """An entry of a metric's evidence: start, pause, resume, severity, stop."""

    event: str
    evidence: Evidence
    detail: str = ""


@dataclass
class MetricResult:
    metric: str
    state: State
    target: timedelta | None = None
    elapsed: timedelta = timedelta(0)
    due_at: datetime | None = None
    breached_at: datetime | None = None
    cycles: list[Cycle] = field(default_factory=list)
    evidence: list[Mark] = field(default_factory=list)

    @property
    def remaining(self) -> timedelta | None:
        return None if self.target is None else self.target - self.elapsed


@dataclass
class IncidentResult:
    id: str
    title: str
    severity: str
    status: str
    customer: str | None
    policy: str | None
    metrics: list[MetricResult]
    opened_at: datetime | None = None
    note: str = ""


@dataclass
class Board:
    as_of: datetime
    ref: str
    commit: str | None
    incidents: list[IncidentResult]


class CalendarCache:
    """Built calendars, reused across incidents judged by the same calendar documents.

    A calendar caches its per-day intervals, so building it once per run (not once per
    metric) is what keeps the engine fast.
    """

    def __init__(self) -> None:
        self._built: dict[tuple[str, tuple[tuple[str, int], ...]], BusinessCalendar] = {}

    def get(self, name: str, calendars: dict[str, Calendar]) -> BusinessCalendar:
        key = (name, tuple(sorted((n, id(m)) for n, m in calendars.items())))
        built = self._built.get(key)
        if built is None:
            built = self._built[key] = build_calendar(name, calendars)
        return built


def evaluate(
    history: History,
    as_of: datetime,
    ids: Iterable[str] | None = None,
    skip: Collection[str] = frozenset(),
) -> Board:
    """Judge every incident (or ``ids``) as of ``as_of``; ``skip`` names known results."""
    wanted = set(ids) if ids is not None else None
    cache = CalendarCache()
    rcas = rca_index(history)
    results = []
    for incident_id in sorted(history.incidents):
        if (wanted is not None and incident_id not in wanted) or incident_id in skip:
            continue
        result = evaluate_incident(history, incident_id, as_of, cache, rcas=rcas)
        if result is not None:
            results.append(result)
    return Board(as_of, history.ref, history.head, results)


def current_life(
    states: Sequence[tuple[Stamp, IncidentState | None]],
) -> list[tuple[Stamp, IncidentState]]:
    """The states since the file was last (re)created; empty if it is deleted now."""
    life: list[tuple[Stamp, IncidentState]] = []
    for stamp, state in states:
        if state is None:
            life = []
        else:
            life.append((stamp, state))
    return life


def rca_index(history: History) -> dict[str, list[tuple[Stamp, RcaState | None]]]:
    """For each incident, the versions of the RCA that covers it: the one named after it,
    else the first (by file name) that lists it."""
    index: dict[str, list[tuple[Stamp, RcaState | None]]] = {}
    for name in sorted(history.rcas):
        versions = history.rcas[name]
        covered = {i for _, state in versions if state is not None for i in state.incidents}
        for incident_id in sorted(covered):
            index.setdefault(incident_id, versions)
    for name, versions in history.rcas.items():
        if versions:
            index[name] = versions
    return index


def rca_states_for(history: History, incident_id: str) -> list[tuple[Stamp, RcaState | None]]:
    """The versions of the RCA that covers the incident (the one named after it first)."""
    return rca_index(history).get(incident_id, [])


Snapshot = tuple[list[SLAPolicy], dict[str, Calendar]]


def evaluate_incident(
    history: History,
    incident_id: str,
    as_of: datetime,
    cache: CalendarCache | None = None,
    snapshot: Snapshot | None = None,
    rcas: dict[str, list[tuple[Stamp, RcaState | None]]] | None = None,
) -> IncidentResult | None:
    """One incident's metrics as of ``as_of``.

    ``snapshot`` replaces the policies and calendars it is judged by (by default those
    on the branch when it opened): ``audit`` asks what a later policy would have said.
    """
    timeline = history.incidents[incident_id]
    # filter first: a deletion or re-creation after as_of is not known yet
    life = current_life([(s, st) for s, st in timeline.states if s.landed_at <= as_of])
    if not life:
        return None
    state = life[-1][1]
    policies, calendars = snapshot if snapshot is not None else history.policies_at(life[0][0].seq)
    result = IncidentResult(
        state.id, state.title, state.severity, state.status, state.customer, None, []
    )
    if state.environment != "production" or state.severity == "NONPROD":
        result.metrics = [MetricResult(m, "not_applicable") for m in METRICS]
        result.note = "no customer SLA outside production"
        return result
    found = matching(policies, state.customer, state.environment, list(state.services))
    top = [p for p in found if found and p.priority == found[0].priority]
    if len(top) != 1:
        result.metrics = [MetricResult(m, "not_applicable") for m in METRICS]
        result.note = "no SLA policy applies" if not top else "several SLA policies tie"
        return result
    policy = top[0]
    result.policy = policy.name
    story = build_story(
        life,
        (rcas if rcas is not None else rca_index(history)).get(incident_id, []),
        clock=policy.clock,
        use_declared=policy.imports == "declared",
        as_of=as_of,
    )
    if story is None:
        return None
    result.opened_at = story.opened.at
    try:
        result.metrics = judge(story, policy, calendars, as_of, cache or CalendarCache())
    except CalendarError as error:
        # a calendar that was broken on the branch when the incident opened
        result.metrics = [MetricResult(m, "not_applicable") for m in METRICS]
        result.note = f"policy {policy.name}: {error}"
    return result


def judge(
    story: Story,
    policy: SLAPolicy,
    calendars: dict[str, Calendar],
    as_of: datetime,
    cache: CalendarCache,
) -> list[MetricResult]:
    """Every metric of one incident's story under one policy."""
    return [_metric(story, policy, calendars, metric, as_of, cache) for metric in METRICS]


def _rules(
    policy: SLAPolicy, calendars: dict[str, Calendar], metric: str, cache: CalendarCache
) -> Rules:
    def calendar_for(severity: str) -> BusinessCalendar:
        target = policy.targets.get(severity)  # type: ignore[call-overload]
        name = target.calendar if target is not None else BUILTIN_CALENDAR
        return cache.get(name, calendars)

    def target_for(severity: str) -> timedelta | None:
        target = policy.targets.get(severity)  # type: ignore[call-overload]
        duration = getattr(target, metric, None) if target is not None else None
        return duration.delta if duration is not None else None

    return Rules(
        target=target_for,
        calendar=calendar_for,
        pause_on=frozenset(policy.pause_on),
        warn_at=min(policy.warn_at) if policy.warn_at else None,
    )


def _first(phases: Sequence[StoryPhase], statuses: frozenset[str]) -> StoryPhase | None:
    return next((p for p in phases if p.phase.status in statuses), None)


def _active_spans(story: Story) -> list[tuple[Evidence, Evidence | None]]:
    """The spans during which the incident is not resolved: opening, and each reopen."""
    spans: list[tuple[Evidence, Evidence | None]] = []
    start: Evidence | None = story.opened
    for entry in story.phases[1:]:
        ended = entry.phase.status in ENDED
        if ended and start is not None:
            spans.append((start, entry.evidence))
            start = None
        elif not ended and start is None:
            start = entry.evidence
    if start is not None:
        spans.append((start, None))
    return spans


def _cycles(story: Story, metric: str) -> list[tuple[Evidence, Evidence | None]]:
    phases = story.phases
    if metric == "acknowledge":
        acked = next((p for p in phases if p.phase.status != "open"), None)
        return [(story.opened, acked.evidence if acked else None)]
    if metric == "first_update":
        # the first customer update, or the end (resolve, close, cancel) if none came first
        first = min(story.updates, key=lambda e: e.at, default=None)
        end = _first(phases, ENDED)
        if end is not None and (first is None or end.evidence.at < first.at):
            first = end.evidence
        return [(story.opened, first)]
    if metric == "mitigate":
        mitigated = _first(phases, MITIGATED)
        return [(story.opened, mitigated.evidence if mitigated else None)]
    if metric == "resolve":
        return _active_spans(story)
    if metric == "update_every":
        cycles: list[tuple[Evidence, Evidence | None]] = []
        updates = sorted(story.updates, key=lambda e: e.at)
        for start, stop in _active_spans(story):
            for update in updates:
                if start.at <= update.at and (stop is None or update.at < stop.at):
                    cycles.append((start, update))
                    start = update
            cycles.append((start, stop))
        return cycles
    # postmortem and rca run from the last resolve, while the incident stays resolved
    if story.state.status not in ("resolved", "closed"):
        return []
    last = _active_spans(story)[-1][1]
    if last is None:
        return []
    mark = story.meeting if metric == "postmortem" else story.published
    if mark is not None and mark.at < last.at:
        mark = Evidence(last.at, mark.source, mark.commit, mark.author, mark.field)
    return [(last, mark)]


def _metric(
    story: Story,
    policy: SLAPolicy,
    calendars: dict[str, Calendar],
    metric: str,
    as_of: datetime,
    cache: CalendarCache,
) -> MetricResult:
    severities = {p.phase.severity for p in story.phases}
    rules = _rules(policy, calendars, metric, cache)
    if all(rules.target(s) is None for s in severities):
        return MetricResult(metric, "not_applicable")
    if metric in ("postmortem", "rca") and story.state.status == "cancelled":
        return MetricResult(metric, "not_applicable")  # a duplicate or false alarm has none
    spans = _cycles(story, metric)
    if not spans:
        return MetricResult(metric, "pending")
    phases = story.plain_phases
    cycles = [
        measure(start.at, stop.at if stop else None, as_of, phases, rules) for start, stop in spans
    ]
    states = [c.state for c in cycles]
    worst = max(states, key=lambda s: SEVERITY_OF_STATE[s])
    current = cycles[-1]
    result = MetricResult(
        metric,
        worst,
        current.target,
        current.elapsed,
        current.due_at,
        next((c.breached_at for c in cycles if c.breached_at is not None), None),
        cycles,
    )
    result.evidence = _evidence(story, spans, rules.pause_on, as_of)
    return result


def _evidence(
    story: Story,
    spans: list[tuple[Evidence, Evidence | None]],
    pause_on: frozenset[str],
    as_of: datetime,
) -> list[Mark]:
    marks: list[Mark] = []
    for start, stop in spans:
        if start.at > as_of:
            continue
        marks.append(Mark("start", start))
        end = stop.at if stop is not None and stop.at <= as_of else as_of
        previous: Phase | None = None
        for entry in story.phases:
            phase = entry.phase
            if start.at < phase.at < end or (phase.at == end and stop is None):
                if previous is not None and phase.severity != previous.severity:
                    marks.append(
                        Mark("severity", entry.evidence, f"{previous.severity} -> {phase.severity}")
                    )
                was = previous is not None and previous.status in pause_on
                now = phase.status in pause_on
                if now and not was:
                    marks.append(Mark("pause", entry.evidence, phase.status))
                elif was and not now:
                    marks.append(Mark("resume", entry.evidence, phase.status))
            previous = phase
        if stop is not None and stop.at <= as_of:
            marks.append(Mark("stop", stop))
    return marks
