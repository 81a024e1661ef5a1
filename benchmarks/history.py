"""Benchmark of the history replay on a synthetic repository (a benchmark, not a test).

Builds once (with ``git fast-import``) a repository of 5 000 incidents over 50 000
commits touching 1-3 files each, with ~2 KB incident files that are valid
documents, two SLA policies and a calendar, then times in one run:

- the floor: ``git log --raw -z ...`` over the whole history plus one
  ``git cat-file --batch`` over every blob of a document version;
- a bare PyYAML ``CSafeLoader`` parse of every distinct incident blob;
- ``replay()`` in a fresh process: cold (no cache), warm (cached head), and after 10
  more commits (a branch ``bench-next`` 10 commits ahead of ``main``);
- ``incidentctl sla --format json`` when that command exists;
- ``validate`` of one file (the pre-commit hook's case) and ``--help``;
- the peak memory (VmHWM) of each of those Python processes. (The git processes they
  run are not counted: their RSS is mostly the mapped pack file, shared page cache; and
  ``ru_maxrss`` of a process tree is not a sum. Measured apart on the synthetic
  repository: ``git log`` ~220 MB, ``git cat-file`` ~240 MB, one after the other.)

The timed processes run a copy of ``src/`` taken when the benchmark starts: the
replay cache is invalidated by any change to the models or the loader, and a tree
being edited meanwhile would turn every warm run into a cold one.

It ends with one ``goal:`` line per speed goal of the project, each value as a ratio
to its goal: besides the above, ``sla`` cold on a second repository of 1 000 incidents
over 10 000 commits (its own floor and parse measured alike), and ``validate`` of
5 000 files against a bare parse of them (``benchmarks/validate.py``). The load average
before and after is printed too: on a shared machine absolute times vary with it,
ratios measured in the same run much less.

Usage: ``python benchmarks/history.py [FOLDER] [--incidents N] [--commits N] [--quick]``.
FOLDER keeps the repositories between runs (default: a temporary folder). ``--quick``
measures everything at 1 000 incidents / 10 000 commits and validates 1 000 files.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASE = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)
STATUS_AT = [(16, "closed"), (12, "resolved"), (7, "mitigated"), (2, "acknowledged"), (0, "open")]
SEVERITIES = ["SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4"]
SERVICES = ["payments", "checkout", "search", "accounts", "ledger", "notifications"]
CUSTOMERS = [None, None, "acme-bank", "globex", "initech"]
LOG_ARGS = [
    "log", "--raw", "-z", "--no-renames", "--no-abbrev", "--diff-merges=first-parent",
    "--format=%x01%H %P%x00%at %ct%x00%an%x00%ae",
]  # fmt: skip
TEXT = (
    "the payment gateway returned timeouts for a share of card authorisations while the "
    "upstream provider rotated certificates and our retry budget ran out under peak load"
)
WORDS = TEXT.split()


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# -- the synthetic repository ------------------------------------------------------------


POLICIES = {
    "policies/sla/gold.yaml": """apiVersion: incidentctl/v1
kind: SLAPolicy
name: gold
applies_to:
  customers: [acme-bank, globex]
priority: 10
warn_at: [50%, 75%, 90%]
targets:
  SEV1: {acknowledge: 5m, first_update: 15m, update_every: 30m, mitigate: 4h, resolve: 24h}
  SEV2: {acknowledge: 15m, update_every: 2h, resolve: 16h}
  SEV3: {calendar: berlin, acknowledge: 1h, resolve: 16h}
  SEV4: {calendar: berlin, resolve: 40h}
""",
    "policies/sla/standard.yaml": """apiVersion: incidentctl/v1
kind: SLAPolicy
name: standard
targets:
  SEV1: {acknowledge: 15m, update_every: 1h, resolve: 8h}
  SEV2: {acknowledge: 30m, update_every: 4h, resolve: 24h}
  SEV3: {calendar: berlin, resolve: 24h}
  SEV4: {calendar: berlin, resolve: 80h}
""",
    "policies/calendars/berlin.yaml": """apiVersion: incidentctl/v1
kind: Calendar
name: berlin
timezone: Europe/Berlin
hours:
  mon-fri: ["09:00-17:00"]
