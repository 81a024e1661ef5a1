"""The SLA engine: from a replayed history to the state of every incident's metrics.

Pure: the history, the instant to judge at, and nothing else. Each incident is
judged by the SLA policies and calendars as they stood on the audited branch when it
was opened (SPEC §3), chosen by its current customer, environment and services.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from incidentctl.history.model import History, IncidentState, RcaState, Stamp
from incidentctl.model import Calendar, Service, SLAPolicy
from incidentctl.model.policy import (
    BUILTIN_CALENDAR,
    FOLLOW_UP_WINDOW,
    METRICS,
    applicable,
    matching,
)
from incidentctl.model.types import iso
from incidentctl.sla.authored import credit_authored
from incidentctl.sla.calendar import BusinessCalendar, CalendarError, build_calendar
from incidentctl.sla.clock import (
    DELETED,
    SEVERITY_OF_STATE,
    Cycle,
    Phase,
    Rules,
    State,
    measure,
)
from incidentctl.sla.story import Evidence, Story, StoryPhase, build_story

ENDED = frozenset({"resolved", "closed", "cancelled"})
MITIGATED = frozenset({"mitigated", "resolved", "closed", "cancelled"})
# The obligations after resolution: the post-mortem meeting, the published report and
# its follow-up review.
AFTERMATH = ("postmortem", "rca", "follow_up")


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
    shown: int = 0  # the cycle the row stands for: the worst, the latest of equals

    @property
    def remaining(self) -> timedelta | None:
        return None if self.target is None else self.target - self.elapsed

    @property
    def calendar(self) -> str:
        """The calendar of the cycle the row stands for: its durations are time on it."""
        return self.cycles[self.shown].calendar if self.cycles else BUILTIN_CALENDAR

    @property
    def business(self) -> bool:
        return self.calendar != BUILTIN_CALENDAR


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


def known_versions(
    states: Sequence[tuple[Stamp, IncidentState | None]], as_of: datetime
) -> list[tuple[Stamp, IncidentState | None]]:
    """The versions of an incident that had landed by ``as_of``, from its first one on.

    An incident is its id: a deletion (a None state) ends nothing and a restore
    continues the same history, so every version counts, not only those since the
    last (re)creation.
    """
    known = [(s, st) for s, st in states if s.landed_at <= as_of]
    while known and known[0][1] is None:
        known.pop(0)
    return known


def present(
    versions: Sequence[tuple[Stamp, IncidentState | None]],
) -> list[tuple[Stamp, IncidentState]]:
    """The versions in which the file existed (its deletions left out)."""
    return [(s, st) for s, st in versions if st is not None]


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


class PolicyChooser:
    """The SLA policy in force for each version of an incident, by its attributes then.

    Chosen among the policies on the branch when the incident opened: the single
    highest-priority one whose selector matches the version's customer, environment
    and services (their teams and tiers read from ``catalogue``, the catalogue on the
    branch when the incident opened); None outside production, for ``NONPROD``, when
    none matches, or when several tie (``reason`` says which).
    """

    def __init__(
        self, policies: Sequence[SLAPolicy], catalogue: Mapping[str, Service] | None = None
    ) -> None:
        self.policies = list(policies)
        self.catalogue = dict(catalogue or {})
        self.by_name = {p.name: p for p in policies}
        self._chosen: dict[tuple[str | None, str, tuple[str, ...], bool], str | None] = {}

    def __call__(self, state: IncidentState) -> str | None:
        nonprod = state.severity == "NONPROD"
        key = (state.customer, state.environment, state.services, nonprod)
        if key not in self._chosen:
            self._chosen[key] = self._choose(state)
        return self._chosen[key]

    def _choose(self, state: IncidentState) -> str | None:
        chosen = applicable(
            self.policies,
            state.customer,
            state.environment,
            list(state.services),
            state.severity,
            self.catalogue,
        )
        return None if chosen is None else chosen.name

    def reason(self, state: IncidentState) -> str:
        """Why no policy applies to ``state``."""
        if state.environment != "production" or state.severity == "NONPROD":
            return "no customer SLA outside production"
        found = matching(
            self.policies, state.customer, state.environment, list(state.services), self.catalogue
        )
        return "no SLA policy applies" if not found else "several SLA policies tie"


@dataclass
class Told:
    """An incident's story as of an instant, and what it is judged by.

    ``policy`` is the first policy that applies to any of its versions: its clock
    (landed or authored) and imports mode tell the story. None when no policy ever
    applied (then ``story`` is told in the landed clock).
    """

    versions: list[tuple[Stamp, IncidentState | None]]
    story: Story | None
    chooser: PolicyChooser
    policy: SLAPolicy | None
    calendars: dict[str, Calendar]


def tell(
    history: History,
    incident_id: str,
    as_of: datetime,
    cache: CalendarCache | None = None,
    snapshot: Snapshot | None = None,
    rcas: dict[str, list[tuple[Stamp, RcaState | None]]] | None = None,
) -> Told | None:
    """The story of one incident as of ``as_of``; None before it opened."""
    timeline = history.incidents[incident_id]
    # filter first: a deletion or restore after as_of is not known yet
    versions = known_versions(timeline.states, as_of)
    if not versions:
        return None
    policies, calendars = (
        snapshot if snapshot is not None else history.policies_at(versions[0][0].seq)
    )
    chooser = PolicyChooser(policies, history.catalogue_at(versions[0][0].seq))
    first = next((n for _, st in present(versions) if (n := chooser(st)) is not None), None)
    policy = chooser.by_name[first] if first is not None else None
    rca_versions = [
        (s, st)
        for s, st in (rcas if rcas is not None else rca_index(history)).get(incident_id, [])
        if s.landed_at <= as_of
    ]
    clock = policy.clock if policy is not None else "landed"
    declared = policy.imports == "declared" if policy is not None else True

    def story_of(
        incident: Sequence[tuple[Stamp, IncidentState | None]],
        rca: Sequence[tuple[Stamp, RcaState | None]],
        instant: datetime,
    ) -> Story | None:
        return build_story(
            incident, rca, clock=clock, use_declared=declared, as_of=instant, policy_of=chooser
        )

    if clock == "authored":
        calendar_cache = cache or CalendarCache()

        def breaches(
            told: tuple[Sequence[tuple[Stamp, IncidentState | None]], Sequence[Any]],
            instant: datetime,
        ) -> Counter[tuple[str, datetime]]:
            story = story_of(told[0], told[1], instant)
            if story is None:
                return Counter()
            try:
                metrics = judge(story, chooser.by_name, calendars, instant, calendar_cache)
            except CalendarError:
                return Counter()
            return Counter(
                (m.metric, c.breached_at)
                for m in metrics
                for c in m.cycles
                if c.breached_at is not None and c.breached_at <= instant
            )

        def keeps(
            before: tuple[Sequence[tuple[Stamp, IncidentState | None]], Sequence[Any]],
            after: tuple[Sequence[tuple[Stamp, IncidentState | None]], Sequence[Any]],
            landing: datetime,
        ) -> bool:
            on_record = breaches(before, landing - timedelta(microseconds=1))
            return not on_record or not (on_record - breaches(after, landing))

        versions, rca_versions = credit_authored(versions, timeline.traces, rca_versions, keeps)
    return Told(versions, story_of(versions, rca_versions, as_of), chooser, policy, calendars)


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
    cache = cache or CalendarCache()
    told = tell(history, incident_id, as_of, cache, snapshot, rcas)
    if told is None:
        return None
    versions, story, chooser = told.versions, told.story, told.chooser
    state = present(versions)[-1][1]
    deleted = versions[-1][1] is None
    result = IncidentResult(
        state.id,
        state.title,
        state.severity,
        "deleted" if deleted else state.status,
        state.customer,
        None,
        [],
    )
    if told.policy is None:
        result.metrics = [MetricResult(m, "not_applicable") for m in METRICS]
        result.note = chooser.reason(state)
        return result
    if story is None:
        return None
    result.opened_at = story.opened.at
    current = story.phases[-1].phase
    result.policy = current.policy
    if current.policy is None:
        result.note = f"{chooser.reason(state)} since {iso(_reclassified(story).at)}"
    if deleted:
        deletion = story.phases[-1].evidence
        result.note = f"deleted at {iso(deletion.at)} by {deletion.commit}" + (
            f"; {result.note}" if result.note else ""
        )
    try:
        result.metrics = judge(story, chooser.by_name, told.calendars, as_of, cache)
    except CalendarError as error:
        # a calendar that was broken on the branch when the incident opened
        result.metrics = [MetricResult(m, "not_applicable") for m in METRICS]
        result.note = f"policy {told.policy.name}: {error}"
    return result


def _reclassified(story: Story) -> Evidence:
    """The evidence of the phase since which no policy has applied."""
    found = story.phases[-1].evidence
    for entry in reversed(story.phases):
        if entry.phase.policy is not None:
            break
        found = entry.evidence
    return found


def judge(
    story: Story,
    policies: Mapping[str, SLAPolicy],
    calendars: dict[str, Calendar],
    as_of: datetime,
    cache: CalendarCache,
) -> list[MetricResult]:
    """Every metric of one incident's story under the policies in force along it."""
    return [_metric(story, policies, calendars, metric, as_of, cache) for metric in METRICS]


