"""Reading YAML: a fast path for clean files and a located path for the rest.

Round-trip parsing with ruamel.yaml is an order of magnitude slower than libyaml, so
a clean file is composed by libyaml (PyYAML's ``CParser``) with YAML 1.2 core-schema
resolution and turned into plain values by a small constructor of our own: duplicate
keys, anchors, aliases, merge keys, tags and non-text keys are not "clean", timestamps
are left as text for the models to parse. Only when something is wrong, or a location
is asked for, is the file parsed again with ruamel.yaml, whose node ``lc`` information
gives line and column.

Hostile input is bounded before anything is composed: files over 1 MiB are refused,
and anchors (a "billion laughs" alias bomb) and nesting deeper than ``MAX_DEPTH`` are
found by a streaming scan of parser events that stops at the first offence.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import yaml
from yaml._yaml import CParser

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

MAX_BYTES = 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 20_000
"""Keys, values and items of one document. A long incident has a few thousand; the
located path (ruamel.yaml, pydantic, a message per unknown key) takes some seconds per
ten thousand, so a file made of nothing else is refused before it is composed."""
"""Documents need a handful of levels; deeper nesting is refused before it is composed
(libyaml's composer recurses in C and a deep enough file would crash the process)."""


class YamlProblem(Exception):
    """A file that cannot be read as one YAML document; 1-based position."""

    def __init__(self, line: int, col: int, rule: str, message: str) -> None:
        super().__init__(line, col, rule, message)
        self.line = line
        self.col = col
        self.rule = rule
        self.message = message

    def __str__(self) -> str:
        return f"{self.line}:{self.col}: {self.rule} {self.message}"


_ANCHOR_MESSAGE = "anchors and aliases (&name, *name) are not allowed: write the value out"
_NODES_MESSAGE = (
    f"the document holds more than {MAX_NODES} keys, values and list items: documents "
    "need a few hundred; split it, or link to long material instead of pasting it"
)
_DEPTH_MESSAGE = (
    f"the document is nested more than {MAX_DEPTH} levels deep: documents need only a "
    "few levels, so check the indentation and brackets"
)

# -- the fast path ----------------------------------------------------------------------

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_CORE_TAGS = frozenset({_STR, _INT, _FLOAT, _BOOL, _NULL, _SEQ, _MAP})
_PLAIN = "?plain"
"""The tag the fast path gives an untagged plain scalar: resolved only when it is a
value (a key is the text as written), which halves the work of resolution."""
_KEY_TAGS = frozenset({_PLAIN, _STR, _INT, _FLOAT, _BOOL, _NULL})

# YAML 1.2 core schema: only true/false are booleans, no sexagesimals, no timestamps.
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_BOOLS = {"true": True, "True": True, "TRUE": True, "false": False, "False": False,
          "FALSE": False}  # fmt: skip
_INT_RE = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)


class _Unclean(Exception):
    """Raised by the fast path: let the located path explain what is wrong."""


class _Composer(CParser):
    """libyaml's parser and composer, with the cheapest possible resolver.

    libyaml calls ``resolve`` for every node; it only tells plain scalars (resolved
    later by ``_plain``) from quoted ones, which are text.
    """

    def resolve(self, kind: Any, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass  # no path resolvers

    def ascend_resolver(self) -> None:
        pass


def _plain(value: str) -> Any:
    """An untagged plain scalar's value under the YAML 1.2 core schema."""
    if value in _NULLS:
        return None
    first = value[0]
    if first in "-+.0123456789":
        if _INT_RE.fullmatch(value):
            try:
                return _int(value)
            except ValueError:
                return value  # over Python's 4300 digits: the model refuses it as it is
        if _FLOAT_RE.fullmatch(value):
            return _float(value)
    elif first in "tTfF" and value in _BOOLS:
        return _BOOLS[value]
    return value


def _int(text: str) -> int:
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text)  # YAML 1.2: 017 is seventeen, not an octal fifteen


