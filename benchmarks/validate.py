"""Benchmark of ``incidentctl validate`` against a bare libyaml parse (a benchmark, not a test).

Writes a temporary repository of 5 000 valid incident files (~2 KB each, with updates,
defects, roles, resolutions ...) plus SLA policies, calendars and a DefectPolicy, then
times, each in a fresh process and as the median of 3 runs:

- the floor: reading every file and parsing it with PyYAML's ``CSafeLoader``;
- ``incidentctl validate`` over the whole repository (it must find nothing);

and prints both, and their ratio against the goal (at most 0.6x).

Usage: ``python benchmarks/validate.py [--incidents N] [--runs N] [--keep FOLDER]``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

NOW = "2026-12-31T00:00:00Z"
GOAL = 0.6  # validate of every file, as a multiple of a bare CSafeLoader parse of them
START = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
SEVERITIES = ["SEV1", "SEV2", "SEV2", "SEV3", "SEV3", "SEV3", "SEV4", "NONPROD"]
STATUSES = ["open", "acknowledged", "mitigated", "waiting", "resolved", "resolved", "closed",
            "closed", "closed", "cancelled"]  # fmt: skip
SERVICES = ["payments-api", "payment-gateway", "checkout", "search", "accounts", "ledger",
            "notifications", "customer-portal"]  # fmt: skip
CUSTOMERS = [None, None, None, "acme-bank", "globex", "initech"]
PEOPLE = ["@alice", "@bob", "@carol", "@dave", "@erin", "@frank", "@grace", "@heidi"]
TEXT = (
    "the payment gateway returned timeouts for a share of card authorisations while the "
    "upstream provider rotated certificates and our retry budget ran out under peak load "
    "customers saw declined payments and slow checkout pages until traffic was moved"
)
WORDS = TEXT.split()

POLICIES = {
    "policies/sla/gold.yaml": """\
# yaml-language-server: $schema=../../schemas/slapolicy.json
apiVersion: incidentctl/v1
kind: SLAPolicy
name: gold
description: Premium support for enterprise accounts.
applies_to:
  customers: [acme-bank, globex]
  environments: [production]
priority: 10
pause_on: [waiting]
warn_at: [50%, 75%, 90%]
escalation:
  - at: 75%
    notify: ["@example-org/support-duty-managers"]
  - at: 90%
    notify: ["@example-org/head-of-support"]
targets:
  SEV1: {calendar: 24x7, acknowledge: 5m, first_update: 15m, update_every: 30m, resolve: 24h,
         rca: 3d}
  SEV2: {calendar: follow-the-sun, acknowledge: 15m, update_every: 2h, resolve: 16h}
  SEV3: {calendar: follow-the-sun, acknowledge: 1h, resolve: 48h}
  SEV4: {calendar: follow-the-sun, resolve: 80h}
""",
    "policies/sla/standard.yaml": """\
apiVersion: incidentctl/v1
kind: SLAPolicy
name: standard
targets:
  SEV1: {acknowledge: 15m, update_every: 1h, resolve: 8h}
  SEV2: {acknowledge: 30m, update_every: 4h, resolve: 24h}
  SEV3: {calendar: emea-support, resolve: 24h}
  SEV4: {calendar: emea-support, resolve: 80h}
""",
    "policies/calendars/emea-support.yaml": """\
apiVersion: incidentctl/v1
kind: Calendar
name: emea-support
timezone: Europe/Berlin
hours:
  mon-fri: ["09:00-17:00"]
holidays: [2026-04-03, 2026-04-06, 2026-05-01, 2026-12-24, 2026-12-25]
""",
    "policies/calendars/amer-support.yaml": """\
apiVersion: incidentctl/v1
kind: Calendar
name: amer-support
timezone: America/New_York
hours:
  mon-fri: ["09:00-17:00"]
""",
    "policies/calendars/follow-the-sun.yaml": """\
apiVersion: incidentctl/v1
kind: Calendar
name: follow-the-sun
union: [emea-support, amer-support]
""",
    "policies/defects.yaml": """\
apiVersion: incidentctl/v1
kind: DefectPolicy
name: product-defects
routes:
  - services: [payments-api, payment-gateway, checkout, ledger]
    jira: {project: PAY, issue_type: Bug}
    labels: [incident-defect]
  - services: [search, accounts, notifications, customer-portal]
    github: example-org/portal
    labels: [incident-defect, bug]
fix:
  SEV1: {hotfix: 48h}
  SEV2: {hotfix: 5d}
  SEV3: next-release
  SEV4: next-release
  NONPROD: next-release
