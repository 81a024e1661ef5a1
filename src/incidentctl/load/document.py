"""One YAML file read into one document model, with lazy line and column lookup."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from pydantic import ValidationError

from incidentctl.load.errors import Loc, describe
from incidentctl.load.yamlio import (
    Versions,
    YamlProblem,
    decode,
    file_position,
    load_text,
    located_load,
    walk_locations,
)
from incidentctl.model import CONFIG_FILE, DOCUMENT_KINDS, MODEL_BY_KIND, Document
from incidentctl.model.types import API_VERSION, shown
from incidentctl.problems import Level, Problem


@dataclass(eq=False)
class SourceDocument:
    """A file and what was made of it: the model, or the problems that stopped it.

    ``locate`` parses the file again with ruamel.yaml round-trip the first time a
    location is needed, so clean files never pay for it.
    """

    path: str
    text: str
    data: Any = None
    model: Document | None = None
    problems: list[Problem] = field(default_factory=list)
    _tree: Any = None

    @property
    def kind(self) -> str | None:
        return self.data.get("kind") if isinstance(self.data, dict) else None

    @property
    def stem(self) -> str:
        """The id a file name gives: ``INC-2026-0042`` for both the incident and its RCA."""
        name = PurePosixPath(self.path).name
        for suffix in (".rca.yaml", ".rca.yml", ".yaml", ".yml"):
            if name.endswith(suffix):
                return name[: -len(suffix)]
        return name

    def locate(self, loc: Loc) -> tuple[int, int]:
        if self._tree is None:
            try:
                self._tree = located_load(self.text)
            except YamlProblem as problem:
                return problem.line, problem.col
        return file_position(self.text, *walk_locations(self._tree, loc))

    def problem(self, rule: str, message: str, loc: Loc = (), level: Level = "error") -> Problem:
        line, col = self.locate(loc)
        return Problem(self.path, line, col, level, rule, message)


def parse_document(path: str, raw: bytes, versions: Versions | None = None) -> SourceDocument:
    """Read one file: bytes, YAML, ``apiVersion``/``kind`` dispatch, the model.

    ``versions`` reuses what earlier versions of the file parsed to (see ``Versions``).
    """
    doc = SourceDocument(path=path, text="")
    kinds = ("Config",) if path == CONFIG_FILE else DOCUMENT_KINDS
    try:
        doc.text = decode(raw)
        doc.data = load_text(doc.text, None if versions is None else (versions, path))
    except YamlProblem as problem:
        doc.problems.append(
            Problem(path, problem.line, problem.col, "error", problem.rule, problem.message)
        )
        return doc
    data = doc.data
    if not isinstance(data, dict):
        what = (
            "empty"
            if data is None
            else "a list"
            if isinstance(data, list)
            else f"a single value ({shown(data)})"
        )
        doc.problems.append(
            doc.problem(
                "document",
                f"the document is {what}: it must be a mapping that starts with "
                f"apiVersion: {API_VERSION} and kind: one of {', '.join(kinds)}",
            )
        )
        return doc
    version = data.get("apiVersion")
    if version != API_VERSION:
        message = (
            f"missing apiVersion: add apiVersion: {API_VERSION} as the first line"
            if version is None
            else f"apiVersion {shown(version)} is not supported: use {API_VERSION}"
        )
        doc.problems.append(doc.problem("api-version", message, ("apiVersion",)))
        return doc
    kind = data.get("kind")
    model = MODEL_BY_KIND.get(kind) if isinstance(kind, str) and kind in kinds else None
    if model is None:
        close = difflib.get_close_matches(str(kind), kinds, n=1, cutoff=0.6)
        message = (
            f"missing kind: add kind: one of {', '.join(kinds)}"
            if kind is None
            else f"kind {shown(kind)} is not one of {', '.join(kinds)}"
            + (f": did you mean {close[0]}?" if close else "")
        )
        doc.problems.append(doc.problem("kind", message, ("kind",)))
        return doc
    try:
        doc.model = model.model_validate(data)
    except ValidationError as error:
        for loc, message in describe(model, data, error):
            doc.problems.append(doc.problem("schema", message, loc))
    return doc
