"""Atomic file writes: a reader sees the old file or the new one, never half of either.
Reading documents: regular files only, never what a link points to. Finding the
repository a command works in."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path


class NotRegularFile(OSError):
    """A path that is a symbolic link, a FIFO, a device or a folder, not a regular file."""

    def __init__(self, what: str) -> None:
        super().__init__(errno.EINVAL, f"it is {what}, not a regular file, so it is left alone")
        self.what = what


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def read_regular(path: str | os.PathLike[str]) -> bytes:
    """The bytes of the regular file at ``path``; ``NotRegularFile`` for anything else.

    The file is opened without following a symbolic link (a link could point anywhere,
    e.g. at a runner's secrets) and without blocking (a FIFO would wait for a writer
    forever); what was opened is then checked, so nothing can be swapped in between.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise NotRegularFile("a symbolic link") from None
        if error.errno in (errno.ENXIO, errno.EOPNOTSUPP):  # a socket
            raise NotRegularFile("a socket") from None
        raise
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(_kind(mode))
        return handle.read()


def check_regular_target(path: Path) -> None:
    """``NotRegularFile`` unless ``path`` is absent or a regular file: a write must not
    replace a device, a FIFO or a folder, nor turn a symbolic link into a file."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        raise NotRegularFile("a symbolic link")
    if not stat.S_ISREG(mode):
        raise NotRegularFile(_kind(mode))


def atomic_write(path: Path, text: str, *, exclusive: bool = False) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    With ``exclusive`` the write fails with ``FileExistsError`` if ``path`` exists, and
    never replaces a file created in the meantime. Only a regular file is replaced, and
    only one this process may write to: ``NotRegularFile`` for a symbolic link (whose
    target would stay as it was while the link became a file), a device or a FIFO;
    ``PermissionError`` for a file made read-only.
    """
    check_regular_target(path)
    with contextlib.suppress(FileNotFoundError):
        # Opening for writing (without truncating) asks the system the question that
        # matters: a rename would replace a read-only file without asking.
        os.close(os.open(path, os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC))
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = None
    with contextlib.suppress(FileNotFoundError):
        mode = path.stat().st_mode & 0o7777
    if exclusive and mode is not None:
        raise FileExistsError(path)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file 0600; a new file gets the usual 0666 less the umask.
        os.chmod(temp, mode if mode is not None else 0o666 & ~_umask())
        if exclusive:
            os.link(temp, path)  # fails if the path appeared meanwhile
            os.unlink(temp)
        else:
            os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise


def _umask() -> int:
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return mask


class Busy(OSError):
    """Another process held the lock for longer than we were prepared to wait."""


@contextlib.contextmanager
def folder_lock(folder: Path, wait: float = 60.0) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (``flock`` on the folder itself, so no lock
    file is left in the work tree) for the block; ``Busy`` after ``wait`` seconds.

    Editing commands hold it from reading a file to writing (and committing) it, so two
    edits of one incident at once are made one after the other, the second on the
    first's result.
    """
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise Busy(f"{folder} is locked by another edit") from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``.git``, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start
