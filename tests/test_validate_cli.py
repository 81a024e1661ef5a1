"""``incidentctl validate`` on small repositories in ``tmp_path``: formats, paths, exit codes.

``MiniRepo`` (used by ``test_rules`` and ``test_loading`` too) writes a minimal valid
repository: one standard SLA policy, the calendar it names, a DefectPolicy and one
incident. Each test changes one file and runs the command line.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

INC = "incidents/2026/INC-2026-0001.yaml"
NEW = "incidents/2026/INC-2026-0002.yaml"
STANDARD = "policies/sla/standard.yaml"
EMEA = "policies/calendars/emea-support.yaml"
DEFECTS = "policies/defects.yaml"
NOW = "2026-03-02T12:00:00Z"

BASE: dict[str, str] = {
    INC: """\
        apiVersion: incidentctl/v1
        kind: Incident
        id: INC-2026-0001
        title: Checkout fails
        summary: Card payments time out
        severity: SEV3
        status: open
        environment: production
        services: [checkout]
        detection:
          source: monitoring
          channel: monitoring
        updates:
          - at: 2026-03-02T10:05:00Z
            audience: customer
            text: We are investigating
        """,
    STANDARD: """\
        apiVersion: incidentctl/v1
        kind: SLAPolicy
        name: standard
        targets:
          SEV1:
            acknowledge: 5m
            update_every: 15m
            resolve: 4h
          SEV2:
            update_every: 30m
            resolve: 8h
          SEV3:
            calendar: emea-support
            resolve: 24h
        """,
    EMEA: """\
        apiVersion: incidentctl/v1
        kind: Calendar
        name: emea-support
        timezone: Europe/Berlin
        hours:
          mon-fri: ["09:00-17:00"]
        """,
    DEFECTS: """\
        apiVersion: incidentctl/v1
        kind: DefectPolicy
        name: defects
        routes:
          - services: [checkout]
            github: acme/shop
            labels: [defect]
        fix:
          SEV1: {hotfix: 48h}
          SEV2: next-release
        """,
}


class MiniRepo:
    """A minimal valid incident repository under ``root``; ``validate`` runs the CLI."""

    def __init__(self, root: Path, run_cli: RunCli) -> None:
        self.root = root
        self._run_cli = run_cli
        for path, text in BASE.items():
            self.write(path, text)

    def write(self, path: str, text: str | bytes) -> Path:
        """Write a file; text is dedented, so it can be indented like the test's code."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(textwrap.dedent(text), encoding="utf-8")
        return target

    def edit(self, path: str, old: str, new: str) -> None:
        """Replace ``old`` (which must occur exactly once) by ``new`` in a file."""
        target = self.root / path
        text = target.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
        target.write_text(text.replace(old, new), encoding="utf-8")

    def append(self, path: str, text: str) -> None:
        """Add lines at the end of a file, as they are (they may continue a list)."""
        target = self.root / path
        target.write_text(target.read_text(encoding="utf-8") + text, encoding="utf-8")

    def validate(
        self, *args: str, now: str | None = NOW, env: dict[str, str] | None = None
    ) -> CliResult:
        """``incidentctl -C ROOT validate ARGS --now NOW``, run from ``root``.

        No run may print a traceback, whatever its input.
        """
        extra = ["--now", now] if now is not None else []
        result = self._run_cli(
            ["-C", str(self.root), "validate", *args, *extra], cwd=self.root, env=env
        )
        assert "Traceback" not in result.stderr + result.stdout
        return result


@pytest.fixture
def repo(tmp_path: Path, run_cli: RunCli) -> MiniRepo:
    return MiniRepo(tmp_path / "repo", run_cli)


def problems(result: CliResult) -> list[str]:
    """The problem lines of text output: everything but the closing summary."""
    return result.stdout.splitlines()[:-1]


def assert_valid(result: CliResult, files: int = 4) -> None:
    assert (result.exit_code, result.stdout) == (0, f"{files} file(s) valid\n")


def assert_problems(result: CliResult, *lines: str, files: int = 4) -> None:
    """Exactly these problem lines, the summary that counts them, and exit code 1."""
    assert problems(result) == list(lines)
    summary = f"{len(lines)} error(s), 0 warning(s) in {files} file(s)"
    assert result.stdout.splitlines()[-1] == summary
    assert result.exit_code == 1


