"""The scheduled SLA watch: warn the chain of command before (and when) an SLA breaks.

For every incident that is not resolved, closed or cancelled, each metric's current
cycle has used a fraction of its target (elapsed / target; a breach counts as 100 %
whatever the target did afterwards). A policy's thresholds are its ``warn_at``
fractions, its escalation fractions, and 100 % (the breach). When the current cycle
has crossed thresholds nobody was told about yet, one comment goes to the incident's
tracking issue, mentioning every handle of the escalation entries at or below the
highest threshold crossed (a ``warn_at`` without an escalation entry mentions nobody).

Exactly once per (incident, metric, cycle, threshold): each threshold is a delivery in
the notification ledger (``github.delivery``), and every comment carries a hidden
marker ``<!-- incidentctl:watch INC-…/metric/cycle/percent -->`` per threshold it
reports; a threshold whose marker is already on the issue (in a comment by the bot) is
recorded, not posted. Reruns, concurrent runs, a run that crashed after posting, and
comments posted before the ledger existed therefore never lead to a second post.

The tracking issue carries the label ``incident-tracking`` and the marker
``<!-- incidentctl:incident INC-… -->`` in its body. It is opened the first time an
incident needs a comment, reopened if a comment is due on a closed one, and closed
by the first run that finds the incident resolved, closed or cancelled.

After the resolve, one clock is still watched: the RCA's follow-up review
(``follow_up``), due weeks after the report is published. Its warnings go to the
tracking issue of the resolved incident as they are, without reopening it (one is
opened, commented and closed if the incident never had one). Overdue RCA actions are
warned there too, once per action, due date and threshold: the day after the action's
due date (mentioning its owner), and a week later (its owner and the RCA's owner), with
the marker ``<!-- incidentctl:watch INC-…/action/A1/2026-04-01/overdue -->``.

``plan`` is pure: the SLA board, the policies, the overdue actions, the tracking issues
and the markers already posted in, the actions to take out; the CLI carries them out.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import PurePosixPath
from urllib.parse import quote

from incidentctl.history.model import History
from incidentctl.model import RCA, SLAPolicy
from incidentctl.model.policy import FOLLOW_UP_WINDOW
from incidentctl.model.types import format_span, iso
from incidentctl.report.diff import _code as code_span
from incidentctl.sla.clock import Cycle
from incidentctl.sla.engine import (
    ENDED,
    Board,
    IncidentResult,
    MetricResult,
    known_versions,
    rca_index,
)
from incidentctl.trackers import Comment, TrackedIssue

TRACKING_LABEL = "incident-tracking"
BREACH = 1.0
_WATCH_RE = re.compile(r"<!-- incidentctl:watch (\S+) -->")
_INCIDENT_RE = re.compile(r"<!-- incidentctl:incident (\S+) -->")
_MAX_TITLE = 200
_MAX_ACTION_TITLE = 200


def tracking_marker(incident_id: str) -> str:
    return f"<!-- incidentctl:incident {incident_id} -->"


def percent(fraction: float) -> str:
    return f"{round(fraction * 100, 4):g}"


def watch_key(incident_id: str, metric: str, cycle: int, threshold: float) -> str:
    """The identity of one warning: ``INC-2026-0042/resolve/1/75`` (cycles count from 1)."""
    return f"{incident_id}/{metric}/{cycle}/{percent(threshold)}"


def watch_marker(key: str) -> str:
    return f"<!-- incidentctl:watch {key} -->"


@dataclass(frozen=True, slots=True)
class Threshold:
    at: float
    notify: tuple[str, ...]  # handles, each with its @

    @property
    def breach(self) -> bool:
        return self.at >= BREACH


def thresholds(policy: SLAPolicy) -> list[Threshold]:
    """The policy's thresholds, lowest first, each with whom it notifies."""
    fractions = sorted({*policy.warn_at, *(e.at for e in policy.escalation), BREACH})
    found = []
    for at in fractions:
        handles: dict[str, None] = {}
        for entry in sorted(policy.escalation, key=lambda e: e.at):
            if entry.at <= at:
                handles.update((f"@{h.lstrip('@')}", None) for h in entry.notify)
        found.append(Threshold(at, tuple(handles)))
    return found


