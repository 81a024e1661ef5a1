"""The replay cache, kept in the Git folder (``<git common dir>/incidentctl/``).

Two kinds of files, each a header and a checksummed payload of plain data
(MessagePack, decoded only into the types below: see ``read_file``):

- ``replay-<key>.cache``: a ``Checkpoint`` (the replayed ``History`` and where each
  document stands) at a head commit, one file per (ref, roots). A run whose head is
  the cached head loads only this; a run whose head descends from it on the first
  parent replays only the new commits.
- ``blobs-<id>.cache``: what blobs parsed to, by blob id, so that a rebuild (after a
  force-push, or for another ref) does not parse again what it has parsed before.
  Incremental runs add small files; a rebuild compacts them into one.

Nothing in them is trusted (a CI cache may restore them, anyone with write access to
the folder may plant them): decoding builds only strings, numbers, instants and the
replay's own dataclasses, never an object a file names. A file that is truncated,
damaged (checksum), too large or not of this format is deleted, the replay is done
again, and a warning says so; one written by another version of the program is
quietly replaced. Files are written to a temporary name and renamed, so readers never
see half a file. The cache is best effort: when the folder cannot be written, runs
simply do not cache.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import logging
import os
import secrets
import struct
import sys
import tempfile
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec
import pydantic

import incidentctl
from incidentctl.history.blobs import POLICY_KINDS, BlobProblem, Parsed
from incidentctl.history.model import (
    History,
    IncidentState,
    PolicyModel,
    RcaState,
    Stamp,
    Timeline,
)
from incidentctl.model import MODEL_BY_KIND

FORMAT = 4
FOLDER = "incidentctl"
SUFFIX = ".cache"
MAX_CHECKPOINTS = 8
MAX_BLOB_FILES = 32
# Bigger than any replay this tool makes (5 000 incidents over 50 000 commits: ~40 MB);
# a file past it is not read at all.
MAX_FILE_BYTES = 1 << 30
_MAGIC = b"incidentctl-cache\n"
_LENGTH = struct.Struct(">I")
_MAX_HEADER = 1 << 16

# Parse results depend on the models and the loader: a change to them invalidates
# the cache even when the version number did not move.
_SOURCES = ("model", "load", "history/model.py", "history/blobs.py", "history/cache.py")

DocKey = tuple[str, str]  # ("Incident", id), ("RCA", file stem), (policy kind, name)
log = logging.getLogger("incidentctl.cache")


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


def fingerprint(extra: tuple[str, ...] = ()) -> str:
    """What the cache depends on: versions, and the sources that parse (and ``extra``:
    more folders or files of the package)."""
    digest = hashlib.sha256(
        f"{FORMAT}|{incidentctl.__version__}|{pydantic.VERSION}|{sys.version_info[:2]}|"
        f"{msgspec.__version__}".encode()
    )
    package = Path(incidentctl.__file__).parent
    for name in dict.fromkeys((*_SOURCES, *extra)):
        path = package / name
        for source in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            with contextlib.suppress(OSError):
                digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()[:32]


# -- the files: a header and a checksummed payload ------------------------------------


class Header(msgspec.Struct, kw_only=True):
    """What a cache file says of itself; read before its payload, and checked."""

    kind: str
    format: int
    fingerprint: str
    checksum: str
    size: int
    roots: tuple[str, ...] = ()
    ref: str = ""
    head: str = ""
    shallow: str = ""


_HEADER = msgspec.msgpack.Decoder(Header)
_ENCODER = msgspec.msgpack.Encoder()


class Damaged(Exception):
    """A cache file that is not what this program writes: it is discarded."""


def read_header(file: Path, kind: str) -> Header:
    """The header of ``file``; ``Damaged`` when it is not a cache file of ``kind``."""
    try:
        with file.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_FILE_BYTES:
                raise Damaged("it is larger than any cache file incidentctl writes")
            start = handle.read(len(_MAGIC) + _LENGTH.size)
            if not start.startswith(_MAGIC) or len(start) < len(_MAGIC) + _LENGTH.size:
                raise Damaged("it is not an incidentctl cache file")
            (length,) = _LENGTH.unpack(start[len(_MAGIC) :])
            if length > _MAX_HEADER:
                raise Damaged("its header is too large")
            header = _HEADER.decode(handle.read(length))
    except (msgspec.DecodeError, msgspec.ValidationError):
        raise Damaged("its header does not decode") from None
    if header.kind != kind:
        raise Damaged(f"it holds {header.kind!r}, not {kind!r}")
    if header.size != size - len(_MAGIC) - _LENGTH.size - length or header.size < 0:
        raise Damaged("it is truncated or has bytes added")
    return header


def read_payload(file: Path, header: Header, decoder: msgspec.msgpack.Decoder[Any]) -> Any:
    """The payload of ``file``, decoded into the decoder's type; ``Damaged`` otherwise."""
    with file.open("rb") as handle:
        handle.seek(-header.size, os.SEEK_END)
        data = handle.read(header.size + 1)
    if len(data) != header.size:
        raise Damaged("it changed while it was read")
    if hashlib.sha256(data).hexdigest() != header.checksum:
        raise Damaged("its checksum does not match its contents")
    enabled = gc.isenabled()
    gc.disable()  # loading many small objects: the collector would only slow it down
    try:
        return decoder.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError) as error:
        raise Damaged(f"its contents do not decode ({error})") from None
    finally:
        if enabled:
            gc.enable()


