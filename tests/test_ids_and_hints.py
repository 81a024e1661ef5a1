"""Friendly input: short, case-insensitive ids; "did you mean"; hints for what is not
committed yet; ``new`` refusing what ``validate`` would reject."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gitrepo import Commit, Repo, build_repo, incident_yaml, sla_policy_yaml
from incidentctl.ids import resolve_id
from incidentctl.problems import UsageError

if TYPE_CHECKING:
    from conftest import RunCli

TARGETS = {sev: {"acknowledge": "1h"} for sev in ("SEV1", "SEV2", "SEV3", "SEV4")}
KNOWN = ["INC-2025-0007", "INC-2026-0007", "INC-2026-0012"]
NEW = ["new", "--title", "Login fails", "--summary", "SSO errors.", "--severity", "Sev3",
       "--service", "auth", "--source", "customer", "--channel", "email",
       "--now", "2026-11-16T12:00:00Z"]  # fmt: skip


@pytest.mark.parametrize(
    ("typed", "full"),
    [
        ("12", "INC-2026-0012"),
        ("0012", "INC-2026-0012"),
        ("inc-2026-0012", "INC-2026-0012"),
        ("Inc-2026-12", "INC-2026-0012"),
        ("2025-7", "INC-2025-0007"),
        ("INC-2026-0099", "INC-2026-0099"),  # full ids pass: history may know them
    ],
)
def test_short_and_case_insensitive_ids(typed: str, full: str) -> None:
    assert resolve_id(typed, KNOWN) == full


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("7", "could be INC-2025-0007, INC-2026-0007: give the year"),
        ("99", "no incident is numbered 99"),
        ("INC-2026-001x", "did you mean INC-2026-0012"),
        ("; rm -rf /", "is not an incident id"),
    ],
)
def test_ambiguous_unknown_and_misspelt_ids(typed: str, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        resolve_id(typed, KNOWN)


def repository(path: Path) -> Repo:
    return build_repo(
        path,
        [
            Commit(
                "2026-11-16T10:00:00Z",
                files={
                    "policies/sla/gold.yaml": sla_policy_yaml("gold", targets=TARGETS),
                    "incidents/2026/INC-2026-0001.yaml": incident_yaml("INC-2026-0001"),
                },
            )
        ],
    )


def test_the_cli_takes_short_ids_and_suggests_on_typos(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo")
    result = run_cli(["-C", repo.path, "sla", "1", "--at", "2026-11-16T10:30:00Z"])
    assert result.exit_code == 0, result.stderr
    assert "INC-2026-0001" in result.stdout
    typo = run_cli(["-C", repo.path, "log", "INC-2026-00O1"])
    assert typo.exit_code == 2
    assert "did you mean INC-2026-0001" in typo.stderr


def test_new_without_commit_says_the_clock_waits_and_sla_explains(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path / "repo")
    result = run_cli(["-C", repo.path, *NEW])
    assert result.exit_code == 0, result.stderr
    written = Path(result.stdout.strip())
    assert written == repo.path / "incidents/2026/INC-2026-0002.yaml"
    assert "INC-2026-0002 is not committed yet" in result.stderr
    assert "severity: SEV3" in written.read_text(encoding="utf-8")
    sla = run_cli(["-C", repo.path, "sla", "2"])
    assert sla.exit_code == 2
    assert "INC-2026-0002 is in the work tree but not on main yet" in sla.stderr


def test_new_commits_and_pushes(tmp_path: Path, run_cli: RunCli) -> None:
    upstream = repository(tmp_path / "upstream")
    upstream.git("config", "receive.denyCurrentBranch", "updateInstead")
    clone = upstream.clone(tmp_path / "clone")
    env = clone.environment()
    env = {name: env[name] for name in ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL")}
    result = run_cli(["-C", clone.path, *NEW, "--push"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "committed" in result.stdout and "pushed" in result.stdout
    subject = upstream.git("log", "-1", "--format=%B", "main")
    assert subject.startswith("INC-2026-0002: opened (SEV3)")
    assert "Incident: INC-2026-0002" in subject


def test_new_refuses_outside_git_and_writes_nothing(tmp_path: Path, run_cli: RunCli) -> None:
    result = run_cli(["-C", tmp_path, *NEW])
    assert result.exit_code == 2
    assert "not in a Git repository" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_new_refuses_an_incident_no_policy_applies_to(tmp_path: Path, run_cli: RunCli) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(
                "2026-11-16T10:00:00Z",
                files={
                    "policies/sla/acme.yaml": sla_policy_yaml(
                        "acme", applies_to={"customers": ["acme"]}, targets=TARGETS
                    )
                },
            )
        ],
    )
    result = run_cli(["-C", repo.path, *NEW])
    assert result.exit_code == 1
    assert "sla-policy-match: no SLA policy applies" in result.stderr
    assert not (repo.path / "incidents").exists()
    # the same incident for acme is welcome
    assert run_cli(["-C", repo.path, *NEW, "--customer", "acme"]).exit_code == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["slla"], "No such command 'slla': did you mean sla?"),
        (["rca", "rendr", "1"], "No such command 'rendr': did you mean render?"),
        (
            ["severity", "1", "sev9", "--reason", "x"],
            "is not one of SEV1, SEV2, SEV3, SEV4, NONPROD",
        ),
    ],
)
def test_did_you_mean_for_commands_and_values(
    tmp_path: Path, run_cli: RunCli, args: list[str], message: str
) -> None:
    repo = repository(tmp_path / "repo")
    result = run_cli(["-C", repo.path, *args])
    assert result.exit_code == 2
    assert message in result.stderr


def test_did_you_mean_for_keys_and_enum_values(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo")
    path = repo.path / "incidents/2026/INC-2026-0001.yaml"
    text = path.read_text(encoding="utf-8").replace("status: open", "status: opne")
    path.write_text(text.replace("title:", "titel:"), encoding="utf-8")
    result = run_cli(["-C", repo.path, "validate", "--no-history"])
    assert "unknown key 'titel': did you mean 'title'?" in result.stdout
    assert "'opne' is not one of open, acknowledged" in result.stdout
    assert "did you mean open?" in result.stdout


def test_severities_in_any_case(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo")
    result = run_cli(["-C", repo.path, "severity", "1", "sev1", "--reason", "worse",
                      "--now", "2026-11-16T10:30:00Z"])  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "severity: SEV1" in (repo.path / "incidents/2026/INC-2026-0001.yaml").read_text("utf-8")
