"""Reading YAML: a fast path for clean files and a located path for the rest.

Round-trip parsing with ruamel.yaml is an order of magnitude slower than libyaml, so
a clean file is read with PyYAML's ``CSafeLoader`` (with YAML 1.2 core-schema
resolution, duplicate keys refused, timestamps left as text for the models to parse).
Only when something is wrong, or a location is asked for, is the file parsed again
with ruamel.yaml, whose node ``lc`` information gives line and column.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import yaml
from yaml._yaml import CParser
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, NodeEvent

MAX_BYTES = 1024 * 1024


@dataclass(frozen=True, slots=True)
class YamlProblem(Exception):
    """A file that cannot be read as one YAML document; 1-based position."""

    line: int
    col: int
    rule: str
    message: str


# -- the fast path ----------------------------------------------------------------------


class _CoreResolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core schema: only true/false are booleans, no sexagesimals, no timestamps."""


_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"),
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)
_CoreResolver.add_implicit_resolver(
    "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]
)


class _Unclean(Exception):
    """Raised inside the fast loader: let the located path explain what is wrong."""


class _FastLoader(CParser, yaml.constructor.SafeConstructor, _CoreResolver):  # type: ignore[misc,name-defined]
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        yaml.constructor.SafeConstructor.__init__(self)
        _CoreResolver.__init__(self)

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        if node in self.constructed_objects:  # an alias: refused, and never expanded
            raise _Unclean
        return super().construct_object(node, deep=deep)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        keys = [k.value for k, _ in node.value]
        if len(set(keys)) != len(keys) or any(k.tag == "tag:yaml.org,2002:merge" for k, _ in node.value):
            raise _Unclean
        return super().construct_mapping(node, deep=deep)


def fast_load(text: str) -> Any:
    """Parse a clean file quickly, or raise ``_Unclean`` (or a YAML error) if it is not."""
    if "&" in text or "*" in text:
        # Anchors and aliases are refused; only files that could hold them pay for a look.
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                raise _Unclean
    loader = _FastLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


# -- the located path ------------------------------------------------------------------


def _rt() -> YAML:
    rt = YAML(typ="rt")
    rt.allow_duplicate_keys = False
    return rt


def _mark(error: MarkedYAMLError) -> tuple[int, int]:
    mark = error.problem_mark or error.context_mark
    if mark is None:
        return 1, 1
    return mark.line + 1, mark.column + 1


def located_load(text: str) -> Any:
    """Parse with ruamel.yaml round-trip, raising ``YamlProblem`` with a position if needed."""
    rt = _rt()
    try:
        for event in rt.parse(io.StringIO(text)):
            if isinstance(event, AliasEvent) or (
                isinstance(event, NodeEvent) and event.anchor is not None
            ):
                line, col = event.start_mark.line + 1, event.start_mark.column + 1
                raise YamlProblem(
                    line, col, "yaml-anchor",
                    "anchors and aliases (&name, *name) are not allowed: write the value out",
                )
        documents = list(rt.load_all(io.StringIO(text)))
    except MarkedYAMLError as error:
        line, col = _mark(error)
        what = (error.problem or str(error)).strip()
        if "duplicate key" in what or "found duplicate key" in str(error):
            key = re.search(r'duplicate key "?([^"\n]*)"?', str(error))
            name = key.group(1) if key else ""
            raise YamlProblem(
                line, col, "yaml-duplicate-key",
                f"duplicate key {name!r}: each key may appear once in a mapping",
            ) from None
        raise YamlProblem(line, col, "yaml-syntax", f"invalid YAML: {what}") from None
    except YAMLError as error:
        raise YamlProblem(1, 1, "yaml-syntax", f"invalid YAML: {error}") from None
    if len(documents) != 1 or documents[0] is None:
        if not documents or documents[0] is None and len(documents) <= 1:
            raise YamlProblem(1, 1, "yaml-empty", "the file holds no YAML document")
        second = _second_document_line(text)
        raise YamlProblem(
            second, 1, "yaml-multiple-documents",
            "the file holds more than one YAML document: keep one document per file",
        )
    return documents[0]


def _second_document_line(text: str) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("---"):
            seen += 1
            if seen == 2 or (seen == 1 and number > 1 and _has_content_before(text, number)):
                return number
    return 1


def _has_content_before(text: str, number: int) -> bool:
    return any(
        line.strip() and not line.lstrip().startswith("#")
        for line in text.splitlines()[: number - 1]
    )


def decode(raw: bytes) -> str:
    """Bytes to text, or ``YamlProblem`` for oversized or non-UTF-8 files."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(
            1, 1, "file-too-large",
            f"the file is {len(raw)} bytes; documents are limited to {MAX_BYTES} bytes (1 MiB)",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line = before.count(b"\n") + 1
        col = len(before) - (before.rfind(b"\n") + 1) + 1
        raise YamlProblem(
            line, col, "encoding",
            f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02x}): save it as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def load_text(text: str) -> Any:
    """The document's plain data: dicts, lists, str, int, float, bool, None."""
    try:
        return fast_load(text)
    except (_Unclean, yaml.YAMLError):
        pass
    return to_plain(located_load(text))


def to_plain(value: Any) -> Any:
    """ruamel.yaml's round-trip containers and scalars to plain Python values."""
    from datetime import date, datetime

    if isinstance(value, dict):
        return {to_plain(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, datetime | date):
        # The fast path leaves timestamps as text; do the same here so both paths agree.
        return _timestamp_text(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _timestamp_text(value: Any) -> str:
    # ruamel.yaml's TimeStamp carries the offset it was written with in tzinfo.
    return str(value.isoformat())


def walk_locations(tree: Any, loc: tuple[str | int, ...]) -> tuple[int, int]:
    """The 1-based position of the deepest part of ``loc`` that exists in a round-trip tree.

    A key points at the key; a list index at the item; a missing key at its parent's key.
    """
    line, col = 1, 1
    node = tree
    for part in loc:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict) and part in node and lc is not None:
            pos = lc.key(part) if hasattr(lc, "key") else None
            if pos is not None:
                line, col = pos[0] + 1, pos[1] + 1
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            if lc is not None:
                pos = lc.item(part)
                if pos is not None:
                    line, col = pos[0] + 1, pos[1] + 1
            node = node[part]
        else:
            break
    return line, col


