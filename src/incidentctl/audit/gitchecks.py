"""The audit checks that ask Git about commits: merges and signatures.

Both look only at the first-parent commits that changed documents, and ask Git once
each, over the whole first-parent chain.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from incidentctl.audit.findings import Finding, names
from incidentctl.defects.readback import MANAGED
from incidentctl.history.git import YAML_SUFFIXES, Git
from incidentctl.history.model import History, Stamp
from incidentctl.load.document import parse_document
from incidentctl.model.types import iso

_TRACKER_TRAILER = re.compile(r"^Tracker: \S+$", re.MULTILINE)
# What ``%G?`` says, for messages.
SIGNATURE_STATUS = {
    "G": "a good signature",
    "B": "a bad signature",
    "U": "a good signature from a key of unknown validity",
    "X": "a good signature that has expired",
    "Y": "a good signature made by an expired key",
    "R": "a good signature made by a revoked key",
    "E": "a signature that cannot be checked (the key is missing or not allowed)",
    "N": "no signature",
}


def document_commits(history: History, touched: Mapping[str, Sequence[str]]) -> list[Stamp]:
    """The first-parent commits that changed documents, oldest first, one stamp each."""
    stamps: dict[str, Stamp] = {}
    for timeline in history.incidents.values():
        for version in timeline.versions:
            stamps.setdefault(version.stamp.sha, version.stamp)
    for rca in history.rcas.values():
        for stamp, _ in rca:
            stamps.setdefault(stamp.sha, stamp)
    for versions in history.policies.values():
        for stamp, _ in versions:
            stamps.setdefault(stamp.sha, stamp)
    return sorted((s for sha, s in stamps.items() if sha in touched), key=lambda s: s.seq)


def unmerged_changes(
    git: Git,
    head: str,
    commits: Sequence[Stamp],
    touched: Mapping[str, Sequence[str]],
    bot_login: str,
) -> Iterator[Finding]:
    """Document changes that reached the branch in a commit that is not a merge.

    A pull request merged with a merge commit lands as a commit with two parents; a
    direct push, a squash merge or a rebase merge lands as ordinary commits. The bot's
    own write-backs of tracker state are allowed (see ``is_write_back``).
    """
    done = git.run("rev-list", "--first-parent", "--max-parents=1", head)
    plain = set(done.stdout.decode().split())
    for stamp in commits:
        if stamp.sha not in plain or is_write_back(git, stamp, bot_login):
            continue
        documents = touched[stamp.sha]
        yield Finding(
            "error",
            "unmerged-change",
            f"{names(documents)} changed by {stamp.author} in a commit that is not the "
            f"merge of a pull request (landed {iso(stamp.landed_at)})",
            tuple(documents),
            (stamp.sha,),
            {"author": stamp.author},
        )


def is_write_back(git: Git, stamp: Stamp, bot_login: str) -> bool:
    """Whether a commit is one of ``defects sync``'s write-backs: authored by the bot,
    carrying a ``Tracker:`` trailer, and changing only the fields the sync manages
    (``tracker`` and ``fixed_in`` of defects; ``tracker``, ``status`` and ``due`` of RCA
    actions) of existing documents. Anything else it changed makes it an ordinary push."""
    if stamp.author.split(" <", 1)[0] != bot_login:
        return False
    message = git.run("log", "-1", "--format=%B", stamp.sha).stdout.decode("utf-8", "replace")
    if not _TRACKER_TRAILER.search(message):
        return False
    raw = git.run("diff-tree", "--no-commit-id", "-r", "-z", "--no-renames", stamp.sha).stdout
    fields = raw.split(b"\0")
    if len(fields) < 2:
        return False
    for header, path in zip(fields[0::2], fields[1::2], strict=False):
        parts = header.decode("ascii", "replace").split()
        if len(parts) < 5 or parts[4] != "M" or not path.endswith(YAML_SUFFIXES):
            return False
        name = path.decode("utf-8", "replace")
        before, after = (git.run("cat-file", "blob", sha).stdout for sha in parts[2:4])
        if _unmanaged(name, before) != _unmanaged(name, after):
            return False
    return True


def _unmanaged(path: str, text: bytes) -> Any:
    """The document's data without the fields the sync writes back."""
    data = parse_document(path, text).data
    if not isinstance(data, dict):
        return data
    data = copy.deepcopy(data)
    for listed, managed in MANAGED.items():
        for item in data.get(listed) or []:
            if isinstance(item, dict):
                for key in managed:
                    item.pop(key, None)
    return data


def signature_status(git: Git, head: str) -> dict[str, str]:
    """``%G?`` of each first-parent commit up to ``head``: G for a good signature.

    One ``git log`` over the whole chain: far faster than naming the commits (a
    ``git show`` of a few hundred named commits costs about as much as this).
    """
    done = git.run(
        "-c", "log.showSignature=false", "log", "--first-parent", "--format=%H %G?", head, "--"
    )  # fmt: skip
    status: dict[str, str] = {}
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        sha, _, code = line.strip().partition(" ")
        if sha:
            status[sha] = code or "N"
    return status


def unsigned_commits(
    git: Git, head: str, commits: Sequence[Stamp], touched: Mapping[str, Sequence[str]]
) -> Iterator[Finding]:
    """Commits that changed documents and whose signature does not verify."""
    status = signature_status(git, head)
    for stamp in commits:
        code = status.get(stamp.sha, "N")
        if code == "G":
            continue
        documents = touched[stamp.sha]
        yield Finding(
            "error",
            "unsigned-commit",
            f"commit by {stamp.author} changed {names(documents)} and has "
            f"{SIGNATURE_STATUS.get(code, f'signature status {code}')}: "
            "signed commits are required",
            tuple(documents),
            (stamp.sha,),
            {"signature": code, "author": stamp.author},
        )
