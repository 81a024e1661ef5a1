"""Commits as evidence: one incident file per commit, with trailers, and a push that
follows the audited branch when it moved.

A commit's message is ``INC-2026-0042: acknowledged``, an optional paragraph (the
reason, the text of an update), and a last paragraph of trailers in the form
``git interpret-trailers`` reads: ``Incident: INC-2026-0042``, ``Incident-Status:
acknowledged``, ``Incident-Severity: SEV1``, so ``git log --grep`` finds every commit
of an incident and ``incidentctl log`` shows them.

A push that is rejected because the branch moved is rebased (``git pull --rebase``)
and tried again, a bounded number of times. A rebase that conflicts is aborted and
reported: the local commit is kept and the conflict is for a person to resolve, as
it is someone else's change of the same incident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from incidentctl.history.git import Git
from incidentctl.problems import ProblemsFound, UsageError

PUSH_ATTEMPTS = 3


class PushRefused(ProblemsFound):
    """The commit was made but not pushed; the message says what to do (exit 1)."""


@dataclass(frozen=True)
class Pushed:
    remote: str
    branch: str
    sha: str
    rebases: int


def commit_message(incident_id: str, subject: str, body: str, status: str, severity: str) -> str:
    paragraphs = [f"{incident_id}: {subject}"]
    if body.strip():
        paragraphs.append(body.strip())
    paragraphs.append(
        f"Incident: {incident_id}\nIncident-Status: {status}\nIncident-Severity: {severity}"
    )
    return "\n\n".join(paragraphs) + "\n"


def _out(data: bytes) -> str:
    return data.decode("utf-8", "replace")


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip().removeprefix("fatal: ").removeprefix("error: ")
    return "no message"


def tracked_path(git: Git, path: Path) -> str:
    """``path`` as Git names it: relative to the top of the work tree, with ``/``."""
    done = git.run("rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        raise UsageError(
            f"--commit and --push need a Git repository, and {git.root} is not in one: "
            "run the command in a clone of the incident repository"
        )
    top = _out(done.stdout).strip()
    return path.resolve().relative_to(Path(top).resolve()).as_posix()


def check_can_commit(git: Git, path: Path) -> None:
    """``UsageError`` if committing ``path`` alone is not possible now.

    Called before the file is edited, so that a refusal leaves everything as it was.
    """
    name = tracked_path(git, path)
    staged = _out(git.run("diff", "--cached", "--name-only", "-z", "--no-renames").stdout)
    others = [p for p in staged.split("\0") if p and p != name]
    if others:
        listed = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
        raise UsageError(
            f"other changes are staged ({listed}): --commit commits {name} alone; commit or "
            "unstage them first (git restore --staged PATH). Nothing was written"
        )
    merging = git.run("rev-parse", "-q", "--verify", "MERGE_HEAD", check=False)
    if merging.returncode == 0:
        raise UsageError("a merge is in progress: finish or abort it first. Nothing was written")


def commit_file(git: Git, path: Path, message: str, *, author_date: datetime | None = None) -> str:
    """Commit ``path`` alone with ``message`` (authored at ``author_date`` if given, else
    as Git dates it); the new commit's sha."""
    return commit_files(git, [path], message, author_date=author_date)


def commit_files(
    git: Git, paths: list[Path], message: str, *, author_date: datetime | None = None
) -> str:
    """Commit ``paths`` (and nothing else) with ``message``, authored at ``author_date``
    if given; the new commit's sha."""
    names = [tracked_path(git, path) for path in paths]
    git.run("add", "--", *names)
    dated = () if author_date is None else (f"--date={author_date.isoformat()}",)
    done = git.run(
        "commit", "-q", "--cleanup=whitespace", *dated, "-m", message, "--", *names, check=False
    )  # fmt: skip
    if done.returncode != 0:
        reason = _first_line(_out(done.stderr) or _out(done.stdout))
        shown = " ".join(names)
        raise UsageError(
            f"{shown} was changed, but git commit failed: {reason}. Commit it yourself "
            f"(git commit {shown}) or undo the change (git checkout HEAD -- {shown})"
        )
    return _out(git.run("rev-parse", "HEAD").stdout).strip()


def differs_from_head(git: Git, name: str) -> bool:
    """Whether the work tree's ``name`` (relative to the top) differs from HEAD's."""
    done = git.run("diff", "--quiet", "HEAD", "--", name, check=False)
    return done.returncode != 0


