"""The replay cache, kept in the Git folder (``<git common dir>/incidentctl/``).

Two kinds of files, each a pickled header followed by a pickled, checksummed payload:

- ``replay-<key>.pickle``: a ``Checkpoint`` (the replayed ``History`` and where each
  document stands) at a head commit, one file per (ref, roots). A run whose head is
  the cached head loads only this; a run whose head descends from it on the first
  parent replays only the new commits.
- ``blobs-<id>.pickle``: what blobs parsed to, by blob id, so that a rebuild (after a
  force-push, or for another ref) does not parse again what it has parsed before.
  Incremental runs add small files; a rebuild compacts them into one.

Nothing in them is trusted: a file that is truncated, corrupt (checksum), of another
format or written by another version of the program is deleted and rebuilt. Files
are written to a temporary name and renamed, so readers never see half a file. The
cache is best effort: when the folder cannot be written, runs simply do not cache.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import secrets
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pydantic

import incidentctl
from incidentctl.history.blobs import Parsed
from incidentctl.history.model import History

FORMAT = 2
FOLDER = "incidentctl"
MAX_CHECKPOINTS = 8
MAX_BLOB_FILES = 32

# Parse results depend on the models and the loader: a change to them invalidates
# the cache even when the version number did not move.
_SOURCES = ("model", "load", "history/model.py", "history/blobs.py")

DocKey = tuple[str, str]  # ("Incident", id), ("RCA", file stem), (policy kind, name)


@dataclass
class Checkpoint:
    """All a replay needs to go on from ``history.head``.

    ``paths`` maps each document file on the branch to the document it holds and its
    blob; ``last_landed`` is the landing time of the head (for clamping what follows).
    """

    history: History
    paths: dict[str, tuple[DocKey, str]]
    last_landed: datetime | None


@dataclass(frozen=True)
class CachedHead:
    head: str
    file: Path


def fingerprint() -> str:
    digest = hashlib.sha256(
        f"{FORMAT}|{incidentctl.__version__}|{pydantic.VERSION}|{sys.version_info[:2]}".encode()
    )
    package = Path(incidentctl.__file__).parent
    for name in _SOURCES:
        path = package / name
        for source in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            with contextlib.suppress(OSError):
                digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:32]


class Store:
    """The cache folder of one repository, for replays over ``roots``."""

    def __init__(self, folder: Path, roots: tuple[str, ...], shallow: str = "") -> None:
        self.folder = folder
        self.roots = roots
        # A replay of a shallow clone is only good for the same shallow boundary.
        self.shallow = hashlib.sha256(shallow.encode()).hexdigest() if shallow else ""
        self.fingerprint = fingerprint()
        self._blob_files: list[Path] = []

    # -- checkpoints --------------------------------------------------------------------

    def checkpoint_file(self, ref: str) -> Path:
        key = hashlib.sha256(repr((ref, self.roots)).encode()).hexdigest()[:16]
        return self.folder / f"replay-{key}.pickle"

    def cached_heads(self) -> list[CachedHead]:
        """The heads of the valid checkpoints, most recently written first."""
        found: list[tuple[float, CachedHead]] = []
        for file in self._files("replay-"):
            header = self._header(file)
            if (
                header is None
                or header.get("roots") != self.roots
                or header.get("shallow", "") != self.shallow
            ):
                continue
            with contextlib.suppress(OSError):
                found.append((file.stat().st_mtime, CachedHead(header["head"], file)))
        found.sort(key=lambda item: item[0], reverse=True)
        return [cached for _, cached in found]

    def load_checkpoint(self, cached: CachedHead) -> Checkpoint | None:
        payload = self._payload(cached.file)
        if not isinstance(payload, Checkpoint) or payload.history.head != cached.head:
            self._discard(cached.file)
            return None
        return payload

    def save_checkpoint(self, ref: str, checkpoint: Checkpoint) -> None:
        header = {
            "roots": self.roots,
            "ref": ref,
            "head": checkpoint.history.head,
            "shallow": self.shallow,
        }
        self._write(self.checkpoint_file(ref), header, checkpoint)
        stale = sorted(self._files("replay-"), key=_mtime, reverse=True)[MAX_CHECKPOINTS:]
        for file in stale:
            self._discard(file)

    # -- parsed blobs -------------------------------------------------------------------

    def load_blobs(self) -> dict[str, Parsed]:
        blobs: dict[str, Parsed] = {}
        self._blob_files = []
        for file in self._files("blobs-"):
            payload = self._payload(file) if self._header(file) is not None else None
            if not isinstance(payload, dict):
                self._discard(file)
                continue
            blobs.update(payload)
            self._blob_files.append(file)
        return blobs

    def save_blobs(self, blobs: dict[str, Parsed], *, compact: bool) -> None:
        """Add ``blobs``; with ``compact``, they replace every file ``load_blobs`` read."""
        if not blobs:
            return
        self._write(self.folder / f"blobs-{secrets.token_hex(8)}.pickle", {}, blobs)
        if compact:
            for file in self._blob_files:
                self._discard(file)
            self._blob_files = []

    def blob_file_count(self) -> int:
        return sum(1 for _ in self._files("blobs-"))

    # -- files --------------------------------------------------------------------------

    def _files(self, prefix: str) -> Iterator[Path]:
        try:
            entries = list(os.scandir(self.folder))
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(prefix) and entry.name.endswith(".pickle"):
                yield Path(entry.path)

    def _header(self, file: Path) -> dict[str, Any] | None:
        try:
            with file.open("rb") as handle:
                header = pickle.load(handle)
        except Exception:  # anything at all: the file is not to be trusted
            header = None
        if (
            not isinstance(header, dict)
            or header.get("format") != FORMAT
            or header.get("fingerprint") != self.fingerprint
        ):
            self._discard(file)
            return None
        return header

    def _payload(self, file: Path) -> Any:
        enabled = gc.isenabled()
        gc.disable()  # loading many small objects: the collector would only slow it down
        try:
            with file.open("rb") as handle:
                header = pickle.load(handle)
                data = handle.read()
            if hashlib.sha256(data).hexdigest() != header.get("checksum"):
                return None
            return pickle.loads(data)
        except Exception:
            return None
        finally:
            if enabled:
                gc.enable()

    def _write(self, file: Path, header: dict[str, Any], payload: Any) -> None:
        enabled = gc.isenabled()
        gc.disable()
        try:
            data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
        finally:
            if enabled:
                gc.enable()
        header = {
            **header,
            "format": FORMAT,
            "fingerprint": self.fingerprint,
            "checksum": hashlib.sha256(data).hexdigest(),
        }
        temp: Path | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".pickle")
            temp = Path(name)
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(header, handle, protocol=pickle.HIGHEST_PROTOCOL)
                handle.write(data)
            temp.replace(file)
            temp = None
        except OSError:
            pass  # a read-only or full disk: the cache is an optimisation, not a need
        finally:
            if temp is not None:
                self._discard(temp)

    def _discard(self, file: Path) -> None:
        with contextlib.suppress(OSError):
            file.unlink()


def _mtime(file: Path) -> float:
    try:
        return file.stat().st_mtime
    except OSError:
        return 0.0
