"""What one blob holds, reduced to what the replay needs; a blob is parsed at most once.

A blob's content never changes, so what it parses to depends only on its id (and the
version of this program): it is cached by blob id. The file's path is not part of it,
problems are kept without one and given the path of each version that holds the blob.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from incidentctl.history.model import CustomerUpdate, IncidentState, PolicyModel, RcaState
from incidentctl.model import RCA, Calendar, DefectPolicy, Incident, Service, SLAPolicy
from incidentctl.problems import Level, Problem

if TYPE_CHECKING:
    from incidentctl.load import SourceDocument
    from incidentctl.load.yamlio import Versions

POLICY_KINDS = ("SLAPolicy", "Calendar", "DefectPolicy", "Service")
_SUFFIXES = (".rca.yaml", ".rca.yml", ".yaml", ".yml")

# (line, col, level, rule, message) of a problem, without its path
BlobProblem = tuple[int, int, Level, str, str]


@dataclass(frozen=True, slots=True)
class Parsed:
    """A blob's document: its kind, its name, its state, or the problems that stopped it.

    ``name`` is the incident id or policy name from the model, or from the raw data
    when the model did not validate (None if there is none); ``state`` is an
    ``IncidentState``, an ``RcaState`` or a policy model, None if the model did not
    validate. RCAs are named by their file, not their content.
    """

    kind: str | None
    name: str | None
    state: IncidentState | RcaState | PolicyModel | None
    problems: tuple[BlobProblem, ...] = ()

    def messages(self, path: str) -> list[str]:
        return [Problem(path, *problem).render() for problem in self.problems]


def file_stem(path: str) -> str:
    """``INC-2026-0042`` for both ``.../INC-2026-0042.yaml`` and ``...rca.yaml``."""
    name = PurePosixPath(path).name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def kind_from_path(path: str) -> str | None:
    """The kind a file name suggests, for versions whose content says nothing usable."""
    name = PurePosixPath(path).name
    if name.endswith((".rca.yaml", ".rca.yml")):
        return "RCA"
    if name.startswith("INC-"):
        return "Incident"
    return None


def parse_version(path: str, raw: bytes, versions: Versions | None = None) -> SourceDocument:
    """``parse_document`` for a version already in history, which never fails.

    A file in the work tree that the loader cannot read is the user's to fix; a version
    in history cannot be fixed any more, so one that makes the loader fail in a way
    nobody foresaw is a version that does not load: reported, and skipped.
    """
    # Here: a replay that only loads its cache never loads the YAML loader.
    from incidentctl.load import SourceDocument, parse_document

    try:
        return parse_document(path, raw, versions)
    except (Exception, RecursionError) as error:
        problem = Problem(
            path,
            1,
            1,
            "error",
            "unreadable",
            f"this version cannot be read ({type(error).__name__}), so it is skipped",
        )
        return SourceDocument(path, "", problems=[problem])


class Parser:
    """Parses blobs into ``Parsed``, sharing equal values between the states it makes.

    Successive versions of an incident mostly repeat its earlier fields and updates;
    one object per distinct value keeps the replay, and its cache, small.
    """

    def __init__(self) -> None:
        from incidentctl.load.yamlio import Versions

        self._shared: dict[Any, Any] = {}
        self._times: dict[tuple[datetime, Any], datetime] = {}
        # Versions of a file come in history order: each reuses what its last one parsed.
        self._versions = Versions()

    def _share(self, value: Any) -> Any:
        if isinstance(value, datetime):
            # Equal instants with different offsets are equal: keep the offset apart.
            return self._times.setdefault((value, value.utcoffset()), value)
        if isinstance(value, str) or (
            isinstance(value, tuple) and all(isinstance(v, str | CustomerUpdate) for v in value)
        ):
            value = tuple(self._share(v) for v in value) if isinstance(value, tuple) else value
            return self._shared.setdefault(value, value)
        if isinstance(value, CustomerUpdate):
            return self._shared.setdefault(value, replace(value, at=self._share(value.at)))
        return value

    def _incident(self, state: IncidentState) -> IncidentState:
        shared: IncidentState | None = self._shared.get(state)
        if shared is None:
            shared = replace(
                state, **{f.name: self._share(getattr(state, f.name)) for f in fields(state)}
            )
            self._shared[shared] = shared
        return shared

    def parse(self, path: str, raw: bytes) -> Parsed:
        doc = parse_version(path, raw, self._versions)
        model = doc.model
        if isinstance(model, Incident):
            return Parsed("Incident", model.id, self._incident(IncidentState.of(model)))
        if isinstance(model, RCA):
            rca = RcaState.of(model)
            return Parsed("RCA", None, self._shared.setdefault(rca, rca))
        if isinstance(model, SLAPolicy | Calendar | DefectPolicy | Service):
            return Parsed(model.kind, model.name, model)
        data = doc.data if isinstance(doc.data, dict) else {}
        kind = data.get("kind")
        name = data.get("id" if kind == "Incident" else "name")
        problems = tuple((p.line, p.col, p.level, p.rule, p.message) for p in doc.problems) or (
            (1, 1, "error", "document", "the document did not load"),
        )
        return Parsed(
            kind if isinstance(kind, str) else None,
            name if isinstance(name, str) else None,
            None,
            problems,
        )
