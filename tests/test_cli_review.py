"""Found by trying to break each command as a user would: unwritable folders, values
ruamel.yaml cannot convert, a file of the wrong kind, an audited branch not named main.

Each test is one bug: the exit code SPEC §5 asks for (2 for the environment, never 3),
and a message that names the file at fault."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gitrepo import Commit, Repo, build_repo, incident_yaml, rca_yaml, sla_policy_yaml

if TYPE_CHECKING:
    from conftest import RunCli

ID = "INC-2026-0001"
INC = f"incidents/2026/{ID}.yaml"
POLICY = "policies/sla/gold.yaml"
OPENED = "2026-11-16T10:00:00Z"
NOW = ("--now", "2026-11-16T11:00:00Z")
NEW = ("--title", "x", "--summary", "y", "--severity", "SEV2", "--service", "payments",
       "--source", "monitoring", "--channel", "chat")  # fmt: skip


def repository(path: Path, branch: str = "main") -> Repo:
    incident = incident_yaml(ID, reported_at=OPENED)
    repo = build_repo(
        path, [Commit(OPENED, files={POLICY: sla_policy_yaml("gold"), INC: incident})]
    )
    if branch != "main":
        repo.git("branch", "-m", "main", branch)
    return repo


@pytest.fixture
def unwritable(monkeypatch: pytest.MonkeyPatch) -> None:
    """No file can be created, as in a read-only folder (the tests may run as root)."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise PermissionError(13, "Permission denied", kwargs.get("dir"))

    monkeypatch.setattr(tempfile, "mkstemp", refuse)


def assert_clean_exit_2(result: Any, shown: str) -> None:
    assert result.exit_code == 2, result
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr
    assert shown in result.stderr
    assert "Permission denied" in result.stderr


# -- writes that fail are environment errors, not internal ones ------------------------


@pytest.mark.usefixtures("unwritable")
def test_edit_in_an_unwritable_folder_exits_2_naming_the_file(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path / "repo")
    before = (repo.path / INC).read_text()
    result = run_cli(["ack", ID, *NOW], cwd=repo.path)
    assert_clean_exit_2(result, INC)
    assert (repo.path / INC).read_text() == before


@pytest.mark.usefixtures("unwritable")
def test_new_in_an_unwritable_folder_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo")
    result = run_cli(["new", *NEW, *NOW], cwd=repo.path)
    assert_clean_exit_2(result, "incidents/2026/INC-2026-0002.yaml")


@pytest.mark.usefixtures("unwritable")
def test_rca_new_in_an_unwritable_folder_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo")
    result = run_cli(["rca", "new", ID, "--at", "2026-11-16T11:00:00Z"], cwd=repo.path)
    assert_clean_exit_2(result, f"incidents/2026/{ID}.rca.yaml")


def test_audit_checkpoint_that_cannot_be_written_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo")
    target = tmp_path / "missing" / "folder" / "checkpoint.json"
    tmp_path.joinpath("missing").write_text("a file where a folder should be")
    result = run_cli(["audit", "--checkpoint", target], cwd=repo.path)
    assert result.exit_code == 2, result
    assert "internal error" not in result.stderr
    assert f"--checkpoint {target}" in result.stderr


# -- values ruamel.yaml cannot convert -------------------------------------------------

# 2026-11-31 does not exist; hour 25 neither; an integer over Python's 4300 digits
UNCONVERTIBLE = [
    ("reported_at: '2026-11-16T10:00:00Z'", "reported_at: 2026-11-31T10:00:00Z"),
    ("reported_at: '2026-11-16T10:00:00Z'", "reported_at: 2026-11-16 25:00:00"),
    ("status: open", "status: open\nbig: 1" + "0" * 5000),
]


@pytest.mark.parametrize(("old", "new"), UNCONVERTIBLE)
def test_a_value_ruamel_cannot_convert_keeps_the_positions_of_every_problem(
    tmp_path: Path, run_cli: RunCli, old: str, new: str
) -> None:
    repo = repository(tmp_path / "repo")
    path = repo.path / INC
    text = path.read_text()
    assert old in text
    lines = text.replace(old, new).splitlines()
    lines.append("labelz: [x]")  # an unknown key, on the last line
    path.write_text("\n".join(lines) + "\n")
    result = run_cli(["validate", INC], cwd=repo.path)
    assert result.exit_code == 1, result
    assert f"{INC}:{len(lines)}:1: error schema unknown key 'labelz'" in result.stdout
    assert f"{INC}:1:1:" not in result.stdout


