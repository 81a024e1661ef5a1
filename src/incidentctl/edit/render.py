"""New YAML written in the style of the file it goes into, reading back as intended.

A file's own indentation (mapping step, dash offset of lists under their key, gap
between ``-`` and an item's first key) is found by ``detect_layout`` and copied by
``entry_lines`` and ``item_lines``, which render new keys and list items in block style.

Plain when the text reads back the same under the project's YAML 1.2 loader and under
YAML 1.1 (so no other tool reads ``yes``, ``on`` or a date differently), else quoted: in
the quote style of the value it replaces when that can hold it, else double-quoted with
YAML's own escapes. Text over several lines goes into a literal block (``|-``); a folded
block (``>-``) is kept folded, wrapped at single spaces.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from incidentctl.load.yamlio import YamlProblem, load_text

FOLD_WIDTH = 88
"""Where text in a folded block (``>``) is wrapped, like the files' own paragraphs."""


class ScalarError(ValueError):
    """A value that cannot be written as a YAML scalar."""


def render_timestamp(value: datetime) -> str:
    """An aware instant as documents write it: UTC, whole seconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plain_value(value: Any) -> Any:
    """The value as the loader reads it back: timestamps stay text."""
    if isinstance(value, datetime):
        return render_timestamp(value)
    if isinstance(value, Mapping):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_value(v) for v in value]
    return value


def _reads_as(text: str, value: Any, *, flow: bool) -> bool:
    """Whether ``text`` written as a value reads back as ``value``.

    Checked with the project's YAML 1.2 loader and, for plain text, with PyYAML's
    YAML 1.1 one too, so that no other tool reads ``yes`` or a date differently.
    """
    document = f"k: [{text}]\n" if flow else f"k: {text}\n"
    try:
        read = load_text(document)
        older = yaml.safe_load(document) if text[:1] not in "\"'" else read
    except (YamlProblem, yaml.YAMLError):
        return False
    expected = {"k": [value] if flow else value}
    return bool(read == expected and older == expected)


def render_scalar(value: Any, *, flow: bool = False, quote: str | None = None) -> str:
    """``value`` as a one-line YAML scalar: plain if it reads back the same, else quoted.

    ``quote`` (``'`` or ``"``) is the style to keep when the value it replaces was quoted.
    """
    if isinstance(value, datetime):
        return render_timestamp(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if not isinstance(value, str):
        raise ScalarError(f"cannot write a {type(value).__name__} as a YAML scalar")
    candidates: list[str] = []
    if quote == "'" and "\n" not in value and value.isprintable():
        candidates.append("'" + value.replace("'", "''") + "'")
    # ruamel.yaml (and so fmt) quotes text that starts like a document marker or holds
    # a character it does not print as it is (a byte order mark)
    if (
        quote not in ("'", '"')
        and "\n" not in value
        and not value.startswith(("---", "..."))
        and all(_yaml_printable(ch) for ch in value)
    ):
        candidates.append(value)
    candidates.append(double_quoted(value))
    for text in candidates:
        if text and _reads_as(text, value, flow=flow):
            return text
    raise ScalarError(f"cannot write {value!r} as a YAML scalar")


# ruamel.yaml's own escapes, so that ``fmt`` writes a double-quoted scalar that an edit
# wrote exactly as it was.
_ESCAPES = {"\0": "\\0", "\x07": "\\a", "\x08": "\\b", "\t": "\\t", "\n": "\\n",
            "\x0b": "\\v", "\x0c": "\\f", "\r": "\\r", "\x1b": "\\e", '"': '\\"',
            "\\": "\\\\", "\x85": "\\N", "\u2028": "\\L", "\u2029": "\\P"}  # fmt: skip


def _yaml_printable(ch: str) -> bool:
    """Whether YAML allows ``ch`` as it is in a double-quoted scalar (c-printable, not a
    line break that would be folded)."""
    code = ord(ch)
    return (
        0x20 <= code <= 0x7E
        or 0xA0 <= code <= 0xD7FF
        or (0xE000 <= code <= 0xFFFD and code != 0xFEFF)
        or 0x10000 <= code <= 0x10FFFF
    ) and ch not in "\u2028\u2029"


def double_quoted(value: str) -> str:
    """``value`` as a YAML double-quoted scalar, escaping what YAML does not print."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif _yaml_printable(ch):
            out.append(ch)
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02X}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(f"\\U{ord(ch):08X}")
    return '"' + "".join(out) + '"'


def literal_lines(value: str, indent: int) -> list[str] | None:
    """A multi-line text as a literal block (header first), or None when a block cannot
    hold it exactly (leading white space, carriage returns, unprintable characters)."""
    if not value or value[0] in " \t\n" or "\r" in value:
        return None
    if not all(ch.isprintable() or ch in "\t\n" for ch in value):
        return None
    body = value.rstrip("\n")
    trailing = len(value) - len(body)
    chomp = "-" if trailing == 0 else "" if trailing == 1 else "+"
    lines = [f"|{chomp}"]
    lines += [(" " * indent + line) if line else "" for line in body.split("\n")]
    lines += [""] * (trailing - 1)
    return lines


