"""Settled SLA results, kept between runs so a board of thousands of old incidents is fast.

An incident whose every metric is met, missed or not applicable has no clock left
running: judged again later it gives the same figures, until its history changes.
Its JSON is kept under the Git folder (``<git dir>/incidentctl/settled.pickle``)
keyed by the last commit that changed the incident or its RCA, and reused only when
the board is judged at or after the instant it was computed. Like the replay cache,
nothing in the file is trusted: a file of another program version, or one that does
not load, is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from incidentctl.history.model import History
from incidentctl.sla.engine import IncidentResult, rca_index

SETTLED_STATES = frozenset({"met", "missed", "not_applicable"})
FORMAT = 2

Key = tuple[str, str, int]


def is_settled(result: IncidentResult) -> bool:
    return bool(result.metrics) and all(m.state in SETTLED_STATES for m in result.metrics)


def _token(value: object) -> str:
    return hashlib.blake2b(pickle.dumps(value, protocol=5), digest_size=16).hexdigest()


def incident_key(
    history: History, incident_id: str, rcas: dict[str, list[Any]] | None = None
) -> Key:
    """What an incident's result depends on in its history: its states and its RCA's.

    A timeline loaded from the replay cache still holds its states as the pickle they
    were saved as; hashing that is what keeps a board of thousands of incidents fast.
    Pickling is stable under a round trip, so an unpacked timeline hashes the same.
    """
    timeline = history.incidents[incident_id]
    packed = timeline.__dict__.get("_states")
    states = (
        _token((timeline.states, timeline.problems, timeline.traces))
        if packed is None
        else (hashlib.blake2b(packed, digest_size=16).hexdigest())
    )
    rca = (rcas if rcas is not None else rca_index(history)).get(incident_id, [])
    return (states, _token(rca[-1][0].sha) if rca else "", len(rca))


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


@dataclass
class SettledResults:
    """Per incident: the key it was computed for, when, and its JSON text."""

    path: Path | None
    fingerprint: str
    entries: dict[str, tuple[Key, datetime, str]] = field(default_factory=dict)
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
        path = folder / "settled.pickle"
        results = cls(path, fingerprint)
        # a cache that does not load is rebuilt
        with contextlib.suppress(Exception), path.open("rb") as handle:
            header = pickle.load(handle)
            if header == (FORMAT, fingerprint):
                entries = pickle.load(handle)
                if isinstance(entries, dict):
                    results.entries = entries
        return results

    def reusable(self, history: History, as_of: datetime) -> dict[str, str]:
        found = {}
        rcas = self._index(history)
        for incident_id, (key, computed_at, data) in self.entries.items():
            if (
                incident_id in history.incidents
                and as_of >= computed_at
                and key == incident_key(history, incident_id, rcas)
            ):
                found[incident_id] = data
        return found

    def remember(
        self, history: History, result: IncidentResult, as_of: datetime, data: str
    ) -> None:
        if is_settled(result) and _all_landed(history, result.id, as_of, self._index(history)):
            key = incident_key(history, result.id, self._index(history))
            self.entries[result.id] = (key, as_of, data)
            self.changed = True

    def save(self) -> None:
        if self.path is None or not self.changed:
            return
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as handle:
                    pickle.dump((FORMAT, self.fingerprint), handle)
                    pickle.dump(self.entries, handle, protocol=pickle.HIGHEST_PROTOCOL)
                Path(temp).replace(self.path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
