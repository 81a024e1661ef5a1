"""Discover and load the documents of an incident repository."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from incidentctl.fsutil import NotRegularFile, read_regular
from incidentctl.load.document import SourceDocument, parse_document
from incidentctl.model import (
    CONFIG_FILE,
    RCA,
    Calendar,
    Customer,
    DefectPolicy,
    Document,
    Incident,
    NotificationPolicy,
    Service,
    SLAPolicy,
)
from incidentctl.problems import Problem, UsageError

# The catalogue and the notification policies are configuration of the present: they are
# read from the work tree, never replayed from history, so they live outside its roots.
DEFAULT_ROOTS = ("incidents", "policies", "services", "customers", "notifications")
YAML_SUFFIXES = (".yaml", ".yml")
_INCIDENT_FILE = re.compile(r"^(INC-\d{4}-\d{4,})(\.rca)?\.ya?ml$")

M = TypeVar("M", bound=Document)


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

    def models(
        self, kind: type[M], docs: Iterable[SourceDocument] | None = None
    ) -> Iterator[tuple[SourceDocument, M]]:
        for doc in self.documents if docs is None else docs:
            if isinstance(doc.model, kind):
                yield doc, doc.model

    def target_models(self, kind: type[M]) -> Iterator[tuple[SourceDocument, M]]:
        return self.models(kind, self.targets)

    def unloaded_note(self, kind: type[Document]) -> str | None:
        """How a problem that may only be the consequence of a broken ``kind`` document
        (one that failed to load) mentions it: ``""`` if there is none; ``None`` if one is a
        target, whose own problems this run reports, so the consequence is not piled on;
        else a note naming the broken context documents."""
        broken = [d for d in self.documents if d.model is None and d.kind == kind.__name__]
        if not broken:
            return ""
        if any(d in self.targets for d in broken):
            return None
        return f" ({', '.join(d.path for d in broken)} could not be loaded: fix it first)"

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
    def services(self) -> dict[str, Service]:
        return {m.name: m for _, m in self.models(Service)}

    @property
    def customers(self) -> dict[str, Customer]:
        return {m.name: m for _, m in self.models(Customer)}

    @property
    def notification_policies(self) -> list[NotificationPolicy]:
        return [m for _, m in self.models(NotificationPolicy)]

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
            # The folder is resolved, not the file: a link is shown where it is, and a
            # link loop is not followed at all.
            where = path.absolute().parent.resolve() / path.name
            return where.relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return path.as_posix()

    def discover(self) -> list[Path]:
        return [Path(path) for _, path in self._walk()]

    def _walk(self) -> list[tuple[str, str]]:
        """(display path, file system path) of each YAML file in the document folders.

        Strings, not ``Path``s, and no ``resolve()`` per file: for thousands of files
        those cost more than parsing them.
        """
        found: list[tuple[str, str]] = []
        root = os.fspath(self.root)
        config = f"{root}{os.sep}{CONFIG_FILE}"
        if (self.root / CONFIG_FILE).is_file():  # the configuration is validated like any document
            found.append((CONFIG_FILE, config))
        for name in self.roots:
            for dirpath, dirnames, filenames in os.walk(self.root / name):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                prefix = os.path.relpath(dirpath, root).replace(os.sep, "/") + "/"
                found.extend(
                    (prefix + f, f"{dirpath}{os.sep}{f}")
                    for f in sorted(filenames)
                    if f.endswith(YAML_SUFFIXES)
                )
        return found

    def expand(self, paths: Iterable[Path]) -> list[Path]:
        """Files named, and YAML files inside folders named; a missing path is a usage error."""
        result: list[Path] = []
        for path in paths:
            if path.is_dir() and not path.is_symlink():
                # Links, FIFOs and devices are kept: loading them says what they are.
                result.extend(
                    sorted(
                        p
                        for p in path.rglob("*")
                        if p.suffix in YAML_SUFFIXES and (p.is_symlink() or not p.is_dir())
                    )
                )
            elif path.is_symlink() or path.exists():
                result.append(path)
            else:
                raise UsageError(f"{path}: no such file or folder: check the path")
        return result

    def load(self, paths: Iterable[Path] | None = None) -> Workspace:
        """Load every document, or the named ones plus every policy for context."""
        every = self._walk()
        if paths is None:
            wanted = every
            context: list[tuple[str, str]] = []
        else:
            wanted = [(self.display(p), os.fspath(p)) for p in self.expand(paths)]
            named = {shown for shown, _ in wanted}
            context = [
                (shown, path)
                for shown, path in every
                if shown not in named and not _INCIDENT_FILE.match(shown.rpartition("/")[2])
            ]
        targets = [self._parse(shown, path) for shown, path in wanted]
        documents = targets + [self._parse(shown, path) for shown, path in context]
        incident_files: dict[str, list[str]] = defaultdict(list)
        rca_files: dict[str, list[str]] = defaultdict(list)
        for shown in dict.fromkeys(shown for shown, _ in [*every, *wanted]):
            match = _INCIDENT_FILE.match(shown.rpartition("/")[2])
            if match:
                index = rca_files if match.group(2) else incident_files
                index[match.group(1)].append(shown)
        return Workspace(self.root, documents, targets, dict(incident_files), dict(rca_files))

    def _parse(self, display: str, path: str) -> SourceDocument:
        try:
            raw = read_regular(path)
        except NotRegularFile as error:
            return SourceDocument(display, "", problems=[not_regular(display, error)])
        except OSError as error:
            raise UsageError(f"{display}: cannot read: {error.strerror}") from None
        return parse_document(display, raw)


def not_regular(display: str, error: NotRegularFile) -> Problem:
    """The problem of a document path that is not a regular file."""
    return Problem(
        display,
        1,
        1,
        "error",
        "file-type",
        f"this is {error.what}, not a regular file: documents are regular files inside "
        "the repository; put the document itself here",
    )
