"""``incidentctl completion bash|zsh|fish``: each script, loaded into its real shell,
completes commands, options, incident ids of the repository and severities in any case.

bash runs the script's function as ``complete -F`` would, with ``COMP_WORDS`` and
``COMP_CWORD`` set; fish answers ``complete --do-complete`` itself; zsh's completion
system needs a terminal, so ``compadd`` and ``_describe`` are stood in for by functions
that print what they are given (the script's own code runs, and talks to incidentctl).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from conftest import RunCli

IDS = ("INC-2025-0042", "INC-2026-0007", "INC-2026-0017", "INC-2026-0140")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for incident_id in IDS:
        folder = root / "incidents" / incident_id[4:8]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{incident_id}.yaml").write_text("kind: Incident\n", encoding="utf-8")
    (root / "incidents" / "2026" / "INC-2026-0007.rca.yaml").write_text("", encoding="utf-8")
    return root


def environment(tmp_path: Path) -> dict[str, str]:
    """The venv's incidentctl first on PATH; a HOME of the test's own (fish writes there)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {"PATH": path, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}


def script(run_cli: RunCli, shell: str) -> str:
    result = run_cli(["completion", shell])
    assert result.exit_code == 0, result.stderr
    return result.stdout


BASH_DRIVER = """
eval "$SCRIPT"
complete -p incidentctl
for line in "$@"; do
  read -r -a COMP_WORDS <<< "$line"
  case $line in *' ') COMP_WORDS+=("");; esac
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMPREPLY=()
  _incidentctl_completion incidentctl
  echo "$line|${COMPREPLY[*]}"
done
"""


def bash(run_cli: RunCli, repo: Path, tmp_path: Path, *lines: str) -> dict[str, list[str]]:
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", BASH_DRIVER, "bash", *lines],
        cwd=repo,
        env={**environment(tmp_path), "SCRIPT": script(run_cli, "bash")},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    first, *answers = done.stdout.splitlines()
    assert first == "complete -o nosort -F _incidentctl_completion incidentctl"
    return {line: words.split() for line, _, words in (a.partition("|") for a in answers)}


def test_bash_completes_ids_of_the_repository_from_a_short_number_or_any_case(
    run_cli: RunCli, repo: Path, tmp_path: Path
) -> None:
    got = bash(run_cli, repo, tmp_path, "incidentctl ack 7", "incidentctl log inc-2026-00",
               "incidentctl rca render 42", "incidentctl sla ")  # fmt: skip
    assert got["incidentctl ack 7"] == ["INC-2026-0017", "INC-2026-0007"]
    assert got["incidentctl log inc-2026-00"] == ["INC-2026-0017", "INC-2026-0007"]
    assert got["incidentctl rca render 42"] == ["INC-2025-0042"]
    assert got["incidentctl sla "] == sorted(IDS, reverse=True)  # the newest first


def test_bash_completes_commands_options_and_severities_in_any_case(
    run_cli: RunCli, repo: Path, tmp_path: Path
) -> None:
    got = bash(run_cli, repo, tmp_path, "incidentctl re", "incidentctl rca ",
               "incidentctl new --sev", "incidentctl new --severity sev",
               "incidentctl severity 7 Sev2", "incidentctl completion ")  # fmt: skip
    assert got["incidentctl re"] == ["reopen", "report", "resolve", "resume"]
    assert got["incidentctl rca "] == ["new", "render"]
    assert got["incidentctl new --sev"] == ["--severity"]
    assert got["incidentctl new --severity sev"] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert got["incidentctl severity 7 Sev2"] == ["SEV2"]
    assert got["incidentctl completion "] == ["bash", "zsh", "fish"]


def test_no_repository_no_ids_and_no_error(run_cli: RunCli, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    got = bash(run_cli, empty, tmp_path, "incidentctl ack ", "incidentctl ack 7")
    assert got == {"incidentctl ack ": [], "incidentctl ack 7": []}


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_completes_ids_severities_and_commands(
    run_cli: RunCli, repo: Path, tmp_path: Path
) -> None:
    source = tmp_path / "incidentctl.fish"
    source.write_text(script(run_cli, "fish"), encoding="utf-8")

    def complete(line: str) -> list[str]:
        done = subprocess.run(
            ["fish", "--no-config", "-c", f"source {source}; complete --do-complete=$LINE"],
            cwd=repo, env={**environment(tmp_path), "LINE": line},
            capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        return [row.split("\t", 1)[0] for row in done.stdout.splitlines()]

    assert complete("incidentctl ack 7") == ["INC-2026-0007", "INC-2026-0017"]  # fish sorts
    assert complete("incidentctl new --severity sev") == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert complete("incidentctl rca ") == ["new", "render"]


ZSH_DRIVER = """
compdef() { print -r -- "compdef $*"; }
compadd() { local name=${@[-1]}; print -rl -- ${(P)name}; }
_describe() { local name=$3; print -rl -- ${(P)name}; }
eval "$SCRIPT"
for line in "$@"; do
  words=(${(z)line})
  [[ $line == *' ' ]] && words+=('')
  CURRENT=${#words}
  print -r -- "== $line"
  _incidentctl_completion
done
"""


@pytest.mark.skipif(shutil.which("zsh") is None, reason="zsh is not installed")
def test_zsh_completes_ids_severities_and_commands(
    run_cli: RunCli, repo: Path, tmp_path: Path
) -> None:
    lines = ["incidentctl ack 7", "incidentctl new --severity sev", "incidentctl rca "]
    done = subprocess.run(
        ["zsh", "-f", "-c", ZSH_DRIVER, "zsh", *lines],
        cwd=repo, env={**environment(tmp_path), "SCRIPT": script(run_cli, "zsh")},
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    registered, *rest = done.stdout.splitlines()
    assert registered == "compdef _incidentctl_completion incidentctl"
    answers: dict[str, list[str]] = {}
    for row in rest:
        if row.startswith("== "):
            current = answers.setdefault(row[3:], [])
        else:
            current.append(row)
    assert answers["incidentctl ack 7"] == ["INC-2026-0017", "INC-2026-0007"]
    assert answers["incidentctl new --severity sev"] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert [row.split(":", 1)[0] for row in answers["incidentctl rca "]] == ["new", "render"]
    assert answers["incidentctl rca "][0].startswith("new:Write ID.rca.yaml next to")


def test_an_unknown_shell_is_a_usage_error(run_cli: RunCli) -> None:
    result = run_cli(["completion", "tcsh"])
    assert result.exit_code == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.stderr
