"""What the history replay produces: stamped, compact states of each document over time.

The replay keeps, per document, only the versions whose state differs from the one
before, and only the fields the SLA engine, ``log`` and ``audit`` need, so that a
cached replay is small and loads fast. Full documents are re-read from their blobs
when a command needs every field (``incidentctl log``).
"""

from __future__ import annotations

import contextlib
import gc
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import msgspec

from incidentctl.model import RCA, Calendar, DefectPolicy, Incident, Service, SLAPolicy
from incidentctl.problems import UsageError


@dataclass(frozen=True, slots=True)
class Stamp:
    """When and by whom a version reached the audited branch.

    ``landed_at`` is the committer date of the first-parent commit that brought the
    change to the branch (for a merged pull request, the merge), clamped so that it is
    never earlier than its first parent's; ``authored_at`` is the author date of the
    commit that made the change (for a merge, the side commit that produced the blob).

    ``sha`` and ``author`` are those of the first-parent commit. When a merge brought a
    change that a commit on the merged branch made, ``origin`` and ``origin_author``
    name that commit (its author date is ``authored_at``); otherwise they are None.
    All times are UTC; ``clamped`` says ``landed_at`` was raised to the parent's.
    """

    seq: int  # position in the first-parent history, 0 for the root commit
    sha: str
    landed_at: datetime
    authored_at: datetime
    author: str  # "Name <email>"
    committer_date: datetime
    clamped: bool = False
    origin: str | None = None
    origin_author: str | None = None


@dataclass(frozen=True, slots=True)
class CustomerUpdate:
    at: datetime
    text: str


@dataclass(frozen=True, slots=True)
class IncidentState:
    """The fields of an incident that events are made of."""

    id: str
    title: str
    status: str
    severity: str
    environment: str
    customer: str | None
    services: tuple[str, ...]
    detection_source: str
    reported_at: datetime | None
    impact_started_at: datetime | None
    commander: str | None
    milestones: tuple[tuple[str, datetime], ...]
    customer_updates: tuple[CustomerUpdate, ...]
    defect_keys: tuple[str, ...]
    resolution: str | None = None  # the resolution's kind: fixed, false-alarm, ...

    @property
    def imported(self) -> bool:
        """Whether this version, as an incident's first, makes it an imported record: one
        that arrives with its story told, as declared milestones."""
        return bool(self.milestones)

    @classmethod
    def of(cls, incident: Incident) -> IncidentState:
        milestones = incident.milestones
        return cls(
            id=incident.id,
            title=incident.title,
            status=incident.status,
            severity=incident.severity,
            environment=incident.environment,
            customer=incident.customer,
            services=tuple(incident.services),
            detection_source=incident.detection.source,
            reported_at=incident.detection.reported_at,
            impact_started_at=incident.detection.impact_started_at,
            commander=incident.roles.commander,
            milestones=tuple(
                (name, value)
                for name, value in (milestones.model_dump().items() if milestones else ())
                if value is not None
            ),
            customer_updates=tuple(
                CustomerUpdate(u.at, u.text) for u in incident.updates if u.audience == "customer"
            ),
            defect_keys=tuple(d.key for d in incident.defects),
            resolution=incident.resolution.kind if incident.resolution else None,
        )


@dataclass(frozen=True, slots=True)
class RcaState:
    incidents: tuple[str, ...]
    status: str
    meeting_at: datetime | None
    published_at: datetime | None = None
    follow_up_held_at: datetime | None = None

    @classmethod
    def of(cls, rca: RCA) -> RcaState:
        return cls(
            tuple(rca.incident_ids),
            rca.status,
            rca.meeting_at,
            rca.published_at,
            rca.follow_up.held_at,
        )


@dataclass(frozen=True, slots=True)
class VersionRef:
    """One version of a document file: where it was and which blob it had (None: deleted)."""

    stamp: Stamp
    path: str
    blob: str | None


@dataclass
class Timeline:
    """The versions of one incident, and its states where they changed.

    ``states`` pairs each stamp with the state from then on; a ``None`` state means the
    file was deleted or did not parse at that version (see ``problems``).
    """

    id: str
    versions: list[VersionRef] = field(default_factory=list)
    states: list[tuple[Stamp, IncidentState | None]] = field(default_factory=list)
    problems: list[tuple[Stamp, str]] = field(default_factory=list)
    # For a version a merge brought: the versions of the file its merged commits made,
    # in order, keyed by the merge's sha (``clock: authored`` credits each fact to one).
    traces: dict[str, tuple[tuple[Stamp, IncidentState | None], ...]] = field(default_factory=dict)

    # Cached, a timeline keeps its states (with its problems) and its versions as two
    # MessagePack texts of their own, compressed (their field names repeat), decoded on
    # first use. A cached replay then loads
    # in a fraction of the time, the SLA engine never builds the versions, commands
    # that look at a few incidents build only those, and a replay continued by a few
    # commits encodes again only the timelines they touched.
    def packed(self) -> tuple[bytes, bytes, bool]:
        """The states (with the problems) and the versions, encoded, and whether any
        version did not load."""
        packed = self.__dict__
        versions = packed.get("_versions") or _pack(self.versions)
        return self.packed_states(), versions, self.has_problems()

    def has_problems(self) -> bool:
        """Whether a version did not load; a packed timeline says so without decoding."""
        attributes = self.__dict__
        if "_states" in attributes and "_has_problems" in attributes:
            return bool(attributes["_has_problems"])
        return bool(self.problems)

    def packed_states(self) -> bytes:
        """The states and problems, encoded: equal timelines give equal bytes."""
        return self.__dict__.get("_states") or _pack((self.states, self.problems, self.traces))

    @classmethod
    def unpacked(
        cls,
        id: str,
        states: bytes,
        versions: bytes,
        source: Path | None = None,
        has_problems: bool = True,
    ) -> Timeline:
        """A timeline whose states and versions are decoded when first used; ``source``
        is the cache file they come from, deleted if they turn out not to decode.
        ``has_problems`` False lets a look for versions that did not load skip it."""
        timeline = cls.__new__(cls)
        timeline.__dict__.update(
            id=id, _states=states, _versions=versions, _source=source,
            _has_problems=has_problems,
        )  # fmt: skip
        return timeline

    def __getattr__(self, name: str) -> Any:
        # Only called for attributes not in the instance: the packed lists.
        attributes = self.__dict__
        key = "_versions" if name == "versions" else "_states" if name in _STATES else None
        packed = attributes.get(key) if key else None
        if key and packed is not None:
            try:
                if key == "_versions":
                    attributes["versions"] = _decode(_VERSIONS_DECODER, packed)
                else:
                    decoded = _decode(_STATES_DECODER, packed)
                    attributes.update(zip(_STATES, decoded, strict=True))
            except (msgspec.DecodeError, msgspec.ValidationError, ValueError, zlib.error):
                raise _damaged(attributes.get("_source"), self.id) from None
            attributes.pop(key, None)
        if name not in attributes:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return attributes[name]