def write_file(file: Path, header: Header, payload: bytes) -> None:
    """Write ``payload`` under ``header`` (its size and checksum filled in), atomically."""
    header = msgspec.structs.replace(
        header, size=len(payload), checksum=hashlib.sha256(payload).hexdigest()
    )
    encoded = _ENCODER.encode(header)
    temp: Path | None = None
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=file.parent, prefix=".tmp-", suffix=SUFFIX)
        temp = Path(name)
        with os.fdopen(fd, "wb") as handle:
            handle.write(_MAGIC + _LENGTH.pack(len(encoded)) + encoded)
            handle.write(payload)
        temp.replace(file)
        temp = None
    except OSError:
        pass  # a read-only or full disk: the cache is an optimisation, not a need
    finally:
        if temp is not None:
            discard(temp)


def discard(file: Path, why: str | None = None) -> None:
    """Delete ``file``; with ``why``, warn that a damaged or foreign file was dropped."""
    if why is not None:
        log.warning(
            "the cache file %s was discarded and is rebuilt: %s "
            "(a cache file is never trusted: it may have been damaged or planted)",
            file,
            why,
        )
    with contextlib.suppress(OSError):
        file.unlink()


# -- what the files hold ----------------------------------------------------------------


class _Timeline(msgspec.Struct, array_like=True):
    id: str
    states: bytes
    versions: bytes
    problems: bool = True  # whether a version did not load (``Timeline.has_problems``)


class _Blob(msgspec.Struct, array_like=True):
    kind: str | None
    name: str | None
    incident: IncidentState | None = None
    rca: RcaState | None = None
    policy: bytes | None = None  # the model's JSON
    problems: tuple[tuple[int, int, str, str, str], ...] = ()


# The replayed history field by field, as its dataclass declares them, but for the two
# fields held in a form of their own: timelines packed, policy models as their JSON.
_Policies = list[tuple[str, str, list[tuple[Stamp, bytes | None]]]]
_HISTORY_FIELDS = {"incidents": list[_Timeline], "policies": _Policies}
_HINTS = typing.get_type_hints(History)
_History = msgspec.defstruct(
    "_History",
    [(f.name, _HISTORY_FIELDS.get(f.name, _HINTS[f.name])) for f in dataclasses.fields(History)],
    array_like=True,
)


_CHECKPOINT = msgspec.msgpack.Decoder(
    typing.cast(Any, msgspec.defstruct(
        "_CheckpointData",
        [("history", _History), ("paths", dict[str, tuple[tuple[str, str], str]]),
         ("last_landed", datetime | None)],
        array_like=True,
    ))
)  # fmt: skip
_BLOBS = msgspec.msgpack.Decoder(dict[str, _Blob])


def _policy(model: PolicyModel | None) -> bytes | None:
    return None if model is None else model.model_dump_json().encode()


def _model(kind: str, data: bytes | None) -> PolicyModel | None:
    if data is None:
        return None
    model = MODEL_BY_KIND.get(kind)
    if model is None or kind not in POLICY_KINDS:
        raise Damaged(f"it holds a policy of unknown kind {kind!r}")
    try:
        return typing.cast(PolicyModel, model.model_validate_json(data))
    except pydantic.ValidationError:
        raise Damaged(f"it holds a {kind} that does not validate") from None


def encode_checkpoint(checkpoint: Checkpoint) -> bytes:
    history = checkpoint.history
    fields = {f.name: getattr(history, f.name) for f in dataclasses.fields(History)}
    fields["incidents"] = [
        _Timeline(key, *timeline.packed()) for key, timeline in history.incidents.items()
    ]
    fields["policies"] = [
        (kind, name, [(stamp, _policy(model)) for stamp, model in versions])
        for (kind, name), versions in history.policies.items()
    ]
    wire = (_History(**fields), checkpoint.paths, checkpoint.last_landed)
    return _ENCODER.encode(wire)


def decode_checkpoint(file: Path, header: Header) -> Checkpoint:
    wire = read_payload(file, header, _CHECKPOINT)
    data = wire.history
    fields = {f.name: getattr(data, f.name) for f in dataclasses.fields(History)}
    fields["incidents"] = {
        t.id: Timeline.unpacked(t.id, t.states, t.versions, file, t.problems)
        for t in data.incidents
    }
    fields["policies"] = {
        (kind, name): [(stamp, _model(kind, model)) for stamp, model in versions]
        for kind, name, versions in data.policies
    }
    history = History(**fields)
    return Checkpoint(history, wire.paths, wire.last_landed)


def encode_blobs(blobs: dict[str, Parsed]) -> bytes:
    wire: dict[str, _Blob] = {}
    for blob, parsed in blobs.items():
        state = parsed.state
        wire[blob] = _Blob(
            parsed.kind,
            parsed.name,
            state if isinstance(state, IncidentState) else None,
            state if isinstance(state, RcaState) else None,
            None if isinstance(state, IncidentState | RcaState) else _policy(state),
            parsed.problems,
        )
    return _ENCODER.encode(wire)