SEVERITY_RANK = ("SEV1", "SEV2", "SEV3", "SEV4", "NONPROD")


def highest(a: str, b: str) -> str:
    """The more severe of two severities."""
    rank = {s: i for i, s in enumerate(SEVERITY_RANK)}
    return a if rank.get(a, len(rank)) <= rank.get(b, len(rank)) else b


def _rules(
    policies: Mapping[str, SLAPolicy],
    calendars: dict[str, Calendar],
    metric: str,
    cache: CalendarCache,
) -> Rules:
    def target_of(phase: Phase) -> Any:
        policy = policies.get(phase.policy) if phase.policy else None
        return policy.targets.get(phase.severity) if policy is not None else None  # type: ignore[call-overload]

    def calendar_for(phase: Phase) -> BusinessCalendar:
        target = target_of(phase)
        name = target.calendar if target is not None else BUILTIN_CALENDAR
        # the follow-up review is booked by date: its weeks are calendar weeks
        return cache.get(BUILTIN_CALENDAR if metric == "follow_up" else name, calendars)

    def target_for(phase: Phase) -> timedelta | None:
        target = target_of(phase)
        duration = getattr(target, metric, None) if target is not None else None
        return duration.delta if duration is not None else None

    def paused(phase: Phase) -> bool:
        policy = policies.get(phase.policy) if phase.policy else None
        return policy is not None and phase.status in policy.pause_on

    def warn_at(phase: Phase) -> float | None:
        policy = policies.get(phase.policy) if phase.policy else None
        fractions = [*(policy.warn_at if policy is not None else ())]
        if metric == "follow_up" and policy is not None:
            fractions.append(FOLLOW_UP_WINDOW)  # the review's window is open
        return min(fractions, default=None)

    return Rules(target=target_for, calendar=calendar_for, paused=paused, warn_at=warn_at)


