"""What merging a pull request now would do to the SLAs of the incidents it touches.

The base branch is replayed as it is; the simulated merge (``landing``) is replayed
as the base plus one more first-parent commit, landing now. Each incident the pull
request touches is judged on both, as of the same instant, so that every difference
is the pull request's doing. Each metric that differs is classified
(``MetricChange.kind``) for the renderers, which word it; this module never formats.
"""

from __future__ import annotations

import contextlib
import io
import re
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

from incidentctl.history.blobs import file_stem
from incidentctl.history.cache import Store
from incidentctl.history.git import Git
from incidentctl.history.model import History
from incidentctl.history.replay import DEFAULT_ROOTS, replay
from incidentctl.problems import Problem
from incidentctl.sla.clock import Cycle
from incidentctl.sla.engine import Board, IncidentResult, MetricResult, evaluate
from incidentctl.sla.landing import Landing, Range, land

_INCIDENT_ID = re.compile(r"^INC-\d{4}-\d{4,}$")
_RCA_SUFFIXES = (".rca.yaml", ".rca.yml")
RUNNING = frozenset({"running", "at_risk", "paused", "breached"})
STOPPED = frozenset({"met", "missed"})
INACTIVE = frozenset({"pending", "not_applicable"})

Kind = Literal[
    "met",  # the merge stops a running clock in time
    "missed",  # the merge stops a clock after its target
    "started",  # a clock starts (a new incident, a reopen, the next update cycle)
    "breached",  # a running clock is now past its target (a raised severity)
    "breach_stays",  # a breach recorded before stays (a lowered severity)
    "due_moved",  # a running clock's due time moves (a severity change)
    "paused",
    "resumed",
    "not_applicable",  # the incident no longer has this target
    "changed",  # anything else
]


@dataclass(frozen=True)
class MetricChange:
    """One metric whose result differs between the base and the merge.

    ``stopped`` is the cycle the merge stops (with its judgement), ``started`` the
    cycle it starts, when it does either.
    """

    metric: str
    kind: Kind
    before: MetricResult | None
    after: MetricResult | None
    stopped: Cycle | None = None
    started: Cycle | None = None

    @property
    def late(self) -> timedelta | None:
        """How far past its target the stopped cycle was (missed only)."""
        cycle = self.stopped
        if cycle is None or cycle.target is None or cycle.state != "missed":
            return None
        return cycle.elapsed - cycle.target


@dataclass(frozen=True)
class IncidentChange:
    """One incident the pull request touches: its result on the base and after the merge."""

    id: str
    before: IncidentResult | None
    after: IncidentResult | None
    metrics: list[MetricChange] = field(default_factory=list)

    @property
    def change(self) -> Literal["opened", "removed", "changed", "unchanged"]:
        if self.before is None and self.after is not None:
            return "opened"
        if self.after is None and self.before is not None:
            return "removed"
        return "changed" if self.metrics or self.severity or self.status else "unchanged"

    @property
    def severity(self) -> tuple[str, str] | None:
        return _moved(self.before, self.after, "severity")

    @property
    def status(self) -> tuple[str, str] | None:
        return _moved(self.before, self.after, "status")


def _moved(
    before: IncidentResult | None, after: IncidentResult | None, name: str
) -> tuple[str, str] | None:
    if before is None or after is None:
        return None
    old, new = getattr(before, name), getattr(after, name)
    return (old, new) if old != new else None


@dataclass(frozen=True)
class SlaDiff:
    """The SLA consequences of landing a pull request now, and its validation problems."""

    landing: Landing
    as_of: datetime
    before: Board
    after: Board | None  # None when the merge conflicts
    incidents: list[IncidentChange]
    problems: list[Problem]
    validated: int  # how many changed files were validated

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


Progress = Callable[[int, int], None]