def _float(text: str) -> float:
    special = text.lower().lstrip("+")
    if special == ".inf":
        return math.inf
    if special == "-.inf":
        return -math.inf
    if special == ".nan":
        return math.nan
    return float(text)


def _scalar(tag: str, value: str) -> Any:
    """A scalar with an explicit core tag (``!!str 5``)."""
    if tag == _STR:
        return value
    if tag == _NULL:
        return None
    if tag == _INT:
        return _int(value)
    if tag == _FLOAT:
        return _float(value)
    if tag == _BOOL and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _Unclean


def _construct(node: Any) -> Any:
    """Plain values from a composed node; ``_Unclean`` for anything but the core schema."""
    cls = node.__class__
    tag = node.tag
    if cls is yaml.ScalarNode:
        if tag == _PLAIN:
            return _plain(node.value)
        return node.value if tag == _STR else _scalar(tag, node.value)
    if cls is yaml.MappingNode and tag == _MAP:
        mapping: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if (
                key_node.__class__ is not yaml.ScalarNode
                or key_node.tag not in _KEY_TAGS
                # an explicit tag on a key (only a quoted key is text without being plain)
                or (key_node.tag != _PLAIN and not (key_node.tag == _STR and key_node.style))
                or (key_node.tag == _PLAIN and key_node.value == "<<")
            ):
                raise _Unclean  # a list or mapping as a key, a tag, a merge key
            key: str = key_node.value
            if (
                key_node.tag == _PLAIN
                and (not key or key[0] in _NOT_TEXT_KEY)
                and not isinstance(_plain(key), str)
            ):
                # ``1:``, ``0o17:``, ``True:`` (keys are never numbers in documents):
                # ruamel.yaml names such keys by value, so the located path decides
                raise _Unclean
            if key in mapping:
                raise _Unclean
            mapping[key] = _construct(value_node)
        return mapping
    if cls is yaml.SequenceNode and tag == _SEQ:
        return [_construct(item) for item in node.value]
    raise _Unclean


# Anchors and aliases start a node: at a line start, after white space, or after a flow
# indicator. Text like "R&D" never matches; "*bold*" does, and only costs a scan.
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[{,])[&*][^\s\[\]{},]", re.MULTILINE)
# Block nesting needs indentation or "- "/"? " prefixes: fewer than 30 such columns
# and fewer than 30 brackets keep any document well inside MAX_DEPTH.
_MAYBE_DEEP = re.compile(r"\n[ ?-]{30}")


def _start(event: Any) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _prescan(text: str) -> None:
    """Refuse anchors, aliases, deep nesting and too many nodes from parser events,
    composing nothing."""
    depth = nodes = 0
    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        cls = event.__class__
        if cls is yaml.AliasEvent or getattr(event, "anchor", None) is not None:
            raise YamlProblem(*_start(event), "yaml-anchor", _ANCHOR_MESSAGE)
        if (
            cls is yaml.ScalarEvent
            or cls is yaml.MappingStartEvent
            or cls is yaml.SequenceStartEvent
        ):
            nodes += 1
            if nodes > MAX_NODES:
                raise YamlProblem(*_start(event), "yaml-size", _NODES_MESSAGE)
        if cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlProblem(*_start(event), "yaml-depth", _DEPTH_MESSAGE)
        elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
            depth -= 1


def _needs_prescan(text: str) -> bool:
    return (
        text.count("[") + text.count("{") > 30
        # a line holds at most ~30 nodes but for flow collections, whose items need commas
        or (text.count("\n") + text.count(",")) * 32 > MAX_NODES
        or _MAYBE_DEEP.search(text) is not None
        or _MAYBE_DEEP.match("\n" + text[:30]) is not None
        or (("&" in text or "*" in text) and _MAYBE_ANCHOR.search(text) is not None)
    )