holidays: [2026-04-03, 2026-04-06, 2026-05-01, 2026-12-24, 2026-12-25]
""",
}


class Synth:
    """Incidents and the commits that evolve them, deterministic for a seed."""

    def __init__(self, incidents: int, commits: int, seed: int = 7) -> None:
        self.total = incidents
        self.commits = commits
        self.rng = random.Random(seed)
        self.versions: list[int] = []
        self.updates: list[list[dict[str, str]]] = []
        self.meta: list[dict[str, Any]] = []

    def path(self, n: int) -> str:
        return f"incidents/2026/INC-2026-{n + 1:04d}.yaml"

    def render(self, n: int, at: datetime) -> str:
        """The incident as a person would write it (PyYAML's dumper is too slow here)."""
        version = self.versions[n]
        status = next(s for v, s in STATUS_AT if version >= v)
        meta = self.meta[n]
        lines = [
            "apiVersion: incidentctl/v1",
            "kind: Incident",
            f"id: INC-2026-{n + 1:04d}",
            f"title: {meta['title']}",
            "summary: >-",
            *(f"  {line}" for line in meta["summary"]),
            f"severity: {meta['severity']}",
            f"status: {status}",
            "environment: production",
        ]
        if meta["customer"]:
            lines.append(f"customer: {meta['customer']}")
        lines += [
            f"services: [{', '.join(meta['services'])}]",
            "detection:",
            "  source: monitoring",
            "  channel: monitoring",
            f"  reported_at: {meta['reported_at']}",
            "roles:",
            '  commander: "@alice"',
            '  communications: "@bob"',
            'assignees: ["@carol", "@dave"]',
        ]
        if status in ("mitigated", "resolved", "closed"):
            lines.append("workaround: Traffic moved to the standby region.")
        if status in ("resolved", "closed"):
            lines += ["resolution:", "  kind: fixed", "  summary: Rolled back the release."]
        if self.updates[n]:
            lines.append("updates:")
            for item in self.updates[n]:
                lines += [
                    f"  - at: {item['at']}",
                    f"    audience: {item['audience']}",
                    f"    text: {item['text']}",
                ]
        lines.append(f"labels: [synthetic, wave-{n % 17}]")
        return "\n".join(lines) + "\n"

    def sentence(self, words: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(words)).capitalize() + "."

    def create(self, at: datetime) -> int:
        n = len(self.versions)
        self.versions.append(0)
        self.updates.append([])
        self.meta.append({
            "title": self.sentence(6),
            "summary": [self.sentence(14) for _ in range(4)],
            "severity": self.rng.choice(SEVERITIES),
            "services": self.rng.sample(SERVICES, 2),
            "customer": self.rng.choice(CUSTOMERS),
            "reported_at": iso(at - timedelta(minutes=self.rng.randint(1, 30))),
        })  # fmt: skip
        return n

    def touch(self, n: int, at: datetime) -> None:
        self.versions[n] += 1
        audience = "customer" if self.rng.random() < 0.6 else "internal"
        self.updates[n].append({"at": iso(at), "audience": audience, "text": self.sentence(9)})

    def history(self) -> Iterator[tuple[int, datetime, list[tuple[str, str]]]]:
        """(index, date, [(path, text)]) per commit."""
        active: list[int] = []
        for k in range(self.commits):
            at = BASE + k * STEP
            files: dict[str, str] = {}
            if k == 0:
                files.update(POLICIES)
            due = (k + 1) * self.total // self.commits
            while len(self.versions) < due:
                n = self.create(at)
                active.append(n)
                files[self.path(n)] = self.render(n, at)
            active = active[-150:]
            for _ in range(self.rng.randint(1, 3) - min(len(files), 1)):
                if not active:
                    break
                n = self.rng.choice(active)
                if self.path(n) in files:
                    continue
                self.touch(n, at)
                files[self.path(n)] = self.render(n, at)
            if k == self.commits // 2:  # policies change mid-way too
                files["policies/sla/standard.yaml"] = POLICIES[
                    "policies/sla/standard.yaml"
                ].replace("resolve: 8h", "resolve: 6h")
            yield k, at, sorted(files.items())


def fast_import_stream(
    commits: Iterator[tuple[int, datetime, list[tuple[str, str]]]], ref: str, start: str | None
) -> Iterator[bytes]:
    first = True
    for k, at, files in commits:
        stamp = f"{int(at.timestamp())} +0000"
        message = f"Update {len(files)} file(s) ({k})\n".encode()
        who = "Bench Bot <bench@example.com>"
        out = [f"commit {ref}\n", f"author {who} {stamp}\n", f"committer {who} {stamp}\n"]
        chunk = "".join(out).encode() + b"data %d\n" % len(message) + message
        if first and start:
            chunk += f"from {start}\n".encode()
        first = False
        for path, text in files:
            data = text.encode()
            chunk += f"M 100644 inline {path}\n".encode() + b"data %d\n" % len(data) + data + b"\n"
        yield chunk + b"\n"


def fast_import(repo: Path, stream: Iterator[bytes]) -> None:
    process = subprocess.Popen(
        ["git", "-C", str(repo), "fast-import", "--quiet"], stdin=subprocess.PIPE
    )
    assert process.stdin is not None
    with process.stdin:
        for chunk in stream:
            process.stdin.write(chunk)
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")


def build(repo: Path, incidents: int, commits: int) -> None:
    marker = repo / ".git" / "bench-built"
    expected = f"{incidents} {commits} v2"
    if marker.exists() and marker.read_text() == expected:
        return
    shutil.rmtree(repo, ignore_errors=True)
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    print(f"building {repo}: {incidents} incidents, {commits} commits ...", flush=True)
    started = time.perf_counter()
    synth = Synth(incidents, commits)
    fast_import(repo, fast_import_stream(synth.history(), "refs/heads/main", None))
    # Ten more commits on a branch, for the incremental run.
    extra = Synth(0, 0)
    extra.__dict__.update({k: v for k, v in synth.__dict__.items() if k != "rng"})
    extra.rng = random.Random(99)
    more = []
    last = BASE + commits * STEP
    for j in range(10):
        at = last + j * STEP
        picked = extra.rng.sample(range(max(0, incidents - 150), incidents), 2)
        files = []
        for n in picked:
            extra.touch(n, at)
            files.append((extra.path(n), extra.render(n, at)))
        more.append((commits + j, at, files))
    fast_import(repo, fast_import_stream(iter(more), "refs/heads/bench-next", "refs/heads/main"))
    git(repo, "repack", "-adq")
    marker.write_text(expected)
    print(f"built in {time.perf_counter() - started:.0f} s", flush=True)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout


# -- measurements ------------------------------------------------------------------------


ENV: dict[str, str] = dict(os.environ)


class Run:
    """One timed process: wall time (s), its own peak RSS and its tree's (KiB)."""

    def __init__(self, elapsed: float, tree_peak: int, own_peak: int) -> None:
        self.elapsed, self.tree_peak, self.own_peak = elapsed, tree_peak, own_peak


def timed_process(args: Sequence[str], *, stdin: bytes | None = None) -> Run:
    """Run ``args``; its output is discarded, but for a ``peak-kib N`` line of Python's."""
    python = args[0] == sys.executable
    started = time.perf_counter()
    with tempfile.TemporaryFile() as stderr:
        process = subprocess.Popen(
            args, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE if python else subprocess.DEVNULL, stderr=stderr, env=ENV,
        )  # fmt: skip
        if stdin is not None:
            assert process.stdin is not None
            with process.stdin:
                process.stdin.write(stdin)
        output = b""
        if process.stdout is not None:
            with process.stdout:
                output = process.stdout.read()
        _, status, usage = os.wait4(process.pid, 0)
        stderr.seek(0)
        errors = stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{errors.decode(errors='replace')}")
    own = 0
    for line in output.decode(errors="replace").splitlines()[-3:]:
        if line.startswith("peak-kib "):
            own = int(line.split()[1])
    return Run(elapsed, usage.ru_maxrss, own)


def floor(repo: Path) -> tuple[float, float, list[str]]:
    log_time = timed_process(["git", "-C", str(repo), *LOG_ARGS, "main"]).elapsed
    out = subprocess.run(
        ["git", "-C", str(repo), *LOG_ARGS, "main"], check=True, capture_output=True
    ).stdout
    blobs: dict[str, None] = {}
    tokens = out.split(b"\0")
    for index, token in enumerate(tokens):
        raw = token.lstrip(b"\n")
        if raw.startswith(b":") and index + 1 < len(tokens):
            fields = raw.split(b" ")
            if len(fields) == 5 and fields[1] != b"000000":
                blobs[fields[3].decode()] = None
    request = "".join(f"{b}\n" for b in blobs).encode()
    cat_time = timed_process(
        ["git", "-C", str(repo), "cat-file", "--batch", "--buffer"], stdin=request
    ).elapsed
    return log_time, cat_time, list(blobs)


def bare_parse(repo: Path, blobs: list[str]) -> tuple[float, int]:
    request = "".join(f"{b}\n" for b in blobs).encode()
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"], input=request, check=True,
        capture_output=True,
    ).stdout  # fmt: skip
    texts = []
    position = 0
    while position < len(out):
        end = out.index(b"\n", position)
        size = int(out[position:end].split()[2])
        texts.append(out[end + 1 : end + 1 + size].decode())
        position = end + 2 + size
    incidents = [t for t in texts if "kind: Incident" in t]
    started = time.perf_counter()
    for text in incidents:
        yaml.load(text, Loader=yaml.CSafeLoader)
    return time.perf_counter() - started, len(incidents)