@dataclass(frozen=True, slots=True)
class Crossing:
    """The current cycle of one metric of one open incident, and the thresholds it passed."""

    incident: IncidentResult
    metric: str
    number: int  # the cycle, counting from 1
    cycle: Cycle
    crossed: tuple[Threshold, ...]  # lowest first

    def key(self, threshold: Threshold) -> str:
        return watch_key(self.incident.id, self.metric, self.number, threshold.at)


def fraction_used(cycle: Cycle) -> float | None:
    """Elapsed / target of a cycle; None without a target."""
    if cycle.target is None or cycle.target <= timedelta(0):
        return None
    return cycle.elapsed / cycle.target


def is_open(incident: IncidentResult) -> bool:
    return incident.status not in ENDED and incident.status != "deleted"


# The clocks that run after the resolve and are watched: the RCA's follow-up review. (The
# post-mortem meeting and the report are not.)
WATCHED_AFTER_RESOLVE = frozenset({"follow_up"})


def is_watched(incident: IncidentResult, metric: str) -> bool:
    """Whether a metric of the incident is watched: every metric of an open incident, the
    follow-up review of a resolved or closed one."""
    if is_open(incident):
        return True
    return incident.status in ("resolved", "closed") and metric in WATCHED_AFTER_RESOLVE


def watched_ids(history: History, as_of: datetime) -> list[str]:
    """The incidents whose clocks may be watched as of ``as_of``: those not ended, and
    resolved or closed ones whose published RCA's follow-up review is not held yet. (The
    board of the others is not needed: judging thousands of old incidents is not free.)"""
    rcas = rca_index(history)
    found = []
    for incident_id, timeline in history.incidents.items():
        state = timeline.states[-1][1] if timeline.states else None
        if state is None:
            continue
        if state.status not in ENDED:
            found.append(incident_id)
            continue
        versions = [rca for stamp, rca in rcas.get(incident_id, []) if stamp.landed_at <= as_of]
        rca = versions[-1] if versions else None
        if (
            state.status in ("resolved", "closed")
            and rca is not None
            and rca.status == "published"
            and (rca.follow_up_held_at is None or rca.follow_up_held_at > as_of)
        ):
            found.append(incident_id)
    return found


def live_cycles(
    board: Board, policies: Mapping[str, SLAPolicy]
) -> Iterator[tuple[IncidentResult, MetricResult, Cycle, float, SLAPolicy]]:
    """Each open incident's current cycle of each metric that is running towards a
    target: the incident, the metric, the cycle, the fraction of its target used, and
    the policy whose thresholds apply."""
    for incident in board.incidents:
        policy = policies.get(incident.id)
        if policy is None:
            continue
        for metric in incident.metrics:
            if not metric.cycles or not is_watched(incident, metric.metric):
                continue
            cycle = metric.cycles[-1]
            used = fraction_used(cycle)
            if cycle.stopped_at is None and used is not None:
                yield incident, metric, cycle, used, policy


def metric_thresholds(policy: SLAPolicy, metric: str) -> list[Threshold]:
    """A metric's thresholds under a policy: the policy's; the follow-up review's also
    has one at half its target, where its window opens (two weeks of the default four)."""
    found = thresholds(policy)
    if metric == "follow_up" and all(t.at != FOLLOW_UP_WINDOW for t in found):
        notify: tuple[str, ...] = ()
        for threshold in found:
            if threshold.at <= FOLLOW_UP_WINDOW:
                notify = threshold.notify
        found = sorted([*found, Threshold(FOLLOW_UP_WINDOW, notify)], key=lambda t: t.at)
    return found


def crossings(board: Board, policies: Mapping[str, SLAPolicy]) -> list[Crossing]:
    """Every current cycle of a watched metric that has crossed one of its thresholds."""
    found = []
    for incident, metric, cycle, used, policy in live_cycles(board, policies):
        levels = metric_thresholds(policy, metric.metric)
        crossed = tuple(t for t in levels if _crossed(t, cycle, used))
        if crossed:
            found.append(Crossing(incident, metric.metric, len(metric.cycles), cycle, crossed))
    return found


def _crossed(threshold: Threshold, cycle: Cycle, used: float) -> bool:
    # A breach stays a breach after a downgrade raised the target (SPEC §4).
    if threshold.at <= BREACH and cycle.breached_at is not None:
        return True
    return used > threshold.at if threshold.at == BREACH else used >= threshold.at


