"""Benchmark of the site and the one-file dashboard (a benchmark, not a test).

Builds (or reuses) the synthetic repository of ``benchmarks/history.py``, warms the
replay cache once, then times in fresh processes, the median of ``--runs``:

- ``incidentctl report --format html`` (one file, every incident's timeline in it);
- ``incidentctl site build --public`` (the status page, its feed and JSON);
- ``incidentctl site build`` (dashboard, a page per incident, customer views);

with each process's peak memory, and the size of what was written.

Usage: ``python benchmarks/site.py [FOLDER] [--incidents N] [--commits N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# the sibling benchmark: its repository and its timers
import history

AT = "2026-07-01T00:00:00Z"


def size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="where to build (and keep) the repo")
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--commits", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="incidentctl-site-bench-"))
    folder = args.folder or scratch
    repo = folder / "repo"
    try:
        history.build(repo, args.incidents, args.commits)
        history.snapshot_code(scratch)
        history.run_replay(repo)  # warm the cache: what is timed is the site, not the replay
        cli = [sys.executable, "-c", history.CLI, "-C", str(repo)]
        out = scratch / "out"
        cases = [
            ("report --format html", ["report", "--format", "html", "--out", str(out / "r.html")],
             out / "r.html"),
            ("site build --public", ["site", "build", "--public", "--out", str(out / "public")],
             out / "public"),
            ("site build", ["site", "build", "--out", str(out / "site")], out / "site"),
        ]  # fmt: skip
        print(f"{args.incidents} incidents, {args.commits} commits, warm replay cache")
        for name, command, written in cases:
            run = history.median_of(
                args.runs, lambda c=command: history.timed_process([*cli, *c, "--at", AT])
            )
            print(
                f"{name:24} {run.elapsed:7.2f} s   peak {history.mb(run.own_peak):>7}   "
                f"wrote {size(written) / 1e6:.1f} MB"
            )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