PEAK = (
    "import atexit\n"
    "def _peak():\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith('VmHWM:'):\n"
    "            print('peak-kib', line.split()[1])\n"
    "atexit.register(_peak)\n"
)
REPLAY = PEAK + (
    "import sys\nfrom pathlib import Path\nfrom incidentctl.history.replay import replay\n"
    "h = replay(Path(sys.argv[1]), sys.argv[2])\n"
    "assert h.head and len(h.incidents) > 0, 'empty history'\n"
)
CLI = PEAK + "import sys\nfrom incidentctl.cli.main import main\nmain()\n"


def run_replay(repo: Path, ref: str = "main") -> Run:
    return timed_process([sys.executable, "-c", REPLAY, str(repo), ref])


def run_sla(repo: Path, ref: str = "main") -> Run | None:
    args = [sys.executable, "-c", CLI, "-C", str(repo), "sla", "--ref", ref]
    probe = subprocess.run([*args, "--help"], capture_output=True, check=False, env=ENV)
    if probe.returncode != 0:
        return None
    return timed_process([*args, "--format", "json", "--at", "2026-07-01T00:00:00Z"])


def snapshot_code(folder: Path) -> None:
    """Run the timed processes on a copy of the code as it is now (see the docstring)."""
    code = folder / "code"
    shutil.rmtree(code, ignore_errors=True)
    shutil.copytree(ROOT / "src" / "incidentctl", code / "incidentctl",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    ENV["PYTHONPATH"] = str(code)


def clear_cache(repo: Path) -> None:
    shutil.rmtree(repo / ".git" / "incidentctl", ignore_errors=True)


def median_of(runs: int, measure: Callable[[], Run]) -> Run:
    results = [measure() for _ in range(runs)]
    return Run(
        statistics.median(r.elapsed for r in results),
        max(r.tree_peak for r in results),
        max(r.own_peak for r in results),
    )


def mb(kib: int) -> str:
    return f"{kib / 1024:.0f} MB"


def cold_ratio(folder: Path, incidents: int, commits: int) -> tuple[float, float]:
    """``sla --format json`` cold on a repository of its own, and its floor + parse."""
    repo = folder / "repo"
    build(repo, incidents, commits)
    log_time, cat_time, blobs = floor(repo)
    parse_time, _ = bare_parse(repo, blobs)
    clear_cache(repo)
    cold = run_sla(repo)
    elapsed = cold.elapsed if cold is not None else float("nan")
    base = log_time + cat_time + parse_time
    print(f"{incidents} incidents / {commits} commits: sla cold {elapsed:.2f} s, floor "
          f"{log_time + cat_time:.2f} s + parse {parse_time:.2f} s", flush=True)  # fmt: skip
    return elapsed, base


def scale(incidents: int, commits: int) -> str:
    return f"{incidents / 1000:g}k / {commits / 1000:g}k"


def load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def goals(rows: list[tuple[str, float, float, str]], loads: tuple[str, str]) -> None:
    """One final line per speed goal of the project: value, goal, and their ratio."""
    print()
    print(f"before: {loads[0]}; after: {loads[1]} ({os.cpu_count()} cores)")
    for measure, value, goal, shown in rows:
        verdict = "met" if value <= goal else "not met"
        if value != value:  # NaN: not measured
            verdict = "not measured"
        print(f"goal: {measure}: {shown}; {value / goal:.2f} of the goal (<= {goal:g}), {verdict}")


def fast_rows(
    repo: Path, runs: int, label: str, cold: Run, base: float, warm: Run, more: Run
) -> list[tuple[str, float, float, str]]:
    """The goals measured on the main repository.

    ``validate`` of one file is the pre-commit hook's case: a file of the work tree, the
    history rules reading the (warm) replay cache. ``--help`` is the start-up cost.
    """
    if not (repo / "incidents").is_dir():  # built without a work tree: check main out
        git(repo, "checkout", "-q", "-f", "main")
    one = next((repo / "incidents").rglob("*.yaml")).relative_to(repo)
    check = [sys.executable, "-c", CLI, "-C", str(repo), "validate", str(repo / one)]
    validate_one = median_of(runs, lambda: timed_process(check))
    helped = median_of(runs, lambda: timed_process([sys.executable, "-c", CLI, "--help"]))
    peak = max(cold.own_peak, warm.own_peak, more.own_peak) / 1024
    cold_goal = 0.6 if label.startswith("5k") else 1.0
    return [
        (f"sla --format json cold, {label}", cold.elapsed / base, cold_goal,
         f"{cold.elapsed:.2f} s = {cold.elapsed / base:.2f} x (floor + parse {base:.2f} s)"),
        (f"sla warm, no new commits, {label}", warm.elapsed, 0.3, f"{warm.elapsed:.2f} s"),
        (f"sla after 10 new commits, {label}", more.elapsed, 0.4, f"{more.elapsed:.2f} s"),
        ("validate of one file (pre-commit)", validate_one.elapsed, 0.2,
         f"{validate_one.elapsed:.2f} s"),
        ("incidentctl --help", helped.elapsed, 0.12, f"{helped.elapsed:.3f} s"),
        (f"peak memory of sla, {label}", peak, 300.0, f"{peak:.0f} MB"),
    ]  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", type=Path, help="where to build (and keep) the repo")
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--commits", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=3, help="runs of the fast measurements")
    parser.add_argument("--build-only", action="store_true", help="build the repository, no timing")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="1 000 incidents / 10 000 commits, validate of 1 000 files",
    )
    options = parser.parse_args(argv)
    if options.quick:
        options.incidents, options.commits = 1000, 10000
    loads = [load(), ""]
    print(loads[0], flush=True)
    temp = None
    if options.folder is None:
        temp = tempfile.TemporaryDirectory(prefix="incidentctl-bench-")
        folder = Path(temp.name)
    else:
        folder = options.folder.resolve()
    repo = folder / "repo"
    try:
        build(repo, options.incidents, options.commits)
        if options.build_only:
            return 0
        count = git(repo, "rev-list", "--count", "main").strip()
        print(f"repository: {repo} ({count} commits on main)", flush=True)

        log_time, cat_time, blobs = floor(repo)
        floor_time = log_time + cat_time
        print(f"floor: git log {log_time:.2f} s + cat-file {cat_time:.2f} s "
              f"({len(blobs)} blobs)", flush=True)  # fmt: skip
        parse_time, parsed = bare_parse(repo, blobs)
        print(f"bare CSafeLoader parse of {parsed} incident blobs: {parse_time:.2f} s", flush=True)

        snapshot_code(folder)
        clear_cache(repo)
        cold = run_replay(repo)
        print(f"replay cold: {cold.elapsed:.2f} s, peak {mb(cold.own_peak)}", flush=True)
        warm = median_of(options.runs, lambda: run_replay(repo))
        print(f"replay warm: {warm.elapsed:.2f} s, peak {mb(warm.own_peak)}", flush=True)
        main_written = time.time()

        def incremental() -> Run:
            for file in (repo / ".git" / "incidentctl").glob("replay-*.cache"):
                if file.stat().st_mtime > main_written:
                    file.unlink()  # keep main's checkpoint only: each run continues from it
            return run_replay(repo, "bench-next")

        more = median_of(options.runs, incremental)
        print(f"replay after 10 more commits: {more.elapsed:.2f} s, peak {mb(more.own_peak)}")

        def sla_run(ref: str = "main") -> Run:
            return run_sla(repo, ref) or Run(float("nan"), 0, 0)

        clear_cache(repo)  # no replay, no settled results: the whole command cold
        sla_cold = sla_run()
        print(f"sla cold: {sla_cold.elapsed:.2f} s, peak {mb(sla_cold.own_peak)}", flush=True)
        sla = median_of(options.runs, sla_run)
        print(f"sla warm: {sla.elapsed:.2f} s, peak {mb(sla.own_peak)}", flush=True)
        sla_written = time.time()

        def sla_incremental() -> Run:
            for file in (repo / ".git" / "incidentctl").glob("replay-*.cache"):
                if file.stat().st_mtime > sla_written:
                    file.unlink()
            return sla_run("bench-next")

        sla_more = median_of(options.runs, sla_incremental)
        print(f"sla after 10 more commits: {sla_more.elapsed:.2f} s", flush=True)

        own = max(cold.own_peak, warm.own_peak, more.own_peak)
        base = floor_time + parse_time
        rows = [
            ("floor (git log + cat-file)", f"{floor_time:.2f} s", "", ""),
            ("bare parse (CSafeLoader)", f"{parse_time:.2f} s", "", ""),
            ("replay cold", f"{cold.elapsed:.2f} s", f"≤ {1.5 * base:.1f} s",
             f"{cold.elapsed / base:.2f} × (floor + parse), target ≤ 1.5"),
            ("replay warm", f"{warm.elapsed:.2f} s", "≤ 1 s", f"{warm.elapsed:.2f} × target"),
            ("replay after 10 commits", f"{more.elapsed:.2f} s", "≤ 1 s",
             f"{more.elapsed:.2f} × target"),
            ("peak memory (replay process)", mb(own), "≤ 500 MB",
             f"{own / 1024 / 500:.2f} × target"),
        ]  # fmt: skip
        if sla.elapsed == sla.elapsed:  # not NaN: the command exists
            rows += [
                ("sla --format json cold", f"{sla_cold.elapsed:.2f} s", f"≤ {1.5 * base:.1f} s",
                 f"{sla_cold.elapsed / base:.2f} × (floor + parse), target ≤ 1.5"),
                ("sla --format json warm", f"{sla.elapsed:.2f} s", "≤ 1 s",
                 f"{sla.elapsed:.2f} × target"),
                ("sla after 10 commits", f"{sla_more.elapsed:.2f} s", "≤ 1 s",
                 f"{sla_more.elapsed:.2f} × target"),
                ("peak memory (sla process)", mb(max(sla_cold.own_peak, sla.own_peak)),
                 "≤ 500 MB", f"{max(sla_cold.own_peak, sla.own_peak) / 1024 / 500:.2f} × target"),
            ]  # fmt: skip
        width = [max(len(r[i]) for r in rows) for i in range(4)]
        print()
        for row in [("measure", "value", "target", "ratio"), *rows]:
            print("  ".join(cell.ljust(width[i]) for i, cell in enumerate(row)).rstrip())
        if sla.elapsed != sla.elapsed:  # NaN: no sla command
            return 0
        label = scale(options.incidents, options.commits)
        rows = fast_rows(repo, options.runs, label, sla_cold, base, sla, sla_more)
        if (options.incidents, options.commits) != (1000, 10000):
            small, small_base = cold_ratio(folder / "small", 1000, 10000)
            rows.insert(1, (f"sla --format json cold, {scale(1000, 10000)}",
                            small / small_base, 1.0,
                            f"{small:.2f} s = {small / small_base:.2f} x (floor + parse "
                            f"{small_base:.2f} s)"))  # fmt: skip
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import validate as validate_benchmark

        files = 1000 if options.quick else 5000
        parse, validated = validate_benchmark.measure(files, options.runs)
        rows.insert(-1, (f"validate of {files} files", validated / parse,
                         validate_benchmark.GOAL,
                         f"{validated:.2f} s = {validated / parse:.2f} x the parse "
                         f"({parse:.2f} s)"))  # fmt: skip
        loads[1] = load()
        goals(rows, (loads[0], loads[1]))
    finally:
        if temp is not None:
            temp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