# An open RCA action's thresholds: the day after its due date, and a week after that.
ACTION_LEVELS = (("overdue", timedelta(days=1)), ("overdue-1w", timedelta(days=8)))


@dataclass(frozen=True, slots=True)
class ActionCrossing:
    """An open RCA action past its due date, and the thresholds it passed (lowest first)."""

    incident: str  # the incident whose tracking issue hears of it: the RCA's first
    rca: str
    action: str
    title: str
    owner: str | None
    rca_owner: str | None
    due: date
    crossed: tuple[str, ...]

    def key(self, level: str) -> str:
        return f"{self.incident}/action/{self.action}/{self.due.isoformat()}/{level}"

    def notify(self, level: str) -> tuple[str, ...]:
        """The action's owner; a week overdue, the RCA's owner too."""
        owners = [self.owner] if level == "overdue" else [self.owner, self.rca_owner]
        handles = {f"@{h.lstrip('@')}": None for h in owners if h}
        return tuple(handles)


def overdue_actions(rcas: Mapping[str, RCA], board: Board) -> list[ActionCrossing]:
    """Every open action with a due date of the RCAs (by file id) that is overdue as of
    the board's instant (UTC date after its due date), told to the first incident the
    RCA covers that is on the board and neither cancelled nor deleted."""
    today = board.as_of.astimezone(UTC).date()
    live = {i.id for i in board.incidents if i.status not in ("cancelled", "deleted")}
    found = []
    for rca_id in sorted(rcas):
        rca = rcas[rca_id]
        incident = next((i for i in rca.incident_ids if i in live), None)
        if incident is None:
            continue
        for action in rca.actions:
            if action.status != "open" or action.due is None:
                continue
            crossed = tuple(name for name, after in ACTION_LEVELS if today >= action.due + after)
            if crossed:
                found.append(
                    ActionCrossing(incident, rca_id, action.id, action.title, action.owner,
                                   rca.owner, action.due, crossed)
                )  # fmt: skip
    return found


def policies_for(history: History, board: Board) -> dict[str, SLAPolicy]:
    """The SLA policy each incident on the board is judged by, as the engine chose it.

    The engine names it; this finds it among the policies on the branch when the
    incident was opened (SPEC §3), as ``evaluate_incident`` does.
    """
    found = {}
    for incident in board.incidents:
        timeline = history.incidents.get(incident.id)
        if incident.policy is None or timeline is None:
            continue
        versions = known_versions(timeline.states, board.as_of)
        if not versions:
            continue
        policies, _ = history.policies_at(versions[0][0].seq)
        policy = next((p for p in policies if p.name == incident.policy), None)
        if policy is not None:
            found[incident.id] = policy
    return found


def incident_paths(history: History) -> dict[str, str]:
    """Where each incident's file is in the newest version of the branch."""
    return {
        incident_id: timeline.versions[-1].path
        for incident_id, timeline in history.incidents.items()
        if timeline.versions
    }


@dataclass(frozen=True, slots=True)
class Links:
    """How to link an incident's file: ``{server}/{repo}/blob/{commit}/{path}``."""

    server_url: str
    repo: str
    commit: str | None
    paths: Mapping[str, str]

    def incident_file(self, incident_id: str) -> str | None:
        path = self.paths.get(incident_id)
        if path is None or self.commit is None:
            return None
        quoted = quote(str(PurePosixPath(path)), safe="/")
        return f"{self.server_url.rstrip('/')}/{self.repo}/blob/{self.commit}/{quoted}"


def tracking_issues(issues: Iterable[TrackedIssue]) -> dict[str, TrackedIssue]:
    """Each incident's tracking issue, by the marker in its body: an open one first,
    else the oldest."""
    found: dict[str, TrackedIssue] = {}
    for issue in issues:
        match = _INCIDENT_RE.search(issue.body)
        if match is None:
            continue
        incident_id = match.group(1)
        known = found.get(incident_id)
        if known is None or (known.state != "open" and issue.state == "open"):
            found[incident_id] = issue
    return found


def posted_keys(comments: Iterable[Comment], bot_login: str) -> set[str]:
    """The warnings already posted: markers in the bot's comments (anyone else's do not count)."""
    return {
        key
        for comment in comments
        if comment.author == bot_login
        for key in _WATCH_RE.findall(comment.body)
    }


