"""Properties of the SLA record over random Git histories (see ``tests/histories.py``).

1. A breach on record stays on record: for instants T < T', every breach (incident,
   metric, cycle) that ``sla --at T`` reports with ``breached_at <= T`` is reported at
   T' with the same ``breached_at``, whatever was committed in between. "Reported at
   T" is read both from the whole history judged as of T and from the repository as
   it stood at T (its first-parent history up to the last commit landed by T).
2. The same history gives byte-identical ``sla --format json`` and ``report --format
   json``: replayed without a cache, from the cache (the same head, or continued from
   an ancestor), and in a fresh clone.

Both run in CI with a fixed seed (hypothesis' ``derandomize``) and a bounded number of
examples (a few hundred histories). To search longer by hand, with random seeds::

    INCIDENTCTL_PROPERTY_EXAMPLES=2000 INCIDENTCTL_PROPERTY_SEED=random \\
        .venv/bin/python -m pytest -q tests/test_sla_properties.py

``INCIDENTCTL_PROPERTY_EXAMPLES`` is the number of examples of each property;
``INCIDENTCTL_PROPERTY_SEED`` is ``random`` or an integer seed (default: fixed).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from hypothesis import HealthCheck, given, seed, settings

from gitrepo import Repo
from histories import GeneratedHistory, hhmm, histories
from incidentctl.cli.main import main
from incidentctl.history.model import History
from incidentctl.history.replay import replay
from incidentctl.model.types import iso
from incidentctl.report.sla import as_json
from incidentctl.sla.engine import evaluate

F = TypeVar("F", bound=Callable[..., Any])

_EXAMPLES = int(os.environ.get("INCIDENTCTL_PROPERTY_EXAMPLES", "0"))
_SEED = os.environ.get("INCIDENTCTL_PROPERTY_SEED", "")


def bounded(examples: int) -> Callable[[F], F]:
    """Hypothesis settings for CI: a fixed seed, ``examples`` examples, no deadline."""

    def apply(test: F) -> F:
        configured = settings(
            max_examples=_EXAMPLES or examples,
            deadline=None,
            derandomize=not _SEED,
            database=None,
            print_blob=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )(test)
        if _SEED and _SEED != "random":
            configured = seed(int(_SEED))(configured)
        return configured

    return apply


Breaches = dict[tuple[str, str, int], str]


def breaches(history: History, as_of: datetime) -> Breaches:
    """The cycles ``sla --at as_of --format json`` reports breached at or before ``as_of``."""
    board = json.loads(as_json(evaluate(history, as_of)))
    found: Breaches = {}
    for incident in board["incidents"]:
        for metric in incident["metrics"]:
            for index, cycle in enumerate(metric["cycles"]):
                at = cycle["breached_at"]
                if at is not None and datetime.fromisoformat(at) <= as_of:
                    found[(incident["id"], metric["metric"], index)] = at
    return found


def first_parent_chain(repo: Repo) -> list[tuple[str, datetime]]:
    """main's first-parent commits, oldest first, with the instant each landed."""
    lines = repo.git("log", "--first-parent", "--reverse", "--format=%H %cI", "main").splitlines()
    return [(sha, datetime.fromisoformat(at)) for sha, at in (line.split() for line in lines)]


def instants(history: GeneratedHistory, whole: History) -> list[datetime]:
    """Every commit's instants and a minute after; every due and breach time of the end."""
    found: set[datetime] = set()
    for at in history.instants:
        found |= {at, at + timedelta(minutes=1)}
    end = history.last + timedelta(hours=6)
    found |= {end, history.last + timedelta(days=2)}
    for incident in json.loads(as_json(evaluate(whole, end)))["incidents"]:
        for metric in incident["metrics"]:
            for cycle in metric["cycles"]:
                if cycle["breached_at"]:
                    found.add(datetime.fromisoformat(cycle["breached_at"]))
            if metric["due_at"]:
                found.add(datetime.fromisoformat(metric["due_at"]))
    return sorted(found)


@bounded(examples=250)
@given(histories())
def test_a_breach_on_record_stays_on_record(history: GeneratedHistory) -> None:
    with tempfile.TemporaryDirectory() as folder:
        repo = history.build(Path(folder) / "repo")
        whole = replay(repo.path, "main", cache=False)
        when = instants(history, whole)
        seen: list[tuple[datetime, str, Breaches]] = [
            (at, "main", breaches(whole, at)) for at in when
        ]
        # the repository as it stood at each instant: main up to the last commit landed
        chain = first_parent_chain(repo)
        for index, (sha, landed) in enumerate(chain[:-1]):
            following = chain[index + 1][1]
            during = [at for at in when if landed <= at < following]
            if during:
                then = replay(repo.path, sha, cache=False)
                label = f"main as of [{hhmm(landed)}] {sha[:7]}"
                seen.extend((at, label, breaches(then, at)) for at in during)
    for at, source, recorded in seen:
        for later, other, reported in seen:
            if later < at or (later == at and other == source):
                continue
            for key, breached_at in sorted(recorded.items()):
                assert reported.get(key) == breached_at, (
                    f"{key[0]} {key[1]} cycle {key[2]}: breached at {breached_at} by "
                    f"sla --at {iso(at)} on {source}, but at {iso(later)} on {other} "
                    f"it is {reported.get(key)!r}"
                )


def run(path: Path, *args: str) -> str:
    """``incidentctl -C path ARGS`` in-process, as the console script runs it."""
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(["-C", str(path), *args])
        except SystemExit as done:
            code = done.code
    assert code in (0, None), f"incidentctl {' '.join(args)}: exit {code}: {err.getvalue()}"
    return out.getvalue()


def outputs(path: Path, when: list[datetime], ref: str = "main", report: bool = True) -> list[str]:
    texts = []
    for at in when:
        texts.append(run(path, "sla", "--format", "json", "--at", iso(at), "--ref", ref))
        if report:
            texts.append(run(path, "report", "--format", "json", "--at", iso(at), "--ref", ref))
    return texts


@bounded(examples=50)
@given(histories(max_steps=8))
def test_the_same_history_gives_the_same_json(history: GeneratedHistory) -> None:
    when = [history.last + timedelta(minutes=1), history.last + timedelta(hours=5)]
    with tempfile.TemporaryDirectory() as folder:
        repo = history.build(Path(folder) / "repo")
        cache = Path(repo.git("rev-parse", "--absolute-git-dir")) / "incidentctl"
        first = outputs(repo.path, when)  # no cache: replayed and judged from scratch
        assert cache.is_dir()
        again = outputs(repo.path, when)  # the replay and the settled results, reused
        shutil.rmtree(cache)
        # settled results remembered at a later instant, asked for at an earlier one
        backwards = outputs(repo.path, when[::-1], report=False)[::-1]
        clone = repo.clone(Path(folder) / "clone")
        # the clone replays an earlier head first, then continues from that cache
        chain = first_parent_chain(clone)
        outputs(clone.path, when[:1], ref=chain[len(chain) // 2][0], report=False)
        continued = outputs(clone.path, when)
    sla, report = first[0::2], first[1::2]
    for label, expected, got in (
        ("sla, cached", sla, again[0::2]),
        ("report, cached", report, again[1::2]),
        ("sla, later instant first", sla, backwards),
        ("sla, in a clone continuing from an earlier head", sla, continued[0::2]),
        ("report, in a clone continuing from an earlier head", report, continued[1::2]),
    ):
        for at, one, other in zip(when, expected, got, strict=True):
            assert other == one, f"--at {iso(at)}: {label} differs from a run without cache"