_NOT_TEXT_KEY = frozenset("-+.0123456789tTfFnN~")
# A quote then a colon: libyaml takes a value right after a quoted key in a flow
# collection (``["a":]``), ruamel.yaml does not.
_STEP_ASIDE = re.compile("[\t\x85\u2028\u2029\ufeff]|[\"']:")


def fast_load(text: str) -> Any:
    """Parse a clean file quickly; ``_Unclean`` or a PyYAML error if it is not clean.

    ``YamlProblem`` for anchors and deep nesting, which are never composed.
    """
    if _STEP_ASIDE.search(text) is not None or text.startswith("%") or "\n%" in text:
        # libyaml and ruamel.yaml disagree on tabs (libyaml takes one inside a flow list),
        # on NEL and the Unicode line separators (line breaks to one, text to the other),
        # on a byte order mark after the start (skipped by one at a line's start) and on
        # directives (ruamel.yaml switches to YAML 1.1): the located path decides.
        raise _Unclean
    if _needs_prescan(text):
        try:
            _prescan(text)
        except YamlProblem as problem:
            line, col = file_position(text, problem.line, problem.col)
            raise YamlProblem(line, col, problem.rule, problem.message) from None
    composer = _Composer(text)
    try:
        node = composer.get_single_node()
    finally:
        composer.dispose()
    if node is None:
        return None
    try:
        return _construct(node)
    except (ValueError, OverflowError):
        raise _Unclean from None  # an explicit !!int or !!float that is not a number


# -- versions of one file, block by block -------------------------------------------------

# What starts a line, for the lines that start with neither a space, a comment nor a
# break: a plain top-level key (1), a block sequence item (2), anything else (neither).
_LINE_START = re.compile(
    r"^(?:([A-Za-z0-9_][A-Za-z0-9_.-]*):(?= |\n|$)|(-)(?= |\n|$)|[^ \n#])", re.M
)
# Blank lines and comments only.
_NOTHING = re.compile(r"(?:[ ]*(?:#[^\n]*)?\n)*[ ]*(?:#[^\n]*)?")
# Line breaks other than \n (libyaml takes NEL, LS and PS as breaks too): not split here.
_OTHER_BREAKS = re.compile("[\r\x85\u2028\u2029]")
_ENTRY = re.compile(r"( *)-(?= |\n|$)")
_ENTRIES: dict[int, re.Pattern[str]] = {}


def _entries(indent: int) -> re.Pattern[str]:
    found = _ENTRIES.get(indent)
    if found is None:
        found = _ENTRIES[indent] = re.compile(rf"^ {{{indent}}}-(?= |\n|$)", re.M)
    return found


class _NotSplit(Exception):
    """A document the block path does not take: the whole is parsed instead."""