def _moved(output: str) -> bool:
    """Whether a push was refused only because the branch moved on the remote."""
    if "[rejected]" in output and ("fetch first" in output or "non-fast-forward" in output):
        return True
    # the branch moved between the advertisement of refs and the update
    return "cannot lock ref" in output and "but expected" in output


def push(
    git: Git,
    remote: str,
    branch: str,
    incident_file: str,
    *,
    attempts: int = PUSH_ATTEMPTS,
    verify: Callable[[], None] | None = None,
) -> Pushed:
    """Push HEAD to ``branch`` on ``remote``; rebase onto it and retry when it moved.

    ``verify`` is called after each rebase and may raise to stop before pushing a
    result that the rebase made invalid.
    """
    target = f"HEAD:refs/heads/{branch}"
    rebases = 0
    while True:
        sha = _out(git.run("rev-parse", "HEAD").stdout).strip()
        done = git.run("push", "--porcelain", remote, target, check=False)
        if done.returncode == 0:
            return Pushed(remote, branch, sha, rebases)
        output = _out(done.stdout) + _out(done.stderr)
        if not _moved(output):
            raise PushRefused(
                f"git push {remote} {target} failed: {_why(done.stdout, done.stderr)}. Your "
                f"commit {sha[:12]} is kept: push it when that is fixed "
                f"(git push {remote} {target})"
            )
        if rebases + 1 >= attempts:
            raise PushRefused(
                f"{branch} on {remote} kept moving: the push was rejected {attempts} times. "
                f"Your commit {sha[:12]} is kept: run git pull --rebase {remote} {branch}, "
                f"then git push {remote} {target}"
            )
        _rebase(git, remote, branch, sha, incident_file)
        rebases += 1
        if verify is not None:
            verify()


def _why(stdout: bytes, stderr: bytes) -> str:
    for line in _out(stdout).splitlines():
        if line.startswith("!"):
            return line.split("\t")[-1].strip()
    return _first_line(_out(stderr))


def _rebase(git: Git, remote: str, branch: str, sha: str, incident_file: str) -> None:
    pulled = git.run("pull", "--rebase", "--autostash", "-q", remote, branch, check=False)
    if pulled.returncode == 0:
        return
    unmerged = _out(git.run("diff", "--name-only", "--diff-filter=U", check=False).stdout)
    conflicts = [line for line in unmerged.splitlines() if line]
    git.run("rebase", "--abort", check=False)
    if conflicts:
        whose = (
            "someone else changed the same incident meanwhile"
            if incident_file in conflicts
            else "your branch and theirs changed the same lines"
        )
        raise PushRefused(
            f"the push was rejected because {branch} moved on {remote}, and rebasing onto it "
            f"conflicts in {', '.join(conflicts)}: {whose}. The rebase was aborted; your "
            f"commit {sha[:12]} is kept and nothing was pushed. To finish: git pull --rebase "
            f"{remote} {branch}, resolve the conflict by hand, check it with incidentctl "
            f"validate, then git rebase --continue and git push {remote} HEAD:{branch}"
        )
    raise PushRefused(
        f"git pull --rebase {remote} {branch} failed: "
        f"{_first_line(_out(pulled.stderr) or _out(pulled.stdout))}. Your commit {sha[:12]} "
        "is kept and nothing was pushed"
    )


def push_branch(git: Git, remote: str, branch: str) -> str:
    """Point ``branch`` on ``remote`` at HEAD, whatever it held, unless it moved meanwhile.

    For a branch only a bot writes, whose commits are rebuilt from the audited branch on
    every run: the lease names the value read just before, so a push by anyone else in
    between is never overwritten.
    """
    ref = f"refs/heads/{branch}"
    listed = git.run("ls-remote", remote, ref, check=False)
    if listed.returncode != 0:
        raise PushRefused(f"git ls-remote {remote} failed: {_first_line(_out(listed.stderr))}")
    words = _out(listed.stdout).split()
    lease = f"--force-with-lease={ref}:{words[0] if words else ''}"
    sha = _out(git.run("rev-parse", "HEAD").stdout).strip()
    done = git.run("push", "--porcelain", lease, remote, f"HEAD:{ref}", check=False)
    if done.returncode != 0:
        raise PushRefused(
            f"git push {remote} HEAD:{ref} failed: {_why(done.stdout, done.stderr)}. The "
            "next run pushes the write-backs again"
        )
    return sha
