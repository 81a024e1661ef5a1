"""Hostile and odd input met where a user meets it, through the command line: odd YAML,
links and FIFOs among the documents, a broken version in history, concurrent edits,
files that vanish or are read-only, outputs that are not regular files.

The only acceptable outcomes are exit 0, 1 or 2 with a message that says where; never
an internal error (exit 3), and nothing written that should not be.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from conftest import REPO_ROOT
from gitrepo import Repo

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

INC = "incidents/2026/INC-2026-0142.yaml"
NEW = "incidents/2026/INC-2026-0900.yaml"
# The console script next to the interpreter running the tests, as a user runs it.
CONSOLE = str(Path(sys.executable).with_name("incidentctl"))
WHEN = {"GIT_AUTHOR_DATE": "2026-11-29T09:00:00Z", "GIT_COMMITTER_DATE": "2026-11-29T09:00:00Z"}


@pytest.fixture
def example(tmp_path: Path) -> Repo:
    """The project's example data, committed once on ``main``."""
    repo = Repo(tmp_path / "repo")
    for folder in ("incidents", "policies"):
        shutil.copytree(REPO_ROOT / folder, repo.path / folder)
    repo.git("add", "-A")
    repo.git("commit", "-qm", "init", env=WHEN)
    return repo


def replace_line(repo: Repo, path: str, start: str, new: str) -> None:
    file = repo.path / path
    lines = file.read_text(encoding="utf-8").split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(start))
    lines[index] = new
    file.write_text("\n".join(lines), encoding="utf-8")


def commit(repo: Repo, message: str) -> None:
    repo.git("commit", "-qam", message, env=WHEN)


def no_crash(result: CliResult) -> None:
    assert result.exit_code in (0, 1, 2), result
    assert "internal error" not in result.stderr


# -- odd YAML ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("!!bool maybe\n", "1:1: error yaml-tag 'maybe' is not a valid !!bool value"),
        ("a: !!int ~\n", "1:4: error yaml-tag '~' is not a valid !!int value"),
        ("a: !!seq x\n", "1:4: error yaml-tag the tag !!seq does not fit this value"),
        ("%YAML 1.3\n---\na: 1\n", "1:1: error yaml-directive %YAML 1.3 is not supported"),
        ("%YAML 1.1\n---\na: yes\n", "1:1: error yaml-directive %YAML 1.1 is not supported"),
    ],
)
def test_odd_tags_and_directives_are_located_by_validate_and_fmt(
    example: Repo, run_cli: RunCli, content: str, line: str
) -> None:
    (example.path / NEW).write_text(content, encoding="utf-8")
    for args in (["validate", NEW], ["fmt", "--check", NEW]):
        result = run_cli(args, example.path)
        assert result.exit_code == 1, result
        assert result.stdout.startswith(f"{NEW}:{line}"), result


def test_a_huge_hexadecimal_number_is_a_located_schema_error(
    example: Repo, run_cli: RunCli
) -> None:
    (example.path / NEW).write_text(
        "apiVersion: incidentctl/v1\nkind: Incident\ntitle: 0x" + "f" * 3600 + "\n",
        encoding="utf-8",
    )
    result = run_cli(["validate", NEW], example.path)
    assert result.exit_code == 1, result
    assert f"{NEW}:3:1: error schema title: expected text, got a number (<a number of" in (
        result.stdout
    )


def test_fmt_refuses_a_document_that_is_not_a_mapping(example: Repo, run_cli: RunCli) -> None:
    (example.path / "policies/x.yaml").write_text("# c\n[]\n", encoding="utf-8")
    result = run_cli(["fmt", "--check", "policies/x.yaml"], example.path)
    assert result.exit_code == 1, result
    assert result.stdout.startswith("policies/x.yaml:1:1: error document the document is not")


def test_fmt_keeps_the_data_of_a_folded_block_with_lone_carriage_returns(
    example: Repo, run_cli: RunCli
) -> None:
    from incidentctl.load.yamlio import decode, load_text

    path = example.path / "policies/calendars/x.yaml"
    path.write_bytes(
        b"apiVersion: incidentctl/v1\r\r\nkind: Calendar\r\r\nname: x\r\r\n"
        b"timezone: UTC\r\r\ndescription: >-\r\r\n  one\r\r\n  two\r\r\n"
    )
    before = load_text(decode(path.read_bytes()))
    result = run_cli(["fmt", "policies/calendars/x.yaml"], example.path)
    assert result.exit_code == 0, result
    assert load_text(decode(path.read_bytes())) == before


