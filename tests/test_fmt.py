"""``incidentctl fmt``: the canonical layout, idempotence, comments kept, the command line."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap

from incidentctl.cli.main import main
from incidentctl.edit import Edit, timestamp
from incidentctl.edit.comments import scan
from incidentctl.edit.layout import format_file, format_files, format_text
from incidentctl.load.yamlio import YamlProblem, load_text, located_load

# -- generated documents ------------------------------------------------------------------

SCALARS = [
    "plain",
    "two words",
    "'single quoted'",
    '"double # quoted"',
    "42",
    "3.50",
    "true",
    "null",
    "~",
    "2026-11-22T10:05:00Z",
    "''",
    "plain#nohash",
    "0x1F",
    "yes",
    "a - b",
]
WORDS = st.text(
    alphabet=st.sampled_from("abcxyz é:#'\"-[]{}|>!&*%@`,"), min_size=0, max_size=12
).map(str.rstrip)

Draw = Callable[..., object]


class _Writer:
    """Renders a random document line by line, recording the comments it writes."""

    def __init__(self, draw: Draw) -> None:
        self.draw = draw
        self.lines: list[str] = []
        self.comments: list[str] = []
        self.ids = itertools.count()
        self.keys = itertools.count()

    def comment(self) -> str:
        text = f"# c{next(self.ids)}: {self.draw(WORDS)}".rstrip()
        self.comments.append(text)
        return text

    def eol(self) -> str:
        if self.draw(st.booleans()):
            return " " * int(self.draw(st.integers(1, 4))) + self.comment()
        return ""

    def own_lines(self, indent: int) -> None:
        """Blank lines and comment lines before an entry that starts at ``indent``."""
        for _ in range(int(self.draw(st.integers(0, 2)))):
            if self.draw(st.integers(0, 4)) == 0:
                self.lines.append("")
            else:
                # Never deeper than the entry: deeper, it could continue a block scalar.
                between = self.draw(st.integers(0, indent))
                column = int(self.draw(st.sampled_from([indent, 0, between])))
                self.lines.append(" " * column + self.comment())

    def key(self) -> str:
        return f"k{next(self.keys)}"

    def value(self, prefix: str, indent: int, depth: int) -> None:
        """Write ``prefix`` (``key:`` or ``-``) and a value whose block content is deeper.

        No item of a sequence is a sequence, or a flow collection: no document holds
        one, and there ruamel.yaml mislays blank lines and comments (``fmt`` refuses
        what it would lose, see ``test_a_comment_ruamel_would_lose_is_refused``).
        """
        kinds = ["scalar", "scalar", "empty", "flow", "block", "mapping", "sequence"]
        if prefix.endswith("-"):
            kinds.remove("flow")
        if depth >= 3 or prefix.endswith("-"):
            kinds.remove("sequence")
        if depth >= 3:
            kinds.remove("mapping")
        kind = self.draw(st.sampled_from(kinds))
        step = int(self.draw(st.integers(1, 4)))
        if kind == "scalar":
            self.lines.append(f"{prefix} {self.draw(st.sampled_from(SCALARS))}{self.eol()}")
        elif kind == "empty":
            self.lines.append(f"{prefix}{self.eol()}")
        elif kind == "flow":
            flow = self.draw(st.sampled_from(["[a, b]", "{x: 1, y: [2]}", "[]"]))
            self.lines.append(f"{prefix} {flow}{self.eol()}")
        elif kind == "block":
            # No ``|+``: ruamel.yaml writes the blank lines that follow such a block into
            # it, and fmt refuses (see test_a_change_of_data_is_refused).
            style = self.draw(st.sampled_from(["|", ">", "|-", ">-"]))
            self.lines.append(f"{prefix} {style}")
            body = self.draw(
                st.lists(
                    st.sampled_from(["text", "# not a comment", "", "more text"]),
                    min_size=1,
                    max_size=3,
                )
            )
            body = [*body, "text"]
            for line in body:
                self.lines.append(f"{' ' * (indent + step)}{line}" if line else "")
        elif kind == "mapping":
            self.lines.append(f"{prefix}{self.eol()}")
            self.mapping(indent + step, depth + 1)
        else:
            self.lines.append(f"{prefix}{self.eol()}")
            # A sequence may sit at its key's own column (indentless) or deeper.
            offset = int(self.draw(st.sampled_from([0, step])))
            self.sequence(indent + offset, depth + 1)

    def mapping(self, indent: int, depth: int) -> None:
        for _ in range(int(self.draw(st.integers(1, 3)))):
            self.own_lines(indent)
            self.value(f"{' ' * indent}{self.key()}:", indent, depth)

    def sequence(self, indent: int, depth: int) -> None:
        for _ in range(int(self.draw(st.integers(1, 3)))):
            self.own_lines(indent)
            gap = int(self.draw(st.integers(1, 3)))
            if self.draw(st.booleans()):
                # A mapping opened on the dash's line; its other keys align with the first.
                inner = indent + 1 + gap
                self.value(f"{' ' * indent}-{' ' * gap}{self.key()}:", inner, depth + 1)
                for _ in range(int(self.draw(st.integers(0, 2)))):
                    self.own_lines(inner)
                    self.value(f"{' ' * inner}{self.key()}:", inner, depth + 1)
            else:
                self.value(f"{' ' * indent}-", indent, depth)


@st.composite
def documents(draw: Draw) -> tuple[str, list[str]]:
    writer = _Writer(draw)
    if draw(st.booleans()):
        writer.lines.append("# yaml-language-server: $schema=../../schemas/incident.json")
        writer.comments.append(writer.lines[-1])
    writer.own_lines(0)
    if draw(st.booleans()):
        writer.lines.append("---" + writer.eol())
    writer.mapping(int(draw(st.sampled_from([0, 0, 1, 2]))), 0)
    writer.own_lines(0)
    ending = draw(st.sampled_from(["\n", "", "\n\n", "  \n"]))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n"]))
    return newline.join(writer.lines) + ending.replace("\n", newline), writer.comments


def _comments_of(text: str, comments: list[str]) -> list[int]:
    return [text.count(c) for c in comments]


@settings(max_examples=100, deadline=None)
@given(documents())
def test_fmt_is_idempotent_and_keeps_every_comment(document: tuple[str, list[str]]) -> None:
    text, comments = document
    located_load(text)  # the generator writes valid YAML, or this test says so
    once = format_text(text)
    assert format_text(once) == once
    assert _comments_of(once, comments) == [1] * len(comments), once
    # ... in the order they were written:
    positions = [once.index(c) for c in comments]
    assert positions == sorted(positions)
    assert load_text(once) == load_text(text)
    assert once.endswith("\n") and not once.endswith("\n\n")
    content = scan(once).block_lines  # white space at the end of a block scalar's line is text
    assert all(n in content or line == line.rstrip() for n, line in enumerate(once.split("\n")))


# -- examples -----------------------------------------------------------------------------


def test_canonical_layout_of_an_oddly_indented_document() -> None:
    text = (
        "# yaml-language-server: $schema=../../schemas/incident.json\n"
        "---\n"
        "apiVersion: incidentctl/v1   # aligned\n"
        "services:\n"
        "- api\n"
        "# about web\n"
        "- web\n"
        "detection:\n"
        "    source: monitoring\n"
        "    # between nested keys\n"
        "    channel: chat  \n"
        "updates:\n"
        "    -   at: 2026-11-22T10:05:00Z\n"
        "        text: |\n"
        "          # not a comment\n"
        "          second line\n"
        "    # before the second update\n"
        "    -   at: 2026-11-22T11:00:00Z\n"
        "        text: 'quoted'\n"
        "\n\n"
    )
    assert format_text(text) == (
        "# yaml-language-server: $schema=../../schemas/incident.json\n"
        "apiVersion: incidentctl/v1   # aligned\n"
        "services:\n"
        "  - api\n"
        "  # about web\n"
        "  - web\n"
        "detection:\n"
        "  source: monitoring\n"
        "  # between nested keys\n"
        "  channel: chat\n"
        "updates:\n"
        "  - at: 2026-11-22T10:05:00Z\n"
        "    text: |\n"
        "      # not a comment\n"
        "      second line\n"
        "  # before the second update\n"
        "  - at: 2026-11-22T11:00:00Z\n"
        "    text: 'quoted'\n"
    )


def test_a_closing_comment_stays_in_line_with_the_key_it_was_under() -> None:
    text = (
        "targets:\n"
        "    SEV3:\n"
        "        acknowledge: 4h\n"
        "    # NONPROD has no targets\n"
        "clock: landed\n"
        "   # at no column of a key\n"
    )
    assert format_text(text) == (
        "targets:\n"
        "  SEV3:\n"
        "    acknowledge: 4h\n"
        "  # NONPROD has no targets\n"
        "clock: landed\n"
        "# at no column of a key\n"
    )


def test_key_order_is_kept() -> None:
    text = "title: t\napiVersion: incidentctl/v1\nkind: Incident\n"
    assert format_text(text) == text


def test_a_comment_ruamel_would_lose_is_refused() -> None:
    # ruamel.yaml drops "# about c" when the item it precedes is a flow collection
    # with a comment of its own.
    text = "---\nk:\n- [a, b]\n# about c\n- [c]  # c\n"
    with pytest.raises(YamlProblem) as refused:
        format_text(text)
    assert (refused.value.line, refused.value.col) == (4, 1)  # in the file as it is
    assert refused.value.rule == "fmt-comment"
    assert "'# about c'" in refused.value.message


def test_a_change_of_data_is_refused(tmp_path: Path) -> None:
    # ruamel.yaml writes the blank line before k2 into the block that keeps its line breaks.
    text = "k0:\n- k1: |+\n\n-\n\n  k2: plain\n"
    path = write(tmp_path, "doc.yaml", text)
    outcome = format_file(path, "doc.yaml")
    assert outcome.problem is not None
    assert (outcome.problem.rule, outcome.problem.line) == ("fmt-data", 1)
    assert outcome.after == text


def test_a_comment_inside_a_flow_collection_is_refused() -> None:
    with pytest.raises(YamlProblem) as refused:
        format_text("labels: [a,  # first\n  b]\n")
    assert (refused.value.line, refused.value.col, refused.value.rule) == (1, 14, "fmt-comment")


def test_crlf_and_a_byte_order_mark_go(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1  # one\r\nb:\r\n- x\r\n")
    outcome = format_file(path, "doc.yaml")
    assert outcome.problem is None and outcome.changed
    assert outcome.after == "a: 1  # one\nb:\n  - x\n"


def test_an_empty_file_is_a_problem_not_a_document(tmp_path: Path) -> None:
    path = tmp_path / "doc.yaml"
    path.write_text("# nothing but a comment\n", encoding="utf-8")
    outcome = format_file(path, "doc.yaml")
    assert outcome.problem is not None and outcome.problem.rule == "yaml-empty"
    assert not outcome.changed


def test_files_formatted_by_several_processes_come_back_in_order(tmp_path: Path) -> None:
    files = [
        (write(tmp_path, f"c{n}.yaml", ODD.replace("emea", f"c{n}")), f"c{n}.yaml")
        for n in range(5)
    ]
    outcomes = list(format_files(files, workers=2))
    assert [o.display for o in outcomes] == [name for _, name in files]
    assert [o.after for o in outcomes] == [
        format_text(path.read_text(encoding="utf-8")) for path, _ in files
    ]


INCIDENT = """\
# yaml-language-server: $schema=../../schemas/incident.json
apiVersion: incidentctl/v1
kind: Incident
id: INC-2026-0042
title: Payments fail
summary: Timeouts
severity: SEV2
status: open  # since the first report
environment: production
services:
  - payments