_STATES = ("states", "problems", "traces")
# Data only: a decoder builds nothing but these types, whatever the bytes say.
_VERSIONS = msgspec.msgpack.Encoder()
_STATES_DECODER = msgspec.msgpack.Decoder(
    tuple[
        list[tuple[Stamp, IncidentState | None]],
        list[tuple[Stamp, str]],
        dict[str, tuple[tuple[Stamp, IncidentState | None], ...]],
    ]
)
_VERSIONS_DECODER = msgspec.msgpack.Decoder(list[VersionRef])
# Far more than the history of any one incident: a planted one cannot fill the memory.
_MAX_PACKED = 64 << 20


def _damaged(source: Path | None, incident_id: str) -> UsageError:
    """A cached timeline whose parts do not decode: only a file made to look valid gets
    this far (the checksum held), so the file goes and the run stops without a figure."""
    if source is not None:
        with contextlib.suppress(OSError):
            source.unlink()
    return UsageError(
        f"the replay cache file {source} held a damaged history of {incident_id}: it was "
        "deleted (a cache file is never trusted); run the command again to replay anew"
    )


def _pack(value: Any) -> bytes:
    return zlib.compress(_VERSIONS.encode(value), 1)


def _decode(decoder: msgspec.msgpack.Decoder[Any], data: bytes) -> Any:
    inflate = zlib.decompressobj()
    text = inflate.decompress(data, _MAX_PACKED)
    if inflate.unconsumed_tail or not inflate.eof:
        raise ValueError("a packed history that is too large or cut short")
    # Many small objects at once: the cyclic collector would walk them all, for nothing.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return decoder.decode(text)
    finally:
        if enabled:
            gc.enable()


PolicyModel = SLAPolicy | Calendar | DefectPolicy | Service


@dataclass
class History:
    """The replayed first-parent history of the audited branch.

    ``policies`` holds every version of every SLAPolicy, Calendar, DefectPolicy and
    Service (the catalogue, whose teams and tiers policies select by), keyed by (kind,
    name); a ``None`` model means the policy was removed then.
    ``clamped`` lists the commits whose committer date was earlier than their first
    parent's (SPEC §3). ``problems`` holds the messages of versions of RCAs, policies
    and unidentifiable documents that did not load (an incident's are in its
    ``Timeline``); like those, they are not fatal: the last good state stands.
    """

    ref: str
    head: str | None
    commit_count: int = 0
    clamped: list[Stamp] = field(default_factory=list)
    incidents: dict[str, Timeline] = field(default_factory=dict)
    rcas: dict[str, list[tuple[Stamp, RcaState | None]]] = field(default_factory=dict)
    policies: dict[tuple[str, str], list[tuple[Stamp, PolicyModel | None]]] = field(
        default_factory=dict
    )
    problems: list[tuple[Stamp, str]] = field(default_factory=list)
    # Read from a shallow clone: the oldest commits are missing, and the first version
    # seen of a document may not be its first (CI should fetch the whole history).
    shallow: bool = False

    def policies_at(self, seq: int) -> tuple[list[SLAPolicy], dict[str, Calendar]]:
        """The SLA policies and calendars as they stood after the commit at ``seq``."""
        policies: list[SLAPolicy] = []
        calendars: dict[str, Calendar] = {}
        for (kind, name), versions in self.policies.items():
            current: PolicyModel | None = None
            for stamp, model in versions:
                if stamp.seq > seq:
                    break
                current = model
            if kind == "SLAPolicy" and isinstance(current, SLAPolicy):
                policies.append(current)
            elif kind == "Calendar" and isinstance(current, Calendar):
                calendars[name] = current
        return policies, calendars

    def catalogue_at(self, seq: int) -> dict[str, Service]:
        """The catalogued services as they stood after the commit at ``seq``."""
        found: dict[str, Service] = {}
        for (kind, name), versions in self.policies.items():
            if kind != "Service":
                continue
            current: PolicyModel | None = None
            for stamp, model in versions:
                if stamp.seq > seq:
                    break
                current = model
            if isinstance(current, Service):
                found[name] = current
        return found