def test_a_tab_in_a_flow_list_gets_the_same_verdict_from_validate_and_fmt(
    example: Repo, run_cli: RunCli
) -> None:
    replace_line(example, INC, "labels:", "labels: [portal, local\tisation]")
    validate = run_cli(["validate", INC], example.path)
    fmt = run_cli(["fmt", "--check", INC], example.path)
    assert validate.exit_code == fmt.exit_code == 1, (validate, fmt)
    assert validate.stdout.splitlines()[0] == fmt.stdout.splitlines()[0]
    assert validate.stdout.startswith(f"{INC}:27:")


# -- history -------------------------------------------------------------------------------


def test_a_version_that_does_not_load_is_reported_once_and_skipped(
    example: Repo, run_cli: RunCli
) -> None:
    replace_line(example, INC, "labels:", "labels: !!bool maybe")
    commit(example, "bad")
    bad = example.git("rev-parse", "HEAD")
    example.git("checkout", "-q", "HEAD~1", "--", INC)
    commit(example, "fixed")
    at = ["--at", "2026-11-30T00:00:00Z"]
    for args in (["validate"], ["sla", *at], ["report", *at], ["audit", *at],
                 ["log", "INC-2026-0142"]):  # fmt: skip
        result = run_cli(args, example.path)
        assert result.exit_code in (0, 1), (args, result)
        no_crash(result)
    sla = run_cli(["sla", *at], example.path)
    assert sla.exit_code == 0
    warnings = [line for line in sla.stderr.splitlines() if bad[:12] in line]
    assert warnings == [
        f"incidentctl: warning: commit {bad[:12]}: {INC}:27:9: error yaml-tag 'maybe' is not "
        "a valid !!bool value: remove the tag, or write the value the tag asks for (this "
        "version does not load and is skipped)"
    ]
    assert "INC-2026-0142" in sla.stdout
    update = run_cli(["update", "INC-2026-0142", "hi", "--now", "2026-11-29T10:00:00Z"],
                     example.path)  # fmt: skip
    assert update.exit_code == 0, update


# -- files that are not regular ------------------------------------------------------------