def sla_diff(
    root: Path,
    spec: Range,
    at: datetime,
    *,
    roots: Sequence[str] = DEFAULT_ROOTS,
    progress: Progress | None = None,
) -> SlaDiff:
    """The SLA state of each incident ``spec`` touches on its base, and if it landed at ``at``.

    The changed files are validated as ``incidentctl validate`` would, in the head
    commit's tree, with the base as the audited branch.
    """
    git = Git(Path(root))
    roots = tuple(r.strip("/").removeprefix("./") for r in roots)
    landing = land(git, spec, at, roots)
    before_history = replay(root, spec.base, roots, progress=progress)
    after_history: History | None = None
    as_of = at
    if landing.merge is not None:
        after_history = _replay_once(root, landing.merge, roots, progress)
        after_history.ref = f"{spec.base} + {spec.head}"
        # Landing before the base's last commit is impossible: it is clamped to it.
        clamped = [s for s in after_history.clamped if s.sha == landing.merge]
        if clamped:
            as_of = max(at, clamped[0].landed_at)
    ids = touched(landing.changed, before_history, after_history)
    # Judged an instant after the landing: a clock stopped by the merge is judged by the
    # target before it (SPEC §4), a running one by what the merge put in force.
    judged = as_of + timedelta(microseconds=1)
    before = evaluate(before_history, judged, ids)
    after = evaluate(after_history, judged, ids) if after_history is not None else None
    for board in (before, after):
        if board is not None:
            board.as_of = as_of
    changes = compare(ids, before, after)
    problems, validated = validate_changed(git, landing, before_history, as_of, roots)
    return SlaDiff(landing, as_of, before, after, changes, problems, validated)


def _replay_once(
    root: Path, commit: str, roots: tuple[str, ...], progress: Progress | None
) -> History:
    """Replay the simulated merge, continuing from the base's cached replay.

    The replay cache keeps a checkpoint per ref; one for a commit no ref names would
    only push out the useful ones, so it is dropped again.
    """
    history = replay(root, commit, roots, progress=progress)
    folder = Git(Path(root)).open(commit).git_dir / "incidentctl"
    with contextlib.suppress(OSError):
        Store(folder, roots).checkpoint_file(commit).unlink()
    return history


def touched(changed: Sequence[str], before: History, after: History | None) -> list[str]:
    """The incidents whose files (or RCA files) the pull request changes, followed by id.

    A file is named after its incident (``id-file-name``); a file that is not is
    looked up by path in the histories. An RCA brings the incidents it covers.
    """
    histories = [h for h in (before, after) if h is not None]
    ids: set[str] = set()
    unnamed: set[str] = set()
    for path in changed:
        stem = file_stem(path)
        if path.endswith(_RCA_SUFFIXES):
            for history in histories:
                for _, state in history.rcas.get(stem, []):
                    if state is not None:
                        ids.update(state.incidents)
            ids.add(stem)
        elif _INCIDENT_ID.match(stem):
            ids.add(stem)
        else:
            unnamed.add(path)
    if unnamed:
        for history in histories:
            for incident_id, timeline in history.incidents.items():
                if any(v.path in unnamed for v in timeline.versions):
                    ids.add(incident_id)
    known = set().union(*(h.incidents for h in histories))
    return sorted(ids & known)


def compare(ids: Sequence[str], before: Board, after: Board | None) -> list[IncidentChange]:
    """Each incident's change; none when there is no merge to judge (a conflict)."""
    if after is None:
        return []
    old = {i.id: i for i in before.incidents}
    new = {i.id: i for i in after.incidents}
    changes = []
    for incident_id in ids:
        a, b = old.get(incident_id), new.get(incident_id)
        if a is None and b is None:
            continue
        metrics: list[MetricChange] = []
        if a is not None and b is not None:
            before_metrics = {m.metric: m for m in a.metrics}
            for m in b.metrics:
                change = classify(before_metrics.get(m.metric), m)
                if change is not None:
                    metrics.append(change)
        elif b is not None:
            metrics = [c for m in b.metrics if (c := classify(None, m)) is not None]
        changes.append(IncidentChange(incident_id, a, b, metrics))
    return changes