def _first(phases: Sequence[StoryPhase], statuses: frozenset[str]) -> StoryPhase | None:
    return next((p for p in phases if p.phase.status in statuses), None)


def _active_spans(story: Story) -> list[tuple[Evidence, Evidence | None]]:
    """The spans during which the incident is not resolved: opening, and each reopen.

    A deletion neither ends nor starts a span: the clocks are frozen through it.
    """
    spans: list[tuple[Evidence, Evidence | None]] = []
    start: Evidence | None = story.opened
    for entry in story.phases[1:]:
        if entry.phase.status == DELETED:
            continue
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
        acked = next((p for p in phases if p.phase.status not in ("open", DELETED)), None)
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
    # postmortem and rca run from the last resolve, while the incident stays resolved;
    # the follow-up review from the report's publication (not before that resolve)
    if story.state.status not in ("resolved", "closed"):
        return []
    last = _active_spans(story)[-1][1]
    if last is None:
        return []
    if metric == "follow_up":
        if story.published is None:
            return []
        last = _not_before(story.published, last)
    mark = {"postmortem": story.meeting, "rca": story.published}.get(metric, story.follow_up)
    if mark is not None:
        mark = _not_before(mark, last)
    return [(last, mark)]


def _not_before(mark: Evidence, floor: Evidence) -> Evidence:
    """``mark``, moved to ``floor``'s instant if it came earlier."""
    if mark.at >= floor.at:
        return mark
    return Evidence(floor.at, mark.source, mark.commit, mark.author, mark.field)


# The declared milestones that may stop each metric of an imported record.
_DECLARED_STOPS = {
    "acknowledge": ("milestones.acknowledged_at",),
    "mitigate": ("milestones.mitigated_at",),
    "resolve": ("milestones.resolved_at", "milestones.closed_at", "milestones.cancelled_at"),
}


