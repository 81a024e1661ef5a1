"""The delivery ledger: which (channel, event) pairs were claimed and sent, kept in Git.

The ledger is a ref (``refs/incidentctl/notify-ledger``) whose commit holds one file,
``ledger.jsonl``: one line per change of a pair's state (``claimed``, ``sent``,
``released``, ``skipped``); the last line of a pair wins. Every change is a new commit on
top of the previous one, published with a compare-and-swap: ``git update-ref REF NEW
OLD`` in the clone, or, with a remote, a push that Git refuses unless it fast-forwards
the remote's ref. Two runs, in one clone or in two, can never both claim a pair: the
loser's swap fails, it reads the winner's ledger and claims what is left.

A pair is sent only by the run that claimed it, after the claim is published. A run
that crashes after its claim leaves it ``claimed``; once the claim is older than the
lease, a later run claims it again and sends with the same message identity (webhook
id, Message-ID, PagerDuty dedup key), so a receiver that deduplicates sees it once.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from incidentctl.history.git import Git
from incidentctl.model.types import iso
from incidentctl.problems import UsageError

LEDGER_REF = "refs/incidentctl/notify-ledger"
_TRACKING = "refs/incidentctl/remote-notify-ledger"
_FILE = "ledger.jsonl"
_ATTEMPTS = 20
DEFAULT_LEASE = timedelta(minutes=10)

Pair = tuple[str, str]  # (channel id, event key)


class LedgerError(UsageError):
    """The ledger cannot be read or published: nothing is sent without it (exit 2)."""


@dataclass(frozen=True, slots=True)
class Entry:
    state: str
    run: str
    at: datetime


def new_run_id() -> str:
    return secrets.token_hex(6)


class Ledger:
    def __init__(
        self, git: Git, remote: str | None = None, *, lease: timedelta = DEFAULT_LEASE
    ) -> None:
        self.git = git
        self.remote = remote
        self.lease = lease
        self._entries: dict[Pair, Entry] = {}
        self._lines: list[str] = []
        self._base: str | None = None

    # -- reading ---------------------------------------------------------------------

    def entries(self) -> dict[Pair, Entry]:
        self._read()
        return dict(self._entries)

    def _read(self) -> None:
        base = self._fetch() if self.remote else self._resolve(LEDGER_REF)
        self._base = base
        self._lines, self._entries = [], {}
        if base is None:
            return
        done = self.git.run("cat-file", "blob", f"{base}:{_FILE}", check=False)
        if done.returncode != 0:
            raise LedgerError(
                f"the notification ledger {LEDGER_REF} has no {_FILE}: "
                "it was not written by incidentctl; delete the ref"
            )
        for line in done.stdout.decode("utf-8").splitlines():
            try:
                data = json.loads(line)
                pair = (str(data["channel"]), str(data["key"]))
                entry = Entry(
                    str(data["state"]), str(data["run"]), datetime.fromisoformat(data["at"])
                )
            except (ValueError, KeyError, TypeError):
                raise LedgerError(
                    f"the notification ledger {LEDGER_REF} has a line that is not a ledger "
                    "entry: it was not written by incidentctl"
                ) from None
            self._lines.append(line)
            self._entries[pair] = entry

    def _resolve(self, ref: str) -> str | None:
        done = self.git.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return done.stdout.decode().strip() or None if done.returncode == 0 else None

    def _fetch(self) -> str | None:
        done = self.git.run(
            "fetch",
            "--quiet",
            "--no-tags",
            str(self.remote),
            f"+{LEDGER_REF}:{_TRACKING}",
            check=False,
        )
        if done.returncode != 0:
            why = done.stderr.decode("utf-8", "replace")
            if "couldn't find remote ref" in why:
                self.git.run("update-ref", "-d", _TRACKING, check=False)
                return None
            raise LedgerError(
                f"cannot read the notification ledger from {self.remote}: "
                f"{why.strip().splitlines()[-1] if why.strip() else 'git fetch failed'}"
            )
        return self._resolve(_TRACKING)

    # -- changing --------------------------------------------------------------------

    def claimable(self, pair: Pair, run: str, now: datetime) -> bool:
        entry = self._entries.get(pair)
        if entry is None or entry.state == "released":
            return True
        if entry.state == "claimed":
            return entry.run != run and entry.at + self.lease <= now
        return False

    def claim(
        self, pairs: Iterable[Pair], run: str, now: datetime
    ) -> tuple[set[Pair], set[Pair], set[Pair]]:
        """Claim the pairs nobody holds: (claimed now, of which were abandoned claims, of
        which were tried before: abandoned or released after a failure, so possibly
        delivered although nobody recorded it)."""
        wanted = list(dict.fromkeys(pairs))
        for _ in range(_ATTEMPTS):
            self._read()
            free = [p for p in wanted if self.claimable(p, run, now)]
            if not free:
                return set(), set(), set()
            tried = {p for p in free if p in self._entries}
            stale = {p for p in tried if self._entries[p].state == "claimed"}
            if self._publish([(p, "claimed") for p in free], run, now):
                return set(free), stale, tried
            time.sleep(0.05 + secrets.randbelow(100) / 1000)
        raise LedgerError("the notification ledger kept changing under this run: try again")

    def record(self, changes: Iterable[tuple[Pair, str]], run: str, now: datetime) -> None:
        """Record ``sent``, ``released`` or ``skipped`` for pairs this run claimed."""
        items = list(changes)
        if not items:
            return
        for _ in range(_ATTEMPTS):
            self._read()
            mine = [(p, s) for p, s in items if (e := self._entries.get(p)) and e.run == run]
            if not mine or self._publish(mine, run, now):
                return
            time.sleep(0.05 + secrets.randbelow(100) / 1000)
        raise LedgerError("the notification ledger kept changing under this run: try again")

    def _publish(self, changes: list[tuple[Pair, str]], run: str, now: datetime) -> bool:
        lines = [
            json.dumps(
                {"channel": c, "key": k, "state": s, "run": run, "at": iso(now)}, sort_keys=True
            )
            for (c, k), s in changes
        ]
        text = "\n".join([*self._lines, *lines]) + "\n"
        summary = f"notify: {len(changes)} change(s) by run {run}"
        commit = self._write_commit(text, summary, now)
        if self.remote is None:
            old = self._base or "0" * 40
            return self.git.run("update-ref", LEDGER_REF, commit, old, check=False).returncode == 0
        pushed = self.git.run(
            "push",
            "--quiet",
            "--no-verify",
            str(self.remote),
            f"{commit}:{LEDGER_REF}",
            check=False,
        )
        if pushed.returncode != 0:
            why = pushed.stderr.decode("utf-8", "replace")
            if any(w in why for w in ("rejected", "fetch first", "non-fast-forward", "stale")):
                return False
            raise LedgerError(
                f"cannot publish the notification ledger to {self.remote}: "
                f"{why.strip().splitlines()[-1] if why.strip() else 'git push failed'}"
            )
        self.git.run("update-ref", LEDGER_REF, commit, check=False)
        return True

    def _write_commit(self, text: str, summary: str, when: datetime) -> str:
        """A commit of one file, ``ledger.jsonl``, on top of the base, written through a
        scratch file and index in the Git folder (the work tree and index are untouched)."""
        git_dir = self.git.run("rev-parse", "--absolute-git-dir").stdout.decode().strip()
        handle, scratch = tempfile.mkstemp(prefix="incidentctl-ledger-", dir=git_dir)
        index = scratch + ".index"
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            blob = self._out("hash-object", "-w", "--", scratch)
            alone = {"GIT_INDEX_FILE": index}
            self._out("update-index", "--add", "--cacheinfo", f"100644,{blob},{_FILE}", env=alone)
            tree = self._out("write-tree", env=alone)
        finally:
            for path in (scratch, index):
                Path(path).unlink(missing_ok=True)
        stamp = f"{int(when.timestamp())} +0000"
        identity = {
            "GIT_AUTHOR_NAME": "incidentctl", "GIT_AUTHOR_EMAIL": "incidentctl@localhost",
            "GIT_COMMITTER_NAME": "incidentctl", "GIT_COMMITTER_EMAIL": "incidentctl@localhost",
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
        }  # fmt: skip
        parent = ["-p", self._base] if self._base else []
        return self._out("commit-tree", tree, *parent, "-m", summary, env=identity)

    def _out(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = self.git.run(*args, check=False, env=env)
        if done.returncode != 0:
            raise LedgerError(
                f"git {args[0]} failed while writing the notification ledger: "
                f"{done.stderr.decode('utf-8', 'replace').strip()}"
            )
        return done.stdout.decode().strip()