@dataclass(frozen=True, slots=True)
class OpenIssue:
    incident: str
    title: str
    body: str
    labels: tuple[str, ...] = (TRACKING_LABEL,)


@dataclass(frozen=True, slots=True)
class ReopenIssue:
    incident: str
    number: int


@dataclass(frozen=True, slots=True)
class PostComment:
    incident: str
    metric: str
    keys: tuple[str, ...]
    threshold: float  # the highest one reported
    body: str


@dataclass(frozen=True, slots=True)
class CloseIssue:
    incident: str
    number: int | None  # None: the issue this run opens


Action = OpenIssue | ReopenIssue | PostComment | CloseIssue


def plan(
    board: Board,
    policies: Mapping[str, SLAPolicy],
    tracking: Mapping[str, TrackedIssue],
    posted: Collection[str],
    links: Links,
    actions_due: Iterable[ActionCrossing] = (),
) -> list[Action]:
    """What to do, in order: per incident, open or reopen its issue, comment, or close it.

    An open incident's issue is opened, or reopened, before its comments; a resolved
    incident's is commented as it is (opened first if it has none) and closed after.
    """
    due: dict[str, list[PostComment]] = {}
    for crossing in crossings(board, policies):
        fresh = tuple(t for t in crossing.crossed if crossing.key(t) not in posted)
        if fresh:
            kept = Crossing(crossing.incident, crossing.metric, crossing.number,
                            crossing.cycle, fresh)  # fmt: skip
            top = kept.crossed[-1]
            due.setdefault(crossing.incident.id, []).append(
                PostComment(
                    crossing.incident.id,
                    crossing.metric,
                    tuple(kept.key(t) for t in kept.crossed),
                    top.at,
                    comment_body(kept, links),
                )
            )
    fresh_actions: dict[str, list[ActionCrossing]] = {}
    for overdue in actions_due:
        levels = tuple(level for level in overdue.crossed if overdue.key(level) not in posted)
        if levels:
            fresh_actions.setdefault(overdue.incident, []).append(replace(overdue, crossed=levels))
    for incident_id, overdue_now in fresh_actions.items():
        # one comment for the incident's actions that fell overdue since the last run
        names = ", ".join(o.action for o in overdue_now)
        due.setdefault(incident_id, []).append(
            PostComment(
                incident_id,
                f"action{'s' if len(overdue_now) > 1 else ''} {names}",
                tuple(o.key(level) for o in overdue_now for level in o.crossed),
                BREACH,
                action_body(overdue_now, links),
            )
        )
    actions: list[Action] = []
    for incident in board.incidents:
        issue = tracking.get(incident.id)
        pending = due.get(incident.id, [])
        if is_open(incident):
            if not pending:
                continue
            if issue is None:
                actions.append(_open_issue(incident, links))
            elif issue.state != "open":
                actions.append(ReopenIssue(incident.id, issue.number))
            actions.extend(pending)
            continue
        if pending and issue is None:
            actions.append(_open_issue(incident, links))
        actions.extend(pending)
        if issue is None and pending:
            actions.append(CloseIssue(incident.id, None))
        elif issue is not None and issue.state == "open":
            actions.append(CloseIssue(incident.id, issue.number))
    return actions


def action_body(overdue: Sequence[ActionCrossing], links: Links) -> str:
    """One comment on an incident's overdue RCA actions, with a marker per action and
    threshold it reports."""
    lines = [watch_marker(o.key(level)) for o in overdue for level in o.crossed]
    week = any(o.crossed[-1] == "overdue-1w" for o in overdue)
    late = "a week overdue" if week and len(overdue) == 1 else "overdue"
    names = " ".join(o.action for o in overdue)
    noun = "RCA action" if len(overdue) == 1 else "RCA actions"
    lines.append(f"### {noun} {late}: {overdue[0].incident} {names}")
    escalation: dict[str, None] = {}
    for item in overdue:
        top = item.crossed[-1]
        title = " ".join(item.title.split())
        if len(title) > _MAX_ACTION_TITLE:
            title = title[: _MAX_ACTION_TITLE - 1] + "…"
        owner = f"@{item.owner.lstrip('@')}" if item.owner else "nobody (no owner is set)"
        since = ", over a week ago" if top == "overdue-1w" else ""
        lines.append(
            f"\nAction `{item.action}` of the RCA {item.rca} ({code_span(title)}) was due "
            f"**{item.due.isoformat()}**{since} and is still open. Owner: {owner}."
        )
        if top != "overdue":
            escalation.update(dict.fromkeys(item.notify(top)))
    if escalation:
        lines.append(f"\nEscalation: {' '.join(escalation)}")
    lines.append(
        "\nClose the ticket, or set the action's `status` (done, wont-do) or a new `due` "
        "in the RCA."
    )
    url = links.incident_file(overdue[0].incident)
    if url:
        lines.append(f"\nIncident file: {url}")
    return "\n".join(lines) + "\n"


