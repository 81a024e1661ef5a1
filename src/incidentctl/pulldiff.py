"""``sla --diff``: what merging a pull request now would do to the SLAs it touches.

The base branch is replayed as it is; the simulated merge (``history.merge``) is
replayed as the base plus one more first-parent commit, landing now. The incidents
the pull request touches are judged on both (``sla.diff`` compares them), and the
files it changes are validated as ``incidentctl validate`` would.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from incidentctl.history.git import Git
from incidentctl.history.merge import export, is_checkout, land, replay_once
from incidentctl.history.model import History
from incidentctl.history.replay import DEFAULT_ROOTS, Progress, replay
from incidentctl.problems import Problem
from incidentctl.sla.diff import SlaDiff, compare, touched
from incidentctl.sla.engine import evaluate
from incidentctl.sla.landing import Landing, Range


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
        after_history = replay_once(root, landing.merge, roots, progress)
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
    if is_checkout(git, landing.head, roots):
        return _validate(git.root, landing.changed, history, now, roots)
    with tempfile.TemporaryDirectory(prefix="incidentctl-head-") as folder:
        export(git, landing.head, Path(folder), roots)
        return _validate(Path(folder), landing.changed, history, now, roots)


def _validate(
    top: Path, changed: Sequence[str], history: History, now: datetime, roots: tuple[str, ...]
) -> tuple[list[Problem], int]:
    from incidentctl.load.repository import Repository
    from incidentctl.rules import Context, run_rules

    # A link is validated as what it is (a link, refused), never as what it points to.
    paths = [top / p for p in changed if (top / p).is_symlink() or (top / p).is_file()]
    if not paths:
        return [], 0
    workspace = Repository(top, roots).load(paths)
    problems = run_rules(Context(workspace, now=now, history=history))
    return problems, len(workspace.targets)