def _same(a: MetricResult, b: MetricResult) -> bool:
    return (
        a.state == b.state
        and a.target == b.target
        and a.elapsed == b.elapsed
        and a.due_at == b.due_at
        and a.breached_at == b.breached_at
        and a.cycles == b.cycles
    )


def classify(before: MetricResult | None, after: MetricResult) -> MetricChange | None:
    """What the merge does to one metric; None when nothing changes."""
    if before is not None and _same(before, after):
        return None
    if before is None and after.state in INACTIVE:
        return None
    old_cycles = {c.started_at: c for c in before.cycles} if before is not None else {}
    stopped = next(
        (
            c
            for c in reversed(after.cycles)
            if c.stopped_at is not None
            and (c.started_at not in old_cycles or old_cycles[c.started_at].stopped_at is None)
        ),
        None,
    )
    started = next(
        (c for c in after.cycles if c.stopped_at is None and c.started_at not in old_cycles),
        None,
    )
    state = before.state if before is not None else "pending"
    kind: Kind
    if stopped is not None and stopped.state in STOPPED:
        kind = "met" if stopped.state == "met" else "missed"
    elif started is not None and after.state in RUNNING:
        kind = "started"
    elif after.state == "not_applicable":
        kind = "not_applicable"
    elif after.state == "paused" and state != "paused":
        kind = "paused"
    elif state == "paused" and after.state in RUNNING:
        kind = "resumed"
    elif after.state == "breached" and state == "breached":
        kind = "breach_stays"
    elif after.state == "breached":
        kind = "breached"
    elif after.state in RUNNING and state in RUNNING and before is not None:
        kind = "due_moved"
    else:
        kind = "changed"
    return MetricChange(after.metric, kind, before, after, stopped, started)


def validate_changed(
    git: Git, landing: Landing, history: History, now: datetime, roots: tuple[str, ...]
) -> tuple[list[Problem], int]:
    """Validate the changed files of the head commit, as ``incidentctl validate PATH…``.

    What is validated is the head commit: the work tree when it is that commit's
    unmodified checkout (as in CI), else the commit's document folders written to a
    temporary folder. The base is the audited branch that history rules compare with.
    """
    if not landing.changed:
        return [], 0
    if _is_checkout(git, landing.head, roots):
        return _validate(git.root, landing.changed, history, now, roots)
    with tempfile.TemporaryDirectory(prefix="incidentctl-head-") as folder:
        _export(git, landing.head, Path(folder), roots)
        return _validate(Path(folder), landing.changed, history, now, roots)


def _validate(
    top: Path, changed: Sequence[str], history: History, now: datetime, roots: tuple[str, ...]
) -> tuple[list[Problem], int]:
    from incidentctl.load.repository import Repository
    from incidentctl.rules import Context, run_rules

    paths = [top / p for p in changed if (top / p).is_file()]
    if not paths:
        return [], 0
    workspace = Repository(top, roots).load(paths)
    problems = run_rules(Context(workspace, now=now, history=history))
    return problems, len(workspace.targets)


def _is_checkout(git: Git, commit: str, roots: tuple[str, ...]) -> bool:
    """Whether the work tree's document folders are ``commit``'s, unmodified."""
    head = git.run("rev-parse", "--verify", "--quiet", "HEAD", check=False)
    if head.returncode != 0 or head.stdout.decode().strip() != commit:
        return False
    status = git.run("status", "--porcelain", "-z", "--", *roots, check=False)
    return status.returncode == 0 and not status.stdout


def _export(git: Git, commit: str, folder: Path, roots: tuple[str, ...]) -> None:
    """Write the document folders ``commit`` has to ``folder``."""
    listed = git.run("ls-tree", "-z", "--name-only", commit, "--", *roots).stdout
    present = tuple(n for n in listed.decode("utf-8", "replace").split("\0") if n)
    if present:
        archive = git.run("archive", "--format=tar", commit, "--", *present).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
