"""The way back: ticket states read back into the incident and RCA files, in one commit.

Engineers close tickets and ship fixes in the trackers; ``defects sync`` reads the state
of each linked ticket and writes what changed into the files:

- an RCA action becomes ``done`` when its ticket is closed as done, ``wont-do`` when it
  is closed as not to be done, and ``open`` again when the ticket is reopened; a Jira due
  date moved in the tracker moves the action's ``due``;
- a product defect records the release that fixed it (``fixed_in``: the GitHub
  milestone or the Jira fix versions) once its ticket is closed as done, and loses it
  when the ticket is reopened. A closed or cancelled incident is not edited any more.

Every change of a run goes into one commit, with trailers (``Incident:``, ``Tracker:``,
``Tracker-Sync: read-back``); nothing is committed when nothing changed. Exactly once
across crashes: the commit's message and files are journalled in the Git folder before
any file is written (the reference write-backs do the same), and a run that finds the
journal commits what the crashed run had written (or, if that commit was made, only
clears the journal).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from incidentctl.defects.plan import Source
from incidentctl.edit import gitops
from incidentctl.edit.patch import Patch, PatchError
from incidentctl.fsutil import atomic_write
from incidentctl.history.git import Git
from incidentctl.problems import IncidentctlError, UsageError
from incidentctl.trackers import TicketState

JOURNAL = Path("incidentctl") / "write-back.json"
TRAILER = "Tracker-Sync: read-back"
# The fields the read-back (and the reference write-back) may change, per list.
MANAGED = {"defects": ("tracker", "fixed_in"), "actions": ("tracker", "status", "due")}


@dataclass(frozen=True, slots=True)
class Change:
    """One field of one defect or action, to be set (or removed, when ``value`` is None)."""

    source: Source
    ref: str
    field: str
    value: str | None
    says: str  # for the commit message and the report: "done", "fixed in 2026.04"


def changes(source: Source, state: TicketState) -> list[Change]:
    """What ``state`` changes in the file's defect or action (pure)."""
    found: list[Change] = []
    if source.kind == "action":
        wanted = "done" if state.done else "wont-do" if state.closed else "open"
        if source.status != wanted:
            says = {"done": "done", "wont-do": "closed as not to be done", "open": "reopened"}
            found.append(Change(source, state.ref, "status", wanted, says[wanted]))
        if state.due is not None and state.due != source.due:
            iso = state.due.isoformat()
            found.append(Change(source, state.ref, "due", iso, f"due {iso} as the ticket says"))
        return found
    if source.final:
        return found  # a closed or cancelled incident is not edited any more
    release = state.release if state.done else None
    if release != source.fixed_in:
        fixed = f"fixed in {release}" if release else "reopened: no longer fixed"
        found.append(Change(source, state.ref, "fixed_in", release, fixed))
    return found


def message(found: Sequence[Change]) -> str:
    """One commit for every change: a subject, a line per change, then the trailers."""
    lines = []
    for change in found:
        source = change.source
        what = "defect" if source.kind == "defect" else "action"
        lines.append(f"- {source.incident_id} {what} {source.key}: {change.says} ({change.ref})")
    incidents = sorted({c.source.incident_id for c in found})
    refs = sorted({c.ref for c in found})
    subject = f"{', '.join(incidents)}: tracker state read back"
    trailers = [*(f"Incident: {i}" for i in incidents), *(f"Tracker: {r}" for r in refs), TRAILER]
    return "\n\n".join([subject, "\n".join(lines), "\n".join(trailers)]) + "\n"


def _edited(root: Path, path: str, found: Sequence[Change]) -> str:
    text = (root / path).read_text(encoding="utf-8")
    patch = Patch(text)
    for change in found:
        source = change.source
        listed = "defects" if source.kind == "defect" else "actions"
        id_key = "key" if source.kind == "defect" else "id"
        items = patch.get((listed,)) or []
        index = next(
            (i for i, x in enumerate(items) if isinstance(x, dict) and x.get(id_key) == source.key),
            None,
        )
        if index is None:
            raise UsageError(f"{path}: {listed} {source.key} is gone from the file")
        if change.value is None:
            patch.remove((listed, index, change.field))
        else:
            value: Any = date.fromisoformat(change.value) if change.field == "due" else change.value
            patch.set((listed, index, change.field), value)
    return patch.text


def recover(root: Path, git: Git, journal: Path) -> str | None:
    """Finish what a crashed read-back left: commit its files if they are not committed."""
    try:
        pending = json.loads(journal.read_text(encoding="utf-8"))
        text, paths = str(pending["message"]), [str(p) for p in pending["paths"]]
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        journal.unlink(missing_ok=True)  # unreadable: the next read-back recomputes it all
        return None
    changed = [p for p in paths if (root / p).exists() and gitops.differs_from_head(git, p)]
    sha = gitops.commit_files(git, [root / p for p in changed], text) if changed else None
    end(journal)
    return sha


def begin(journal: Path, text: str, paths: Sequence[str]) -> None:
    """Journal a commit about to be made (its message and files), before any is written."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(journal, json.dumps({"message": text, "paths": list(paths)}, indent=1) + "\n")


def end(journal: Path) -> None:
    journal.unlink(missing_ok=True)


def write(root: Path, git: Git, journal: Path, found: Sequence[Change]) -> str | None:
    """Apply every change and commit them together; the commit's sha (None: no change)."""
    if not found:
        return None
    paths = sorted({c.source.path for c in found})
    try:
        texts = {p: _edited(root, p, [c for c in found if c.source.path == p]) for p in paths}
        for path in paths:
            gitops.check_can_commit(git, root / path)
    except (IncidentctlError, PatchError, OSError) as error:
        raise UsageError(
            f"cannot write the tickets' state back: {error}; the next run tries again"
        ) from None
    text = message(found)
    begin(journal, text, paths)
    originals = {p: (root / p).read_text(encoding="utf-8") for p in paths}
    try:
        for path in paths:
            atomic_write(root / path, texts[path])
        sha = gitops.commit_files(git, [root / p for p in paths], text)
    except (IncidentctlError, OSError) as error:
        for path, original in originals.items():
            atomic_write(root / path, original)
        end(journal)
        raise UsageError(
            f"the tickets' state could not be committed ({error}); the files were put back "
            "as they were and the next run tries again"
        ) from None
    end(journal)
    return sha
