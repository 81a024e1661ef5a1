"""A hypothesis strategy of random incident histories, built as real Git repositories.

``histories()`` draws a ``GeneratedHistory``: a script of steps for ``tests/gitrepo.py``
on one day (2026-11-16, UTC, times on a minute grid) in which one to three incidents
live through what a repository sees: opening, legal status moves (acknowledge,
mitigate, wait, resolve, reopen, close, cancel), severity changes (NONPROD included),
environment, customer and services changes, customer updates, deletion and restore
(``git rm``, then ``git revert`` of it or the file added again), moves to another
folder, RCAs with a meeting in the past or the future and their publication, SLA
policy edits, and pull requests: branches whose commits carry earlier author dates,
landed by a merge commit, a squash or a rebase.

Three SLA policies are committed first, chosen by the incident's customer:

- ``gold`` (customer ``acme``, ``clock: landed``) and ``silver`` (customer
  ``globex``, ``clock: authored``), both production only, priority 10;
- ``base`` (any production incident, priority 0, ``clock: landed``), looser.

Targets are small (SEV1 acknowledge 5m, update every 15m, resolve 4h) so that
breaches really happen within the day. ``GeneratedHistory``'s ``repr`` is a readable
script, one line per commit, which is what hypothesis prints for a failing example.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from gitrepo import (
    Commit,
    Merge,
    Rebase,
    Repo,
    Revert,
    Squash,
    Step,
    build_repo,
    incident_yaml,
    rca_yaml,
    sla_policy_yaml,
    update,
)
from incidentctl.model.incident import LEGAL_MOVES

DAY = datetime(2026, 11, 16, tzinfo=UTC)
POLICIES_AT = DAY + timedelta(hours=9)
FIRST_OPENING = DAY + timedelta(hours=10)

CUSTOMERS: tuple[str | None, ...] = ("acme", "globex", None)
SEVERITIES = ("SEV1", "SEV2", "NONPROD")
SERVICES: tuple[tuple[str, ...], ...] = (("payments",), ("search",), ("payments", "search"))
ENVIRONMENTS = ("production", "non-production")

# Per policy, the SEV1 targets an edit may choose from (others are kept).
EDITS: dict[str, tuple[str, ...]] = {
    "acknowledge": ("2m", "5m", "10m"),
    "update_every": ("10m", "15m", "30m"),
    "resolve": ("1h", "4h"),
    "postmortem": ("1h", "2h"),
}


def policy_targets(name: str) -> dict[str, dict[str, str]]:
    if name == "base":
        return {
            "SEV1": {"acknowledge": "10m", "update_every": "20m", "resolve": "6h"},
            "SEV2": {"acknowledge": "1h", "resolve": "12h"},
        }
    return {
        "SEV1": {
            "acknowledge": "5m",
            "first_update": "10m",
            "update_every": "15m",
            "mitigate": "1h",
            "resolve": "4h",
            "postmortem": "2h",
            "rca": "3h",
        },
        "SEV2": {"acknowledge": "30m", "update_every": "30m", "resolve": "8h"},
    }


POLICY_PATHS = {name: f"policies/{name}.yaml" for name in ("gold", "silver", "base")}


def policy_text(name: str, targets: dict[str, dict[str, str]]) -> str:
    if name == "base":
        return sla_policy_yaml(
            "base", targets=targets, priority=0, applies_to={"environments": ["production"]}
        )
    customer = "acme" if name == "gold" else "globex"
    return sla_policy_yaml(
        name,
        targets=targets,
        priority=10,
        clock="landed" if name == "gold" else "authored",
        applies_to={"customers": [customer], "environments": ["production"]},
    )


def hhmm(when: datetime) -> str:
    text = when.strftime("%H:%M")
    return text if when.date() == DAY.date() else f"{text}(+{(when - DAY).days}d)"


@dataclass(frozen=True)
class Rca:
    status: str = "draft"
    meeting_at: datetime | None = None

    def text(self, incident_id: str) -> str:
        return rca_yaml(incident_id, status=self.status, meeting_at=self.meeting_at)


@dataclass(frozen=True)
class Incident:
    """What the generator knows of one incident's file."""

    id: str
    path: str
    status: str = "open"
    severity: str = "SEV1"
    environment: str = "production"
    customer: str | None = "acme"
    services: tuple[str, ...] = ("payments",)
    updates: tuple[datetime, ...] = ()
    deleted_at_step: int | None = None  # the index of the step that deleted it
    rca: Rca | None = None

    @property
    def rca_path(self) -> str:
        return f"incidents/2026/{self.id}.rca.yaml"

    @property
    def final(self) -> bool:
        return self.status in ("closed", "cancelled")

    def text(self) -> str:
        return incident_yaml(
            self.id,
            status=self.status,
            severity=self.severity,
            environment=self.environment,
            customer=self.customer,
            services=self.services,
            updates=[update(at, f"Update at {hhmm(at)}.") for at in self.updates],
        )