# -- the minimal repository ----------------------------------------------------------------


def test_the_minimal_repository_is_valid(repo: MiniRepo) -> None:
    assert_valid(repo.validate())


# -- output formats ------------------------------------------------------------------------

BAD_SEVERITY = (
    f"{INC}:6:1: error schema severity: 'SEV5' is not one of SEV1, SEV2, SEV3, SEV4, NONPROD"
)


def test_text_lines_are_path_line_col_level_rule_message(repo: MiniRepo) -> None:
    repo.edit(INC, "severity: SEV3", "severity: SEV5")
    assert_problems(repo.validate(), BAD_SEVERITY)


def test_json_format_lists_the_problems(repo: MiniRepo) -> None:
    repo.edit(INC, "severity: SEV3", "severity: SEV5")
    repo.edit(STANDARD, "resolve: 24h", "resolve: 3d")
    result = repo.validate("--format", "json")
    assert result.exit_code == 1
    assert json.loads(result.stdout) == {
        "checked": 4,
        "errors": 2,
        "warnings": 0,
        "problems": [
            {
                "path": INC,
                "line": 6,
                "col": 1,
                "level": "error",
                "rule": "schema",
                "message": "severity: 'SEV5' is not one of SEV1, SEV2, SEV3, SEV4, NONPROD",
            },
            {
                "path": STANDARD,
                "line": 14,
                "col": 5,
                "level": "error",
                "rule": "business-days",
                "message": "resolve: 3d counts days on the business-hours calendar "
                "'emea-support', where a day is ambiguous: write the target in business "
                "hours (three 8-hour days are 24h) or use calendar 24x7",
            },
        ],
    }


def test_json_format_of_a_clean_repository(repo: MiniRepo) -> None:
    result = repo.validate("--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"checked": 4, "errors": 0, "warnings": 0, "problems": []}


def test_github_format_writes_escaped_workflow_commands(repo: MiniRepo) -> None:
    repo.edit(INC, "severity: SEV3", "severity: SEV5")
    # A file name with ',' and ':' and a message with '%': all must be escaped.
    repo.write("incidents/odd,name:1.yaml", "apiVersion: incidentctl/v1\nkind: Incidnt\n")
    repo.edit(STANDARD, "name: standard", "name: standard\nwarn_at: [50%, '0%']")
    result = repo.validate("--format", "github")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "::error file=incidents/2026/INC-2026-0001.yaml,line=6,col=1,title=schema::"
        "severity: 'SEV5' is not one of SEV1, SEV2, SEV3, SEV4, NONPROD",
        "::error file=incidents/odd%2Cname%3A1.yaml,line=2,col=1,title=kind::"
        "kind 'Incidnt' is not one of Incident, RCA, SLAPolicy, Calendar, DefectPolicy, "
        "Service, Customer, NotificationPolicy: "
        "did you mean Incident?",
        "::error file=policies/sla/standard.yaml,line=4,col=16,title=schema::"
        "warn_at[1]: '0%25' is out of range: write a percentage above 0%25 and at most 1000%25",
        "3 error(s), 0 warning(s) in 5 file(s)",
    ]


def test_github_actions_makes_github_the_default_format(repo: MiniRepo) -> None:
    repo.edit(INC, "severity: SEV3", "severity: SEV5")
    result = repo.validate(env={"GITHUB_ACTIONS": "true"})
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"::error file={INC},line=6,col=1,title=schema::"
        "severity: 'SEV5' is not one of SEV1, SEV2, SEV3, SEV4, NONPROD"
    )
    # ... and --format still wins over the environment.
    assert_problems(repo.validate("--format", "text", env={"GITHUB_ACTIONS": "true"}), BAD_SEVERITY)


def test_an_unknown_format_is_a_usage_error(repo: MiniRepo) -> None:
    result = repo.validate("--format", "xml")
    assert result.exit_code == 2
    assert "'xml' is not one of 'text', 'json', 'github'" in result.stderr


# -- --now --------------------------------------------------------------------------------


def test_an_update_after_now_is_in_the_future(repo: MiniRepo) -> None:
    assert_valid(repo.validate(now="2026-03-02T10:05:00Z"))  # exactly now is not the future
    assert_problems(
        repo.validate(now="2026-03-02T10:04:59+00:00"),
        f"{INC}:14:5: error updates-order update at 2026-03-02T10:05:00Z is in the future "
        "(now is 2026-03-02T10:04:59Z): fix its time",
    )


