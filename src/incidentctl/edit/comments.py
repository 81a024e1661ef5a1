"""Where the comments of a YAML text are, found independently of ruamel.yaml.

libyaml's scanner (through PyYAML) yields every token with its position; whatever lies
between tokens is white space or a comment (a ``#`` there always starts one). The text
after a block scalar's indicator (``text: |  # note``) lies inside the scalar's token,
so the first line of a block scalar is searched too. Formatting uses this to prove
that nothing was lost, and to indent a comment line like the line it was aligned with.
"""

from __future__ import annotations

import bisect
import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml
from yaml import tokens as yt

from incidentctl.load.yamlio import LIBYAML_BREAK, YamlProblem, file_position

_COMMENT = re.compile(r"#[^\n]*")
# Zero-width tokens that mark structure but hold no text of their own.
_STRUCTURE = (
    yt.StreamStartToken,
    yt.StreamEndToken,
    yt.BlockMappingStartToken,
    yt.BlockSequenceStartToken,
    yt.BlockEndToken,
    yt.KeyToken,
)


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment: 0-based line and column of its ``#``, its text without trailing space."""

    line: int
    col: int
    text: str
    own_line: bool


@dataclass(frozen=True, slots=True)
class Scan:
    """The comments of a text; per line holding tokens, the columns nodes start at; the
    lines of block scalars' text, whose white space is content; the lines that end with
    a ``-`` whose item starts on a later line; and each scalar's line and value."""

    comments: tuple[Comment, ...]
    anchors: dict[int, tuple[int, ...]]
    block_lines: frozenset[int]
    dash_lines: frozenset[int]
    scalars: tuple[tuple[int, str], ...]
    lines: list[int] = field(init=False, repr=False, compare=False)
    """The lines that hold tokens, in order."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", sorted(self.anchors))

    def neighbours(self, line: int) -> tuple[int | None, int | None]:
        """The nearest lines before and after ``line`` that hold tokens."""
        index = bisect.bisect_left(self.lines, line)
        before = self.lines[index - 1] if index > 0 else None
        at = index + (index < len(self.lines) and self.lines[index] == line)
        after = self.lines[at] if at < len(self.lines) else None
        return before, after


def scan(text: str) -> Scan:
    """Find the comments of ``text``; ``YamlProblem`` if libyaml cannot tokenise it."""
    try:
        tokens = list(yaml.scan(text, Loader=yaml.CSafeLoader))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        line, col = file_position(text, line, col, LIBYAML_BREAK)
        raise YamlProblem(line, col, "yaml-syntax", f"invalid YAML: {error.problem}") from None
    # Lines are counted here by "\n" alone, as the text is split when it is rewritten;
    # YAML also breaks lines at U+0085, U+2028 and U+2029.
    starts = _line_starts(text)
    comments: list[Comment] = []
    anchors: dict[int, list[int]] = {}
    block_lines: set[int] = set()
    last: dict[int, yt.Token] = {}
    scalars: list[tuple[int, str]] = []
    position = 0
    after_entry = False
    for token in tokens:
        start, end = token.start_mark.index, token.end_mark.index
        if start > position:
            comments.extend(_comments_in(text, starts, position, start))
        if isinstance(token, yt.ScalarToken) and token.style in ("|", ">"):
            header_end = text.find("\n", start)
            if header_end != -1 and header_end < end:
                comments.extend(_comments_in(text, starts, start + 1, header_end))
            body_end = _line_of(starts, end)
            if not text[starts[body_end] : end].strip():
                body_end -= 1  # the scalar ended with the line break before this line
            block_lines.update(range(_line_of(starts, start) + 1, body_end + 1))
        position = max(position, end)
        if isinstance(token, _STRUCTURE):
            continue
        line = _line_of(starts, start)
        last[line] = token
        if isinstance(token, yt.ScalarToken):
            scalars.append((line, token.value))
        columns = anchors.setdefault(line, [])
        if not columns or after_entry:
            columns.append(start - starts[line])
        after_entry = isinstance(token, yt.BlockEntryToken)
    if position < len(text):
        comments.extend(_comments_in(text, starts, position, len(text)))
    return Scan(
        tuple(comments),
        {line: tuple(cols) for line, cols in anchors.items()},
        frozenset(block_lines),
        frozenset(n for n, token in last.items() if isinstance(token, yt.BlockEntryToken)),
        tuple(scalars),
    )


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer("\n", text))]


def _comments_in(text: str, starts: Sequence[int], begin: int, end: int) -> list[Comment]:
    found = []
    for match in _COMMENT.finditer(text, begin, end):
        index = match.start()
        line = _line_of(starts, index)
        col = index - starts[line]
        own_line = not text[starts[line] : index].strip()
        found.append(Comment(line, col, match.group().rstrip(), own_line))
    return found


def _line_of(starts: Sequence[int], index: int) -> int:
    return bisect.bisect_right(starts, index) - 1


def flush_left(text: str, found: Scan) -> str:
    """``text`` with every comment line moved to column 0.

    ruamel.yaml writes a comment line at the column it was read at, which after
    re-indentation can fall inside a block scalar and turn the comment into text;
    column 0 never does, and ``realign`` then gives each its place.
    """
    lines = text.split("\n")
    for comment in found.comments:
        if comment.own_line:
            lines[comment.line] = comment.text
    return "\n".join(lines)


def realign(before: Scan, after: Scan, text: str) -> str:
    """Indent each comment line of ``text`` (whose scan is ``after``) as it was aligned.

    A comment line that started at the column of a node on the next (or else the
    previous) line of tokens in ``before``, or else on the nearest line above that has a
    node there, starts at that node's new column; any other, and any comment new in
    ``after``, is indented like the next line of tokens (or else the previous one).
    Comments are paired by their text, lines by the scalars on them, in order.
    """
    lines_of = _pairs([s for _, s in before.scalars], [s for _, s in after.scalars])
    line_map = {before.scalars[a][0]: after.scalars[b][0] for a, b in lines_of.items()}
    paired = {
        b: before.comments[a]
        for b, a in _pairs(
            [c.text for c in after.comments], [c.text for c in before.comments]
        ).items()
    }
    lines = text.split("\n")
    for index, new in enumerate(after.comments):
        if new.own_line:
            old = paired.get(index)
            column = _aligned(old, new, before, after, line_map) if old else None
            if column is None:
                column = _default_column(new, after)
            lines[new.line] = " " * column + new.text
    return "\n".join(lines)


def _pairs(first: list[str], second: list[str]) -> dict[int, int]:
    """Index in ``first`` -> index in ``second`` of the items they share, in order."""
    if first == second:
        return {i: i for i in range(len(first))}
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    return {
        block.a + k: block.b + k
        for block in matcher.get_matching_blocks()
        for k in range(block.size)
    }


def _aligned(
    old: Comment, new: Comment, before: Scan, after: Scan, line_map: dict[int, int]
) -> int | None:
    if not old.own_line:
        return None
    old_prev, old_next = before.neighbours(old.line)
    new_prev, new_next = after.neighbours(new.line)
    candidates = [(old_next, new_next), (old_prev, new_prev)]
    # A comment that closes a nested block may line up with a key further up.
    candidates.extend(
        (line, line_map.get(line)) for line in reversed(before.lines) if line < old.line
    )
    for old_line, new_line in candidates:
        if old_line is None or new_line is None:
            continue
        columns = before.anchors[old_line]
        if old.col in columns:
            targets = after.anchors[new_line]
            return targets[min(columns.index(old.col), len(targets) - 1)]
    return None


def _default_column(new: Comment, after: Scan) -> int:
    # Never deeper than the next line: deeper, it could continue a block scalar above.
    new_prev, new_next = after.neighbours(new.line)
    for line in (new_next, new_prev):
        if line is not None:
            return after.anchors[line][0]
    return 0
