"""Audit checkpoints: the branch's head and its SLA figures, recorded to compare later.

``audit --checkpoint FILE`` records the audited head, the instant of the audit and,
per incident and metric, the state, elapsed time and breach instant as of then. A
later ``audit --since-checkpoint FILE`` tells a fast-forward (fine) from a rewritten
history (the recorded commit is gone, no longer an ancestor of the head, or no
longer on its first-parent chain, which is what SLA times are read from), and for a
rewrite lists the incidents whose figures as of the recorded instant changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from incidentctl.audit.findings import Finding
from incidentctl.fsutil import atomic_write
from incidentctl.history.git import Git
from incidentctl.history.model import History
from incidentctl.model.types import format_duration, iso
from incidentctl.problems import UsageError
from incidentctl.sla.engine import evaluate

FORMAT = "incidentctl-audit-checkpoint/1"
FIELDS = ("state", "elapsed_seconds", "breached_at")

Figure = tuple[str, int, str | None]
Figures = dict[str, dict[str, Figure]]


@dataclass(frozen=True)
class Recorded:
    ref: str
    commit: str | None
    recorded_at: datetime
    figures: Figures


def figures(history: History, as_of: datetime) -> Figures:
    """Per incident and applicable metric: (state, elapsed seconds, breached_at)."""
    return {
        incident.id: {
            m.metric: (m.state, int(m.elapsed.total_seconds()), iso(m.breached_at))
            for m in incident.metrics
            if m.state != "not_applicable"
        }
        for incident in evaluate(history, as_of).incidents
    }


def record(history: History, as_of: datetime) -> Recorded:
    return Recorded(history.ref, history.head, as_of, figures(history, as_of))


def render(recorded: Recorded) -> str:
    """JSON with one line per incident: small, and readable in a diff."""
    header = {
        "format": FORMAT,
        "ref": recorded.ref,
        "commit": recorded.commit,
        "recorded_at": iso(recorded.recorded_at),
        "fields": list(FIELDS),
    }
    lines = [f"  {json.dumps(k)}: {json.dumps(v)}," for k, v in header.items()]
    rows = [
        f"    {json.dumps(incident_id)}: {json.dumps(recorded.figures[incident_id])}"
        for incident_id in sorted(recorded.figures)
    ]
    body = ",\n".join(rows)
    return (
        "{\n"
        + "\n".join(lines)
        + '\n  "incidents": {\n'
        + body
        + ("\n" if rows else "")
        + "  }\n}\n"
    )


def save(path: Path, recorded: Recorded) -> None:
    atomic_write(path, render(recorded))


def load(path: Path) -> Recorded:
    """A checkpoint file, checked; anything else is a usage error that says what is wrong."""
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"cannot read checkpoint {path}: {error}") from None
    try:
        if data.get("format") != FORMAT:
            raise ValueError(f"format is {data.get('format')!r}, expected {FORMAT!r}")
        recorded_at = datetime.fromisoformat(data["recorded_at"])
        if recorded_at.tzinfo is None:
            raise ValueError("recorded_at has no UTC offset")
        commit = data["commit"]
        if commit is not None and not isinstance(commit, str):
            raise ValueError("commit is not a string")
        found: Figures = {}
        for incident_id, metrics in data["incidents"].items():
            found[str(incident_id)] = {
                str(metric): (str(state), int(elapsed), None if at is None else str(at))
                for metric, (state, elapsed, at) in metrics.items()
            }
        return Recorded(str(data["ref"]), commit, recorded_at.astimezone(UTC), found)
    except (AttributeError, KeyError, TypeError, ValueError) as error:
        raise UsageError(
            f"{path} is not an audit checkpoint ({type(error).__name__}: {error}): "
            "write one with incidentctl audit --checkpoint FILE"
        ) from None


def compare(git: Git, history: History, recorded: Recorded) -> list[Finding]:
    """Whether the branch only moved forward since the checkpoint, and what a rewrite changed."""
    head, old = history.head, recorded.commit
    details: dict[str, Any] = {
        "checkpoint_commit": old,
        "checkpoint_ref": recorded.ref,
        "recorded_at": iso(recorded.recorded_at),
    }
    since: int | None = None
    if old is None:
        since = history.commit_count  # a checkpoint of an empty branch precedes anything
    elif head is not None:
        since = _first_parent_since(git, old, head)
    if since is not None:
        at = f" at {old[:12]}" if old is not None else " (no commits)"
        return [
            Finding(
                "info",
                "checkpoint-fast-forward",
                f"no history rewritten since the checkpoint of {recorded.ref}{at}, "
                f"recorded {iso(recorded.recorded_at)}: {since} new commit(s)",
                (),
                tuple(c for c in (head, old) if c is not None),
                {**details, "new_commits": since},
            )
        ]
    reason = _why_rewritten(git, old, head)
    current = figures(history, recorded.recorded_at)
    changed = [
        _changed(incident_id, recorded, current, head)
        for incident_id in sorted({*recorded.figures, *current})
        if recorded.figures.get(incident_id) != current.get(incident_id)
    ]
    outcome = (
        f"{len(changed)} incident(s) have other SLA figures as of {iso(recorded.recorded_at)}"
        if changed
        else f"no SLA figure as of {iso(recorded.recorded_at)} changed"
    )
    rewritten = Finding(
        "error",
        "history-rewritten",
        f"history of {history.ref} rewritten since the checkpoint "
        f"({iso(recorded.recorded_at)}): {reason}; {outcome}",
        (),
        tuple(c for c in (head, old) if c is not None),
        {**details, "reason": reason, "changed_incidents": len(changed)},
    )
    return [rewritten, *changed]


def _first_parent_since(git: Git, old: str, head: str) -> int | None:
    """How many first-parent commits lead from ``old`` to ``head``; None if none do."""
    if old == head:
        return 0
    if not _exists(git, old) or not git.is_ancestor(old, head):
        return None
    done = git.run("log", "--first-parent", "--format=%H %P", f"{old}..{head}")
    lines = done.stdout.decode().split("\n")
    lines = [line for line in lines if line]
    if not lines or lines[-1].split()[1:2] != [old]:
        return None  # an ancestor, but reached through a merge: the first-parent chain changed
    return len(lines)


def _why_rewritten(git: Git, old: str | None, head: str | None) -> str:
    if head is None or old is None:
        return "the branch has no commits now"
    if not _exists(git, old):
        return f"the recorded commit {old[:12]} no longer exists in this repository"
    if not git.is_ancestor(old, head):
        return f"the recorded commit {old[:12]} is no longer an ancestor of {head[:12]}"
    return (
        f"the recorded commit {old[:12]} is an ancestor of {head[:12]} but no longer on its "
        "first-parent chain, from which times are read"
    )


def _exists(git: Git, sha: str) -> bool:
    return git.run("cat-file", "-e", f"{sha}^{{commit}}", check=False).returncode == 0


def _changed(incident_id: str, recorded: Recorded, current: Figures, head: str | None) -> Finding:
    old = recorded.figures.get(incident_id)
    new = current.get(incident_id)
    if old is None:
        what = "not in the checkpoint, present in the rewritten history"
    elif new is None:
        what = "in the checkpoint, absent from the rewritten history"
    else:
        what = ", ".join(
            f"{metric} {_figure(old.get(metric))} -> {_figure(new.get(metric))}"
            for metric in dict.fromkeys([*old, *new])
            if old.get(metric) != new.get(metric)
        )
    return Finding(
        "error",
        "sla-figures-changed",
        f"SLA figures as of {iso(recorded.recorded_at)} differ from the checkpoint: {what}",
        (incident_id,),
        tuple(c for c in (head, recorded.commit) if c is not None),
        {
            "recorded_at": iso(recorded.recorded_at),
            "old": _as_json(old),
            "new": _as_json(new),
        },
    )


def _figure(figure: Figure | None) -> str:
    if figure is None:
        return "(none)"
    state, elapsed, breached_at = figure
    breach = f", breached {breached_at}" if breached_at else ""
    return f"{state} ({format_duration(elapsed)}{breach})"


def _as_json(metrics: dict[str, Figure] | None) -> dict[str, dict[str, Any]] | None:
    if metrics is None:
        return None
    return {metric: dict(zip(FIELDS, figure, strict=True)) for metric, figure in metrics.items()}
