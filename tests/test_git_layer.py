"""The one Git layer (history/git.py): GitPython runs every Git command of the tool."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gitrepo import Commit, Repo, build_repo, incident_yaml
from incidentctl.history.git import BlobReader, Git

if TYPE_CHECKING:
    from conftest import RunCli

SRC = Path(__file__).resolve().parent.parent / "src" / "incidentctl"
INC = "incidents/2026/INC-2026-0001.yaml"


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T10:00:00Z", files={INC: incident_yaml("INC-2026-0001")}),
            Commit("2026-11-16T10:05:00Z",
                   files={INC: incident_yaml("INC-2026-0001", status="acknowledged")}),
        ],
    )  # fmt: skip


def test_no_module_but_the_git_layer_starts_a_process() -> None:
    starts = re.compile(r"\bsubprocess\b|\bos\.(system|popen|spawn\w*|exec\w*)\b|\bPopen\b")
    found = [
        f"{path.relative_to(SRC)}:{number}"
        for path in sorted(SRC.rglob("*.py"))
        if path != SRC / "history" / "git.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if starts.search(line)
    ]
    assert found == []


def test_every_command_runs_without_pager_or_prompt(repo: Repo) -> None:
    git = Git(repo.path)
    assert git.run("var", "GIT_PAGER").stdout == b"cat\n"
    done = git.run("-c", "alias.env=!env", "env")
    environment = dict(
        line.split("=", 1) for line in done.stdout.decode().splitlines() if "=" in line
    )
    assert environment["GIT_TERMINAL_PROMPT"] == "0"
    assert environment["LC_ALL"] == "C"


def test_a_git_failure_is_a_usage_error_with_gits_reason(repo: Repo) -> None:
    from incidentctl.problems import UsageError

    with pytest.raises(UsageError, match=r"git cat-file failed in .*: Not a valid object name"):
        Git(repo.path).run("cat-file", "-p", "no-such-thing")
    assert Git(repo.path).run("cat-file", "-e", "no-such-thing", check=False).returncode != 0


def test_a_repository_of_another_user_is_explained(repo: Repo, run_cli: RunCli) -> None:
    # Git's own switch for "owned by someone else", as a CI container's checkout is.
    result = run_cli(["-C", repo.path, "sla"], env={"GIT_TEST_ASSUME_DIFFERENT_OWNER": "1"})
    assert result.exit_code == 2
    assert "Git refuses to work in" in result.stderr
    assert f"git config --global --add safe.directory {repo.path}" in result.stderr


def test_without_git_the_command_says_so(repo: Repo, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from incidentctl.cli.main import main; main()", "sla"],
        cwd=repo.path, env={"PATH": str(tmp_path / "nothing"), "HOME": str(tmp_path)},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "cannot run Git" in done.stderr and "install Git" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_does_not_import_gitpython(tmp_path: Path) -> None:
    code = (
        "import sys\nfrom incidentctl.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "print('git' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, cwd=tmp_path)  # fmt: skip
    assert done.stdout.strip().splitlines()[-1] == "False"


def test_the_log_streams_and_stops_when_the_reader_does(repo: Repo) -> None:
    git = Git(repo.path)
    commits = git.log(["main"], ["incidents"])
    newest = next(commits)
    assert newest.sha == repo.head()
    assert newest.changes and newest.changes[0][0] == INC
    commits.close()  # git log is stopped and reaped, no error
    assert [c.sha for c in git.log(["main"], ["incidents"])] == repo.shas[::-1]


def test_a_log_of_a_missing_revision_is_a_usage_error(repo: Repo) -> None:
    from incidentctl.problems import UsageError

    with pytest.raises(UsageError, match="git log failed"):
        list(Git(repo.path).log(["0" * 40], ["incidents"]))


def test_blobs_are_read_through_one_process(repo: Repo) -> None:
    git = Git(repo.path)
    blobs = [b for c in git.log(["main"], ["incidents"]) for _, b in c.changes if b]
    with BlobReader(git) as reader:
        read = dict(reader.read_many(blobs))
        assert reader.read(blobs[0]) == read[blobs[0]]
    assert b"status: acknowledged" in read[blobs[0]]
    assert len(read) == 2


def test_a_git_that_is_not_there_is_a_usage_error(repo: Repo) -> None:
    from incidentctl.problems import UsageError

    missing = str(repo.path / "no-such-git")
    with pytest.raises(UsageError, match=f"cannot run '{missing}': install Git"):
        Git(repo.path, executable=missing).run("status")
