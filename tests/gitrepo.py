"""A declarative builder of real Git repositories, and YAML documents to put in them.

Build a repository from a list of steps, each with its dates and author::

    from gitrepo import Commit, Merge, build_repo, incident_yaml

    INC = "incidents/2026/INC-2026-0001.yaml"
    repo = build_repo(tmp_path / "repo", [
        Commit("2026-03-02T10:00:00Z", files={INC: incident_yaml("INC-2026-0001")}),
        Commit("2026-03-02T10:03:00Z", branch="ack",            # a pull request's branch
               files={INC: incident_yaml("INC-2026-0001", status="acknowledged")}),
        Merge("ack", "2026-03-02T10:20:00Z"),                     # merged with --no-ff
    ])
    repo.shas[2]        # the merge commit; one sha per step, in order
    repo.head()         # the tip of main
    repo.apply(Commit("2026-03-02T11:00:00Z", delete=[INC]))   # more steps later
    repo.clone(tmp_path / "ci", "--depth=2")                    # a clone, as CI makes

Steps (every date is an aware ``datetime`` or an ISO 8601 string with an offset;
``date`` sets both the author and committer dates, ``author_date`` overrides the
author date; ``author``/``email`` are the author, and the committer too):

- ``Commit(date, files={path: text}, delete=[path], moves={old: new}, message=,
  author=, email=, author_date=, branch="main", start=None)``: one commit on
  ``branch``. A branch that does not exist yet starts at ``start`` (a rev or the
  index of an earlier step), by default at main's tip. ``moves`` renames files
  (``git mv``), keeping their text unless ``files`` gives new text for the new path.
  A commit without changes is made anyway (``--allow-empty``).
- ``Merge(branch, date, into="main", files=, delete=, message=, author=, ...)``: a
  ``--no-ff`` merge of ``branch`` into ``into``; ``files``/``delete`` are applied to
  the merge commit itself (a conflict resolution or an "evil merge").
- ``Squash(branch, date, into="main", message=, author=, ...)``: a squash merge, as
  GitHub's "Squash and merge": one ordinary commit with the branch's changes.
- ``Rebase(branch, date, onto="main")``: GitHub's "Rebase and merge": the branch's
  commits cherry-picked onto ``onto``, keeping their authors and author dates, each
  committed at ``date``. The step's sha is the last picked commit.
- ``Revert(target, date, branch="main", ...)``: ``git revert`` of ``target`` (a rev,
  or the index of an earlier step).
- ``Reset(branch, target)``: move ``branch`` to ``target`` (a rev or a step index),
  as a force-push does; later steps build a rewritten history from there.

``Repo``: ``path``; ``shas`` (one per step applied); ``apply(*steps)``;
``git(*args, env=None) -> stdout``; ``head(branch="main")``; ``rev(rev_or_index)``;
``clone(path, *options) -> Repo``; ``environment()`` (the env git runs with, for a
subprocess of your own).

Git runs with a fixed environment: no system or user configuration (``HOME`` is a
folder beside the repository), ``init.defaultBranch=main``, no signing.

Documents: ``incident_yaml(id, status=, severity=, updates=[...], ...)``,
``rca_yaml(incident, status=, meeting_at=, ...)``, ``sla_policy_yaml(name,
targets=, ...)``, ``calendar_yaml(name, timezone=, hours=, ...)`` and
``defect_policy_yaml(name, ...)`` render valid documents with sensible defaults;
any other keyword becomes (or replaces) a top-level field, and a field given as
``None`` is left out. ``update(at, text, audience="customer")`` makes one entry of
an incident's ``updates``.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

When = datetime | str
Rev = int | str

ALICE = ("Alice Example", "alice@example.com")


def to_datetime(when: When) -> datetime:
    value = datetime.fromisoformat(when) if isinstance(when, str) else when
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{when!r}: give a date with a UTC offset (Z or +02:00)")
    return value


def git_date(when: When) -> str:
    """Git's internal date format, exact to the second and keeping the offset."""
    value = to_datetime(when)
    offset = value.utcoffset()
    assert offset is not None
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{int(value.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class Commit:
    date: When
    files: Mapping[str, str] = field(default_factory=dict)
    delete: Sequence[str] = ()
    moves: Mapping[str, str] = field(default_factory=dict)
    message: str = "change"
    author: str = ALICE[0]
    email: str = ALICE[1]
    author_date: When | None = None
    branch: str = "main"
    start: Rev | None = None


@dataclass(frozen=True)
class Merge:
    branch: str
    date: When
    into: str = "main"
    files: Mapping[str, str] = field(default_factory=dict)
    delete: Sequence[str] = ()
    message: str | None = None
    author: str = ALICE[0]
    email: str = ALICE[1]
    author_date: When | None = None


@dataclass(frozen=True)
class Squash:
    branch: str
    date: When
    into: str = "main"
    message: str | None = None
    author: str = ALICE[0]
    email: str = ALICE[1]
    author_date: When | None = None


@dataclass(frozen=True)
class Rebase:
    branch: str
    date: When
    onto: str = "main"
    author: str = ALICE[0]  # the committer: picked commits keep their own authors
    email: str = ALICE[1]


@dataclass(frozen=True)
class Revert:
    target: Rev
    date: When
    branch: str = "main"
    message: str | None = None
    author: str = ALICE[0]
    email: str = ALICE[1]
    author_date: When | None = None


@dataclass(frozen=True)
class Reset:
    branch: str
    target: Rev


Step = Commit | Merge | Squash | Rebase | Revert | Reset


class Repo:
    """A repository being built; ``shas[i]`` is the commit step ``i`` made (or moved to)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.home = path.parent / f".{path.name}-home"
        self.shas: list[str] = []
        self.home.mkdir(parents=True, exist_ok=True)
        config = self.home / ".gitconfig"
        config.write_text(
            "[user]\n\tname = Test Runner\n\temail = runner@example.com\n"
            "[init]\n\tdefaultBranch = main\n"
            "[commit]\n\tgpgsign = false\n[tag]\n\tgpgsign = false\n"
            "[core]\n\tautocrlf = false\n[advice]\n\tdetachedHead = false\n",
            encoding="utf-8",
        )
        path.mkdir(parents=True, exist_ok=True)
        if not (path / ".git").exists():
            self.git("init", "-q", "-b", "main")

    def environment(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("GIT_") and key not in ("HOME", "XDG_CONFIG_HOME")
        }
        env.update(
            HOME=str(self.home),
            XDG_CONFIG_HOME=str(self.home / ".config"),
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=str(self.home / ".gitconfig"),
            GIT_TERMINAL_PROMPT="0",
            GIT_EDITOR="true",
            LC_ALL="C",
        )
        env.update(extra or {})
        return env

    def git(self, *args: str, env: Mapping[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", *args],
            cwd=self.path,
            env=self.environment(env),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def head(self, branch: str = "main") -> str:
        return self.git("rev-parse", f"refs/heads/{branch}")

    def clone(self, path: Path, *options: str) -> Repo:
        """A clone of this repository at ``path`` (``options`` such as ``--depth=2``)."""
        url = self.path.resolve().as_uri()  # a URL, so that --depth is honoured
        self.git("clone", "-q", *options, url, str(path))
        return Repo(path)

    def rev(self, rev: Rev) -> str:
        return self.shas[rev] if isinstance(rev, int) else self.git("rev-parse", rev)

    def apply(self, *steps: Step | Iterable[Step]) -> Repo:
        for item in steps:
            for step in [item] if isinstance(item, Step) else item:
                self.shas.append(self._apply(step))
        return self

    # -- steps -----------------------------------------------------------------------

    def _apply(self, step: Step) -> str:
        if isinstance(step, Commit):
            self._switch(step.branch, step.start)
            for old, new in step.moves.items():
                (self.path / new).parent.mkdir(parents=True, exist_ok=True)
                self.git("mv", old, new)
            self._write(step.files, step.delete)
            self._commit(step.message, step, step.date, step.author_date)
        elif isinstance(step, Merge):
            self._switch(step.into)
            env = _dates(step.author, step.email, step.date, step.author_date)
            message = step.message or f"Merge branch '{step.branch}'"
            merge = ["merge", "--no-ff", "--no-edit", "-m", message, step.branch]
            if step.files or step.delete:
                self._merge_allowing_conflicts([*merge[:1], "--no-commit", *merge[1:]], env)
                self._write(step.files, step.delete)
                self.git("commit", "-q", "--no-edit", "-m", message, env=env)
            else:
                self.git(*merge, env=env)
        elif isinstance(step, Squash):
            self._switch(step.into)
            self.git("merge", "--squash", step.branch)
            message = step.message or f"Squashed '{step.branch}'"
            self._commit(message, step, step.date, step.author_date)
        elif isinstance(step, Rebase):
            self._switch(step.onto)
            picks = self.git("rev-list", "--reverse", "--no-merges", f"{step.onto}..{step.branch}")
            env = {
                "GIT_COMMITTER_NAME": step.author,
                "GIT_COMMITTER_EMAIL": step.email,
                "GIT_COMMITTER_DATE": git_date(step.date),
            }
            for sha in picks.split():
                self.git("cherry-pick", "--allow-empty", "--keep-redundant-commits", sha, env=env)
        elif isinstance(step, Revert):
            self._switch(step.branch)
            env = _dates(step.author, step.email, step.date, step.author_date)
            target = self.rev(step.target)
            self.git("revert", "--no-edit", target, env=env)
            if step.message:
                self.git("commit", "-q", "--amend", "-m", step.message, env=env)
        else:
            self._switch(step.branch)
            self.git("reset", "-q", "--hard", self.rev(step.target))
        branch = self._on_branch()
        tip = self._tip(branch) if branch is not None else None
        return tip if tip is not None else self.git("rev-parse", "HEAD")

    def _on_branch(self) -> str | None:
        """The branch checked out, read from ``.git/HEAD`` (None if detached or unknown)."""
        try:
            head = (self.path / ".git" / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            return None
        return (
            head.removeprefix("ref: refs/heads/") if head.startswith("ref: refs/heads/") else None
        )

    def _tip(self, branch: str) -> str | None:
        """The branch's commit from its loose ref file; None if it is packed or absent."""
        try:
            sha = (self.path / ".git" / "refs" / "heads" / branch).read_text(encoding="utf-8")
        except OSError:
            return None
        return sha.strip() or None

    def _switch(self, branch: str, start: Rev | None = None) -> None:
        if self._on_branch() == branch and self._tip(branch) is not None:
            return  # already there: spares two git runs per commit
        exists = self._try("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}")
        if exists.returncode == 0:
            self.git("checkout", "-q", branch)
        elif self._has_commits():
            self.git(
                "checkout", "-q", "-b", branch, self.rev(start) if start is not None else "main"
            )
        else:
            self.git("symbolic-ref", "HEAD", f"refs/heads/{branch}")

    def _has_commits(self) -> bool:
        return bool(self.git("for-each-ref", "--count=1", "refs/heads/"))

    def _write(self, files: Mapping[str, str], delete: Sequence[str]) -> None:
        for name, text in files.items():
            target = self.path / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        if delete:
            self.git("rm", "-q", "--", *delete)
        self.git("add", "-A")

    def _commit(
        self, message: str, who: Commit | Squash, date: When, author_date: When | None
    ) -> None:
        env = _dates(who.author, who.email, date, author_date)
        self.git("commit", "-q", "--allow-empty", "-m", message, env=env)

    def _try(
        self, *args: str, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["git", *args], cwd=self.path, env=self.environment(env), capture_output=True,
            text=True, check=False,
        )  # fmt: skip

    def _merge_allowing_conflicts(self, args: list[str], env: Mapping[str, str]) -> None:
        done = self._try(*args, env=env)
        if done.returncode not in (0, 1):  # 1: conflicts, which the step's files resolve
            raise RuntimeError(f"git {' '.join(args)} failed: {done.stderr.strip()}")


def _dates(name: str, email: str, date: When, author_date: When | None) -> dict[str, str]:
    return {
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_AUTHOR_DATE": git_date(author_date if author_date is not None else date),
        "GIT_COMMITTER_DATE": git_date(date),
    }


def build_repo(path: Path, steps: Iterable[Step] = ()) -> Repo:
    """A new repository at ``path`` (created if needed) with ``steps`` applied in order."""
    return Repo(path).apply(steps)


# -- documents -------------------------------------------------------------------------


def iso(when: When) -> str:
    """``2026-03-02T10:00:00Z``: UTC written with Z, other offsets kept."""
    value = to_datetime(when)
    if value.utcoffset() == UTC.utcoffset(None):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def update(
    at: When, text: str = "We are looking into it.", audience: str = "customer"
) -> dict[str, str]:
    return {"at": iso(at), "audience": audience, "text": text}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def document_yaml(kind: str, fields: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    doc = {"apiVersion": "incidentctl/v1", "kind": kind, **fields, **extra}
    return yaml.safe_dump(
        _plain(doc), sort_keys=False, allow_unicode=True, default_flow_style=False
    )


_RESOLUTIONS = {
    "resolved": {"kind": "fixed", "summary": "Rolled back the faulty release."},
    "closed": {"kind": "fixed", "summary": "Rolled back the faulty release."},
    "cancelled": {"kind": "false-alarm", "summary": "The alert was a false alarm."},
}


def incident_yaml(
    id: str = "INC-2026-0001",
    *,
    status: str = "open",
    severity: str = "SEV2",
    title: str = "Payments are failing",
    summary: str = "Card payments fail for some customers.",
    environment: str = "production",
    customer: str | None = None,
    services: Sequence[str] = ("payments",),
    source: str = "monitoring",
    channel: str = "monitoring",
    reported_at: When | None = None,
    impact_started_at: When | None = None,
    commander: str | None = "@alice",
    updates: Sequence[Mapping[str, Any]] = (),
    defects: Sequence[Mapping[str, Any]] = (),
    workaround: str | None = None,
    resolution: Mapping[str, Any] | None = None,
    milestones: Mapping[str, When] | None = None,
    **extra: Any,
) -> str:
    """A valid Incident; a workaround and a resolution are filled in when the status needs them."""
    if workaround is None and status == "mitigated":
        workaround = "Traffic moved to the standby region."
    if resolution is None:
        resolution = _RESOLUTIONS.get(status)
    fields = {
        "id": id,
        "title": title,
        "summary": summary,
        "severity": severity,
        "status": status,
        "environment": environment,
        "customer": customer,
        "services": list(services),
        "detection": {
            "source": source,
            "channel": channel,
            "impact_started_at": impact_started_at,
            "reported_at": reported_at,
        },
        "roles": {"commander": commander} if commander else None,
        "workaround": workaround,
        "updates": list(updates) or None,
        "defects": list(defects) or None,
        "resolution": resolution,
        "milestones": milestones,
    }
    return document_yaml("Incident", fields, extra)


def rca_yaml(
    incident: str = "INC-2026-0001",
    *,
    status: str = "draft",
    meeting_at: When | None = None,
    owner: str | None = "@alice",
    **extra: Any,
) -> str:
    fields: dict[str, Any] = {"incident": incident, "status": status, "owner": owner,
                              "meeting_at": meeting_at, "summary": "What happened."}  # fmt: skip
    if status == "published":
        fields["root_causes"] = [{"category": "code", "description": "A bad release."}]
    return document_yaml("RCA", fields, extra)


DEFAULT_TARGETS: dict[str, dict[str, str]] = {
    "SEV1": {"acknowledge": "5m", "update_every": "15m", "resolve": "4h"},
    "SEV2": {"update_every": "30m", "resolve": "8h"},
}


def sla_policy_yaml(
    name: str = "gold",
    *,
    targets: Mapping[str, Mapping[str, Any]] | None = None,
    priority: int | None = None,
    clock: str | None = None,
    applies_to: Mapping[str, Any] | None = None,
    **extra: Any,
) -> str:
    fields = {
        "name": name,
        "applies_to": applies_to,
        "priority": priority,
        "clock": clock,
        "targets": targets if targets is not None else DEFAULT_TARGETS,
    }
    return document_yaml("SLAPolicy", fields, extra)


def calendar_yaml(
    name: str = "berlin-office",
    *,
    timezone: str | None = "Europe/Berlin",
    hours: Mapping[str, Sequence[str]] | None = None,
    holidays: Sequence[Any] = (),
    **extra: Any,
) -> str:
    fields = {
        "name": name,
        "timezone": timezone,
        "hours": hours if hours is not None else {"mon-fri": ["09:00-17:00"]},
        "holidays": list(holidays) or None,
    }
    return document_yaml("Calendar", fields, extra)


def defect_policy_yaml(name: str = "defects", **extra: Any) -> str:
    fields = {"name": name, "routes": [{"services": ["*"], "github": "example/app"}]}
    return document_yaml("DefectPolicy", fields, extra)