class Versions:
    """Parses the successive versions of files, each block parsed once.

    Successive versions of an incident repeat most of its top-level keys and of its
    list items (updates, defects, links) word for word. A clean document whose top
    level is a block mapping of plain keys is cut at each key, and a key whose value is
    a block sequence at each item; a block whose text the previous version of the same
    file had is not parsed again. Only blocks that stand on their own are cut out: a
    document with anything else at the start of a line (a flow collection or quoted
    text running on, a document marker, a complex key), with duplicate keys, or one
    that ``fast_load`` would scan for anchors or size, is parsed whole, as is any
    document with a block that does not parse on its own; so the result is always what
    ``fast_load`` gives for the whole text. Values are shared between versions: they
    must not be changed.
    """

    FILES = 512
    """Files whose last version's blocks are kept, the most recently parsed: a history
    touches a few hundred incidents at a time, and keeping every file's would hold a
    copy of the whole repository's text."""

    def __init__(self) -> None:
        self._blocks: dict[str, dict[str, Any]] = {}  # path -> its last version's blocks

    def load(self, path: str, text: str) -> Any:
        """``fast_load(text)``, reusing what the last version of ``path`` parsed."""
        known = self._blocks.pop(path, {})
        if len(self._blocks) >= self.FILES:
            del self._blocks[next(iter(self._blocks))]  # the least recently parsed
        seen: dict[str, Any] = {}
        try:
            value = self._split_load(text, known, seen)
        except (_NotSplit, _Unclean, YamlProblem, yaml.YAMLError, ValueError, OverflowError):
            return fast_load(text)
        self._blocks[path] = seen
        return value

    def _split_load(self, text: str, known: dict[str, Any], seen: dict[str, Any]) -> Any:
        if (
            "\t" in text
            or _OTHER_BREAKS.search(text) is not None
            or _needs_prescan(text)
            or text.startswith("%")
            or "\n%" in text
        ):
            raise _NotSplit
        keys: list[str] = []
        starts: list[int] = []
        for match in _LINE_START.finditer(text):
            key = match.group(1)
            if key is not None:
                keys.append(key)
                starts.append(match.start())
            elif match.group(2) is None or not keys:
                raise _NotSplit  # not a key nor an item of one, or before the first key
        if not keys or len(set(keys)) != len(keys) or not _NOTHING.fullmatch(text, 0, starts[0]):
            raise _NotSplit
        starts[0] = 0  # comments above the first key go with it
        ends = [*starts[1:], len(text)]
        return {
            key: self._value(key, text[begin:end], known, seen)
            for key, begin, end in zip(keys, starts, ends, strict=True)
        }

    def _value(self, key: str, text: str, known: dict[str, Any], seen: dict[str, Any]) -> Any:
        """The value of one top-level key, from its text; a block sequence item by item."""
        head = f"{key}:\n"
        if not text.startswith(head) or text in seen or text in known:
            return self._block(key, text, known, seen)
        body = text[len(head) :]
        position = 0
        while True:  # the first line with content tells whether the value is a sequence
            end = body.find("\n", position)
            line = body[position:] if end < 0 else body[position : end + 1]
            stripped = line.strip()
            if stripped and not stripped.startswith("#"):
                break
            if end < 0:
                return self._block(key, text, known, seen)
            position = end + 1
        entry = _ENTRY.match(line)
        if entry is None:
            return self._block(key, text, known, seen)
        starts = [m.start() for m in _entries(len(entry.group(1))).finditer(body)]
        starts[0] = 0  # blank lines and comments before the first item go with it
        items = []
        for begin, end in zip(starts, [*starts[1:], len(body)], strict=True):
            value = self._block(key, head + body[begin:end], known, seen)
            if not isinstance(value, list) or len(value) != 1:
                raise _NotSplit
            items.append(value[0])
        seen[text] = items
        return items

    def _block(self, key: str, text: str, known: dict[str, Any], seen: dict[str, Any]) -> Any:
        if text in seen:
            return seen[text]
        if text in known:
            value = known[text]
        else:
            parsed = fast_load(text)
            if not isinstance(parsed, dict) or list(parsed) != [key]:
                raise _NotSplit
            value = parsed[key]
        seen[text] = value
        return value


# -- the located path ------------------------------------------------------------------
# ruamel.yaml is imported here only: validating clean files never loads it.


class RawScalar(str):
    """A plain scalar ruamel.yaml resolves but cannot convert, kept as the text written:
    a timestamp such as ``2026-11-31T10:00:00Z`` or ``2026-11-21 25:00:00``, an integer
    over Python's 4300 digits. The fast path keeps such values as text too; the model then
    says what is wrong with them, and where. ``tag`` is what the scalar resolves to, so
    that it is written back as it was, unquoted."""

    tag: str


