"""Discover and load the documents of an incident repository."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from incidentctl.load.document import SourceDocument, parse_document
from incidentctl.model import RCA, Calendar, DefectPolicy, Document, Incident, SLAPolicy
from incidentctl.problems import UsageError

DEFAULT_ROOTS = ("incidents", "policies")
YAML_SUFFIXES = (".yaml", ".yml")
_INCIDENT_FILE = re.compile(r"^(INC-\d{4}-\d{4,})(\.rca)?\.ya?ml$")

M = TypeVar("M", bound=Document)


def find_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds ``.git``, else ``start``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return start


@dataclass
class Workspace:
    """The loaded documents; ``targets`` are those whose problems are reported.

    Cross-file rules see every policy and calendar, and every incident id known from
    file names, even when only some files are targets (as under pre-commit).
    """

    root: Path
    documents: list[SourceDocument]
    targets: list[SourceDocument]
    incident_files: dict[str, list[str]] = field(default_factory=dict)
    rca_files: dict[str, list[str]] = field(default_factory=dict)

    def models(self, kind: type[M], docs: Iterable[SourceDocument] | None = None) -> Iterator[
        tuple[SourceDocument, M]
    ]:
        for doc in self.documents if docs is None else docs:
            if isinstance(doc.model, kind):
                yield doc, doc.model

    def target_models(self, kind: type[M]) -> Iterator[tuple[SourceDocument, M]]:
        return self.models(kind, self.targets)

    @property
    def policies(self) -> list[SLAPolicy]:
        return [m for _, m in self.models(SLAPolicy)]

    @property
    def calendars(self) -> dict[str, Calendar]:
        return {m.name: m for _, m in self.models(Calendar)}

    @property
    def defect_policies(self) -> list[DefectPolicy]:
        return [m for _, m in self.models(DefectPolicy)]

    @property
    def incidents(self) -> dict[str, Incident]:
        return {m.id: m for _, m in self.models(Incident)}

    @property
    def rcas(self) -> list[RCA]:
        return [m for _, m in self.models(RCA)]


@dataclass(frozen=True)
class Repository:
    """An incident repository on disk: a root folder and the folders documents live in."""

    root: Path
    roots: tuple[str, ...] = DEFAULT_ROOTS

    def display(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def discover(self) -> list[Path]:
        found: list[Path] = []
        for name in self.roots:
            folder = self.root / name
            for dirpath, dirnames, filenames in os.walk(folder):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                found.extend(
                    Path(dirpath) / f for f in sorted(filenames) if f.endswith(YAML_SUFFIXES)
                )
        return found

    def expand(self, paths: Iterable[Path]) -> list[Path]:
        """Files named, and YAML files inside folders named; a missing path is a usage error."""
        result: list[Path] = []
        for path in paths:
            if path.is_dir():
                result.extend(
                    sorted(p for p in path.rglob("*") if p.suffix in YAML_SUFFIXES and p.is_file())
                )
            elif path.is_file():
                result.append(path)
            else:
                raise UsageError(f"{path}: no such file or folder")
        return result

    def load(self, paths: Iterable[Path] | None = None) -> Workspace:
        """Load every document, or the named ones plus every policy for context."""
        every = self.discover()
        if paths is None:
            wanted = every
            context: list[Path] = []
        else:
            wanted = self.expand(paths)
            named = {p.resolve() for p in wanted}
            context = [
                p for p in every
                if p.resolve() not in named and not _INCIDENT_FILE.match(p.name)
            ]
        targets = [self._parse(p) for p in wanted]
        documents = targets + [self._parse(p) for p in context]
        incident_files: dict[str, list[str]] = defaultdict(list)
        rca_files: dict[str, list[str]] = defaultdict(list)
        for path in {p.resolve(): p for p in [*every, *wanted]}.values():
            match = _INCIDENT_FILE.match(path.name)
            if match:
                index = rca_files if match.group(2) else incident_files
                index[match.group(1)].append(self.display(path))
        return Workspace(self.root, documents, targets, dict(incident_files), dict(rca_files))

    def _parse(self, path: Path) -> SourceDocument:
        display = self.display(path)
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise UsageError(f"{display}: cannot read: {error.strerror}") from None
        return parse_document(display, raw)
