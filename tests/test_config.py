"""The configuration: ``incidentctl.yaml``, ``INCIDENTCTL_*`` over it, flags over both;
the audited branch by default is the remote's HEAD branch, else main, else master."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gitrepo import Commit, Repo, build_repo, incident_yaml, sla_policy_yaml

if TYPE_CHECKING:
    from conftest import RunCli

ID = "INC-2026-0001"
INC = f"incidents/2026/{ID}.yaml"
OPENED = "2026-11-16T10:00:00Z"
AT = "2026-11-16T10:30:00Z"


def config_yaml(**fields: str) -> str:
    body = "".join(f"{key}: {value}\n" for key, value in fields.items())
    return f"apiVersion: incidentctl/v1\nkind: Config\n{body}"


def opened(path: Path, branch: str = "main", files: dict[str, str] | None = None) -> Repo:
    repo = build_repo(
        path,
        [
            Commit(
                OPENED,
                files={
                    "policies/sla/gold.yaml": sla_policy_yaml("gold"),
                    INC: incident_yaml(ID, severity="SEV1"),
                    **(files or {}),
                },
            )
        ],
    )
    if branch != "main":
        repo.git("branch", "-m", "main", branch)
    return repo


def judged_ref(run_cli: RunCli, repo: Repo, *args: str, env: dict[str, str] | None = None) -> str:
    """The ref ``sla`` judged on, from the message it gives for an id it does not know."""
    result = run_cli(["-C", repo.path, "sla", "INC-2026-0999", "--at", AT, *args], env=env)
    assert result.exit_code == 2, result
    return result.stderr.split(" on ", 1)[1].split(":", 1)[0]


def test_a_repository_on_master_works_without_any_setting(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path / "repo", branch="master")
    result = run_cli(["-C", repo.path, "sla", ID, "--at", AT, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert ID in result.stdout
    assert run_cli(["-C", repo.path, "validate"]).exit_code == 0
    assert run_cli(["-C", repo.path, "log", ID]).exit_code == 0
    assert run_cli(["-C", repo.path, "report", "--at", AT]).exit_code == 0
    assert judged_ref(run_cli, repo) == "master"


def test_main_is_preferred_to_master(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path / "repo")
    repo.git("branch", "master")
    assert judged_ref(run_cli, repo) == "main"


def test_the_remote_head_branch_comes_first(tmp_path: Path, run_cli: RunCli) -> None:
    upstream = opened(tmp_path / "upstream", branch="trunk")
    upstream.git("branch", "main")  # a stale main beside the real default branch
    clone = upstream.clone(tmp_path / "clone")
    assert clone.git("symbolic-ref", "refs/remotes/origin/HEAD").strip().endswith("/trunk")
    assert judged_ref(run_cli, clone) == "trunk"


def test_file_then_environment_then_flag(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path / "repo", files={"incidentctl.yaml": config_yaml(branch="release")})
    repo.git("branch", "release")
    repo.git("branch", "hotfix")
    assert judged_ref(run_cli, repo) == "release"
    env = {"INCIDENTCTL_BRANCH": "hotfix"}
    assert judged_ref(run_cli, repo, env=env) == "hotfix"
    assert judged_ref(run_cli, repo, "--ref", "main", env=env) == "main"
    # an empty variable is ignored, as an unset one
    assert judged_ref(run_cli, repo, env={"INCIDENTCTL_BRANCH": ""}) == "release"


def test_a_configured_branch_that_does_not_exist_is_a_usage_error(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path / "repo", files={"incidentctl.yaml": config_yaml(branch="gone")})
    result = run_cli(["-C", repo.path, "sla", "--at", AT])
    assert result.exit_code == 2
    assert "'gone' not found" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (config_yaml(branche="main"), "incidentctl.yaml:3:1: error schema"),
        (config_yaml(branch="-rf"), "incidentctl.yaml:3:1: error schema branch: '-rf'"),
        (config_yaml(timezone="Mars/Olympus"), "incidentctl.yaml:3:1: timezone 'Mars/Olympus'"),
        ("apiVersion: incidentctl/v1\nkind: Calendar\n", "kind 'Calendar' is not one of Config"),
    ],
)
def test_a_bad_configuration_is_located_and_stops_the_command(
    tmp_path: Path, run_cli: RunCli, text: str, expected: str
) -> None:
    repo = opened(tmp_path / "repo")
    (repo.path / "incidentctl.yaml").write_text(text, encoding="utf-8")
    result = run_cli(["-C", repo.path, "sla", "--at", AT])
    assert result.exit_code == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_reports_the_configuration_like_any_document(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path / "repo", files={"incidentctl.yaml": config_yaml(bot_logn="me")})
    result = run_cli(["-C", repo.path, "validate", "--no-history"])
    assert result.exit_code == 1
    assert "incidentctl.yaml:3:1: error schema" in result.stdout
    assert "bot_login" in result.stdout  # did you mean


@pytest.mark.parametrize(
    ("variable", "value"),
    [("INCIDENTCTL_TIMEZONE", "Nowhere/City"), ("INCIDENTCTL_BRANCH", "--force")],
)
def test_a_bad_environment_override_is_a_usage_error(
    tmp_path: Path, run_cli: RunCli, variable: str, value: str
) -> None:
    repo = opened(tmp_path / "repo")
    result = run_cli(["-C", repo.path, "sla", "--at", AT], env={variable: value})
    assert result.exit_code == 2
    assert f"{variable}={value!r}" in result.stderr


def test_an_edit_commits_and_pushes_to_master(tmp_path: Path, run_cli: RunCli) -> None:
    upstream = opened(tmp_path / "upstream", branch="master")
    upstream.git("config", "receive.denyCurrentBranch", "updateInstead")
    clone = upstream.clone(tmp_path / "clone")
    env = clone.environment()
    env = {name: env[name] for name in ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_GLOBAL")}
    result = run_cli(["-C", clone.path, "ack", ID, "--push"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "acknowledged" in upstream.git("show", "master:" + INC)