def folded_lines(value: str, indent: int) -> list[str] | None:
    """One line of text as a folded block (``>-``), wrapped at single spaces."""
    if not value or "\n" in value or value[0] in " \t" or value[-1] in " \t":
        return None
    if not value.isprintable():
        return None
    width = max(FOLD_WIDTH - indent, 20)
    lines: list[str] = []
    rest = value
    while len(rest) > width:
        cut = rest.rfind(" ", 0, width + 1)
        # a break is only exact at a single space between two words
        while cut > 0 and (rest[cut - 1] == " " or rest[cut + 1 : cut + 2] in (" ", "")):
            cut = rest.rfind(" ", 0, cut)
        if cut <= 0:
            break
        lines.append(rest[:cut])
        rest = rest[cut + 1 :]
    lines.append(rest)
    return [">-", *(" " * indent + line for line in lines)]


@dataclass(frozen=True)
class Layout:
    """The indentation habits of a file, copied by everything a patch adds."""

    step: int = 2  # child keys of a mapping, from the parent key's column
    seq_offset: int = 2  # the dash of a list, from its key's column
    item_gap: int = 2  # the first key of a mapping item, from its dash


def is_block(node: Node) -> bool:
    return isinstance(node, MappingNode | SequenceNode) and not node.flow_style


def detect_layout(root: Node) -> Layout:
    """The indentation most used in the document under ``root``."""
    steps: Counter[int] = Counter()
    offsets: Counter[int] = Counter()
    gaps: Counter[int] = Counter()
    pending: list[Node] = [root]
    while pending:
        node = pending.pop()
        if isinstance(node, MappingNode):
            for k, v in node.value:
                pending.append(v)
                if not is_block(node) or not is_block(v):
                    continue
                column = k.start_mark.column
                if isinstance(v, MappingNode):
                    steps[v.value[0][0].start_mark.column - column] += 1
                else:
                    offsets[v.start_mark.column - column] += 1
        elif isinstance(node, SequenceNode):
            pending.extend(node.value)
            if is_block(node):
                for item in node.value:
                    if isinstance(item, MappingNode) and is_block(item):
                        gaps[item.value[0][0].start_mark.column - node.start_mark.column] += 1
    return Layout(
        step=_most_common(steps, 2, minimum=1),
        seq_offset=_most_common(offsets, 2, minimum=0),
        item_gap=_most_common(gaps, 2, minimum=2),
    )


def entry_lines(key: str, value: Any, indent: int, layout: Layout) -> list[str]:
    """``key: value`` in block style, its key at column ``indent``."""
    pad = " " * indent
    name = render_scalar(key)
    if isinstance(value, Mapping) and value:
        lines = [f"{pad}{name}:"]
        for k, v in value.items():
            lines += entry_lines(str(k), v, indent + layout.step, layout)
        return lines
    if isinstance(value, list | tuple) and value:
        lines = [f"{pad}{name}:"]
        for item in value:
            lines += item_lines(item, indent + layout.seq_offset, layout.item_gap, layout)
        return lines
    if isinstance(value, str) and "\n" in value:
        block = literal_lines(value, indent + layout.step)
        if block is not None:
            return [f"{pad}{name}: {block[0]}", *block[1:]]
    return [f"{pad}{name}: {inline(value)}"]


def item_lines(item: Any, dash: int, gap: int, layout: Layout) -> list[str]:
    """One block sequence item, its ``-`` at column ``dash``."""
    if isinstance(item, Mapping) and item:
        gap = max(gap, 2)
        column = dash + gap
        lines: list[str] = []
        for k, v in item.items():
            lines += entry_lines(str(k), v, column, layout)
        lines[0] = " " * dash + "-" + " " * (gap - 1) + lines[0][column:]
        return lines
    if isinstance(item, list | tuple) and item:
        raise ScalarError("lists of lists are not written by patches")
    if isinstance(item, str) and "\n" in item:
        block = literal_lines(item, dash + 2)
        if block is not None:
            return [" " * dash + "- " + block[0], *block[1:]]
    return [" " * dash + "- " + inline(item)]


def inline(value: Any, quote: str | None = None) -> str:
    if isinstance(value, Mapping | list | tuple):
        return flow(value)
    return render_scalar(value, quote=quote)


def flow(value: Any, quote: str | None = None) -> str:
    if isinstance(value, Mapping):
        inner = ", ".join(f"{render_scalar(str(k))}: {flow(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return render_scalar(value, flow=True, quote=quote)


def _most_common(counter: Counter[int], default: int, *, minimum: int) -> int:
    found = [value for value, _ in counter.most_common() if value >= minimum]
    return found[0] if found else default
