"""``github watch`` as a channel of the delivery ledger: each warning on a tracking issue
is a delivery, claimed and recorded in the same ledger as ``notify``'s.

The channel is ``github/tracking-issue``; its event keys are the watch keys
(``INC-…/metric/cycle/percent``, the ones ``notify`` gives the same thresholds, and
``INC-…/action/ID/DUE/level`` for an overdue RCA action). A run:

1. claims every threshold crossed that the ledger does not hold (sent, or claimed by a
   run still within its lease); the others count as posted;
2. reads the comments of the tracking issues of the incidents it claimed something
   for: a threshold whose marker is already there (in a comment by the bot) was posted
   by a run that died before recording it, or before the ledger existed; it is
   recorded as sent, never posted again;
3. plans with ``watch.plan`` and carries the actions out, recording each comment's
   thresholds as sent as soon as GitHub took it (released if GitHub refused it).

A tracking issue is opened under a claim too (the pair ``INC-…/tracking-issue``), so that
two runs never both open one; the claim is released once the issue exists, as the
listing finds it from then on. A run that claims it after another run held it lists the
labelled issues once more before opening one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from incidentctl.github import watch as sla_watch
from incidentctl.model import SLAPolicy
from incidentctl.notify.ledger import Ledger, Pair
from incidentctl.sla.engine import Board
from incidentctl.trackers import TrackedIssue
from incidentctl.trackers.github import GitHub, GitHubError

CHANNEL = "github/tracking-issue"


def issue_key(incident_id: str) -> str:
    return f"{incident_id}/tracking-issue"


@dataclass
class WatchRun:
    """One run of the watch: what it claimed, what it did, what failed (by incident)."""

    github: GitHub
    ledger: Ledger
    run_id: str
    now: datetime
    bot_login: str
    dry_run: bool
    echo: Callable[[str], None]
    failures: dict[str, str] = field(default_factory=dict)
    claimed: set[str] = field(default_factory=set)
    actions: list[sla_watch.Action] = field(default_factory=list)

    def run(
        self,
        board: Board,
        policies: Mapping[str, SLAPolicy],
        links: sla_watch.Links,
        overdue: Sequence[sla_watch.ActionCrossing] = (),
    ) -> None:
        tracking = sla_watch.tracking_issues(self.github.labelled(sla_watch.TRACKING_LABEL))
        keys = {
            c.key(t): c.incident.id for c in sla_watch.crossings(board, policies) for t in c.crossed
        }
        keys.update((o.key(level), o.incident) for o in overdue for level in o.crossed)
        self.claimed = self._claim(keys)
        posted = set(keys) - self.claimed
        for incident_id in sorted({keys[k] for k in self.claimed} & tracking.keys()):
            try:
                comments = self.github.comments(tracking[incident_id].number)
            except GitHubError as error:
                self.failures[incident_id] = str(error)
                continue
            posted |= sla_watch.posted_keys(comments, self.bot_login)
        # Posted, never recorded: by a run that died first, or before the ledger existed.
        self._record(self.claimed & posted, "sent")
        self.actions = sla_watch.plan(board, policies, tracking, posted, links, overdue)
        numbers = {incident_id: issue.number for incident_id, issue in tracking.items()}
        # Each incident on its own: one that GitHub refuses (a locked issue, an issue
        # deleted meanwhile) never keeps the others' warnings from being posted.
        for action in self.actions:
            if action.incident in self.failures:
                continue
            line = sla_watch.describe(action)
            if self.dry_run:
                self.echo(f"would {line}")
                continue
            try:
                line = self._carry_out(action, numbers) or line
            except GitHubError as error:
                self.failures[action.incident] = str(error)
                continue
            self.echo(line)
        # Whatever was claimed and not posted (its incident failed) is for the next run.
        self._record(self.claimed, "released")

    def _claim(self, keys: Iterable[str]) -> set[str]:
        pairs = [(CHANNEL, k) for k in keys]
        if not pairs:
            return set()  # nothing crossed: the ledger is not even read
        if self.dry_run:
            self.ledger.entries()  # read, never written
            return {k for c, k in pairs if self.ledger.claimable((c, k), self.run_id, self.now)}
        claimed, _, _ = self.ledger.claim(pairs, self.run_id, self.now)
        return {k for _, k in claimed}

    def _record(self, keys: Iterable[str], state: str) -> None:
        pairs: list[tuple[Pair, str]] = [((CHANNEL, k), state) for k in sorted(keys)]
        if pairs and not self.dry_run:
            self.ledger.record(pairs, self.run_id, self.now)
            if state in ("sent", "released"):
                self.claimed -= {k for (_, k), _ in pairs}

    def _carry_out(self, action: sla_watch.Action, numbers: dict[str, int]) -> str | None:
        """Do one planned action; the line to print, when it says more than the plan's."""
        github = self.github
        if isinstance(action, sla_watch.OpenIssue):
            issue = self._open_once(action)
            numbers[action.incident] = issue.number
            return f"{action.incident}: opened tracking issue {issue.url}"
        if isinstance(action, sla_watch.PostComment):
            try:
                posted = github.comment(numbers[action.incident], action.body)
            except GitHubError:
                self._record(action.keys, "released")
                raise
            self._record(action.keys, "sent")
            return f"{sla_watch.describe(action)}: {posted.url}"
        state = "closed" if isinstance(action, sla_watch.CloseIssue) else "open"
        number = numbers[action.incident] if action.number is None else action.number
        github.set_state(number, state)
        return None

    def _open_once(self, action: sla_watch.OpenIssue) -> TrackedIssue:
        pair = (CHANNEL, issue_key(action.incident))
        claimed, _, tried = self.ledger.claim([pair], self.run_id, self.now)
        if not claimed:
            raise GitHubError(
                "another run is opening its tracking issue: the next run posts its warnings"
            )
        try:
            found = None
            if tried:
                # Another run held this claim since this run listed the issues: list again.
                listed = self.github.labelled(sla_watch.TRACKING_LABEL)
                found = sla_watch.tracking_issues(listed).get(action.incident)
            return found or self.github.create(action.title, action.body, action.labels)
        finally:
            self.ledger.record([(pair, "released")], self.run_id, self.now)
