"""A pull request's landing, simulated in Git: the merge commit it would make if merged now.

The commit is a real Git object (``git commit-tree``) so that the ordinary replay
can read it, but no ref points at it: nothing in the repository changes that a
user sees, and ``git gc`` removes it in time. Its tree is the head's when the base
is an ancestor of the head (GitHub's checked-out merge ref is such a head), else
what ``git merge-tree --write-tree`` makes of the two (Git 2.38 or later); its
parents are the base and the head, its author and committer dates the landing time.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tarfile
from datetime import datetime
from pathlib import Path

from incidentctl.history.cache import FOLDER, Store
from incidentctl.history.git import YAML_SUFFIXES, Git
from incidentctl.history.model import History
from incidentctl.history.replay import Progress, replay
from incidentctl.problems import UsageError
from incidentctl.sla.landing import Landing, Range

# The committer of the simulated merge unless the environment names one.
IDENTITY = ("incidentctl", "incidentctl@users.noreply.github.com")


def land(git: Git, spec: Range, at: datetime, roots: tuple[str, ...]) -> Landing:
    """Simulate merging ``spec.head`` into ``spec.base`` at ``at``; no ref is touched."""
    base, head = _commit(git, spec.base, spec), _commit(git, spec.head, spec)
    found = git.run("merge-base", base, head, check=False)
    merge_base = found.stdout.decode().strip()
    if found.returncode != 0 or not merge_base:
        raise UsageError(
            f"{spec.base} and {spec.head} have no common ancestor: "
            "compare a pull request's head with the branch it targets "
            "(fetch its full history: actions/checkout with fetch-depth: 0)"
        )
    changed = changed_files(git, merge_base, head, roots)
    fast_forward = git.is_ancestor(base, head)
    if fast_forward:
        tree = _run_text(git, "rev-parse", "--verify", f"{head}^{{tree}}")
    else:
        tree, conflicts = _merge_tree(git, base, head)
        if conflicts:
            return Landing(spec, base, head, merge_base, at, None, False, changed, conflicts)
    message = f"incidentctl: {spec.head} merged into {spec.base}, simulated"
    merge = _commit_tree(git, tree, (base, head), message, at)
    return Landing(spec, base, head, merge_base, at, merge, fast_forward, changed)


def changed_files(git: Git, old: str, new: str, roots: tuple[str, ...]) -> tuple[str, ...]:
    """Document files that differ between two commits (a rename: both paths)."""
    done = git.run(
        "diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv",
        old, new, "--", *roots,
    )  # fmt: skip
    names = done.stdout.decode("utf-8", "replace").split("\0")
    return tuple(n for n in names if n and n.encode().endswith(YAML_SUFFIXES))


def _commit(git: Git, rev: str, spec: Range) -> str:
    done = git.run("rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}",
                   check=False)  # fmt: skip
    sha = done.stdout.decode().strip()
    if done.returncode != 0 or not sha:
        git.open("HEAD")  # not a repository at all: say so first
        raise UsageError(
            f"--diff {spec}: {rev!r} names no commit; name a branch, tag or commit "
            "(in CI, fetch the base branch: actions/checkout with fetch-depth: 0)"
        )
    return sha


def _run_text(git: Git, *args: str) -> str:
    return git.run(*args).stdout.decode().strip()


def _merge_tree(git: Git, base: str, head: str) -> tuple[str, tuple[str, ...]]:
    """The merged tree, and the conflicting paths (empty when it merges cleanly)."""
    done = git.run(
        "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages", base, head,
        check=False,
    )  # fmt: skip
    fields = done.stdout.decode("utf-8", "replace").split("\0")
    if done.returncode not in (0, 1) or not re.fullmatch(r"[0-9a-f]{40,64}", fields[0]):
        error = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            "cannot merge the pull request in memory (git merge-tree --write-tree needs "
            f"Git 2.38 or later): {error[0] if error else 'no message'}"
        )
    conflicts = tuple(dict.fromkeys(f for f in fields[1:] if f)) if done.returncode else ()
    return fields[0], conflicts


def _commit_tree(git: Git, tree: str, parents: tuple[str, ...], message: str, at: datetime) -> str:
    when = f"{int(at.timestamp())} +0000"
    env: dict[str, str] = {}
    for role in ("AUTHOR", "COMMITTER"):
        for field, value in (("NAME", IDENTITY[0]), ("EMAIL", IDENTITY[1])):
            name = f"GIT_{role}_{field}"
            env[name] = os.environ.get(name) or value
        env[f"GIT_{role}_DATE"] = when
    args = ["commit-tree", "--no-gpg-sign", tree, "-m", message]
    for parent in parents:
        args += ["-p", parent]
    done = git.run(*args, check=False, env=env)
    sha = done.stdout.decode().strip()
    if done.returncode != 0 or not sha:
        error = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"cannot write the simulated merge commit in {git.root}: "
            f"{error[0] if error else 'no message'} (is the repository writable?)"
        )
    return sha


def replay_once(
    root: Path, commit: str, roots: tuple[str, ...], progress: Progress | None
) -> History:
    """Replay the simulated merge, continuing from the base's cached replay.

    The replay cache keeps a checkpoint per ref; one for a commit no ref names would
    only push out the useful ones, so it is dropped again.
    """
    history = replay(root, commit, roots, progress=progress)
    folder = Git(Path(root)).open(commit).git_dir / FOLDER
    with contextlib.suppress(OSError):
        Store(folder, roots).checkpoint_file(commit).unlink()
    return history


def is_checkout(git: Git, commit: str, roots: tuple[str, ...]) -> bool:
    """Whether the work tree's document folders are ``commit``'s, unmodified."""
    head = git.run("rev-parse", "--verify", "--quiet", "HEAD", check=False)
    if head.returncode != 0 or head.stdout.decode().strip() != commit:
        return False
    status = git.run("status", "--porcelain", "-z", "--", *roots, check=False)
    return status.returncode == 0 and not status.stdout


def export(git: Git, commit: str, folder: Path, roots: tuple[str, ...]) -> None:
    """Write the document folders ``commit`` has to ``folder``."""
    listed = git.run("ls-tree", "-z", "--name-only", commit, "--", *roots).stdout
    present = tuple(n for n in listed.decode("utf-8", "replace").split("\0") if n)
    if present:
        archive = git.run("archive", "--format=tar", commit, "--", *present).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter=_keep_links)


def _keep_links(member: tarfile.TarInfo, path: str) -> tarfile.TarInfo | None:
    """The "data" filter, but a symbolic link is written as the link it is (wherever it
    points), so that validating it says it is a link: documents are never read through
    one."""
    if member.issym():
        return member
    return tarfile.data_filter(member, path)
