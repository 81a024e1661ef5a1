"""The one place that runs Git, through GitPython's command layer.

Every Git command of the tool goes through ``Git`` here: GitPython finds the ``git``
executable (``GIT_PYTHON_GIT_EXECUTABLE`` names another), this module sets the
environment (no pager, no prompt, one language, no optional locks), and a failure
becomes a ``UsageError`` (exit 2) that says what to do, such as Git's refusal of a
repository owned by someone else (``safe.directory``). GitPython is imported on the
first command, so that commands that never run Git do not pay for it.

Reading history in bulk: one ``git log`` for the history, one ``git cat-file``.
Tree diffing is most of the cost of reading history, and ``git log --raw`` is the
fastest way to get it (see PERFORMANCE.md): one process over every commit, merges
diffed against their first parent, renames left as a delete plus an add (documents
are followed by their id, not by their path). Paths are filtered here rather than
with a pathspec, which made ``git log`` slower. Blob contents come from one
persistent ``git cat-file --batch``. Both stream through GitPython's processes
(``Git.execute(..., as_process=True)``); GitPython's object database would read
each commit and tree in Python, two orders of magnitude slower (PERFORMANCE.md).
"""

from __future__ import annotations

import contextlib
import functools
import subprocess
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from incidentctl.problems import UsageError

if TYPE_CHECKING:
    import git as gitpython

YAML_SUFFIXES = (b".yaml", b".yml")
_REGULAR_MODES = (b"100644", b"100755")
# %x01 starts a commit; the header's fields are NUL-separated like the rest of -z output.
_FORMAT = "--format=%x01%H %P%x00%at %ct%x00%an%x00%ae"
_LOG_OPTIONS = (
    "-c", "log.showRoot=true", "-c", "log.showSignature=false",
    "log", "--no-color", "--no-ext-diff", "--no-relative", "--raw", "-z", "--no-renames",
    "--no-abbrev", "--diff-merges=first-parent", _FORMAT,
)  # fmt: skip
_CHUNK = 1 << 20


@dataclass(slots=True)
class Commit:
    """One commit as ``git log`` tells it; ``changes`` only for document files.

    A change is ``(path, blob)``, with ``blob`` None when the path stopped being a
    regular file (deleted, or replaced by a symbolic link or a submodule).
    """

    sha: str
    parents: tuple[str, ...]
    authored: int  # Unix seconds
    committed: int
    author: str  # "Name <email>"
    changes: list[tuple[str, str | None]] = field(default_factory=list)


# Added to the environment of every Git command (GitPython adds LC_ALL and LANGUAGE=C):
# never wait for a password prompt, never page, never take optional locks.
_ENVIRONMENT = {"GIT_TERMINAL_PROMPT": "0", "GIT_PAGER": "cat", "GIT_OPTIONAL_LOCKS": "0"}


@functools.cache
def _runner() -> gitpython.Git:
    """GitPython's command runner, imported on first use (importing it costs ~0.1 s)."""
    try:
        import git as gitpython
    except ImportError as error:  # GitPython found no working git when it was imported
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "not found"
        raise UsageError(
            f"cannot run Git ({reason}): install Git and make sure it is on the PATH, or "
            "name it in GIT_PYTHON_GIT_EXECUTABLE"
        ) from None
    return gitpython.Git()


@dataclass(frozen=True)
class Done:
    """A finished Git command: its exit status and its output, as bytes."""

    returncode: int
    stdout: bytes
    stderr: bytes


@dataclass(frozen=True)
class Opened:
    """A repository opened at a ref: ``shallow`` is its shallow boundary, "" if complete."""

    git_dir: Path
    head: str | None
    shallow: str