def test_a_linked_document_is_refused_and_its_target_never_shown(
    example: Repo, run_cli: RunCli, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:secret-content\n", encoding="utf-8")
    link = "incidents/2026/INC-2026-0999.yaml"
    (example.path / link).symlink_to(secret)
    (example.path / "incidents/2026/loop.yaml").symlink_to("loop.yaml")
    (example.path / "incidents/2026/gone.yaml").symlink_to("nowhere.yaml")
    expected = {
        f"{path}:1:1: error file-type this is a symbolic link, not a regular file: documents "
        "are regular files inside the repository; put the document itself here"
        for path in (link, "incidents/2026/loop.yaml", "incidents/2026/gone.yaml")
    }
    for args in (["validate"], ["fmt", "--check"], ["validate", link], ["fmt", link]):
        result = run_cli(args, example.path)
        assert result.exit_code == 1, (args, result)
        assert "secret-content" not in result.stdout + result.stderr
        assert {line for line in result.stdout.splitlines() if "file-type" in line} <= expected
        assert any("file-type" in line for line in result.stdout.splitlines())
    assert (example.path / link).is_symlink()
    assert secret.read_text(encoding="utf-8") == "root:x:0:0:secret-content\n"


def test_a_linked_document_in_a_pull_request_is_refused_by_sla_diff(
    example: Repo, run_cli: RunCli
) -> None:
    link = "incidents/2026/INC-2026-0999.yaml"
    example.git("checkout", "-q", "-b", "pr")
    (example.path / link).symlink_to("/etc/passwd")
    example.git("add", "-A")
    example.git("commit", "-qm", "evil", env=WHEN)
    example.git("checkout", "-q", "main")
    result = run_cli(["sla", "--diff", "main...pr", "--at", "2026-11-30T00:00:00Z"], example.path)
    assert result.exit_code == 0, result
    assert f"{link}:1:1: error file-type this is a symbolic link" in result.stdout
    assert "root:" not in result.stdout


def test_a_fifo_among_the_documents_is_refused_without_waiting(
    example: Repo, run_cli: RunCli
) -> None:
    os.mkfifo(example.path / "incidents/2026/pipe.yaml")
    result = run_cli(["validate"], example.path)
    assert result.exit_code == 1, result
    assert "incidents/2026/pipe.yaml:1:1: error file-type this is a named pipe (FIFO)" in (
        result.stdout
    )


def test_report_out_refuses_a_device_and_a_link(example: Repo, run_cli: RunCli) -> None:
    target = example.path / "target.txt"
    target.write_text("secret\n", encoding="utf-8")
    (example.path / "link.html").symlink_to("target.txt")
    os.mkfifo(example.path / "pipe.html")
    for name, what in (("link.html", "a symbolic link"), ("pipe.html", "a named pipe (FIFO)")):
        result = run_cli(["report", "--out", name, "--at", "2026-11-30T00:00:00Z"], example.path)
        assert result.exit_code == 2, result
        assert result.stderr == (
            f"incidentctl: --out {name}: cannot write it: it is {what}, not a regular file, "
            "so it is left alone\n"
        )
    assert (example.path / "link.html").is_symlink()
    assert target.read_text(encoding="utf-8") == "secret\n"
    assert not (example.path / "pipe.html").is_file()


# -- editing -------------------------------------------------------------------------------


def test_concurrent_edits_lose_no_update(example: Repo) -> None:
    """Edits of one incident at once: each that exits 0 is in the file."""
    command = [CONSOLE]
    env = dict(os.environ)
    processes = [
        subprocess.Popen(
            [*command, "update", "INC-2026-0142", f"parallel-{k}", "--now", "2026-11-29T10:00:00Z"],
            cwd=example.path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for k in range(6)
    ]
    codes = [p.wait(timeout=120) for p in processes]
    text = (example.path / INC).read_text(encoding="utf-8")
    assert set(codes) <= {0, 1}, codes
    assert codes.count(0) >= 1
    for k, code in enumerate(codes):
        assert (f"parallel-{k}" in text) == (code == 0), (k, codes)
    for process in processes:
        assert process.stdout is not None and process.stderr is not None
        process.stdout.close()
        process.stderr.close()


def test_an_incident_removed_during_an_edit_is_exit_2(
    example: Repo, run_cli: RunCli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from incidentctl.edit import commands

    plan = commands.plan_edit

    def plan_then_remove(root: Path, path: Path, *args: object, **kwargs: object) -> object:
        planned = plan(root, path, *args, **kwargs)  # type: ignore[arg-type]
        path.unlink()
        return planned

    monkeypatch.setattr(commands, "plan_edit", plan_then_remove)
    result = run_cli(["update", "INC-2026-0142", "hello"], example.path)
    assert result.exit_code == 2, result
    assert result.stderr.startswith(f"incidentctl: {INC} was removed while it was being edited")
    assert not (example.path / INC).exists()


def test_an_edit_leaves_a_read_only_file_alone(example: Repo, run_cli: RunCli) -> None:
    path = example.path / INC
    before = path.read_bytes()
    path.chmod(0o444)
    args = ["update", "INC-2026-0142", "written anyway", "--now", "2026-11-29T10:00:00Z"]
    if os.geteuid() == 0:
        # root may write anything: run without the capability that allows it
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv")
        done = subprocess.run(
            [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", CONSOLE, *args],
            cwd=example.path,
            capture_output=True,
            text=True,
            check=False,
        )
        code, stderr = done.returncode, done.stderr
    else:
        result = run_cli(args, example.path)
        code, stderr = result.exit_code, result.stderr
    assert code == 2, stderr
    assert stderr == f"incidentctl: {INC}: cannot write it, so nothing was changed: " + (
        "Permission denied\n"
    )
    assert path.read_bytes() == before
    assert path.stat().st_mode & 0o777 == 0o444


# -- time at the edges ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "line", "where", "shown", "year"),
    [
        ("  - at: 2026-11-21T19:06:00Z", "  - at: 0001-01-01T00:30:00+01:00", "22:5: error schema "
         "updates[0].at", "0001-01-01T00:30:00+01:00", "0001"),
        ("  - at: 2026-11-21T19:06:00Z", "  - at: 9999-12-31T23:00:00-01:00", "22:5: error schema "
         "updates[0].at", "9999-12-31T23:00:00-01:00", "9999"),
        ("  reported_at:", "  reported_at: 0026-11-21T19:05:00Z", "20:3: error schema "
         "detection.reported_at", "0026-11-21T19:05:00Z", "0026"),
        ("  reported_at:", "  reported_at: 1970-01-01T00:30:00+01:00", "20:3: error schema "
         "detection.reported_at", "1970-01-01T00:30:00+01:00", "1969"),
    ],
)  # fmt: skip
def test_times_outside_the_sane_years_are_located_and_never_crash_history(
    example: Repo, run_cli: RunCli, start: str, line: str, where: str, shown: str, year: str
) -> None:
    replace_line(example, INC, start, line)
    result = run_cli(["validate", "--no-history", INC], example.path)
    assert result.exit_code == 1, result
    assert result.stdout.splitlines()[0] == (
        f"{INC}:{where}: '{shown}': the year {year} is outside 1970-2199: check the year "
        "(a typo such as 0026 for 2026?)"
    )
    commit(example, "odd year")
    at = ["--at", "2026-11-30T00:00:00Z"]
    for args in (["sla", *at], ["report", *at], ["audit", *at], ["validate"]):
        result = run_cli(args, example.path)
        no_crash(result)
        assert result.exit_code in (0, 1), (args, result)


@pytest.mark.parametrize("at", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59Z"])
def test_at_outside_the_sane_years_is_a_usage_error(
    example: Repo, run_cli: RunCli, at: str
) -> None:
    for args in (["sla", "--at", at], ["report", "--at", at], ["validate", "--now", at]):
        result = run_cli(args, example.path)
        assert result.exit_code == 2, (args, result)
        assert "Invalid value for" in result.stderr


def test_a_document_of_countless_keys_is_refused_at_once(example: Repo, run_cli: RunCli) -> None:
    keys = "".join(f"k{i}: v\n" for i in range(16_000))
    (example.path / NEW).write_text(
        f"apiVersion: incidentctl/v1\nkind: Incident\nid: INC-2026-0900\n{keys}",
        encoding="utf-8",
    )
    result = run_cli(["validate", "--no-history", NEW], example.path)
    assert result.exit_code == 1, result
    assert result.stdout.splitlines() == [
        f"{NEW}:10000:8: error yaml-size the document holds more than 20000 keys, values and "
        "list items: documents need a few hundred; split it, or link to long material "
        "instead of pasting it",
        "1 error(s), 0 warning(s) in 1 file(s)",
    ]


# -- control characters ----------------------------------------------------------------

# C0 but tab and line feed, DEL, C1, the line and paragraph separators: never printed raw.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


@pytest.mark.parametrize(
    ("start", "line", "where", "code"),
    [
        ("title:", 'title: "Portal \\e[8mhidden\\e[0m shows amounts"', "5:1: error schema title",
         "001B"),
        ("customer:", 'customer: "umbrella\\e]0;pwned\\a"', "15:1: error schema customer", "001B"),
        ("labels:", 'labels: [portal, "local\\aisation"]', "27:18: error schema labels[1]", "0007"),
        ("services:", 'services: ["customer-portal\\nsecond line"]', "16:12: error schema "
         "services[0]", "000A"),
        ("summary:", 'summary: "Umbrella Health \\e[2J reports"', "6:1: error schema summary",
         "001B"),
    ],
)  # fmt: skip
def test_a_control_character_in_a_one_line_field_or_a_summary_is_located(
    example: Repo, run_cli: RunCli, start: str, line: str, where: str, code: str
) -> None:
    if start == "summary:":  # the folded block goes with its key
        text = (example.path / INC).read_text(encoding="utf-8")
        head, _, tail = text.partition("summary: >-\n")
        tail = tail.split("\n", 3)[3]
        (example.path / INC).write_text(f"{head}{line}\n{tail}", encoding="utf-8")
    else:
        replace_line(example, INC, start, line)
    result = run_cli(["validate", "--no-history", INC], example.path)
    assert result.exit_code == 1, result
    first = result.stdout.splitlines()[0]
    assert first.startswith(f"{INC}:{where}: "), first
    assert f"holds the control character U+{code}" in first
    assert RAW_CONTROL.search(result.stdout + result.stderr) is None


def test_a_summary_keeps_its_line_breaks(example: Repo, run_cli: RunCli) -> None:
    replace_line(example, INC, "summary:", "summary: |-")
    result = run_cli(["validate", "--no-history", INC], example.path)
    assert result.exit_code == 0, result


def test_control_characters_are_escaped_wherever_document_text_is_printed(
    example: Repo, run_cli: RunCli
) -> None:
    # an update's text may hold them (it is prose, kept as written); a commit's author too
    replace_line(
        example,
        INC,
        "      Filed from support portal ticket CS-91877.",
        '      "\\e]0;pwned\\a\\e[2J\\e[31m Filed from support portal ticket CS-91877.',
    )
    replace_line(example, INC, "      and invoiced amounts are correct.",
                 '      and invoiced amounts are correct.\\u2028\\x85\\r"')  # fmt: skip
    replace_line(example, INC, "    text: >-", "    text:")
    eve = {"GIT_AUTHOR_NAME": "Eve \x1b[31m", "GIT_AUTHOR_EMAIL": "e@x"}
    example.git("commit", "-qam", "escapes \x1b[2J", env=WHEN | eve)
    at = ["--at", "2026-11-30T00:00:00Z"]
    printed = {
        "validate": run_cli(["validate", INC], example.path),
        "log": run_cli(["log", "INC-2026-0142"], example.path),
        "sla": run_cli(["sla", *at, "INC-2026-0142"], example.path),
        "sla json": run_cli(["sla", *at, "--format", "json"], example.path),
        "report": run_cli(["report", *at], example.path),
        "rca render": run_cli(["rca", "render", "INC-2026-0142"], example.path),
    }
    for name, result in printed.items():
        no_crash(result)
        assert RAW_CONTROL.search(result.stdout + result.stderr) is None, (name, result)
    assert printed["validate"].exit_code == 0, printed["validate"]
    assert "\\u001b]0;pwned\\u0007" in printed["log"].stdout, printed["log"].stdout
    # a damaged value in a message: the value is shown, its controls escaped
    replace_line(example, INC, "severity:", 'severity: "SEV\\e[2J3"')
    (example.path / "policies/x.yaml").write_bytes(
        b"apiVersion: incidentctl/v1\r\nkind: Calendar\r\n"
    )
    for args in (["validate", INC], ["fmt", "--check", "policies/x.yaml", INC]):
        result = run_cli(args, example.path)
        assert result.exit_code == 1, (args, result)
        assert RAW_CONTROL.search(result.stdout + result.stderr) is None, (args, result)


def test_the_escapes_of_a_terminal_pass_only_for_the_tools_own_colours() -> None:
    from incidentctl.cli.safeout import EscapingStream

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty, pipe = Tty(), io.StringIO()
    for stream in (EscapingStream(tty), EscapingStream(pipe)):
        stream.write("\x1b[31mbreached\x1b[0m \x1b]0;title\x07\x1b[2J\n")
        stream.write("\r\x1b[K12 of 40\n")
    assert tty.getvalue() == (
        "\x1b[31mbreached\x1b[0m \\u001b]0;title\\u0007\\u001b[2J\n\r\x1b[K12 of 40\n"
    )
    assert pipe.getvalue() == (
        "\\u001b[31mbreached\\u001b[0m \\u001b]0;title\\u0007\\u001b[2J\n\\u000d\\u001b[K12 of 40\n"
    )


@pytest.mark.parametrize(
    "text",
    ["a bell \a rings", "it trails off...", "an ellipsis\u2026", "... and starts so",
     "--- a rule", "a line\u2028apart", "next \x85 line", "an escape \x1b[2J", "x: y",
     "tab\there", "'quoted'", "\ufeffbom"],
)  # fmt: skip
def test_fmt_leaves_alone_what_an_edit_wrote(example: Repo, run_cli: RunCli, text: str) -> None:
    from incidentctl.load.yamlio import decode, load_text

    result = run_cli(["update", "INC-2026-0142", "--now", "2026-11-22T08:00:00Z", "--", text],
                     example.path)  # fmt: skip
    assert result.exit_code == 0, result
    written = (example.path / INC).read_bytes()
    assert load_text(decode(written))["updates"][-1]["text"] == text.strip()
    check = run_cli(["fmt", "--check", INC], example.path)
    assert check.exit_code == 0, (written, check)


def test_lines_are_counted_by_line_feeds_whatever_else_breaks_them(
    example: Repo, run_cli: RunCli
) -> None:
    path = example.path / INC
    text = path.read_text(encoding="utf-8").replace("severity: SEV3", "severity: SEV9")
    path.write_bytes(text.replace("\n", "\r\r\n").encode("utf-8"))
    lines = text.count("\n")
    result = run_cli(["validate", "--no-history", INC], example.path)
    assert result.exit_code == 1, result
    assert result.stdout.startswith(f"{INC}:12:1: error schema severity: 'SEV9'"), result
    # a syntax error on the last line, from either parser
    text = text.replace("severity: SEV9", "severity: SEV3")
    text = text.replace("labels: [portal, localisation]", "labels: [portal, local\tisation]")
    path.write_bytes(text.replace("\n", "\r\r\n").encode("utf-8"))
    for args in (["validate", "--no-history", INC], ["fmt", "--check", INC]):
        result = run_cli(args, example.path)
        assert result.exit_code == 1, result
        assert result.stdout.startswith(f"{INC}:{lines}:24: error yaml-syntax"), result
    # lone carriage returns and Unicode line separators count as nothing
    text = path.read_bytes().decode("utf-8").replace("\r\r\n", "\n")
    path.write_bytes(text.replace("summary: >-\n", "summary: >-\r  one\u2028\n").encode())
    result = run_cli(["validate", "--no-history", INC], example.path)
    assert result.stdout.startswith(f"{INC}:{lines}:24: error yaml-syntax"), result
