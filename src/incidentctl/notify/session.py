"""A notifier over one repository: what the CLI's ``notify`` drives, once or in a loop."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from incidentctl.github.watch import Links, incident_paths, policies_for, watched_ids
from incidentctl.history.git import BlobReader, Git
from incidentctl.history.replay import replay
from incidentctl.load.repository import Repository, Workspace
from incidentctl.model import Customer, NotificationPolicy, Service
from incidentctl.notify.events import Event, defect_events, range_events, threshold_events
from incidentctl.notify.follow import next_threshold
from incidentctl.notify.ledger import Ledger
from incidentctl.notify.run import Outcome, Planned, Runner, plan
from incidentctl.problems import Problem, UsageError
from incidentctl.rules import Context, catalogue_ref, notify_config, run_rules
from incidentctl.sla.engine import evaluate

ZERO = "0" * 40


def preflight(workspace: Workspace, environ: Mapping[str, str] | None) -> list[Problem]:
    """Problems of the notification setup before anything is sent; with ``environ``, the
    secrets missing from it too (a dry run needs none)."""
    kinds = (NotificationPolicy.__name__, Service.__name__, Customer.__name__)
    setup = [d for d in workspace.documents if d.kind in kinds]
    scoped = Workspace(workspace.root, workspace.documents, setup)
    problems = run_rules(Context(scoped, environ=environ), (notify_config.RULE, catalogue_ref.RULE))
    return [p for p in problems if p.level == "error"]


def first_parent(git: Git, spec: str) -> tuple[str, list[str]]:
    """(AFTER's commit, the first-parent commits of ``BEFORE..AFTER``). A BEFORE of zeros
    (a new branch) or one that is not an ancestor (a forced push) gives AFTER alone."""
    before, sep, after = spec.partition("..")
    if not sep or not after or after.startswith("."):
        raise UsageError(f"--range {spec!r}: write BEFORE..AFTER, two commits or refs")
    done = git.run("rev-parse", "--verify", "--quiet", f"{after}^{{commit}}", check=False)
    head = done.stdout.decode().strip()
    if done.returncode != 0 or not head:
        raise UsageError(f"--range: {after!r} names no commit (fetch the whole history)")
    if (
        before.strip("0")
        and git.run("merge-base", "--is-ancestor", before, head, check=False).returncode == 0
    ):
        listed = git.run("rev-list", "--first-parent", f"{before}..{head}")
        return head, listed.stdout.decode().split()
    return head, [head]


@dataclass
class Notifier:
    root: Path
    ref: str
    environ: Mapping[str, str]
    remote: str | None
    run_id: str
    repo: str = ""
    server_url: str = "https://github.com"
    lease: timedelta | None = None
    workspace: Workspace = field(init=False)
    runner: Runner = field(init=False)
    head: str | None = None

    def __post_init__(self) -> None:
        self.workspace = Repository(self.root).load()
        if not self.workspace.notification_policies:
            raise UsageError("no NotificationPolicy: add one under notifications/ (see the README)")
        git = Git(self.root)
        ledger = Ledger(git, self.remote, **({"lease": self.lease} if self.lease else {}))
        self.git = git
        self.runner = Runner(
            self.workspace,
            ledger,
            self.run_id,
            self.environ,
            Links(self.server_url, self.repo, None, {}),
        )

    def due(
        self, now: datetime, ref: str, commits: list[str] | None, only: str | None = None
    ) -> tuple[list[Planned], timedelta | None, object]:
        history = replay(self.root, ref)
        self.head = history.head
        events: list[Event] = []
        if commits:
            shas = set(commits)
            with BlobReader(self.git) as blobs:
                ticketed = defect_events(history, shas, blobs.read)
            events = sorted(
                [*range_events(history, shas), *ticketed], key=lambda e: (e.at, e.incident)
            )
        if only is not None:  # one incident's customer updates, and nothing else
            events = [e for e in events if e.incident == only and e.type == "customer-update"]
        board = evaluate(history, now, ids=watched_ids(history, now))
        policies = policies_for(history, board)
        if only is None:
            events += threshold_events(board, policies, history)
        self.runner.links = Links(self.server_url, self.repo, history.head, incident_paths(history))
        return plan(events, self.workspace), next_threshold(board, policies), board

    def once(
        self,
        now: datetime,
        ref: str,
        commits: list[str] | None,
        dry_run: bool = False,
        only: str | None = None,
    ) -> tuple[list[Outcome], timedelta | None]:
        planned, soonest, board = self.due(now, ref, commits, only)
        if dry_run:
            return [
                Outcome(p.target.id, p.event.key, "would send", p.event.type) for p in planned
            ], soonest
        from incidentctl.sla.engine import Board

        assert isinstance(board, Board)
        return self.runner.deliver(planned, board, now), soonest

    def tip(self) -> tuple[str, str]:
        """(the ref to read, its commit): with a remote, the branch is fetched first, so a
        long-lived run sees what was pushed since it started."""
        ref = self.ref
        if self.remote is not None:
            ref = f"refs/remotes/{self.remote}/{self.ref}"
            self.git.run("fetch", "--quiet", "--no-tags", self.remote,
                         f"+refs/heads/{self.ref}:{ref}", check=False)  # fmt: skip
        done = self.git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return ref, done.stdout.decode().strip()

    def follow_tick(self, now: datetime) -> tuple[list[Outcome], timedelta | None]:
        """One pass of a long-lived run: events of the commits since the last pass (none
        on the first: those were the pushes' to deliver), and the thresholds due."""
        previous = self.head
        ref, current = self.tip()
        commits: list[str] | None = None
        if previous is not None and current and current != previous:
            _, commits = first_parent(self.git, f"{previous}..{current}")
        return self.once(now, ref, commits)

    def superseded(self, started: str) -> bool:
        """Whether the branch moved past ``started``: a newer push's run takes over."""
        _, current = self.tip()
        return bool(current) and current != started