def lenient_constructor() -> type[Any]:
    """ruamel.yaml's round-trip constructor, turning what it cannot convert into
    ``RawScalar`` instead of raising ``ValueError`` (which knows no position)."""
    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.nodes import ScalarNode

    class LenientConstructor(RoundTripConstructor):
        def construct_non_recursive_object(self, node: Any, tag: str | None = None) -> Any:
            if (
                isinstance(node, ScalarNode)
                and node.style is None
                and "_" in node.value
                and str(node.tag) in (_INT, _FLOAT)
                and getattr(node.ctag, "handle", None) is None
            ):
                # ``2021_00025``: ruamel.yaml takes digit separators as YAML 1.1 did; the
                # 1.2 core schema, and so the fast path, reads text
                raw = RawScalar(node.value)
                raw.tag = str(node.tag)
                return raw
            try:
                return super().construct_non_recursive_object(node, tag)
            except ValueError:
                if not isinstance(node, ScalarNode):
                    raise
                raw = RawScalar(node.value)
                raw.tag = str(node.tag)
                return raw

    return LenientConstructor


_TIMESTAMP = "tag:yaml.org,2002:timestamp"


def _rt() -> YAML:
    from ruamel.yaml import YAML
    from ruamel.yaml.nodes import ScalarNode

    class TextTimestamps(lenient_constructor()):  # type: ignore[misc]
        """Timestamps as the text written, as the fast path keeps them (a datetime would
        come back as ``+00:00`` where the file says ``Z``)."""

        def construct_non_recursive_object(self, node: Any, tag: str | None = None) -> Any:
            if isinstance(node, ScalarNode) and str(node.tag) == _TIMESTAMP:
                return str(node.value)
            return super().construct_non_recursive_object(node, tag)

    rt = YAML(typ="rt")
    rt.Constructor = TextTimestamps
    rt.allow_duplicate_keys = False
    return rt


def _check_events(events: Iterable[Any]) -> None:
    """What the fast path refuses, found in ruamel.yaml's events with its position."""
    from ruamel.yaml.events import (
        AliasEvent,
        CollectionEndEvent,
        CollectionStartEvent,
        MappingStartEvent,
        NodeEvent,
        ScalarEvent,
    )

    open_collections: list[list[int]] = []  # per collection: [is a mapping, children]
    nodes = 0
    for event in events:
        if isinstance(event, CollectionEndEvent):
            open_collections.pop()
            if open_collections:
                open_collections[-1][1] += 1
            continue
        if not isinstance(event, NodeEvent):
            continue
        line, col = _start(event)
        nodes += 1
        if nodes > MAX_NODES:
            raise YamlProblem(line, col, "yaml-size", _NODES_MESSAGE)
        parent = open_collections[-1] if open_collections else None
        is_key = parent is not None and parent[0] == 1 and parent[1] % 2 == 0
        if isinstance(event, AliasEvent) or event.anchor is not None:
            raise YamlProblem(line, col, "yaml-anchor", _ANCHOR_MESSAGE)
        tag = getattr(event, "tag", None)
        if tag is not None and str(tag) != "!":
            _check_tag(event, str(tag), line, col)
        if is_key and isinstance(event, CollectionStartEvent):
            raise YamlProblem(
                line,
                col,
                "yaml-key",
                "a key must be text, not a list or mapping: write key: value",
            )
        if is_key and isinstance(event, ScalarEvent) and event.value == "<<" and not event.style:
            raise YamlProblem(
                line,
                col,
                "yaml-merge-key",
                "merge keys (<<) are not allowed: write the keys out",
            )
        if isinstance(event, CollectionStartEvent):
            open_collections.append([int(isinstance(event, MappingStartEvent)), 0])
            if len(open_collections) > MAX_DEPTH:
                raise YamlProblem(line, col, "yaml-depth", _DEPTH_MESSAGE)
        elif parent is not None:
            parent[1] += 1


