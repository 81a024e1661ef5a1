"""The audit checks that ask Git about commits: merges and signatures.

Both look only at the first-parent commits that changed documents, and ask Git once
each, over the whole first-parent chain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from incidentctl.audit.findings import Finding, names
from incidentctl.history.git import Git
from incidentctl.history.model import History, Stamp
from incidentctl.model.types import iso

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
    git: Git, head: str, commits: Sequence[Stamp], touched: Mapping[str, Sequence[str]]
) -> Iterator[Finding]:
    """Document changes that reached the branch in a commit that is not a merge.

    A pull request merged with a merge commit lands as a commit with two parents; a
    direct push, a squash merge or a rebase merge lands as ordinary commits.
    """
    done = git.run("rev-list", "--first-parent", "--max-parents=1", head)
    plain = set(done.stdout.decode().split())
    for stamp in commits:
        if stamp.sha not in plain:
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