def _unknown_stop(story: Story, metric: str, stop: Evidence | None) -> bool:
    """Whether an imported record's first version stops the metric without saying when:
    a status that only implies the milestone, or a declared time before an opening the
    record does not declare (it would be judged in zero seconds)."""
    first = story.first_stamp
    if stop is None or first is None or stop.commit != first.sha or metric not in _DECLARED_STOPS:
        return False
    if stop.source != "declared" or stop.field not in _DECLARED_STOPS[metric]:
        return True
    return story.opened.source == "commit" and stop.at <= story.opened.at


def _obligation_phases(phases: Sequence[Phase]) -> list[Phase]:
    """Phases whose severity is the highest the incident has reached by then: post-mortem
    and RCA obligations follow it, so a downgrade never removes them."""
    out: list[Phase] = []
    top: str | None = None
    for phase in phases:
        top = phase.severity if top is None else highest(top, phase.severity)
        out.append(replace(phase, severity=top))
    return out


def _metric(
    story: Story,
    policies: Mapping[str, SLAPolicy],
    calendars: dict[str, Calendar],
    metric: str,
    as_of: datetime,
    cache: CalendarCache,
) -> MetricResult:
    rules = _rules(policies, calendars, metric, cache)
    phases = story.plain_phases
    if metric in AFTERMATH:
        phases = _obligation_phases(phases)
    if all(rules.target(p) is None for p in phases):
        return MetricResult(metric, "not_applicable")
    if metric in AFTERMATH and story.state.status == "cancelled":
        return MetricResult(metric, "not_applicable")  # a duplicate or false alarm has none
    spans = _cycles(story, metric)
    if not spans:
        return MetricResult(metric, "pending")
    if story.imported:
        spans = [(a, b) for a, b in spans if not _unknown_stop(story, metric, b)]
        if not spans:
            return MetricResult(metric, "not_applicable")  # unknown is unknown
    cycles = [
        measure(start.at, stop.at if stop else None, as_of, phases, rules) for start, stop in spans
    ]
    # One row, one cycle: the worst (the latest of equally bad ones) stands for the metric.
    shown = max(range(len(cycles)), key=lambda i: (SEVERITY_OF_STATE[cycles[i].state], i))
    cycle = cycles[shown]
    result = MetricResult(
        metric,
        cycle.state,
        cycle.target,
        cycle.elapsed,
        cycle.due_at,
        cycle.breached_at,
        cycles,
        shown=shown,
    )
    result.evidence = _evidence(story, spans, phases, rules, as_of)
    return result


def _evidence(
    story: Story,
    spans: list[tuple[Evidence, Evidence | None]],
    phases: Sequence[Phase],
    rules: Rules,
    as_of: datetime,
) -> list[Mark]:
    marks: list[Mark] = []
    for start, stop in spans:
        if start.at > as_of:
            continue
        marks.append(Mark("start", start))
        end = stop.at if stop is not None and stop.at <= as_of else as_of
        previous: Phase | None = None
        for entry, phase in zip(story.phases, phases, strict=True):
            if start.at < phase.at < end or (phase.at == end and stop is None):
                marks.extend(_changes(previous, phase, entry.evidence, rules))
            previous = phase
        if stop is not None and stop.at <= as_of:
            marks.append(Mark("stop", stop))
    return marks


def _changes(
    previous: Phase | None, phase: Phase, evidence: Evidence, rules: Rules
) -> Iterable[Mark]:
    """The marks of one phase change: deletion or restore, reclassification, severity,
    pause or resume."""
    if previous is None:
        return
    if phase.status == DELETED and previous.status != DELETED:
        yield Mark("deleted", evidence, "clocks frozen")
        return
    if previous.status == DELETED and phase.status != DELETED:
        yield Mark("restored", evidence, phase.status)
    if phase.policy != previous.policy:
        yield Mark(
            "policy",
            evidence,
            f"{previous.policy or 'none'} -> {phase.policy or 'none (clocks frozen)'}",
        )
    if phase.severity != previous.severity:
        yield Mark("severity", evidence, f"{previous.severity} -> {phase.severity}")
    was = not previous.frozen and rules.paused(previous)
    now = not phase.frozen and rules.paused(phase)
    if now and not was:
        yield Mark("pause", evidence, phase.status)
    elif was and not now:
        yield Mark("resume", evidence, phase.status)
