"""Mutated documents: the fast and the located YAML paths agree, and no mutation makes
``validate``, ``fmt`` or a history command fail inside (exit 3) or hang.

The mutations start from the project's example documents and insert what fuzzing found
to matter: indicators, tags, directives, tabs and carriage returns, control characters,
odd years, long numbers. CI runs a fixed seed (``INCIDENTCTL_FUZZ_SEED``, set by
``.ci/run``) and a bounded number of examples; for a longer run by hand, set
``INCIDENTCTL_FUZZ_EXAMPLES`` (and leave the seed unset for new examples each time).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import time
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from conftest import REPO_ROOT
from gitrepo import Repo
from incidentctl.load import yamlio
from incidentctl.load.yamlio import YamlProblem

if TYPE_CHECKING:
    from collections.abc import Callable

    from conftest import RunCli

EXAMPLES = int(os.environ.get("INCIDENTCTL_FUZZ_EXAMPLES", "0"))
SEED = os.environ.get("INCIDENTCTL_FUZZ_SEED")
# A run that takes longer than this is a hang (the slowest honest file takes ~1 s).
SLOW = 10.0

SOURCES = sorted(
    p.relative_to(REPO_ROOT).as_posix()
    for folder in ("incidents", "policies")
    for p in (REPO_ROOT / folder).rglob("*.yaml")
)
TEXTS = {path: (REPO_ROOT / path).read_text(encoding="utf-8") for path in SOURCES}
TOKENS = [
    ":", ": ", "- ", "-", "[", "]", "{", "}", ",", "#", "'", '"', "\\", "|", ">", "?", "!",
    "&a ", "*a", "<<: ", "\t", "\r", "\r\r\n", "\n", "\n  ", " ", "\x1b[2J", "\x07", "\x00",
    "\u2028", "\ufeff", "\u0085", "!!bool maybe", "!!int ", "!!str ", "!!float x", "!!null ",
    "!!seq ", "!!map ", "!python/object:os.system ", "%YAML 1.1\n---\n", "%YAML 1.3\n",
    "%TAG ! tag:x,2000:\n", "---\n", "...\n", "0x" + "f" * 400, "1" * 5000, "9999-12-31",
    "0001-01-01T00:00:00+01:00", "0026", "T25:00:00Z", ".nan", "-.inf", "~", "null", "yes",
    "0o17", "1_000", "'''", '"\\e]0;x\\a"', '"\\x85"', "…", "...", "---",
]  # fmt: skip


@st.composite
def mutated(draw: Callable[..., Any]) -> tuple[str, str]:
    """(path, text): an example document with a few insertions, deletions and repeats."""
    path = draw(st.sampled_from(SOURCES))
    text = TEXTS[path]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["insert", "insert", "delete", "repeat", "replace"]))
        if how == "insert":
            text = text[:at] + draw(st.sampled_from(TOKENS)) + text[at:]
        elif how == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif how == "repeat":
            line_start = text.rfind("\n", 0, at) + 1
            line_end = text.find("\n", at) + 1 or len(text)
            text = text[:line_end] + text[line_start:line_end] + text[line_end:]
        else:
            token = draw(st.sampled_from(TOKENS))
            text = text[:at] + token + text[at + len(token) :]
    return path, text


def fuzz(examples: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Bounded hypothesis settings; a fixed seed when CI gives one."""

    def wrap(test: Callable[..., Any]) -> Callable[..., Any]:
        test = settings(
            max_examples=EXAMPLES or examples,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
            database=None if SEED else settings.default.database,
        )(test)
        return seed(int(SEED))(test) if SEED else test

    return wrap


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, dict) and isinstance(b, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


INC = "incidents/2026/INC-2026-0142.yaml"


@fuzz(1500)
@given(mutated())
# what the two loaders once read differently
@example((INC, "a: 1\n\ufeffb: 2\n"))  # a byte order mark after the start
@example((INC, "id: 2021_00025\nn: 1_000.5\nx: 0x_1F\ny: !!int 1_000\n"))  # digit separators
@example((INC, "a: |\n  one\n    \n  two\nb: >\n  x\n   \n  y\n"))  # indented blank lines
@example((INC, "labels: [portal, local\tisation]\n"))  # a tab inside a flow list
@example((INC, "a: 1\r\r\nb: >\r\r\n  x\r\r\n  y\r\r\n"))  # carriage returns
@example((INC, "at: 2026-11-21T19:05:00Z\n"))  # a timestamp stays the text written
def test_the_fast_and_the_located_loader_agree(case: tuple[str, str]) -> None:
    _, text = case
    try:
        fast: Any = yamlio.fast_load(text)
        fast_ok = fast is not None  # None: empty, which the located path refuses too
    except (yamlio._Unclean, yaml.YAMLError, YamlProblem):
        fast_ok = False
    try:
        located: Any = yamlio.to_plain(yamlio.located_load(text))
    except YamlProblem:
        assert not fast_ok, f"the fast path read {text!r}, the located path refused it"
        return
    if fast_ok:
        assert _same(fast, located), (text, fast, located)
    assert _same(yamlio.load_text(text), located)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """The example data, committed; each example writes one file and puts it back."""
    repo = Repo(tmp_path_factory.mktemp("fuzz") / "repo")
    for folder in ("incidents", "policies"):
        shutil.copytree(REPO_ROOT / folder, repo.path / folder)
    repo.git("add", "-A")
    repo.git("commit", "-qm", "init", env=dates("09:00"))
    return repo


def dates(time_of_day: str) -> dict[str, str]:
    when = f"2026-11-29T{time_of_day}:00Z"
    return {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}


# C0 but tab and line feed, DEL, C1, the line and paragraph separators.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _located(output: str, text: str) -> None:
    """Every problem line is ``path:line:col: level rule message``, inside the file."""
    lines = text.split("\n")
    for line in output.splitlines():
        if ": error " in line or ": warning " in line:
            where = line.split(": ", 1)[0].rsplit(":", 2)
            assert len(where) == 3 and where[1].isdigit() and where[2].isdigit(), line
            number, col = int(where[1]), int(where[2])
            assert 1 <= number <= len(lines), (line, text)
            assert 1 <= col <= len(lines[number - 1]) + 1, (line, text)


@fuzz(400)
@given(mutated())
def test_validate_and_fmt_of_a_mutated_document_answer_in_time(
    workspace: Repo, run_cli: RunCli, case: tuple[str, str]
) -> None:
    path, text = case
    file = workspace.path / path
    file.write_bytes(text.encode("utf-8", "surrogatepass"))
    try:
        for args in (["validate", "--no-history", path], ["fmt", "--check", path]):
            started = time.monotonic()
            result = run_cli(args, workspace.path)
            assert time.monotonic() - started < SLOW, (args, text)
            assert result.exit_code in (0, 1, 2), (args, text, result)
            assert RAW_CONTROL.search(result.stdout + result.stderr) is None, (args, result)
            _located(result.stdout, text)
    finally:
        file.write_text(TEXTS[path], encoding="utf-8")


@fuzz(30)
@given(mutated())
def test_a_bad_version_in_history_never_stops_sla(
    workspace: Repo, run_cli: RunCli, case: tuple[str, str]
) -> None:
    path, text = case
    file = workspace.path / path
    file.write_bytes(text.encode("utf-8", "surrogatepass"))
    workspace.git("commit", "-qam", "mutated", "--allow-empty", env=dates("10:00"))
    file.write_text(TEXTS[path], encoding="utf-8")
    workspace.git("commit", "-qam", "restored", "--allow-empty", env=dates("10:00"))
    for args in (["sla", "--at", "2026-11-30T00:00:00Z"], ["log", "INC-2026-0142"]):
        started = time.monotonic()
        result = run_cli(args, workspace.path)
        assert time.monotonic() - started < SLOW * 3, (args, text)
        assert result.exit_code == 0, (args, text, result)
        assert "INC-2026-0142" in result.stdout