@dataclass(frozen=True)
class Git:
    """Git commands run in one repository; failures become ``UsageError``."""

    root: Path
    executable: str = "git"

    def command(self, *args: str) -> list[str]:
        return [self.executable, "-C", str(self.root), *args]

    def run(self, *args: str, check: bool = True, env: Mapping[str, str] | None = None) -> Done:
        """Run ``git ARGS`` to its end; ``env`` adds to the environment."""
        status, stdout, stderr = self._execute(
            args, with_extended_output=True, with_exceptions=False, stdout_as_string=False,
            strip_newline_in_stdout=False, env={**_ENVIRONMENT, **(env or {})},
        )  # fmt: skip
        done = Done(status, stdout or b"", stderr.encode() if isinstance(stderr, str) else stderr)
        if check and done.returncode != 0:
            raise self.failure(args[0], done.stderr)
        return done

    def start(self, *args: str, stdin: bool = False) -> gitpython.Git.AutoInterrupt:
        """Start ``git ARGS`` with its output (and with ``stdin``, its input) as pipes."""
        process: gitpython.Git.AutoInterrupt = self._execute(
            args, as_process=True, env=_ENVIRONMENT,
            istream=subprocess.PIPE if stdin else None,
        )  # fmt: skip
        return process

    def _execute(self, args: Sequence[str], **options: Any) -> Any:
        runner = _runner()
        command = [self.executable, "-C", str(self.root), *args]
        if self.executable == "git":
            command[0] = runner.GIT_PYTHON_GIT_EXECUTABLE or "git"
        from git.exc import GitCommandNotFound

        try:
            return runner.execute(command, **options)
        except (GitCommandNotFound, OSError):
            raise UsageError(
                f"cannot run {command[0]!r}: install Git and make sure it is on the PATH, "
                "or name it in GIT_PYTHON_GIT_EXECUTABLE"
            ) from None

    def failure(self, command: str, stderr: bytes) -> UsageError:
        """Git's complaint, as our error; the ones people meet in CI are explained."""
        message = _first_line(stderr)
        if "dubious ownership" in message or "safe.directory" in message:
            return UsageError(
                f"Git refuses to work in {self.root}: the repository belongs to another user "
                f"({message}). If you trust it, run: git config --global --add "
                f"safe.directory {self.root}"
            )
        return UsageError(f"git {command} failed in {self.root}: {message}")

    def open(self, ref: str) -> Opened:
        """The repository's common Git folder, the commit ``ref`` names, and shallowness.

        The commit is None when the repository has no commits at all; a ref that names
        no commit in a repository with commits is a usage error.
        """
        if not ref or ref.startswith("-"):
            raise UsageError(f"ref {ref!r} is not a valid Git revision")
        done = self.run(
            "rev-parse", "--is-shallow-repository", "--path-format=absolute",
            "--git-common-dir", "--verify", "--quiet", f"{ref}^{{commit}}",
            check=False,
        )  # fmt: skip
        lines = done.stdout.decode("utf-8", "replace").splitlines()
        if done.returncode != 0 and len(lines) < 2:
            message = _first_line(done.stderr)
            if "not a git repository" in message.lower():
                raise UsageError(
                    f"{self.root} is not a Git repository: run incidentctl inside a clone "
                    "of the incident repository, or name it with --root"
                )
            if "dubious ownership" in message or "safe.directory" in message:
                raise self.failure("rev-parse", done.stderr)
            raise UsageError(f"cannot read the Git repository at {self.root}: {message}")
        git_dir = Path(lines[1])
        shallow = ""
        if lines[0].strip() == "true":
            # The shallow boundary: a deeper fetch changes the history behind the same head.
            with contextlib.suppress(OSError):
                shallow = (git_dir / "shallow").read_text(encoding="ascii", errors="replace")
            shallow = shallow or "shallow"
        if done.returncode == 0 and len(lines) > 2:
            return Opened(git_dir, lines[2].strip(), shallow)
        if not self.run("for-each-ref", "--count=1").stdout.strip():
            return Opened(git_dir, None, shallow)  # a repository without any commit yet
        raise UsageError(
            f"ref {ref!r} not found: it names no commit in {self.root}; "
            "name an existing branch, tag or commit (git branch -a lists them)"
        )

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        done = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return done.returncode == 0

    def default_branch(self, remote: str = "origin") -> str | None:
        """The remote's HEAD branch, else ``main``, else ``master`` (local or the remote's).

        None when there is none of them (no Git, or no commit yet). One ``for-each-ref``.
        """
        names = ("main", "master")
        patterns = [f"refs/remotes/{remote}/HEAD"]
        for name in names:
            patterns += [f"refs/heads/{name}", f"refs/remotes/{remote}/{name}"]
        done = self.run("for-each-ref", "--format=%(refname)%00%(symref)", *patterns, check=False)
        if done.returncode != 0:
            return None
        found = {}
        for line in done.stdout.decode("utf-8", "replace").splitlines():
            refname, _, symref = line.partition("\0")
            found[refname] = symref
        head = found.get(f"refs/remotes/{remote}/HEAD", "")
        if head.startswith(f"refs/remotes/{remote}/"):
            return head.removeprefix(f"refs/remotes/{remote}/")
        for name in names:
            if f"refs/heads/{name}" in found or f"refs/remotes/{remote}/{name}" in found:
                return name
        return None

    def top_level(self) -> Path | None:
        """The work tree's top folder, None outside a work tree."""
        done = self.run("rev-parse", "--path-format=absolute", "--show-toplevel", check=False)
        text = done.stdout.decode("utf-8", "replace").strip()
        return Path(text) if done.returncode == 0 and text else None

    def current_branch(self) -> str | None:
        """The branch HEAD is on (born or not), None when detached or outside Git."""
        done = self.run("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        text = done.stdout.decode("utf-8", "replace").strip()
        return text if done.returncode == 0 and text else None

    def log(self, revisions: Sequence[str], roots: Iterable[str]) -> Iterator[Commit]:
        """Every commit reachable from ``revisions``, newest first, with document changes."""
        prefixes = tuple(f"{root.strip('/')}/".encode() for root in roots)
        handle = self.start(*_LOG_OPTIONS, *revisions, "--")  # kept: it ends git when freed
        process = _process(handle)
        assert process.stdout is not None and process.stderr is not None
        complete = False
        try:
            yield from _parse_log(_chunks(process.stdout), prefixes)
            # What git said on stderr (a few lines at most), read once stdout has ended.
            errors = process.stderr.read()
            complete = True
        finally:
            _finish(process, kill=not complete)
        if process.returncode != 0:
            raise self.failure("log", errors)


def _process(handle: gitpython.Git.AutoInterrupt) -> subprocess.Popen[bytes]:
    process: subprocess.Popen[bytes] | None = handle.proc
    assert process is not None  # set until GitPython's handle is freed
    return process


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    read = stream.read1 if hasattr(stream, "read1") else stream.read
    while chunk := read(_CHUNK):
        yield chunk


def _finish(process: subprocess.Popen[bytes], *, kill: bool) -> None:
    """Close the pipes and reap the process; with ``kill``, stop it first (a reader quit)."""
    if kill and process.poll() is None:
        process.kill()
    for stream in (process.stdin, process.stdout, process.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    try:
        process.wait(timeout=None if kill else 60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _parse_log(chunks: Iterable[bytes], prefixes: tuple[bytes, ...]) -> Iterator[Commit]:
    """Commits from ``git log -z --raw`` output (see ``_FORMAT``).

    The stream is NUL-separated tokens: a header (``\\x01sha parents``, ``at ct``,
    name, email), then per change a raw entry (``:mode mode old new status``) and its
    path. A path is always taken as the token after a raw entry, so no path can be
    mistaken for a header.
    """
    commit: Commit | None = None
    header: list[bytes] = []
    raw: bytes | None = None
    rest = b""
    # One string per distinct path and author: the replay keeps them, and its cache too.
    paths: dict[bytes, str] = {}
    authors: dict[str, str] = {}
    for chunk in chunks:
        tokens = (rest + chunk).split(b"\0")
        rest = tokens.pop()
        for token in tokens:
            if raw is not None:  # the path of the raw entry before
                if token.startswith(prefixes) and token.endswith(YAML_SUFFIXES) and commit:
                    fields = raw.split(b" ")
                    blob = fields[3].decode() if fields[1] in _REGULAR_MODES else None
                    path = paths.get(token)
                    if path is None:
                        path = paths[token] = token.decode("utf-8", "replace")
                    commit.changes.append((path, blob))
                raw = None
            elif header:
                header.append(token)
                if len(header) == 4:
                    commit = _commit(header)
                    commit.author = authors.setdefault(commit.author, commit.author)
                    header = []
            elif token.startswith(b"\x01"):
                if commit is not None:
                    yield commit
                    commit = None
                header = [token[1:]]
            else:
                raw = token.lstrip(b"\n")
    if rest:
        raise UsageError("git log output ended in the middle of an entry")
    if commit is not None:
        yield commit


def _commit(header: list[bytes]) -> Commit:
    ids = header[0].decode().split(" ")
    authored, committed = header[1].split(b" ")
    name = header[2].decode("utf-8", "replace")
    email = header[3].decode("utf-8", "replace")
    return Commit(ids[0], tuple(p for p in ids[1:] if p), int(authored), int(committed),
                  f"{name} <{email}>")  # fmt: skip


def _first_line(stderr: bytes) -> str:
    lines = [line.strip() for line in stderr.decode("utf-8", "replace").splitlines()]
    for line in lines:
        if line:
            return line.removeprefix("fatal: ").removeprefix("error: ")
    return "no message"


class BlobReader:
    """One ``git cat-file --batch`` process, kept for every blob a run reads."""

    def __init__(self, git: Git) -> None:
        self._git = git
        # Our own pipelined requests (``read_many``) on GitPython's process: its persistent
        # cat-file answers one object per round trip, slower over tens of thousands.
        self._handle = git.start("cat-file", "--batch", stdin=True)
        self._process = _process(self._handle)

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        process = self._process
        # cat-file ends at the end of its input; closing its output too makes sure.
        _finish(process, kill=False)

    def read(self, sha: str) -> bytes:
        """One blob. No writer thread: one request line cannot fill a pipe, and leaving
        ``read_many`` early would close the process under a thread still writing."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        try:
            stdin.write(f"{sha}\n".encode())
            stdin.flush()
        except (OSError, ValueError):
            raise UsageError(
                f"cannot read blob {sha} from {self._git.root}: git cat-file stopped"
            ) from None
        return self._answer(stdout, sha)

    def _answer(self, stdout: IO[bytes], sha: str) -> bytes:
        line = stdout.readline()
        parts = line.split()
        if len(parts) != 3:
            what = "stopped" if not line else line.decode("utf-8", "replace").strip()
            raise UsageError(f"cannot read blob {sha} from {self._git.root}: git cat-file {what}")
        data = stdout.read(int(parts[2]))
        stdout.read(1)  # the newline after the contents
        return data

    def read_many(self, shas: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """The contents of ``shas``, in order; requests are written while answers are read."""
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        if not shas:
            return

        def request() -> None:
            # A thread, so that neither pipe fills up while the other waits.
            with contextlib.suppress(OSError, ValueError):
                for start in range(0, len(shas), 1024):
                    stdin.write("".join(f"{s}\n" for s in shas[start : start + 1024]).encode())
                stdin.flush()

        writer = threading.Thread(target=request, name="cat-file-requests", daemon=True)
        writer.start()
        try:
            for sha in shas:
                yield sha, self._answer(stdout, sha)
        finally:
            if writer.is_alive():
                self.close()  # unblocks the writer with a broken pipe
            writer.join()
