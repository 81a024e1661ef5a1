"""The one place that knows the canonical YAML layout of documents.

Mappings are indented by 2, sequences sit under their key as ``  - item``, quotes are
kept as written, long text is never re-wrapped, and no anchors or aliases are written.
``fmt`` and every command that rewrites a document go through ``load`` and ``dump``
(by way of ``incidentctl.edit.layout.Edit``), so a file that ``fmt`` wrote stays as it
is through any later edit but for the edit itself.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter

from incidentctl.edit.comments import scan
from incidentctl.load.yamlio import RawScalar, lenient_constructor, located_load

_NULL = "tag:yaml.org,2002:null"
# Wide enough that no scalar is ever folded onto a second line.
WIDTH = 1 << 30


class TimestampText(str):
    """Text written as a plain (unquoted) YAML timestamp, like ``2026-11-22T10:05:00Z``."""

    __slots__ = ()


def timestamp(value: datetime) -> TimestampText:
    """An aware instant as the text documents use: UTC, whole seconds, ``Z``."""
    return TimestampText(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))


class _Representer(RoundTripRepresenter):
    """Round-trip representer with its own registry, so the global one is never touched."""

    def ignore_aliases(self, data: Any) -> bool:
        return True

    def represent_none(self, data: Any) -> ScalarNode:
        # The base class decides between "null" and "" by looking at the objects it has
        # seen for aliasing, which are none when aliases are ignored. A document is a
        # mapping, so a null is never the whole document: ``key:`` it is.
        return self.represent_scalar(_NULL, "")

    def represent_sequence(self, tag: Any, sequence: Any, flow_style: Any = None) -> Any:
        node = super().represent_sequence(tag, sequence, flow_style)
        # A null item is written ``- null``: after a bare ``-`` ruamel.yaml loses the
        # blank lines and comments that follow, so the next run would differ.
        for item in node.value:
            if isinstance(item, ScalarNode) and item.tag == _NULL and item.value == "":
                item.value = "null"
        return node

    def represent_timestamp_text(self, data: TimestampText) -> ScalarNode:
        # Tagged as what it resolves to, so the emitter may leave it unquoted.
        return self.represent_scalar("tag:yaml.org,2002:timestamp", str(data))

    def represent_raw_scalar(self, data: RawScalar) -> ScalarNode:
        # Tagged as it resolves, so that it is written back as it was read: unquoted.
        return self.represent_scalar(data.tag, str(data))


_Representer.add_representer(type(None), _Representer.represent_none)
_Representer.add_representer(TimestampText, _Representer.represent_timestamp_text)
_Representer.add_representer(RawScalar, _Representer.represent_raw_scalar)


def make_yaml() -> YAML:
    """A round-trip ``YAML`` configured for the canonical layout (a new one per use)."""
    rt = YAML(typ="rt")
    rt.Constructor = lenient_constructor()
    rt.Representer = _Representer
    rt.indent(mapping=2, sequence=4, offset=2)
    rt.preserve_quotes = True
    rt.width = WIDTH
    rt.allow_duplicate_keys = False
    return rt


def load(text: str, *, checked: bool = False) -> Any:
    """The round-trip tree of one document, comments included.

    Raises ``incidentctl.load.yamlio.YamlProblem`` (with line and column) for text that
    is not exactly one YAML document, or that uses anchors, aliases or duplicate keys.
    ``checked``: ``load_text`` has read the text already, and would have refused all
    that, so ruamel.yaml reads it once instead of twice.
    """
    if checked:
        try:
            tree = make_yaml().load(text)
        except YAMLError:
            tree = None
        if tree is not None:
            return tree
        # else the located path says what is wrong, and where
    return located_load(text, make_yaml())


def dump(tree: Any) -> str:
    """``tree`` in the canonical layout: no trailing whitespace, one final newline."""
    stream = io.StringIO()
    make_yaml().dump(tree, stream)
    lines = stream.getvalue().split("\n")
    if any(line != line.rstrip() for line in lines):
        # The emitter leaves a space after ``key:`` or ``-`` before a comment or nothing;
        # in a block scalar's text, though, trailing white space is content.
        keep = scan("\n".join(lines)).block_lines
        lines = [line if number in keep else line.rstrip() for number, line in enumerate(lines)]
    return "\n".join(lines).strip("\n") + "\n"