@dataclass
class GeneratedHistory:
    """A script of ``gitrepo`` steps, with a readable account of each."""

    steps: list[Step] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    # every instant a step happened at: landing (committer) and author dates
    instants: set[datetime] = field(default_factory=set)
    last: datetime = POLICIES_AT

    def build(self, path: Path) -> Repo:
        return build_repo(path, self.steps)

    def __repr__(self) -> str:
        return "GeneratedHistory(\n  " + "\n  ".join(self.lines) + "\n)"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))  # hypothesis prints the script, not the fields


class _Builder:
    def __init__(self, draw: Any) -> None:
        self.draw = draw
        self.out = GeneratedHistory()
        self.now = POLICIES_AT
        self.incidents: dict[str, Incident] = {}
        self.targets = {name: policy_targets(name) for name in POLICY_PATHS}
        self.branches = 0
        files = {POLICY_PATHS[name]: policy_text(name, t) for name, t in self.targets.items()}
        self.add(
            Commit(self.now, files=files),
            "policies gold (acme, landed), silver (globex, authored), base (production)",
        )

    # -- output ---------------------------------------------------------------------

    def add(self, step: Step, line: str, *, authored: datetime | None = None) -> int:
        self.out.steps.append(step)
        self.out.lines.append(f"[{len(self.out.steps) - 1}] {hhmm(self.now)} {line}")
        self.out.instants.add(self.now)
        if authored is not None:
            self.out.instants.add(authored)
        self.out.last = self.now
        return len(self.out.steps) - 1

    def tick(self, low: int = 1, high: int = 25) -> datetime:
        self.now += timedelta(minutes=self.draw(st.integers(low, high)))
        return self.now

    # -- choices --------------------------------------------------------------------

    def pick(self, options: Any) -> Any:
        return self.draw(st.sampled_from(list(options)))

    def live(self) -> list[Incident]:
        return [i for i in self.incidents.values() if i.deleted_at_step is None]

    def commit_incident(self, before: Incident, after: Incident, what: str) -> None:
        files = {after.path: after.text()}
        self.add(Commit(self.now, files=files), f"{after.id} {what}")
        self.incidents[after.id] = after

    # -- operations ------------------------------------------------------------------

    def open_incident(self) -> None:
        number = len(self.incidents) + 1
        incident = Incident(
            f"INC-2026-{number:04d}",
            f"incidents/2026/INC-2026-{number:04d}.yaml",
            severity=self.pick(("SEV1", "SEV1", "SEV2", "NONPROD")),
            customer=self.pick(CUSTOMERS),
            environment=self.pick(("production", "production", "production", "non-production")),
        )
        self.add(
            Commit(self.now, files={incident.path: incident.text()}),
            f"{incident.id} opened {incident.severity} customer={incident.customer} "
            f"{incident.environment}",
        )
        self.incidents[incident.id] = incident

    def operate(self) -> None:
        live = self.live()
        deleted = [i for i in self.incidents.values() if i.deleted_at_step is not None]
        choices = ["policy"]
        if len(self.incidents) < 3:
            choices += ["open"]
        if live:
            choices += ["status"] * 4 + ["update"] * 2 + ["severity", "attribute", "branch"] * 2
            choices += ["delete", "move", "rca"]
        if deleted:
            choices += ["restore"] * 8  # a deletion is mostly followed by its restore
        kind = self.pick(choices)
        if kind == "open":
            self.open_incident()
        elif kind == "policy":
            self.edit_policy()
        elif kind == "restore":
            self.restore(self.pick(deleted))
        elif kind == "branch":
            self.branch(self.pick(live))
        else:
            getattr(self, kind)(self.pick(live))

    def status(self, incident: Incident) -> None:
        moves = sorted(LEGAL_MOVES[incident.status])
        if not moves:
            return self.rca(incident)  # closed or cancelled: only its RCA may change
        new = self.pick(moves)
        self.commit_incident(incident, replace(incident, status=new), f"status {new}")
        return None

    def update(self, incident: Incident) -> None:
        if incident.final:
            return self.rca(incident)
        after = replace(incident, updates=(*incident.updates, self.now))
        self.commit_incident(incident, after, "customer update")
        return None

    def severity(self, incident: Incident) -> None:
        new = self.pick([s for s in SEVERITIES if s != incident.severity])
        self.commit_incident(incident, replace(incident, severity=new), f"severity {new}")

    def attribute(self, incident: Incident) -> None:
        name = self.pick(("environment", "customer", "services"))
        values = {"environment": ENVIRONMENTS, "customer": CUSTOMERS, "services": SERVICES}[name]
        new = self.pick([v for v in values if v != getattr(incident, name)])
        after = replace(incident, **{name: new})
        self.commit_incident(incident, after, f"{name} {new}")

    def delete(self, incident: Incident) -> None:
        index = self.add(Commit(self.now, delete=[incident.path]), f"{incident.id} git rm")
        self.incidents[incident.id] = replace(incident, deleted_at_step=index)

    def restore(self, incident: Incident) -> None:
        assert incident.deleted_at_step is not None
        restored = replace(incident, deleted_at_step=None)
        if self.draw(st.booleans()):
            self.add(
                Revert(incident.deleted_at_step, self.now),
                f"{incident.id} git revert [{incident.deleted_at_step}]",
            )
        else:
            self.add(
                Commit(self.now, files={incident.path: incident.text()}),
                f"{incident.id} added again",
            )
        self.incidents[incident.id] = restored

    def move(self, incident: Incident) -> None:
        folder = "incidents/2026/archive" if "archive" not in incident.path else "incidents/2026"
        new = f"{folder}/{incident.id}.yaml"
        self.add(Commit(self.now, moves={incident.path: new}), f"{incident.id} git mv {new}")
        self.incidents[incident.id] = replace(incident, path=new)

    def meeting(self) -> datetime | None:
        kind = self.pick(("none", "past", "future", "future"))
        if kind == "none":
            return None
        minutes = self.draw(st.integers(5, 300))
        return self.now + timedelta(minutes=minutes if kind == "future" else -minutes)

    def rca(self, incident: Incident) -> None:
        old = incident.rca
        if old is None:
            new = Rca(meeting_at=self.meeting())
            what = "RCA draft"
        elif old.status != "published" and self.draw(st.booleans()):
            new = replace(old, status="published")
            what = "RCA published"
        else:
            new = replace(old, meeting_at=self.meeting())
            what = "RCA meeting moved"
        meeting = "none" if new.meeting_at is None else hhmm(new.meeting_at)
        self.add(
            Commit(self.now, files={incident.rca_path: new.text(incident.id)}),
            f"{incident.id} {what} (meeting {meeting})",
        )
        self.incidents[incident.id] = replace(incident, rca=new)

    def edit_policy(self) -> None:
        name = self.pick(("gold", "silver", "base"))
        metric = self.pick(sorted(EDITS))
        value = self.pick(EDITS[metric])
        targets = {sev: dict(t) for sev, t in self.targets[name].items()}
        targets["SEV1"][metric] = value
        self.targets[name] = targets
        self.add(
            Commit(self.now, files={POLICY_PATHS[name]: policy_text(name, targets)}),
            f"policy {name}: SEV1 {metric} {value}",
        )

    def branch(self, incident: Incident) -> None:
        """A pull request on one incident: 1-3 commits authored earlier, then landed.

        Each commit's status is one the base version may legally move to (or the base
        status again), so a branch may acknowledge, withdraw and acknowledge again.
        """
        if incident.final:
            return self.rca(incident)
        self.branches += 1
        name = f"pr{self.branches}"
        base = incident
        allowed = sorted({base.status, *LEGAL_MOVES[base.status]})
        start = self.now
        current = incident
        count = self.draw(st.integers(1, 3))
        authored = start
        lines = []
        commits: list[tuple[datetime, Incident]] = []
        for _ in range(count):
            authored = authored + timedelta(minutes=self.draw(st.integers(1, 12)))
            change = self.pick(("status", "status", "update", "severity"))
            if change == "status":
                current = replace(current, status=self.pick(allowed))
                lines.append(f"{hhmm(authored)} status {current.status}")
            elif change == "update":
                current = replace(current, updates=(*current.updates, authored))
                lines.append(f"{hhmm(authored)} customer update")
            else:
                current = replace(current, severity=self.pick(SEVERITIES))
                lines.append(f"{hhmm(authored)} severity {current.severity}")
            commits.append((authored, current))
        for authored_at, version in commits:
            self.out.steps.append(
                Commit(authored_at, files={version.path: version.text()}, branch=name)
            )
            self.out.lines.append(f"[{len(self.out.steps) - 1}]   {name}: {incident.id} ...")
            self.out.instants.add(authored_at)
        # the branch lines name what each commit did, authored at which time
        first = len(self.out.steps) - count
        for offset, line in enumerate(lines):
            self.out.lines[first + offset] = (
                f"[{first + offset}]   {name}: {incident.id} {line} (authored)"
            )
        self.now = authored + timedelta(minutes=self.draw(st.integers(1, 30)))
        others = [i for i in self.live() if i.id != incident.id and not i.final]
        if others and self.draw(st.booleans()):
            # main moves on while the pull request waits: another incident changes
            other = self.pick(others)
            self.pick((self.update, self.severity, self.status))(other)
            self.now += timedelta(minutes=self.draw(st.integers(1, 10)))
        how = self.pick(("merge", "merge", "squash", "rebase"))
        landing: Step = (
            Merge(name, self.now)
            if how == "merge"
            else Squash(name, self.now)
            if how == "squash"
            else Rebase(name, self.now)
        )
        self.add(landing, f"{how} {name}")
        self.incidents[incident.id] = current
        return None


@st.composite
def histories(draw: Any, min_steps: int = 3, max_steps: int = 10) -> GeneratedHistory:
    """A random history: policies, a first incident at 10:00, then ``min..max`` steps."""
    builder = _Builder(draw)
    builder.now = FIRST_OPENING
    builder.open_incident()
    for _ in range(draw(st.integers(min_steps, max_steps))):
        builder.tick()
        builder.operate()
    return builder.out
