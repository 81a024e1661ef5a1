"""The pre-commit hook, run as a user runs it: ``pre-commit try-repo``.

pre-commit clones this project and installs it in a virtualenv of its own (from the
package index, as for any user), then runs ``incidentctl-validate`` in an incident
repository: a copy of the example repository, committed, since pre-commit needs one.
try-repo keeps no store, so each run builds that virtualenv anew (about 20 s here).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitrepo import Commit, Repo, build_repo

ROOT = Path(__file__).resolve().parent.parent
# What pre-commit needs to install the hook: the package, its metadata, the hook list.
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
HOOK = "incidentctl-validate"


def _files(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.suffix in (".yaml", ".yml")
    }


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    """This project as a Git repository with one commit, as pre-commit would clone it."""
    folder = tmp_path_factory.mktemp("hook") / "incidentctl"
    folder.mkdir()
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, folder / name)
    shutil.copytree(
        ROOT / "src",
        folder / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "*.pyc"),
    )
    repo = Repo(folder)
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "incidentctl")
    return repo


def example(tmp_path: Path) -> Repo:
    """The example repository's incidents and policies, committed on main."""
    files = {**_files(ROOT / "incidents"), **_files(ROOT / "policies")}
    assert files, "the example repository has no documents"
    return build_repo(tmp_path / "incidents-repo", [Commit("2026-11-20T09:00:00Z", files=files)])


def try_repo(target: Repo, hook_repo: Repo) -> subprocess.CompletedProcess[str]:
    command = [
        sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo.path), HOOK,
        "--ref", hook_repo.head(), "--all-files", "--color", "never",
    ]  # fmt: skip
    return subprocess.run(
        command,
        cwd=target.path,
        env=target.environment(),  # HOME too is the test's: nothing outside is touched
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def test_the_hook_passes_on_the_example_repository(tmp_path: Path, hook_repo: Repo) -> None:
    target = example(tmp_path)

    done = try_repo(target, hook_repo)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "incidentctl validate" in done.stdout
    assert "Passed" in done.stdout


def test_the_hook_fails_on_a_broken_file_and_says_where(tmp_path: Path, hook_repo: Repo) -> None:
    target = example(tmp_path)
    path = next(p for p in sorted(_files(ROOT / "incidents")) if not p.endswith(".rca.yaml"))
    lines = (ROOT / path).read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if text.startswith("severity:"))
    lines[line - 1] = "severity: SEV5"
    target.apply(Commit("2026-11-20T10:00:00Z", files={path: "\n".join(lines) + "\n"}))

    done = try_repo(target, hook_repo)

    assert done.returncode == 1, done.stdout + done.stderr
    assert "Failed" in done.stdout
    assert f"{path}:{line}:1: error schema severity: 'SEV5' is not one of" in done.stdout