def test_now_without_an_offset_is_local_time_and_nonsense_a_usage_error(repo: MiniRepo) -> None:
    # local time is UTC unless a zone is configured: the update at 10:05 is then ahead
    result = repo.validate(now="2026-03-02T10:04:59")
    assert result.exit_code == 1 and "(now is 2026-03-02T10:04:59Z)" in result.stdout
    result = repo.validate(now="the day after the day after")
    assert result.exit_code == 2
    assert "is not a time: write 2026-11-22T10:05:00Z" in result.stderr


# -- paths --------------------------------------------------------------------------------


def test_one_file_is_checked_against_the_others_and_only_it_is_reported(repo: MiniRepo) -> None:
    # The standard policy now covers only acme; the incident names another customer.
    repo.edit(STANDARD, "name: standard", "name: standard\napplies_to: {customers: [acme]}")
    repo.edit(INC, "environment: production", "environment: production\ncustomer: globex")
    repo.write(NEW, "apiVersion: incidentctl/v1\nkind: Incident\n")  # broken, not named
    assert_problems(
        repo.validate(INC),
        f"{INC}:9:1: error sla-policy-match no SLA policy applies to this production incident "
        "(customer globex, services checkout): add a policy whose applies_to matches, or a "
        "default policy without applies_to",
        files=1,
    )


def test_one_clean_file_of_a_repository_with_problems_elsewhere(repo: MiniRepo) -> None:
    repo.write(NEW, "apiVersion: incidentctl/v1\nkind: Incident\n")
    assert_valid(repo.validate(INC), files=1)
    assert_valid(repo.validate(STANDARD, EMEA), files=2)


def test_a_policy_named_alone_still_sees_the_calendars(repo: MiniRepo) -> None:
    repo.edit(STANDARD, "calendar: emea-support", "calendar: apac-support")
    assert_problems(
        repo.validate(STANDARD),
        f"{STANDARD}:13:5: error calendar-ref calendar 'apac-support' does not exist: use "
        "one of 24x7, emea-support, or add a Calendar named so",
        files=1,
    )


def test_a_folder_names_every_yaml_file_inside_it(repo: MiniRepo) -> None:
    repo.write(NEW, "- a list\n")
    repo.write("incidents/notes.txt", "not YAML, not looked at")
    assert_problems(
        repo.validate("incidents"),
        f"{NEW}:1:1: error document the document is a list: it must be a mapping that starts "
        "with apiVersion: incidentctl/v1 and kind: one of Incident, RCA, SLAPolicy, Calendar, "
        "DefectPolicy, Service, Customer, NotificationPolicy",
        files=2,
    )


def test_a_file_outside_incidents_and_policies_is_validated_when_named(repo: MiniRepo) -> None:
    outside = "drafts/INC-2026-0009.yaml"
    text = (repo.root / INC).read_text(encoding="utf-8")
    repo.write(outside, text.replace("INC-2026-0001", "INC-2026-0009").replace("SEV3", "SEV9"))
    assert_valid(repo.validate())  # not discovered on its own
    assert_problems(
        repo.validate(outside),
        f"{outside}:6:1: error schema severity: 'SEV9' is not one of SEV1, SEV2, SEV3, SEV4, "
        "NONPROD",
        files=1,
    )


def test_a_path_that_does_not_exist_is_a_usage_error(repo: MiniRepo) -> None:
    result = repo.validate("incidents/2026/INC-2026-0404.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        "incidentctl: incidents/2026/INC-2026-0404.yaml: no such file or folder: check the path\n"
    )


def test_a_repository_without_documents_is_valid(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli(["-C", str(tmp_path), "validate"])
    assert (result.exit_code, result.stdout) == (0, "0 file(s) valid\n")


def test_problems_are_sorted_by_path_then_position(repo: MiniRepo) -> None:
    repo.edit(INC, "status: open", "status: mitigated")
    repo.edit(INC, "severity: SEV3", "severity: SEV1")
    repo.write("incidents/2025/INC-2025-0001.yaml", "apiVersion: incidentctl/v1\n")
    assert [line.split(": error ")[0] for line in problems(repo.validate())] == [
        "incidents/2025/INC-2025-0001.yaml:1:1",
        f"{INC}:7:1",
        f"{INC}:7:1",
    ]
