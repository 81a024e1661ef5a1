"""Formatting documents to the canonical layout, keeping every comment (``incidentctl fmt``),
and ``Edit``: the round trip that editing commands make with the same layout.

What changes: indentation (mappings by 2, sequences as ``  - item`` under their key),
spacing inside flow collections, scalars folded over several lines are joined onto one,
a null is written as nothing after ``key:`` and as ``null`` after ``-``, a ``---``
document start (and ``...`` end) marker is dropped, CRLF becomes LF, trailing white
space (but in a block scalar's text) and blank lines at the start and end of the file
go, and the file ends with one newline. A comment on its own line is indented like the
key or list item it was aligned with (else like the line after it).

What stays: the order of keys (reordering would have to move the comments that sit
between keys, and a diff that moves lines is a poor diff), every comment and the
column of end-of-line comments, blank lines between entries, quoting as written, flow
collections (``[a, b]``) as flow, block scalars (``|``, ``>``) with their text.

A formatted text is checked before it is returned: it must hold the same data as the
input (read by the same loader as ``validate``) and the same comments in the same
order. A text that fails either check is refused with a ``YamlProblem`` rather than
written, so ``fmt`` never loses a comment silently. ruamel.yaml makes this happen for a
comment inside a flow collection (``[a,  # note``), a comment line above a flow
collection that is an item of a list and has a comment of its own, and blank lines
after a block scalar that keeps its final line breaks (``|+``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from incidentctl.edit import roundtrip
from incidentctl.edit.comments import Scan, flush_left, realign, scan
from incidentctl.fsutil import NotRegularFile, read_regular
from incidentctl.load.repository import not_regular
from incidentctl.load.yamlio import NEWLINE, YamlProblem, decode, file_position, load_text
from incidentctl.problems import Problem, UsageError

_DOCUMENT_START = re.compile(r"---[ \t]*(#[^\n]*)?")


class Edit:
    """A document read for a round-trip edit: change ``tree``, then ``render()`` it.

    The text is prepared for ruamel.yaml, whose reader mislays some comments (a leading
    ``---`` goes, empty values are spelled ``null``, a comment after a ``-`` moves above
    it), and read with its comment lines at column 0; ``render`` writes the canonical
    layout and puts each comment line back in line with what it was aligned with.
    Editing commands use this, so an edit of a formatted file changes only what was
    edited.
    """

    def __init__(self, text: str) -> None:
        # A lone CR is a line break to YAML too; left in, ruamel.yaml would fold a block
        # scalar's lines differently when it writes the file again.
        self.text = text.replace("\r\n", "\n").replace("\r", "\n")
        try:
            self.data = load_text(self.text)  # the located problem if not one document
        except YamlProblem as problem:
            if "\r" not in text:
                raise
            # where it is in the file as written, carriage returns and all
            line, col = file_position(text, problem.line, problem.col, NEWLINE)
            raise YamlProblem(line, col, problem.rule, problem.message) from None
        if self.data is not None and not isinstance(self.data, dict):  # None: "empty"
            raise YamlProblem(
                1,
                1,
                "document",
                "the document is not a mapping, so there is nothing to format: a document "
                "starts with apiVersion: incidentctl/v1 and kind:",
            )
        source = _spell_out_null_items(_drop_document_start(self.text))
        before = scan(source)
        if any(c.line in before.dash_lines for c in before.comments):
            source = _lift_dash_comments(source, before)
            before = scan(source)
        self.before = before
        self.tree: Any = roundtrip.load(flush_left(source, before), checked=True)

    def render(self) -> str:
        """The tree, as it is now, in the canonical layout."""
        aligned, plain, _ = self._render()
        return aligned if load_text(aligned) == load_text(plain) else plain

    def _render(self) -> tuple[str, str, Scan]:
        plain = roundtrip.dump(self.tree)
        after = scan(plain)
        return realign(self.before, after, plain), plain, after


def format_text(text: str) -> str:
    """``text`` in the canonical layout; ``YamlProblem`` if it cannot be formatted safely."""
    edit = Edit(text)
    aligned, plain, after = edit._render()
    _check_comments(edit.text, edit.before, after)
    # Realigning only moves comment lines; were one to land in a block scalar's text,
    # the data would tell, and the comments stay where ruamel.yaml put them.
    for candidate in (aligned, plain):
        if load_text(candidate) == edit.data:
            return candidate
    raise YamlProblem(
        1,
        1,
        "fmt-data",
        "formatting would change the data, so the file was left as it is; "
        "this is a bug in incidentctl, please report it with the file",
    )


def _drop_document_start(text: str) -> str:
    """Remove a leading ``---``: ruamel.yaml would drop it and the comments above it."""
    lines = text.split("\n")
    for number, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        match = _DOCUMENT_START.fullmatch(line.rstrip())
        if match is not None:
            comment = match.group(1)
            if comment:
                lines[number] = comment
            else:
                del lines[number]
        break
    return "\n".join(lines)


def _spell_out_null_items(text: str) -> str:
    """Write ``null`` for an empty item of a block sequence (a bare ``-``), and for an
    empty value in a block mapping (``key:``) with nothing after it on its line.

    ruamel.yaml mislays the comments that follow such an empty value when it reads it;
    this is only what is read, since ``dump`` writes ``key:`` and ``- null`` again.
    """
    places: list[int] = []
    # Per open collection: whether it is a block mapping / block sequence, nodes so far.
    open_: list[tuple[bool, bool, list[int]]] = []
    try:
        for event in yaml.parse(text, Loader=yaml.CSafeLoader):
            if isinstance(event, yaml.CollectionEndEvent):
                open_.pop()
            elif isinstance(event, yaml.NodeEvent):
                if open_:
                    block_mapping, block_sequence, count = open_[-1]
                    is_value = count[0] % 2 == 1
                    count[0] += 1
                    place = _empty_at(event)
                    # ``key:  # note`` reads well, and the note would move if ``null`` went
                    # before it; but a note after a bare ``-`` is lost.
                    if place is not None and (
                        block_sequence
                        or (block_mapping and is_value and _rest_of_line_blank(text, place))
                    ):
                        places.append(place)
                if isinstance(event, yaml.CollectionStartEvent):
                    block = not event.flow_style
                    mapping = isinstance(event, yaml.MappingStartEvent)
                    open_.append((block and mapping, block and not mapping, [0]))
    except yaml.YAMLError:
        return text  # loading it will say where it is wrong
    for place in reversed(places):
        text = f"{text[:place]} null{text[place:]}"
    return text


def _empty_at(event: yaml.NodeEvent) -> int | None:
    """Where an empty plain scalar (a null written as nothing) is, if ``event`` is one."""
    start, end = event.start_mark, event.end_mark
    if (
        isinstance(event, yaml.ScalarEvent)
        and event.value == ""
        and event.tag is None
        and event.implicit[0]
        and start is not None
        and end is not None
        and start.index == end.index
    ):
        return int(start.index)
    return None


def _rest_of_line_blank(text: str, index: int) -> bool:
    end = text.find("\n", index)
    return not text[index : len(text) if end == -1 else end].strip()


def _lift_dash_comments(text: str, found: Scan) -> str:
    """Put a comment that follows a ``-`` alone on its line above the ``-``.

    ruamel.yaml would write it there anyway, at its old column, which can fall inside
    a block scalar of the item before; a comment line of its own it places safely.
    """
    lines = text.split("\n")
    for comment in reversed(found.comments):
        if comment.line in found.dash_lines and not comment.own_line:
            dash = lines[comment.line][: comment.col].rstrip()
            indent = len(dash) - 1
            lines[comment.line : comment.line + 1] = [" " * indent + comment.text, dash]
    return "\n".join(lines)


def _check_comments(text: str, before: Scan, after: Scan) -> None:
    """Refuse unless ``after`` holds the comments of ``before`` in order.

    ``before`` is of ``text`` as prepared for ruamel.yaml, which holds the same comments
    as ``text`` in the same order, but perhaps on other lines: the problem names the line
    of ``text``.
    """
    old = [c.text for c in before.comments]
    new = [c.text for c in after.comments]
    if old == new:
        return
    remaining = list(new)
    lost = None
    for index, comment in enumerate(old):
        if comment not in remaining:
            lost = index
            break
        remaining.remove(comment)
    if lost is None:  # all there, but not in order: the first out of place
        index = next(i for i, (o, n) in enumerate(zip(old, new, strict=True)) if o != n)
    else:
        index = lost
    where = scan(text).comments[index]
    raise YamlProblem(
        where.line + 1,
        where.col + 1,
        "fmt-comment",
        f"formatting would {'lose' if lost is not None else 'move'} the comment "
        f"{where.text!r}, so the file was left as it is: put the comment on its own line "
        "above a key or list item",
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """One file: its text before and after; ``after`` is ``before`` if it has a problem."""

    path: Path
    display: str
    before: str
    after: str
    problem: Problem | None = None

    @property
    def changed(self) -> bool:
        return self.after != self.before


def format_files(
    files: Sequence[tuple[Path, str]], workers: int | None = None
) -> Iterator[Outcome]:
    """``format_file`` for each (path, display name), in order.

    ruamel.yaml's round trip takes some 10 ms a file, so a whole repository is formatted
    by ``workers`` processes (default: one per CPU once there are enough files to pay
    for starting them).
    """
    if workers is None:
        workers = min(_cpus(), len(files) // _FILES_PER_WORKER)
    if workers <= 1:
        yield from (format_file(path, display) for path, display in files)
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_format_pair, files, chunksize=16)


_FILES_PER_WORKER = 50


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _format_pair(pair: tuple[Path, str]) -> Outcome:
    return format_file(*pair)


def format_file(path: Path, display: str) -> Outcome:
    """Read ``path`` and format it (nothing is written); ``display`` names it in problems."""
    try:
        raw = read_regular(path)
    except NotRegularFile as error:
        return Outcome(path, display, "", "", not_regular(display, error))
    except OSError as error:
        raise UsageError(f"{display}: cannot read: {error.strerror}") from None
    try:
        text = decode(raw)
        before = raw.decode("utf-8")
        return Outcome(path, display, before, format_text(text))
    except YamlProblem as problem:
        before = raw.decode("utf-8", errors="replace")
        found = Problem(display, problem.line, problem.col, "error", problem.rule, problem.message)
        return Outcome(path, display, before, before, found)
