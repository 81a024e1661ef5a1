"""Versions of a file parsed block by block give exactly what parsing each whole gives.

The replay parses every version of every document; ``Versions`` reuses the blocks
(top-level keys, list items) a file's previous version had. Held here against the
whole-document parser over every example document, every one-line deletion of it, and
generated documents full of what makes YAML blocks run into each other.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidentctl.load.yamlio import Versions, YamlProblem, _Unclean, fast_load, load_text

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(
    path
    for folder in ("incidents", "policies", "services", "customers", "notifications")
    for path in (REPO_ROOT / folder).rglob("*.y*ml")
) + sorted((REPO_ROOT / "src" / "incidentctl" / "starter").rglob("*.y*ml"))


def outcome(parse: Any, text: str) -> tuple[str, str]:
    """What a parse gives, compared exactly: repr tells 1, 1.0 and True apart."""
    try:
        value = parse(text)
    except (_Unclean, yaml.YAMLError) as error:
        return ("unclean", type(error).__name__)
    except YamlProblem as problem:
        return ("problem", str(problem))
    return ("value", repr(value))


def same_as_whole(versions: Versions, path: str, text: str) -> None:
    whole = outcome(fast_load, text)
    blocks = outcome(lambda t: versions.load(path, t), text)
    assert blocks == whole, text


def test_the_examples_and_every_line_deleted_from_them() -> None:
    assert len(EXAMPLES) > 20
    split = 0
    for example in EXAMPLES:
        text = example.read_text(encoding="utf-8")
        versions = Versions()
        lines = text.splitlines(keepends=True)
        same_as_whole(versions, example.name, text)
        for number in range(len(lines)):
            same_as_whole(versions, example.name, "".join(lines[:number] + lines[number + 1 :]))
        split += bool(versions._blocks.get(example.name))
    assert split > 20  # most examples are cut into blocks, not parsed whole


def test_blocks_of_the_last_version_are_reused_not_parsed() -> None:
    versions = Versions()
    first = "id: a\nupdates:\n  - at: 1\n    text: one\n"
    second = first + "  - at: 2\n    text: two\n"
    assert versions.load("f.yaml", first) == {"id": "a", "updates": [{"at": 1, "text": "one"}]}
    value = versions.load("f.yaml", second)
    assert value == fast_load(second)
    again = versions.load("f.yaml", second + "status: open\n")
    assert again["updates"] is value["updates"]  # the same list: not parsed again
    assert again["updates"][0] is value["updates"][0]


def test_load_text_with_versions_says_what_is_wrong_as_without() -> None:
    versions = Versions()
    good = "id: a\ntitle: x\n"
    for text in (good, good + "title: y\n", good + "anchor: &a 1\n", good + "bad: [1,\n"):
        try:
            expected: Any = load_text(text)
        except YamlProblem as problem:
            expected = str(problem)
        try:
            found: Any = load_text(text, (versions, "f.yaml"))
        except YamlProblem as problem:
            found = str(problem)
        assert found == expected


# Blocks that stand alone, and blocks that run on into the next line or key: quoted and
# flow text continued at the start of a line, block scalars with every chomping, items
# at the key's own indentation, document markers, complex and merge keys, anchors.
FRAGMENTS = [
    "title: Payments down\n",
    "title: other\n",
    "title: 'it''s\n  down'\n",
    'title: "two\nlines: too"\n',
    'quoted: "a\\\n  b"\n',
    "summary: >-\n  folded text\n  more\n",
    "summary: |\n  literal\n\n",
    "summary: |+\n  keep\n\n\n",
    "summary: >\n  folded\n\n  para\n",
    "summary: |2\n    indented\n",
    "summary: |\n",
    "count: 0x1F\n",
    "count: 017\n",
    "ratio: .5\n",
    "ratio: .nan\n",
    "flag: true\n",
    "flag: yes\n",
    "empty:\n",
    "nothing: ~\n",
    "updates:\n  - at: 2026-01-01T00:00:00Z\n    text: one\n",
    "  - at: 2026-01-02T00:00:00Z\n    text: |\n      two\n      - not an item\n",
    "  - at: 2026-01-03T00:00:00Z\n    text: >-\n      three\n\n",
    "  - plain\n",
    "  -\n",
    "- compact: 1\n",
    "-\n",
    "labels:\n- a\n- b\n",
    "labels:\n  # c\n  - a\n\n  - b\n",
    "labels:\n  - [1,\n  2]\n",
    "deep:\n  nested:\n    - a: 1\n      b: [1, 2]\n",
    "services: [a,\nb]\n",
    "services: [a, b]\n",
    "detection: {source: a,\n  channel: b}\n",
    "detection:\n  source: a\n  source: b\n",
    "# a comment\n",
    "  # an indented comment\n",
    "\n",
    "   \n",
    "---\n",
    "--- x\n",
    "...\n",
    "key:value\n",
    "key: value # comment\n",
    "? complex\n: value\n",
    "<<: {a: 1}\n",
    "dup: 1\n",
    "anchor: &a x\n",
    "alias: *a\n",
    "  indented: 1\n",
    "tagged: !!str 5\n",
    "tagged: !!int x\n",
    "odd: !custom x\n",
    "tab:\tx\n",
    "crlf: x\r\n",
    "nel: x\x85y\n",
    "%YAML 1.2\n",
    "1: one\n",
    "null: x\n",
    "a.b-c_d: 1\n",
    "é: accent\n",
]


@st.composite
def documents(draw: st.DrawFn) -> str:
    text = "".join(draw(st.lists(st.sampled_from(FRAGMENTS), max_size=10)))
    return text.rstrip("\n") if draw(st.booleans()) else text


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents(), min_size=1, max_size=5))
def test_generated_versions_parse_as_the_whole(texts: list[str]) -> None:
    versions = Versions()
    for text in texts:
        same_as_whole(versions, "f.yaml", text)


@settings(max_examples=200, deadline=None)
@given(documents(), st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=4))
def test_a_version_grown_from_the_last_parses_as_the_whole(base: str, added: list[str]) -> None:
    versions = Versions()
    text = base
    for fragment in added:
        same_as_whole(versions, "f.yaml", text)
        text = text + fragment
    same_as_whole(versions, "f.yaml", text)


def test_repr_tells_numbers_apart() -> None:  # what outcome() relies on
    assert repr(1) != repr(1.0) != repr(True)
    assert repr(math.nan) == repr(float("nan"))


def test_only_the_most_recently_parsed_files_are_kept() -> None:
    versions = Versions()
    text = "id: a\ntitle: x\n"
    for number in range(Versions.FILES + 10):
        assert versions.load(f"f{number}.yaml", text) == {"id": "a", "title": "x"}
    assert len(versions._blocks) == Versions.FILES
    assert "f0.yaml" not in versions._blocks and f"f{Versions.FILES + 9}.yaml" in versions._blocks
    versions.load("f10.yaml", text)  # parsed again: the most recent now
    assert list(versions._blocks)[-1] == "f10.yaml"
