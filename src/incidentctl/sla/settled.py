"""SLA results kept between runs, so a board of thousands of incidents is fast.

An incident whose every metric is met, missed or not applicable has no clock left
running: judged again later it gives the same figures, until its history changes. Its
JSON is kept under the Git folder (``<git dir>/incidentctl/settled.cache``) keyed by
what the incident's and its RCA's states are, and reused when the board is judged at
or after the instant it was computed. An incident with a clock still running is kept
too, and reused only when judged at that very instant again (a rerun with the same
``--at``, or of the incidents a new commit did not touch). Each entry is computed by
the engine, so the file is written for one build of it: another build's is replaced.
The file is written and read like the replay cache's (``history.cache``): plain
data, checksummed, and nothing in it trusted; a file of another program version is
replaced, one that does not load is discarded with a warning.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from incidentctl.history.cache import (
    Damaged,
    Header,
    discard,
    read_header,
    read_payload,
    write_file,
)
from incidentctl.history.model import History
from incidentctl.sla.engine import IncidentResult, rca_index

SETTLED_STATES = frozenset({"met", "missed", "not_applicable"})
FORMAT = 4
FILE = "settled.cache"
# What the figures are computed by: a change to any of it makes another build's entries.
SOURCES = ("sla", "report/sla.py", "model", "history/model.py")

Key = tuple[str, str, int]
# Per incident: its key, the instant it was judged at, its JSON, and whether it settled.
_ENTRIES = msgspec.msgpack.Decoder(dict[str, tuple[tuple[str, str, int], datetime, str, bool]])


def is_settled(result: IncidentResult) -> bool:
    return bool(result.metrics) and all(m.state in SETTLED_STATES for m in result.metrics)


def _token(value: bytes) -> str:
    return hashlib.blake2b(value, digest_size=16).hexdigest()


def incident_key(
    history: History, incident_id: str, rcas: dict[str, list[Any]] | None = None
) -> Key:
    """What an incident's result depends on in its history: its states and its RCA's.

    A timeline loaded from the replay cache still holds its states as they were
    encoded; hashing that is what keeps a board of thousands of incidents fast. The
    encoding is stable under a round trip, so a decoded timeline hashes the same.
    """
    states = _token(history.incidents[incident_id].packed_states())
    rca = (rcas if rcas is not None else rca_index(history)).get(incident_id, [])
    return (states, _token(rca[-1][0].sha.encode()) if rca else "", len(rca))


def _all_landed(
    history: History, incident_id: str, as_of: datetime, rcas: dict[str, list[Any]]
) -> bool:
    """Whether every version of the incident and its RCA had landed by ``as_of``: a result
    judged before a later change is not the result of the history as it is now."""
    timeline = history.incidents[incident_id]
    last = [timeline.states[-1][0]] if timeline.states else []
    rca = rcas.get(incident_id, [])
    last += [rca[-1][0]] if rca else []
    return all(stamp.landed_at <= as_of for stamp in last)


def _is_result_of(data: str, incident_id: str) -> bool:
    """Whether ``data`` is an incident's JSON object, with that id: the text goes into
    the board as it is, so a planted file must not be able to put anything else there
    (control characters are not valid JSON, and the decoder refuses them)."""
    try:
        decoded = _RESULT.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return False
    return decoded.id == incident_id


class _Result(msgspec.Struct):
    id: str


_RESULT = msgspec.json.Decoder(_Result)


@dataclass
class SettledResults:
    """Per incident: the key it was computed for, when, its JSON text, whether settled."""

    path: Path | None
    fingerprint: str
    entries: dict[str, tuple[Key, datetime, str, bool]] = field(default_factory=dict)
    changed: bool = False
    _rcas: dict[str, list[Any]] | None = None

    def _index(self, history: History) -> dict[str, list[Any]]:
        if self._rcas is None:
            self._rcas = rca_index(history)
        return self._rcas

    @classmethod
    def load(cls, folder: Path | None, fingerprint: str) -> SettledResults:
        """The results kept in ``folder``; entries are keyed by content, so one file
        serves every ref (a pull request's branch reuses main's finished incidents)."""
        if folder is None:
            return cls(None, fingerprint)
        path = folder / FILE
        results = cls(path, fingerprint)
        if not path.exists():
            return results
        try:
            header = read_header(path, "settled")
            if header.format != FORMAT or header.fingerprint != fingerprint:
                return results  # another version's: replaced when saved
            results.entries = read_payload(path, header, _ENTRIES)
        except Damaged as error:
            discard(path, str(error))
        except OSError:
            pass
        return results

    def reusable(self, history: History, as_of: datetime) -> dict[str, str]:
        found = {}
        rcas = self._index(history)
        for incident_id, (key, computed_at, data, settled) in self.entries.items():
            if (
                incident_id in history.incidents
                and (as_of == computed_at or (settled and as_of > computed_at))
                and key == incident_key(history, incident_id, rcas)
                and _is_result_of(data, incident_id)
            ):
                found[incident_id] = data
        return found

    def remember(
        self, history: History, result: IncidentResult, as_of: datetime, data: str
    ) -> None:
        settled = is_settled(result) and _all_landed(
            history, result.id, as_of, self._index(history)
        )
        old = self.entries.get(result.id)
        if old is not None and old[3] and not settled and as_of < old[1]:
            return  # keep a settled result over one from before it settled
        key = incident_key(history, result.id, self._index(history))
        self.entries[result.id] = (key, as_of, data, settled)
        self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        header = Header(
            kind="settled", format=FORMAT, fingerprint=self.fingerprint, checksum="", size=0
        )
        write_file(self.path, header, msgspec.msgpack.encode(self.entries))