def _check_tag(event: Any, tag: str, line: int, col: int) -> None:
    """An explicit tag is allowed only where the fast path reads it the same way: a core
    tag on a node of its kind, with a value that the tag can hold."""
    from ruamel.yaml.events import MappingStartEvent, ScalarEvent, SequenceStartEvent

    shown_tag = tag.replace("tag:yaml.org,2002:", "!!")
    if tag not in _CORE_TAGS:
        raise YamlProblem(
            line,
            col,
            "yaml-tag",
            f"the tag {shown_tag} is not allowed: remove it; values are text, numbers, "
            "true/false, null, lists and mappings",
        )
    fits = (
        tag == _SEQ
        if isinstance(event, SequenceStartEvent)
        else tag == _MAP
        if isinstance(event, MappingStartEvent)
        else tag not in (_SEQ, _MAP)
    )
    if not fits:
        raise YamlProblem(
            line, col, "yaml-tag", f"the tag {shown_tag} does not fit this value: remove it"
        )
    if isinstance(event, ScalarEvent):
        try:
            _scalar(tag, event.value)
        except (_Unclean, ValueError, OverflowError):
            raise YamlProblem(
                line,
                col,
                "yaml-tag",
                f"{_short(event.value)} is not a valid {shown_tag} value: remove the tag, "
                "or write the value the tag asks for",
            ) from None


def _short(text: str, limit: int = 40) -> str:
    quoted = repr(text)
    return quoted if len(quoted) <= limit else f"{quoted[: limit - 4]}...{quoted[-1]}"


def _position(text: str, index: int) -> tuple[int, int]:
    """1-based line and column of a character index."""
    index = max(0, min(index, len(text)))
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


# A line feed ends a line of the file, as editors, grep and Git count them. The parsers
# also break lines at a carriage return that no line feed follows, and libyaml at NEL
# and the Unicode line and paragraph separators too.
NEWLINE = re.compile("\r\n|[\r\n]")
LIBYAML_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def file_position(
    text: str, line: int, col: int, breaks: re.Pattern[str] = NEWLINE
) -> tuple[int, int]:
    """A parser's 1-based line and column (lines as ``breaks`` ends them) as the line and
    column in the file (lines ending at line feeds)."""
    if "\r" not in text and (breaks is NEWLINE or not LIBYAML_BREAK.search(text)):
        return line, col
    start = 0
    if line > 1:
        for number, match in enumerate(breaks.finditer(text), start=2):
            start = match.end()
            if number == line:
                break
    return _position(text, start + col - 1)


_SYNTAX_HINTS: tuple[tuple[str, str], ...] = (
    ("'\\t'", "indent with spaces, not tabs"),
    ("quoted scalar", "close the quotes"),
    ("mapping values are not allowed", "quote a value that contains ': ', or fix the indentation"),
    ("expected ',' or ']'", "close the list with ] or separate its items with commas"),
    ("expected ',' or '}'", "close the mapping with } or separate its entries with commas"),
    ("could not find expected ':'", "write key: value, or quote text that contains ': '"),
    (
        "expected <block end>",
        "check the indentation: keys of one mapping, and items of "
        "one list, start in the same column",
    ),
    ("cannot start any token", "quote the value"),
    ("block mapping", "check the indentation"),
    ("block collection", "check the indentation"),
)


def _syntax_message(error: MarkedYAMLError, text: str) -> str:
    problem = " ".join(str(error.problem or error).split())
    context = " ".join(str(error.context or "").split())
    said = f"{problem} {context}"
    hint = next((h for key, h in _SYNTAX_HINTS if key in said), "fix the YAML syntax here")
    mark = error.context_mark
    where = ""
    if context and mark is not None and mark is not error.problem_mark:
        line, col = file_position(text, mark.line + 1, mark.column + 1)
        where = f" ({context} at line {line}, column {col})"
    return f"invalid YAML: {problem}{where}: {hint}"