""",
}


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class Incidents:
    """Valid incident documents, deterministic for a seed, written as a person would."""

    def __init__(self, seed: int = 7) -> None:
        self.rng = random.Random(seed)

    def sentence(self, words: int) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(words)).capitalize() + "."

    def render(self, n: int) -> str:
        rng = self.rng
        opened = START + timedelta(minutes=37 * n)
        severity = rng.choice(SEVERITIES)
        status = rng.choice(STATUSES)
        production = severity != "NONPROD"
        customer = rng.choice(CUSTOMERS) if production else None
        services = rng.sample(SERVICES, rng.randint(1, 3))
        lines = [
            "# yaml-language-server: $schema=../../schemas/incident.json",
            "apiVersion: incidentctl/v1",
            "kind: Incident",
            f"id: INC-2026-{n:04d}",
            f"title: {self.sentence(7)[:-1]}",
            "summary: >-",
            *(f"  {self.sentence(13)}" for _ in range(3)),
            f"severity: {severity}",
            f"status: {status}",
            f"environment: {'production' if production else 'non-production'}",
        ]
        if customer:
            lines.append(f"customer: {customer}")
        lines += [
            f"services: [{', '.join(services)}]",
            "detection:",
            f"  source: {rng.choice(['monitoring', 'synthetic', 'internal', 'customer'])}",
            f"  channel: {rng.choice(['hotline', 'portal', 'email', 'monitoring', 'chat'])}",
            f"  impact_started_at: {iso(opened - timedelta(minutes=rng.randint(5, 40)))}",
            f"  reported_at: {iso(opened - timedelta(minutes=rng.randint(0, 4)))}",
            "roles:",
            f'  commander: "{rng.choice(PEOPLE)}"',
            f'  communications: "{rng.choice(PEOPLE)}"',
            f"assignees: [{', '.join(f'{chr(34)}{p}{chr(34)}' for p in rng.sample(PEOPLE, 2))}]",
        ]
        if status in ("mitigated", "resolved", "closed") or rng.random() < 0.2:
            lines += ["workaround: >-", f"  {self.sentence(12)}"]
        lines.append("updates:")
        at = opened
        for _ in range(rng.randint(3, 6)):
            at += timedelta(minutes=rng.randint(3, 45))
            lines += [
                f"  - at: {iso(at)}",
                f"    audience: {rng.choice(['customer', 'customer', 'internal'])}",
                "    text: >-",
                f"      {self.sentence(12)}",
                f"      {self.sentence(8)}",
            ]
        defects = rng.randint(0, 2)
        if defects:
            lines.append("defects:")
            for k in range(defects):
                lines += [
                    f"  - key: defect-{k + 1}",
                    f"    title: {self.sentence(6)[:-1]}",
                    f"    service: {services[k % len(services)]}",
                    f"    fix: {rng.choice(['hotfix', 'next-release'])}",
                ]
                if rng.random() < 0.5:
                    lines.append(f"    tracker: jira:PAY-{1000 + n * 3 + k}")
        if status in ("resolved", "closed"):
            lines += ["resolution:", "  kind: fixed", f"  summary: {self.sentence(9)}"]
        elif status == "cancelled":
            if n > 1 and rng.random() < 0.5:
                lines += ["resolution:", "  kind: duplicate", "  summary: Reported twice.",
                          f"  duplicate_of: INC-2026-{n - 1:04d}"]  # fmt: skip
            else:
                lines += ["resolution:", "  kind: false-alarm", "  summary: A test alert."]
        lines += [
            "links:",
            f"  - https://status.example.com/incidents/{n}",
            f"  - {{url: 'https://runbooks.example.com/{services[0]}', title: Runbook}}",
            f"labels: [synthetic, wave-{n % 17}]",
        ]
        return "\n".join(lines) + "\n"


def build(root: Path, count: int) -> int:
    """Write the repository; the total size of the incident files."""
    for path, text in POLICIES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    folder = root / "incidents" / "2026"
    folder.mkdir(parents=True, exist_ok=True)
    incidents = Incidents()
    size = 0
    for n in range(1, count + 1):
        text = incidents.render(n)
        (folder / f"INC-2026-{n:04d}.yaml").write_text(text, encoding="utf-8")
        size += len(text.encode())
    return size


PARSE_ONLY = """\
import os, sys, yaml
for folder in ("incidents", "policies"):
    for dirpath, dirnames, filenames in os.walk(os.path.join(sys.argv[1], folder)):
        for name in filenames:
            if name.endswith((".yaml", ".yml")):
                with open(os.path.join(dirpath, name), "rb") as handle:
                    yaml.load(handle.read().decode("utf-8"), Loader=yaml.CSafeLoader)
"""


def timed(args: list[str], runs: int, expect: int = 0) -> float:
    """The median wall time of ``runs`` fresh processes running ``args``."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode != expect:
            sys.exit(f"{' '.join(args[:3])} ... exited {done.returncode}:\n"
                     f"{done.stdout[-3000:]}{done.stderr[-3000:]}")  # fmt: skip
    return statistics.median(times)


def measure(count: int, runs: int, keep: Path | None = None) -> tuple[float, float]:
    """Median wall times of a bare parse and of ``validate`` over ``count`` incidents."""
    root = keep or Path(tempfile.mkdtemp(prefix="incidentctl-bench-"))
    try:
        size = build(root, count)
        print(f"{count} incidents, {size / count / 1024:.1f} KB each on average, in {root}",
              flush=True)  # fmt: skip
        parse = timed([sys.executable, "-c", PARSE_ONLY, str(root)], runs)
        validate = timed(
            [sys.executable, "-c", "from incidentctl.cli.main import main; main()",
             "-C", str(root), "validate", "--now", NOW],
            runs,
        )  # fmt: skip
    finally:
        if keep is None:
            shutil.rmtree(root, ignore_errors=True)
    print(f"CSafeLoader parse:     {parse:6.2f} s (median of {runs})")
    print(f"incidentctl validate:  {validate:6.2f} s (median of {runs})", flush=True)
    return parse, validate


def goal_line(count: int, parse: float, validate: float) -> str:
    ratio = validate / parse
    verdict = "met" if ratio <= GOAL else "not met"
    return (
        f"goal: validate of {count} files: {validate:.2f} s = {ratio:.2f} x the parse; "
        f"{ratio / GOAL:.2f} of the goal (<= {GOAL:g} x), {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the repository here and keep it")
    options = parser.parse_args()
    parse, validate = measure(options.incidents, options.runs, options.keep)
    print(goal_line(options.incidents, parse, validate))


if __name__ == "__main__":
    main()