def _open_issue(incident: IncidentResult, links: Links) -> OpenIssue:
    title = f"{incident.id}: {incident.title}"
    if len(title) > _MAX_TITLE:
        title = title[: _MAX_TITLE - 1] + "…"
    url = links.incident_file(incident.id)
    lines = [
        tracking_marker(incident.id),
        f"Tracking issue of **{incident.id}**: {incident.title}",
        "",
        "`incidentctl github watch` posts the SLA warnings and escalations of this incident "
        "here, and closes this issue once the incident is resolved.",
    ]
    if url:
        lines += ["", f"Incident file: {url}"]
    return OpenIssue(incident.id, title, "\n".join(lines) + "\n")


def _when(value: datetime | None) -> str:
    return iso(value) or "unknown"


def comment_body(crossing: Crossing, links: Links) -> str:
    """One warning (or breach) comment, with a marker per threshold it reports."""
    incident, cycle, top = crossing.incident, crossing.cycle, crossing.crossed[-1]
    business = cycle.business
    target = format_span(cycle.target.total_seconds(), business) if cycle.target else "?"
    used = fraction_used(cycle) or 0.0
    what = f"`{crossing.metric}` of **{incident.id}** ({incident.severity}, {incident.status})"
    cycle_note = f" (cycle {crossing.number})" if crossing.number > 1 else ""
    lines = [watch_marker(crossing.key(t)) for t in crossing.crossed]
    if top.breach:
        over = cycle.elapsed - cycle.target if cycle.target is not None else timedelta(0)
        late = format_span(over.total_seconds(), business)
        by = f", over by **{late}**" if over > timedelta(0) else ""
        lines.append(
            f"### SLA breached: {incident.id} {crossing.metric}\n\n"
            f"{what} breached its {target} target{cycle_note} "
            f"since **{_when(cycle.breached_at)}**{by} "
            f"({format_span(cycle.elapsed.total_seconds(), business)} elapsed)."
        )
    else:
        remaining = cycle.remaining or timedelta(0)
        due = f", due {_when(cycle.due_at)}" if cycle.due_at is not None else ""
        lines.append(
            f"### SLA warning: {incident.id} {crossing.metric} at {percent(top.at)}%\n\n"
            f"{what} has used **{int(used * 100)}%** of its {target} target{cycle_note}: "
            f"{format_span(remaining.total_seconds(), business)} remaining{due}."
        )
    if cycle.state == "paused":
        lines.append("\nThe clock is paused for now.")
    if top.notify:
        lines.append(f"\nEscalation at {percent(top.at)}%: {' '.join(top.notify)}")
    url = links.incident_file(incident.id)
    if url:
        lines.append(f"\nIncident file: {url}")
    return "\n".join(lines) + "\n"


def describe(action: Action) -> str:
    """One line for the CLI's report of an action."""
    if isinstance(action, OpenIssue):
        return f"{action.incident}: open a tracking issue"
    if isinstance(action, ReopenIssue):
        return f"{action.incident}: reopen tracking issue #{action.number}"
    if isinstance(action, CloseIssue):
        number = f" #{action.number}" if action.number is not None else ""
        return f"{action.incident}: close tracking issue{number} (incident ended)"
    if action.metric.startswith("action"):
        kind = action.keys[-1].rsplit("/", 1)[-1]  # overdue, overdue-1w
    else:
        kind = "breach" if action.threshold >= BREACH else f"{percent(action.threshold)}%"
    return f"{action.incident}: comment on {action.metric} ({kind})"