def located_load(text: str, rt: YAML | None = None) -> Any:
    """Parse with ruamel.yaml round-trip, raising ``YamlProblem`` with a position if needed.

    ``rt`` is the round-trip ``YAML`` to load with; editing passes one configured for
    its layout (it must refuse duplicate keys, as the default one does).
    """
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    from ruamel.yaml.reader import ReaderError

    rt = _rt() if rt is None else rt
    _check_directives(text)
    bom = text.find("\ufeff", 1)
    if bom != -1:
        raise YamlProblem(
            *_position(text, bom),
            "yaml-syntax",
            "invalid YAML: a byte order mark (U+FEFF) inside the file: only the start of a "
            'file may hold one; remove it, or write it as "\\uFEFF" in double quotes',
        )
    try:
        _check_events(rt.parse(io.StringIO(text)))
        documents = list(rt.load_all(io.StringIO(text)))
    except YamlProblem as problem:
        raise YamlProblem(
            *file_position(text, problem.line, problem.col), problem.rule, problem.message
        ) from None
    except ReaderError as error:
        line, col = _position(text, int(error.position))
        code = error.character if isinstance(error.character, int) else 0
        raise YamlProblem(
            line,
            col,
            "yaml-syntax",
            f"invalid YAML: the control character U+{code:04X} is not allowed: remove it, "
            f'or write it as an escape such as "\\x{code:02x}" in double quotes',
        ) from None
    except MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        line, col = file_position(text, line, col)
        if "duplicate key" in str(error.problem):
            key = re.search(r'duplicate key "?([^"\n]*)"?', str(error.problem))
            name = key.group(1) if key else ""
            raise YamlProblem(
                line,
                col,
                "yaml-duplicate-key",
                f"duplicate key {name!r}: each key may appear once in a mapping; "
                "remove or rename one of them",
            ) from None
        raise YamlProblem(line, col, "yaml-syntax", _syntax_message(error, text)) from None
    except YAMLError as error:
        message = " ".join(str(error).split())
        raise YamlProblem(
            1, 1, "yaml-syntax", f"invalid YAML: {message}: fix the YAML syntax"
        ) from None
    except ValueError as error:  # a scalar ruamel.yaml cannot convert, e.g. a huge number
        raise YamlProblem(
            1, 1, "yaml-syntax", f"a value cannot be read ({error}): shorten or quote it"
        ) from None
    except Exception as error:  # ruamel.yaml failing on odd input
        raise YamlProblem(
            1,
            1,
            "yaml-syntax",
            f"invalid YAML: the file cannot be read ({type(error).__name__}): fix the YAML syntax",
        ) from None
    if len(documents) != 1 or documents[0] is None:
        if len(documents) <= 1:
            raise YamlProblem(1, 1, "yaml-empty", "the file holds no YAML document")
        raise YamlProblem(
            _second_document_line(text),
            1,
            "yaml-multiple-documents",
            "the file holds more than one YAML document: keep one document per file",
        )
    return documents[0]


_DIRECTIVE = re.compile(r"^%YAML[ \t]*(\S*)", re.MULTILINE)


def _check_directives(text: str) -> None:
    """Documents are YAML 1.2: a ``%YAML 1.1`` directive would make ruamel.yaml read
    ``yes`` as true (and 1.3 makes it fail)."""
    for match in _DIRECTIVE.finditer(text):
        if match.group(1) != "1.2":
            line, col = _position(text, match.start())
            raise YamlProblem(
                line,
                col,
                "yaml-directive",
                f"%YAML {match.group(1)} is not supported: documents are YAML 1.2; remove the line",
            )


def _second_document_line(text: str) -> int:
    lines = text.split("\n")
    seen = 0
    for number, line in enumerate(lines, start=1):
        if line.startswith(("---", "...")):
            seen += 1
            if seen == 2 or (seen == 1 and _has_content_before(lines, number)):
                return number
    return 1


def _has_content_before(lines: list[str], number: int) -> bool:
    return any(
        line.strip() and not line.lstrip().startswith(("#", "%")) for line in lines[: number - 1]
    )


