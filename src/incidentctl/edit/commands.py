"""The editing commands' core: change one incident in place, or refuse and say why.

Each command is an ``Operation``: given the incident as loaded, a ``Patch`` of its text
and the time, it makes its change and returns an ``Action`` (what it did, for the
output and the commit message). ``plan_edit`` runs it and checks the result as
``validate`` would (schema, cross-file rules, and the history rules against the
audited branch when a replay is given); a status move that SPEC §2 does not allow, or
a result with errors, is refused with ``EditRefused`` and nothing is written.
``write_edit`` writes the new text atomically. Nothing here reads the clock or prints.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from incidentctl.edit.patch import KeyPath, Patch, PatchError
from incidentctl.fsutil import atomic_write, read_regular
from incidentctl.ids import suggestion, work_tree_ids
from incidentctl.load.document import parse_document
from incidentctl.load.repository import Repository, Workspace
from incidentctl.model.base import Strict
from incidentctl.model.incident import (
    FINAL_STATUSES,
    LEGAL_MOVES,
    Detection,
    Incident,
    Milestones,
    Resolution,
    Roles,
    is_legal_move,
)
from incidentctl.problems import Problem, ProblemsFound, UsageError
from incidentctl.rules import Context, run_rules


def _keys(model: type[Strict]) -> list[str]:
    return [field.alias or name for name, field in model.model_fields.items()]


# Where a new key goes: after the key that precedes it in the model's order.
ORDERS: dict[KeyPath, list[str]] = {
    (): _keys(Incident),
    ("detection",): _keys(Detection),
    ("roles",): _keys(Roles),
    ("resolution",): _keys(Resolution),
    ("milestones",): _keys(Milestones),
}
KEY_LENGTH = 48
"""The longest defect key made from a title."""

# The command that makes each status, for messages that say what to do instead.
COMMAND_FOR = {
    "open": "reopen",
    "acknowledged": "ack",
    "mitigated": "mitigate",
    "waiting": "wait",
    "resolved": "resolve",
    "closed": "close",
    "cancelled": "cancel",
}

# What to run when a rule refuses an edit: the rule's message says which field.
HINTS = {
    "commander-required": "name one with --commander HANDLE (incidentctl ack ID --commander @you)",
    "workaround-required": "describe it with --workaround TEXT",
    "status-transition": "the file's status differs from the audited branch's: commit the "
    "earlier change (--commit) or undo it before this one",
}


class EditRefused(ProblemsFound):
    """An edit that would be illegal or leave the incident invalid (exit 1)."""


@dataclass(frozen=True)
class Action:
    """What a command did: ``subject`` for the output and the commit subject, ``body``
    (a reason or a text) for the commit message."""

    subject: str
    body: str = ""


Operation = Callable[[Incident, Patch, datetime], Action]


@dataclass(frozen=True)
class Planned:
    """An edit checked and ready to write: the text before and after."""

    path: Path
    display: str
    incident_id: str
    before: str
    after: str
    action: Action
    status: str
    severity: str
    warnings: tuple[Problem, ...] = ()

    @property
    def changed(self) -> bool:
        return self.before != self.after


def find_incident(root: Path, incident_id: str) -> Path:
    """The file of ``incident_id`` under ``incidents/``; ``UsageError`` if none or several."""
    repository = Repository(root)
    names = {f"{incident_id}.yaml", f"{incident_id}.yml"}
    found = [
        path
        for path in repository.discover()
        if path.name in names and repository.display(path).startswith("incidents/")
    ]
    if not found:
        raise UsageError(
            f"unknown incident id {incident_id!r}: there is no incidents/**/{incident_id}.yaml "
            f"in {root}; check the id{suggestion(incident_id, work_tree_ids(root))}"
        )
    if len(found) > 1:
        shown = ", ".join(repository.display(p) for p in found)
        raise UsageError(f"{incident_id} has several files ({shown}): keep one of them")
    return found[0]


def audited_history(root: Path, ref: str = "main") -> Any:
    """The replay of the audited branch, or None when there is none (no Git, no ref)."""
    from incidentctl.history.replay import replay

    try:
        history = replay(root, ref)
    except UsageError:
        return None
    return history if history.head is not None else None


def plan_edit(
    root: Path,
    path: Path,
    operation: Operation,
    *,
    now: datetime,
    history: Any = None,
) -> Planned:
    """Run ``operation`` on the incident in ``path``; ``EditRefused`` if the result is not
    legal and valid. Nothing is written."""
    workspace = Repository(root).load([path])
    doc = workspace.targets[0]
    shown = doc.path
    if doc.model is None:
        raise EditRefused(_refusal(doc.stem, "its file has problems: fix them first", doc.problems))
    incident = doc.model
    if not isinstance(incident, Incident):
        raise UsageError(f"{shown} is not an Incident but a {doc.kind}: name an incident's id")
    bom = "\ufeff" if path.read_bytes().startswith(codecs.BOM_UTF8) else ""
    patch = Patch(doc.text, ORDERS)
    try:
        action = operation(incident, patch, now)
    except PatchError as error:
        raise EditRefused(
            f"{incident.id}: cannot edit {shown}: {error}; nothing was written"
        ) from None
    before, after = bom + doc.text, bom + patch.text
    if after == before:
        return Planned(path, shown, incident.id, before, after, action, incident.status,
                       incident.severity)  # fmt: skip
    if incident.status in FINAL_STATUSES:
        raise EditRefused(
            f"{incident.id} is {incident.status}: a {incident.status} incident is not edited "
            "any more; record follow-ups in a new incident. Nothing was written"
        )
    problems = check_text(workspace, doc.path, after, now=now, history=history)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise EditRefused(_refusal(incident.id, "the change would not be valid", errors))
    edited = parse_document(shown, after.encode("utf-8")).model
    assert isinstance(edited, Incident)
    return Planned(
        path, shown, incident.id, before, after, action, edited.status, edited.severity,
        tuple(problems),
    )  # fmt: skip


def check_text(
    workspace: Workspace, shown: str, text: str, *, now: datetime, history: Any
) -> list[Problem]:
    """Every problem ``validate`` finds in ``text`` as the new content of ``shown``."""
    new = parse_document(shown, text.encode("utf-8"))
    others = [d for d in workspace.documents if d.path != shown]
    checked = Workspace(
        workspace.root, [new, *others], [new], workspace.incident_files, workspace.rca_files
    )
    return run_rules(Context(checked, now=now, history=history))


def check_file(root: Path, path: Path, *, now: datetime, history: Any, why: str) -> None:
    """``EditRefused`` if the incident file as it is now has errors; ``why`` leads the
    message (the problems and hints follow)."""
    workspace = Repository(root).load([path])
    doc = workspace.targets[0]
    problems = check_text(workspace, doc.path, doc.text, now=now, history=history)
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise EditRefused(_refusal(doc.stem, why, errors, lead=""))


def write_edit(planned: Planned) -> None:
    """Write the new text, unless the file changed since it was read."""
    try:
        current = read_regular(planned.path).decode("utf-8", "replace")
    except FileNotFoundError:
        raise UsageError(
            f"{planned.display} was removed while it was being edited, so nothing was "
            "written: restore it (git checkout -- FILE) and run the command again"
        ) from None
    except OSError as error:
        raise UsageError(
            f"{planned.display}: cannot read it again, so nothing was changed: {error.strerror}"
        ) from None
    if current != planned.before:
        raise UsageError(
            f"{planned.display} changed while it was being edited: run the command again"
        )
    try:
        atomic_write(planned.path, planned.after)
    except OSError as error:
        raise UsageError(
            f"{planned.display}: cannot write it, so nothing was changed: {error.strerror or error}"
        ) from None


def _refusal(
    incident_id: str,
    why: str,
    problems: Sequence[Problem],
    lead: str = "refused, nothing was written: ",
) -> str:
    lines = [f"{incident_id}: {lead}{why}"]
    lines += [f"  {p.render()}" for p in problems]
    hints = dict.fromkeys(HINTS[p.rule] for p in problems if p.rule in HINTS)
    lines += [f"  hint: {hint}" for hint in hints]
    return "\n".join(lines)


# -- the operations ------------------------------------------------------------------


def _text(value: str, option: str) -> str:
    text = value.strip()
    if not text:
        raise UsageError(f"{option} is empty: say it in a few words")
    return text


def _move(incident: Incident, patch: Patch, status: str) -> None:
    """Set the status, if SPEC §2 allows the move from the current one."""
    old = incident.status
    if not is_legal_move(old, status):
        allowed = sorted(LEGAL_MOVES[old])
        choices = (
            ", ".join(f"{s} (incidentctl {COMMAND_FOR[s]})" for s in allowed)
            if allowed
            else f"nowhere: {old} is final"
        )
        raise EditRefused(
            f"{incident.id}: refused, nothing was written: it is {old} and cannot move to "
            f"{status}; from {old} it may move to {choices}"
        )
    patch.set(("status",), status)


def _note(patch: Patch, now: datetime, text: str) -> None:
    """Record why, as an internal update, so that the log says it."""
    patch.append(("updates",), {"at": now, "audience": "internal", "text": text})


def ack(commander: str | None = None) -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        _move(incident, patch, "acknowledged")
        if commander is not None:
            patch.set(("roles", "commander"), _text(commander, "--commander"))
        if incident.status == "acknowledged" and commander is not None:
            return Action(f"commander {commander.strip()}")
        return Action("acknowledged")

    return run


def mitigate(workaround: str | None) -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        _move(incident, patch, "mitigated")
        if workaround is not None:
            patch.set(("workaround",), _text(workaround, "--workaround"))
        return Action("mitigated", (workaround or incident.workaround or "").strip())

    return run


def wait(reason: str) -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        text = _text(reason, "--reason")
        _move(incident, patch, "waiting")
        if incident.status != "waiting":
            _note(patch, now, f"Waiting: {text}")
        return Action("waiting", text)

    return run


def resume() -> Operation:
    """Waiting ends: back to mitigated when a workaround is in place, else acknowledged."""

    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        if incident.status != "waiting":
            raise EditRefused(
                f"{incident.id}: refused, nothing was written: it is {incident.status}, "
                "not waiting, so there is nothing to resume"
            )
        status = "mitigated" if incident.workaround else "acknowledged"
        _move(incident, patch, status)
        return Action(f"resumed, {status}")

    return run


def resolve(summary: str, kind: str = "fixed") -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        text = _text(summary, "--summary")
        _move(incident, patch, "resolved")
        patch.set(("resolution",), {"kind": kind, "summary": text})
        patch.remove(("resolution", "duplicate_of"))
        return Action("resolved", text)

    return run


def close() -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        _move(incident, patch, "closed")
        return Action("closed")

    return run


def reopen(reason: str) -> Operation:
    """Resolved → open; the resolution goes (it described an end that did not hold)."""

    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        text = _text(reason, "--reason")
        _move(incident, patch, "open")
        patch.remove(("resolution",))
        _note(patch, now, f"Reopened: {text}")
        return Action("reopened", text)

    return run


def cancel(kind: str, duplicate_of: str | None = None, summary: str | None = None) -> Operation:
    if duplicate_of is not None and kind != "duplicate":
        raise UsageError("--duplicate-of goes with --kind duplicate")

    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        _move(incident, patch, "cancelled")
        if summary is not None:
            text = _text(summary, "--summary")
        elif kind == "duplicate":
            text = f"Duplicate of {duplicate_of}." if duplicate_of else "Duplicate."
        else:
            text = "False alarm: there was no impact."
        resolution: dict[str, str] = {"kind": kind, "summary": text}
        if duplicate_of is not None:
            resolution["duplicate_of"] = duplicate_of.strip()
        patch.set(("resolution",), resolution)
        if duplicate_of is None:
            patch.remove(("resolution", "duplicate_of"))
        what = f"a duplicate of {duplicate_of}" if duplicate_of else f"a {kind.replace('-', ' ')}"
        return Action(f"cancelled as {what}", text)

    return run


def severity(level: str, reason: str) -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        text = _text(reason, "--reason")
        old = incident.severity
        if level != old:
            patch.set(("severity",), level)
            _note(patch, now, f"Severity changed from {old} to {level}: {text}")
        return Action(f"severity {old} to {level}", text)

    return run


def update(text: str, audience: str = "customer") -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        body = _text(text, "the update's text")
        patch.append(("updates",), {"at": now, "audience": audience, "text": body})
        return Action(f"{audience} update", body)

    return run


def assign(handles: Sequence[str]) -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        known = {h.lstrip("@") for h in incident.assignees}
        added: list[str] = []
        for handle in handles:
            name = _text(handle, "a handle")
            if name.lstrip("@") not in known:
                known.add(name.lstrip("@"))
                added.append(name)
                patch.append(("assignees",), name)
        return Action(f"assigned {', '.join(added)}" if added else "assigned")

    return run


def add_defect(
    title: str, service: str, key: str | None = None, fix: str | None = None
) -> Operation:
    def run(incident: Incident, patch: Patch, now: datetime) -> Action:
        name = _text(title, "--title")
        taken = {d.key for d in incident.defects}
        chosen = key.strip() if key is not None else _free_key(name, taken)
        defect = {"key": chosen, "title": name, "service": _text(service, "--service")}
        if fix is not None:
            defect["fix"] = fix
        patch.append(("defects",), defect)
        return Action(f"defect {chosen}", name)

    return run


def _free_key(title: str, taken: set[str]) -> str:
    """A key from the title (``payment-timeout``), unique within the incident."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    if len(slug) > KEY_LENGTH:  # cut at a word when there is one
        cut = slug[: KEY_LENGTH + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:KEY_LENGTH]
    slug = slug or "defect"
    candidate, number = slug, 2
    while candidate in taken:
        candidate, number = f"{slug}-{number}", number + 1
    return candidate