@pytest.mark.parametrize(("old", "new"), UNCONVERTIBLE)
def test_fmt_keeps_a_value_ruamel_cannot_convert_as_written(
    tmp_path: Path, run_cli: RunCli, old: str, new: str
) -> None:
    repo = repository(tmp_path / "repo")
    path = repo.path / INC
    assert run_cli(["fmt", INC], cwd=repo.path).exit_code == 0  # the canonical layout
    text = path.read_text()
    assert old in text
    text = text.replace(old, new)
    path.write_text(text.replace("\nstatus: open", "\nstatus: open   "))  # to reformat
    result = run_cli(["fmt", INC], cwd=repo.path)
    assert result.exit_code == 0, result
    assert path.read_text() == text
    assert run_cli(["fmt", "--check", INC], cwd=repo.path).exit_code == 0


# -- a file of the wrong kind ----------------------------------------------------------


def test_rca_render_of_a_file_that_is_not_an_rca_exits_2(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo")
    (repo.path / f"incidents/2026/{ID}.rca.yaml").write_text(incident_yaml(ID))
    result = run_cli(["rca", "render", ID], cwd=repo.path)
    assert result.exit_code == 2, result
    assert "internal error" not in result.stderr
    assert f"incidents/2026/{ID}.rca.yaml:1:1: holds kind: Incident, not RCA" in result.stderr


def test_rca_new_for_a_file_that_is_not_an_incident_exits_2(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path / "repo")
    other = "incidents/2026/INC-2026-0002.yaml"
    (repo.path / other).write_text(rca_yaml(ID))
    result = run_cli(["rca", "new", "INC-2026-0002"], cwd=repo.path)
    assert result.exit_code == 2, result
    assert "internal error" not in result.stderr
    assert f"{other}:1:1: holds kind: RCA, not Incident" in result.stderr
    assert not (repo.path / "incidents/2026/INC-2026-0002.rca.yaml").exists()


# -- an audited branch not named main --------------------------------------------------


def test_edit_checks_history_on_the_branch_given_with_branch(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path / "repo", branch="trunk")
    assert run_cli(["resolve", ID, "--summary", "fixed", *NOW], cwd=repo.path).exit_code == 0
    # trunk still says open: closing on top of an uncommitted resolve is refused
    result = run_cli(["close", ID, "--branch", "trunk", *NOW], cwd=repo.path)
    assert result.exit_code == 1, result
    assert "status-transition" in result.stderr
    assert "(on trunk)" in result.stderr


def test_new_does_not_reuse_an_id_deleted_on_the_ref(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo", branch="trunk")
    repo.apply(Commit("2026-11-16T10:30:00Z", delete=[INC], branch="trunk"))
    result = run_cli(["new", *NEW, *NOW, "--ref", "trunk"], cwd=repo.path)
    assert result.exit_code == 0, result
    assert result.stdout.strip() == "incidents/2026/INC-2026-0002.yaml"


# -- sla of an id with nothing to judge ------------------------------------------------


def test_sla_of_an_incident_not_opened_yet_says_why_nothing_is_shown(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path / "repo")
    result = run_cli(["sla", ID, "--at", "2026-11-15T11:00:00Z"], cwd=repo.path)
    assert result.exit_code == 0, result
    assert f"{ID}: nothing to judge on main" in result.stderr
    assert f"incidentctl log {ID}" in result.stderr


def test_sla_of_a_deleted_incident_lists_it_as_deleted(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo")
    repo.apply(Commit("2026-11-16T10:30:00Z", delete=[INC]))
    result = run_cli(["sla", ID, "--at", "2026-11-16T11:00:00Z"], cwd=repo.path)
    assert result.exit_code == 0, result
    assert "nothing to judge" not in result.stderr
    assert f"{ID}" in result.stdout and "deleted" in result.stdout