def decode(raw: bytes) -> str:
    """Bytes to text, or ``YamlProblem`` for oversized or non-UTF-8 files."""
    if len(raw) > MAX_BYTES:
        raise YamlProblem(
            1,
            1,
            "file-too-large",
            f"the file is {len(raw)} bytes, over the limit of {MAX_BYTES} bytes (1 MiB): "
            "shorten it, e.g. link to long logs instead of pasting them",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start]
        line_start = before.rfind(b"\n") + 1
        line = before.count(b"\n") + 1
        col = len(before[line_start:].decode("utf-8", errors="replace")) + 1
        raise YamlProblem(
            line,
            col,
            "encoding",
            f"the file is not valid UTF-8 (byte 0x{raw[error.start]:02x}): save it as UTF-8",
        ) from None
    return text.removeprefix("\ufeff")


def load_text(text: str, versions: tuple[Versions, str] | None = None) -> Any:
    """The document's plain data: dicts with text keys, lists, str, int, float, bool, None.

    ``YamlProblem`` if the text is not one clean YAML document. With ``versions``
    (a ``Versions`` and the file's path), blocks of the file's last version are reused.
    """
    try:
        if versions is not None:
            return versions[0].load(versions[1], text)
        return fast_load(text)
    except (_Unclean, yaml.YAMLError):
        pass
    tree = located_load(text)
    try:
        return to_plain(tree)
    except YamlProblem as problem:  # a key written twice, once quoted
        line, col = file_position(text, problem.line, problem.col)
        raise YamlProblem(line, col, problem.rule, problem.message) from None


def key_text(key: Any) -> str:
    """A mapping key as the fast path reads it: the text as written."""
    if isinstance(key, str):
        return str(key)
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(key)


def to_plain(value: Any) -> Any:
    """ruamel.yaml's round-trip containers and scalars to plain Python values."""
    from datetime import date, datetime

    from ruamel.yaml.comments import TaggedScalar

    if isinstance(value, dict):
        plain: dict[str, Any] = {}
        for key, item in value.items():
            text = key_text(key.value if isinstance(key, TaggedScalar) else key)
            if text in plain:
                line, col = _key_position(value, key)
                raise YamlProblem(
                    line,
                    col,
                    "yaml-duplicate-key",
                    f"duplicate key {text!r}: each key may appear once in a mapping; "
                    "remove or rename one of them",
                )
            plain[text] = to_plain(item)
        return plain
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, TaggedScalar):  # an explicit !!str
        return str(value.value if value.value is not None else "")
    if isinstance(value, datetime | date):
        # The fast path leaves timestamps as text; do the same here so both paths agree.
        return value.isoformat()
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return value


def _key_position(mapping: Any, key: Any) -> tuple[int, int]:
    lc = getattr(mapping, "lc", None)
    pos = lc.key(key) if lc is not None else None
    return (pos[0] + 1, pos[1] + 1) if pos is not None else (1, 1)


def walk_locations(tree: Any, loc: tuple[str | int, ...]) -> tuple[int, int]:
    """The 1-based position of the deepest part of ``loc`` that exists in a round-trip tree.

    A key points at the key; a list index at the item; a missing key at its parent's key.
    """
    line, col = 1, 1
    root_lc = getattr(tree, "lc", None)
    if isinstance(tree, dict) and tree and root_lc is not None:
        # a key missing at the top is reported at the document's first key, not at a
        # comment line above it
        first = root_lc.key(next(iter(tree)))
        if first is not None:
            line, col = first[0] + 1, first[1] + 1
    node = tree
    for part in loc:
        lc = getattr(node, "lc", None)
        if isinstance(node, dict):
            key: Any = part
            if part not in node:
                key = next((k for k in node if key_text(k) == part), _MISSING)
                if key is _MISSING:
                    break
            pos = lc.key(key) if lc is not None else None
            if pos is not None:
                line, col = pos[0] + 1, pos[1] + 1
            node = node[key]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            pos = lc.item(part) if lc is not None else None
            if pos is not None:
                line, col = pos[0] + 1, pos[1] + 1
            node = node[part]
        else:
            break
    return line, col


_MISSING = object()
