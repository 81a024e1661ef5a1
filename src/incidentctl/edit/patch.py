"""Surgical edits of YAML text: change a value and leave every other byte as it was.

Editing commands must not re-render a file (``Edit`` does, in the canonical layout):
comments, key order, quoting, blank lines and odd indentation outside the edited field
stay exactly as they were. ``Patch`` finds the spans of nodes in the text (PyYAML's
composer gives each node its start and end position) and splices text in and out:

- ``set(path, value)``: replace a scalar (in the same quote or block style when the new
  value allows it), or add a missing key to its mapping (after the key that precedes it
  in the document's canonical order, at the indentation of its sibling keys), creating
  missing parent mappings; a mapping value is merged key by key;
- ``append(path, item)``: add an item after the last one of a block sequence (at the
  same dash indentation, a mapping item laid out like the items before it) or of a flow
  sequence (``[a, b]`` becomes ``[a, b, c]``), or create the list;
- ``remove(path)``: take a key and its value out of a mapping.

New structure copies the file's own indentation (mapping step, dash offset of lists
under their key, gap between ``-`` and an item's first key); scalars are written plain
when that reads back as the same value, else quoted; timestamps as
``2026-11-22T10:05:00Z``. After every operation the text is read again: it must hold
exactly the data before the edit with the edit applied, else ``PatchError``, and the
text is left as it was before that operation.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from incidentctl.edit.render import (
    ScalarError,
    detect_layout,
    entry_lines,
    flow,
    folded_lines,
    is_block,
    item_lines,
    literal_lines,
    plain_value,
    render_scalar,
)
from incidentctl.load.yamlio import YamlProblem, load_text

Key = str | int
KeyPath = tuple[Key, ...]

_NULL_TAG = "tag:yaml.org,2002:null"
_BLOCK_HEADER = re.compile(r"[|>][0-9+-]*")


class PatchError(ValueError):
    """The text cannot be edited as asked; the message says why."""


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL_TAG and not node.style


class Patch:
    """A text being edited; ``text`` is the result so far.

    ``orders`` gives, per mapping path (``()`` the document, ``("roles",)``…), the
    canonical order of its keys: a new key goes after the last key in the file that
    precedes it in that order, or at the end of the mapping.
    """

    def __init__(self, text: str, orders: Mapping[KeyPath, Sequence[str]] | None = None) -> None:
        self.text = text
        self.data: Any = load_text(text)
        self._orders = dict(orders or {})
        self._nl = "\r\n" if "\r\n" in text else "\n"

    # -- public operations ------------------------------------------------------------

    def get(self, path: KeyPath) -> Any:
        """The value at ``path`` as loaded (None if absent)."""
        value = self.data
        for key in path:
            if isinstance(value, dict) and isinstance(key, str):
                value = value.get(key)
            elif (
                isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value)
            ):
                value = value[key]
            else:
                return None
        return value

    def set(self, path: KeyPath, value: Any) -> None:
        """Set the value at ``path`` (a mapping is merged into an existing mapping)."""
        if not path:
            raise PatchError("give the key to set")
        expected = copy.deepcopy(self.data)
        _data_set(expected, path, plain_value(value))
        self._apply(expected, lambda: self._set(path, value))

    def append(self, path: KeyPath, item: Any) -> None:
        """Add ``item`` at the end of the list at ``path``, creating the list if needed."""
        expected = copy.deepcopy(self.data)
        _data_append(expected, path, plain_value(item))
        self._apply(expected, lambda: self._append(path, item))

    def remove(self, path: KeyPath) -> None:
        """Take the key at ``path`` and its value out of its mapping (absent: nothing)."""
        parent = self.get(path[:-1])
        if not isinstance(parent, dict) or path[-1] not in parent:
            return
        expected = copy.deepcopy(self.data)
        container = expected
        for key in path[:-1]:
            container = container[key]
        del container[path[-1]]
        self._apply(expected, lambda: self._remove(path))

    # -- machinery ----------------------------------------------------------------------

    def _apply(self, expected: Any, operation: Any) -> None:
        before = self.text
        try:
            try:
                operation()
            except ScalarError as error:
                raise PatchError(str(error)) from None
            try:
                read = load_text(self.text)
            except YamlProblem as problem:
                raise PatchError(f"the edited text is not valid YAML: {problem}") from None
            if read != expected:
                raise PatchError("the edited text does not read back as the intended change")
        except BaseException:
            self.text = before
            raise
        self.data = read

    def _compose(self) -> Node:
        try:
            node = yaml.compose(self.text, Loader=yaml.CSafeLoader)
        except yaml.YAMLError as error:
            raise PatchError(f"the text is not valid YAML: {error}") from None
        if not isinstance(node, MappingNode):
            raise PatchError("the document is not a mapping")
        return node

    def _splice(self, start: int, end: int, new: str) -> None:
        self.text = self.text[:start] + new + self.text[end:]

    def _find(self, root: Node, path: KeyPath) -> tuple[ScalarNode | None, Node | None]:
        """The key node and value node at ``path`` (None, None when absent)."""
        key_node: ScalarNode | None = None
        node: Node | None = root
        for key in path:
            if isinstance(node, MappingNode) and isinstance(key, str):
                for k, v in node.value:
                    if isinstance(k, ScalarNode) and k.value == key:
                        key_node, node = k, v
                        break
                else:
                    return None, None
            elif isinstance(node, SequenceNode) and isinstance(key, int):
                if not -len(node.value) <= key < len(node.value):
                    return None, None
                key_node, node = None, node.value[key]
            else:
                return None, None
        return key_node, node

    # -- positions ----------------------------------------------------------------------

    def _end(self, node: Node) -> int:
        """Just after the node's last character of content (not its trailing lines)."""
        if isinstance(node, ScalarNode):
            if node.style in ("|", ">"):
                start, stop = node.start_mark.index, node.end_mark.index
                last = start + len(self.text[start:stop].rstrip(" \t\r\n"))
                return self._line_end(last)
            return int(node.end_mark.index)
        if isinstance(node, MappingNode | SequenceNode):
            if node.flow_style or not node.value:
                return int(node.end_mark.index)
            last = node.value[-1]
            return self._end(last[1] if isinstance(node, MappingNode) else last)
        raise PatchError(f"unexpected node {node!r}")

    def _line_start(self, index: int) -> int:
        return self.text.rfind("\n", 0, index) + 1

    def _line_end(self, index: int) -> int:
        """The end of the line holding ``index``, before its line break."""
        found = self.text.find("\n", index)
        end = len(self.text) if found < 0 else found
        return end - 1 if end > index and self.text[end - 1] == "\r" else end

    def _next_line(self, index: int) -> int:
        """Where the line after the one holding ``index`` starts (a break added at EOF)."""
        found = self.text.find("\n", index)
        if found >= 0:
            return found + 1
        self.text += self._nl
        return len(self.text)

    def _colon(self, key: ScalarNode) -> int:
        index = self.text.find(":", key.end_mark.index)
        if index < 0:
            raise PatchError(f"no ':' after the key {key.value!r}")
        return index

    def _only_blank_after(self, index: int) -> bool:
        return not self.text[index : self._line_end(index)].strip()

    # -- rendering ----------------------------------------------------------------------

    def _joined(self, lines: list[str]) -> str:
        return "".join(line + self._nl for line in lines)

    # -- set ----------------------------------------------------------------------------

    def _set(self, path: KeyPath, value: Any) -> None:
        root = self._compose()
        parent_path, key = path[:-1], path[-1]
        if not isinstance(key, str):
            raise PatchError("set works on mapping keys; use append for list items")
        _, parent = self._find(root, parent_path)
        if parent is None:
            self._set(parent_path, {key: value})
            return
        if isinstance(parent, ScalarNode) and _is_null(parent):
            self._set(parent_path, {key: value})
            return
        if not isinstance(parent, MappingNode):
            raise PatchError(f"{_dotted(parent_path)} is not a mapping")
        key_node, node = self._find(parent, (key,))
        if node is None or key_node is None:
            self._insert_entry(root, parent, parent_path, key, value)
            return
        if isinstance(value, Mapping) and isinstance(node, MappingNode):
            for k, v in value.items():
                self._set((*path, str(k)), v)
            return
        if isinstance(value, Mapping | list | tuple):
            self._replace_with_collection(root, parent, key_node, node, value)
            return
        if isinstance(node, ScalarNode):
            self._replace_scalar(root, node, value)
            return
        # a collection replaced by a scalar
        if isinstance(node, MappingNode | SequenceNode) and node.flow_style:
            self._splice(node.start_mark.index, node.end_mark.index, flow(value))
        else:
            colon = self._colon(key_node)
            self._splice(colon + 1, self._end(node), " " + render_scalar(value))

    def _replace_scalar(self, root: Node, node: ScalarNode, value: Any) -> None:
        start, end = node.start_mark.index, self._end(node)
        in_flow = self._in_flow(root, node)
        if node.style in ("|", ">") and isinstance(value, str):
            header = self.text[start : self._line_end(start)]
            match = _BLOCK_HEADER.match(header)
            tail = header[match.end() :] if match else ""
            indent = self._block_indent(node)
            block = folded_lines(value, indent) if node.style == ">" else None
            block = block or literal_lines(value, indent)
            if block is not None:
                self._splice(start, end, self._nl.join([block[0] + tail, *block[1:]]))
            else:  # text a block cannot hold exactly: quoted, the header's comment kept
                self._splice(start, end, render_scalar(value, quote='"') + tail)
            return
        # ``key:`` with nothing after the colon: the value needs a space before it
        prefix = " " if start == end and not in_flow else ""
        multiline = isinstance(value, str) and "\n" in value and not in_flow
        if multiline and node.style not in ("'", '"') and self._only_blank_after(end):
            column = self._key_column(root, node)
            block = literal_lines(value, column + detect_layout(root).step)
            if block is not None:
                self._splice(start, end, prefix + self._nl.join(block))
                return
        quote = node.style if node.style in ("'", '"') else None
        self._splice(start, end, prefix + render_scalar(value, flow=in_flow, quote=quote))

    def _block_indent(self, node: ScalarNode) -> int:
        lines = self.text[node.start_mark.index : node.end_mark.index].splitlines()[1:]
        for line in lines:
            if line.strip():
                return len(line) - len(line.lstrip(" "))
        return node.start_mark.column + 2

    def _key_column(self, root: Node, target: Node) -> int:
        """The column of the key whose value is ``target`` (or of its sequence's dash)."""
        pending: list[Node] = [root]
        while pending:
            node = pending.pop()
            if isinstance(node, MappingNode):
                for k, v in node.value:
                    if v is target:
                        return int(k.start_mark.column)
                    pending.append(v)
            elif isinstance(node, SequenceNode):
                for item in node.value:
                    if item is target:
                        return int(node.start_mark.column)
                    pending.append(item)
        return 0

    def _in_flow(self, root: Node, target: Node) -> bool:
        pending: list[tuple[Node, bool]] = [(root, False)]
        while pending:
            node, flow = pending.pop()
            if node is target:
                return flow
            if isinstance(node, MappingNode):
                inner = flow or bool(node.flow_style)
                for k, v in node.value:
                    pending.append((v, inner))
                    pending.append((k, inner))
            elif isinstance(node, SequenceNode):
                inner = flow or bool(node.flow_style)
                pending.extend((item, inner) for item in node.value)
        return False

    def _insert_entry(
        self, root: Node, mapping: MappingNode, path: KeyPath, key: str, value: Any
    ) -> None:
        name = render_scalar(key)
        if mapping.flow_style or self._in_flow(root, mapping):
            entry = f"{name}: {flow(value)}"
            if mapping.value:
                at = self._end(mapping.value[-1][1])
                self._splice(at, at, ", " + entry)
            else:
                at = mapping.start_mark.index + 1
                self._splice(at, at, entry)
            return
        entries = mapping.value
        order = list(self._orders.get(path, ()))
        anchor = entries[-1]
        if key in order:
            before = set(order[: order.index(key)])
            preceding = [e for e in entries if e[0].value in before]
            if preceding:
                anchor = max(preceding, key=lambda e: e[0].start_mark.index)
        indent = entries[0][0].start_mark.column
        at = self._next_line(self._end(anchor[1]))
        lines = entry_lines(key, value, indent, detect_layout(root))
        self._splice(at, at, self._joined(lines))

    def _replace_with_collection(
        self, root: Node, parent: MappingNode, key_node: ScalarNode, node: Node, value: Any
    ) -> None:
        """Replace a value on the key's line (null, a scalar, ``[]``, ``{}``) by a block."""
        if parent.flow_style or self._in_flow(root, parent):
            self._splice(node.start_mark.index, self._end(node), flow(value))
            return
        if is_block(node) or (isinstance(node, ScalarNode) and node.style in ("|", ">")):
            raise PatchError(f"{key_node.value}: only a value on the key's line can be replaced")
        colon = self._colon(key_node)
        end = self._end(node)
        rest = self.text[end : self._line_end(end)]
        indent = key_node.start_mark.column
        layout = detect_layout(root)
        lines = entry_lines(key_node.value, value, indent, layout)[1:]
        after = self._next_line(end)
        self._splice(colon + 1, after, rest + self._nl + self._joined(lines))

    # -- append -------------------------------------------------------------------------

    def _append(self, path: KeyPath, item: Any) -> None:
        root = self._compose()
        key_node, node = self._find(root, path)
        if node is None:
            self._set(path, [item])
            return
        if isinstance(node, ScalarNode):
            if not _is_null(node):
                raise PatchError(f"{_dotted(path)} is not a list")
            self._set(path, [item])
            return
        if not isinstance(node, SequenceNode):
            raise PatchError(f"{_dotted(path)} is not a list")
        last = node.value[-1] if node.value else None
        quote = last.style if isinstance(last, ScalarNode) and last.style in ("'", '"') else None
        if node.flow_style:
            if last is not None:
                at = self._end(last)
                self._splice(at, at, self._separator(node) + flow(item, quote))
                return
            # a mapping item turns ``key: []`` into a block list, as the file's lists are
            _, parent = self._find(root, path[:-1])
            if (
                isinstance(item, Mapping)
                and isinstance(parent, MappingNode)
                and key_node is not None
                and not parent.flow_style
                and not self._in_flow(root, parent)
            ):
                self._replace_with_collection(root, parent, key_node, node, [item])
                return
            at = node.start_mark.index + 1
            self._splice(at, at, flow(item))
            return
        assert last is not None  # a block sequence has items
        layout = detect_layout(root)
        gap = layout.item_gap
        if isinstance(last, MappingNode) and last.value and not last.flow_style:
            gap = last.value[0][0].start_mark.column - node.start_mark.column
        if quote and not isinstance(item, Mapping):
            lines = [" " * node.start_mark.column + "- " + render_scalar(item, quote=quote)]
        else:
            lines = item_lines(item, node.start_mark.column, gap, layout)
        at = self._next_line(self._end(last))
        self._splice(at, at, self._joined(lines))

    def _separator(self, node: SequenceNode) -> str:
        """What stands between the items of a flow list: ``", "``, or ``","`` as written."""
        if len(node.value) > 1:
            between = self.text[self._end(node.value[-2]) : node.value[-1].start_mark.index]
            if between.strip() == "," and "\n" not in between:
                return between
        return ", "

    # -- remove -------------------------------------------------------------------------

    def _remove(self, path: KeyPath) -> None:
        root = self._compose()
        _, parent = self._find(root, path[:-1])
        if not isinstance(parent, MappingNode):
            raise PatchError(f"{_dotted(path[:-1])} is not a mapping")
        index = next(i for i, (k, _) in enumerate(parent.value) if k.value == path[-1])
        key_node, node = parent.value[index]
        if parent.flow_style or self._in_flow(root, parent):
            if index:
                self._splice(self._end(parent.value[index - 1][1]), self._end(node), "")
            elif len(parent.value) > 1:
                self._splice(key_node.start_mark.index, parent.value[1][0].start_mark.index, "")
            else:
                self._splice(key_node.start_mark.index, self._end(node), "")
            return
        if len(parent.value) == 1:
            raise PatchError(f"{_dotted(path)} is the only key of its mapping")
        start = self._line_start(key_node.start_mark.index)
        if self.text[start : key_node.start_mark.index].strip():
            raise PatchError(f"{_dotted(path)} shares its line with other text")
        self._splice(start, self._next_line(self._end(node)), "")


def _dotted(path: KeyPath) -> str:
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text or "the document"


def _walk_to_parent(data: Any, path: KeyPath) -> Any:
    """The container that holds ``path[-1]``, creating missing mappings on the way."""
    container = data
    for depth, key in enumerate(path):
        if isinstance(container, list) != isinstance(key, int):
            raise PatchError(f"{key!r} does not fit the document's structure there")
        if depth == len(path) - 1:
            break
        if isinstance(container, list) and isinstance(key, int):
            container = container[key]
            continue
        if not isinstance(container.get(key), dict | list):
            container[key] = {}
        container = container[key]
    return container


def _data_set(data: Any, path: KeyPath, value: Any) -> None:
    container = _walk_to_parent(data, path)
    key = path[-1]
    if isinstance(value, dict) and isinstance(container.get(key), dict):
        for k, v in value.items():
            _data_set(container[key], (k,), v)
    else:
        container[key] = value


def _data_append(data: Any, path: KeyPath, item: Any) -> None:
    container = _walk_to_parent(data, path)
    if isinstance(container.get(path[-1]), list):
        container[path[-1]].append(item)
    else:
        container[path[-1]] = [item]