detection:
  source: customer
  channel: hotline
updates:
  # the first answer to the customer
  - at: 2026-11-22T10:15:00Z
    audience: customer
    text: |
      We are looking into it.
"""


def test_an_edit_changes_only_what_was_edited() -> None:
    edit = Edit(INCIDENT)
    edit.tree["status"] = "acknowledged"
    update = CommentedMap()
    update["at"] = timestamp(datetime(2026, 11, 22, 10, 45, 30, 999, tzinfo=UTC))
    update["audience"] = "internal"
    update["text"] = "Rolled back."
    edit.tree["updates"].append(update)
    rendered = edit.render()
    assert (
        rendered
        == INCIDENT.replace("status: open  # since", "status: acknowledged # since")
        + "  - at: 2026-11-22T10:45:30Z\n    audience: internal\n    text: Rolled back.\n"
    )
    assert format_text(rendered) == rendered


# -- the command line ---------------------------------------------------------------------

CANONICAL = "apiVersion: incidentctl/v1\nkind: Calendar\nname: emea\nunion:\n  - a\n"
ODD = "apiVersion: incidentctl/v1\nkind: Calendar\nname: emea  # the region\nunion:\n- a\n"


def run(root: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as done:
        main(["-C", str(root), *args])
    out, err = capsys.readouterr()
    return int(done.value.code or 0), out, err


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_check_lists_the_files_that_would_change_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = write(tmp_path, "policies/calendars/emea.yaml", ODD)
    write(tmp_path, "policies/calendars/apac.yaml", CANONICAL)
    code, out, err = run(tmp_path, "fmt", "--check", capsys=capsys)
    assert code == 1
    assert "would reformat policies/calendars/emea.yaml" in out
    assert "apac.yaml" not in out
    assert "-- a\n+  - a\n" in out  # the diff
    assert "1 file would be reformatted, 1 file would be left unchanged" in err
    assert odd.read_text(encoding="utf-8") == ODD


def test_check_passes_on_canonical_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "policies/calendars/apac.yaml", CANONICAL)
    code, out, _ = run(tmp_path, "fmt", "--check", capsys=capsys)
    assert (code, out) == (0, "")


def test_fmt_rewrites_then_check_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = write(tmp_path, "policies/calendars/emea.yaml", ODD)
    code, out, _ = run(tmp_path, "fmt", capsys=capsys)
    assert (code, out) == (0, "reformatted policies/calendars/emea.yaml\n")
    assert odd.read_text(encoding="utf-8") == (
        "apiVersion: incidentctl/v1\nkind: Calendar\nname: emea  # the region\nunion:\n  - a\n"
    )
    assert run(tmp_path, "fmt", "--check", capsys=capsys)[0] == 0


def test_fmt_of_named_paths_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    named = write(tmp_path, "incidents/2026/INC-2026-0001.yaml", ODD)
    other = write(tmp_path, "policies/calendars/emea.yaml", ODD)
    code, out, _ = run(tmp_path, "fmt", str(named), capsys=capsys)
    assert (code, out) == (0, "reformatted incidents/2026/INC-2026-0001.yaml\n")
    assert other.read_text(encoding="utf-8") == ODD
    assert named.read_text(encoding="utf-8") != ODD


def test_invalid_yaml_is_located_and_left_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = "apiVersion: incidentctl/v1\nkind: Calendar\nunion: [a,\n"
    bad = write(tmp_path, "policies/calendars/bad.yaml", broken)
    odd = write(tmp_path, "policies/calendars/emea.yaml", ODD)
    code, out, err = run(tmp_path, "fmt", capsys=capsys)
    assert code == 1
    assert "policies/calendars/bad.yaml:4:1: error yaml-syntax invalid YAML" in out
    assert bad.read_text(encoding="utf-8") == broken
    assert odd.read_text(encoding="utf-8") != ODD  # the other files are still formatted
    assert "1 file could not be formatted" in err


def test_a_missing_path_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(tmp_path, "fmt", str(tmp_path / "nowhere.yaml"), capsys=capsys)
    assert code == 2
    assert "no such file or folder" in err