def decode_blobs(file: Path, header: Header) -> dict[str, Parsed]:
    blobs: dict[str, Parsed] = {}
    for blob, wire in read_payload(file, header, _BLOBS).items():
        state: IncidentState | RcaState | PolicyModel | None = wire.incident or wire.rca
        if wire.policy is not None:
            state = _model(wire.kind or "", wire.policy)
        problems = typing.cast(tuple[BlobProblem, ...], wire.problems)
        blobs[blob] = Parsed(wire.kind, wire.name, state, problems)
    return blobs


class Store:
    """The cache folder of one repository, for replays over ``roots``."""

    def __init__(self, folder: Path, roots: tuple[str, ...], shallow: str = "") -> None:
        self.folder = folder
        self.roots = roots
        # A replay of a shallow clone is only good for the same shallow boundary.
        self.shallow = hashlib.sha256(shallow.encode()).hexdigest() if shallow else ""
        self.fingerprint = fingerprint()
        self._blob_files: list[Path] = []
        self._headers: dict[Path, Header] = {}

    # -- checkpoints --------------------------------------------------------------------

    def checkpoint_file(self, ref: str) -> Path:
        key = hashlib.sha256(repr((ref, self.roots)).encode()).hexdigest()[:16]
        return self.folder / f"replay-{key}{SUFFIX}"

    def cached_heads(self) -> list[CachedHead]:
        """The heads of the valid checkpoints, most recently written first."""
        found: list[tuple[float, CachedHead]] = []
        for file in self._files("replay-"):
            header = self._header(file, "replay")
            if header is None or header.roots != self.roots or header.shallow != self.shallow:
                continue
            with contextlib.suppress(OSError):
                found.append((file.stat().st_mtime, CachedHead(header.head, file)))
        found.sort(key=lambda item: item[0], reverse=True)
        return [cached for _, cached in found]

    def load_checkpoint(self, cached: CachedHead) -> Checkpoint | None:
        header = self._headers.get(cached.file) or self._header(cached.file, "replay")
        if header is None:
            return None
        try:
            checkpoint = decode_checkpoint(cached.file, header)
            if checkpoint.history.head != cached.head:
                raise Damaged("its replay is not of the head its header names")
        except (Damaged, OSError) as error:
            discard(cached.file, str(error))
            return None
        return checkpoint

    def save_checkpoint(self, ref: str, checkpoint: Checkpoint) -> None:
        header = self._new_header(
            "replay", roots=self.roots, ref=ref, head=checkpoint.history.head or "",
            shallow=self.shallow,
        )  # fmt: skip
        self._write(self.checkpoint_file(ref), header, encode_checkpoint, checkpoint)
        stale = sorted(self._files("replay-"), key=_mtime, reverse=True)[MAX_CHECKPOINTS:]
        for file in stale:
            discard(file)

    # -- parsed blobs -------------------------------------------------------------------

    def load_blobs(self) -> dict[str, Parsed]:
        blobs: dict[str, Parsed] = {}
        self._blob_files = []
        for file in self._files("blobs-"):
            header = self._header(file, "blobs")
            if header is None:
                continue
            try:
                blobs.update(decode_blobs(file, header))
            except (Damaged, OSError) as error:
                discard(file, str(error))
                continue
            self._blob_files.append(file)
        return blobs

    def save_blobs(self, blobs: dict[str, Parsed], *, compact: bool) -> None:
        """Add ``blobs``; with ``compact``, they replace every file ``load_blobs`` read."""
        if not blobs:
            return
        file = self.folder / f"blobs-{secrets.token_hex(8)}{SUFFIX}"
        self._write(file, self._new_header("blobs"), encode_blobs, blobs)
        if compact:
            for old in self._blob_files:
                discard(old)
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
            if entry.name.startswith(prefix) and entry.name.endswith(SUFFIX):
                yield Path(entry.path)
            elif entry.name.endswith(".pickle"):
                # An earlier version's cache, in a format that could run code: never read.
                discard(Path(entry.path))

    def _new_header(self, kind: str, **fields: Any) -> Header:
        return Header(
            kind=kind, format=FORMAT, fingerprint=self.fingerprint, checksum="", size=0, **fields
        )

    def _header(self, file: Path, kind: str) -> Header | None:
        try:
            header = read_header(file, kind)
        except Damaged as error:
            discard(file, str(error))
            return None
        except OSError:
            return None
        if header.format != FORMAT or header.fingerprint != self.fingerprint:
            discard(file)  # another version's: expected after an upgrade, no warning
            return None
        self._headers[file] = header
        return header

    def _write(self, file: Path, header: Header, encode: Any, payload: Any) -> None:
        enabled = gc.isenabled()
        gc.disable()
        try:
            data = encode(payload)
        finally:
            if enabled:
                gc.enable()
        write_file(file, header, data)


def _mtime(file: Path) -> float:
    try:
        return file.stat().st_mtime
    except OSError:
        return 0.0
