"""The first hour: ``init`` in an empty folder, a short incident life through the command
line only, then ``validate``, ``sla`` and ``report`` all green, on main and on master."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from gitrepo import git_date
from test_init import git_env

if TYPE_CHECKING:
    from conftest import RunCli

ID = "INC-2026-0001"
# Tuesday 1 December 2026, UTC
STEPS = [
    ("2026-12-01T09:00:00Z", ["new", "--title", "Checkout: card payments fail",
                              "--summary", "Card payments time out for some customers.",
                              "--severity", "sev2", "--service", "payments",
                              "--source", "customer", "--channel", "email", "--commit"]),
    ("2026-12-01T09:12:00Z", ["ack", "1", "--commander", "@alice", "--commit"]),
    ("2026-12-01T09:30:00Z", ["update", "inc-2026-1", "We are investigating.", "--commit"]),
    ("2026-12-01T10:40:00Z", ["mitigate", "0001", "--workaround", "Retries on.", "--commit"]),
    ("2026-12-01T11:20:00Z", ["update", "1", "Payments work again with retries.", "--commit"]),
    ("2026-12-01T15:00:00Z", ["resolve", "1", "--summary", "Gateway pool resized.",
                              "--commit"]),
    ("2026-12-01T16:00:00Z", ["rca", "new", "1", "--commit"]),
]  # fmt: skip
AT = "2026-12-01T17:00:00Z"


@pytest.mark.parametrize("branch", ["main", "master"])
def test_init_then_an_incident_life_then_everything_is_green(
    tmp_path: Path, run_cli: RunCli, branch: str
) -> None:
    env = git_env(tmp_path)
    target = tmp_path / "incidents"
    if branch == "master":  # a repository someone made already, on master
        target.mkdir()
        subprocess.run(["git", "init", "-q", "-b", "master", target], env=env, check=True)
    started = run_cli(["init", target, "--commit", "--now", "2026-11-30T08:00:00Z"],
                      env={**env, "GIT_AUTHOR_DATE": git_date("2026-11-30T08:00:00Z"),
                           "GIT_COMMITTER_DATE": git_date("2026-11-30T08:00:00Z")})  # fmt: skip
    assert started.exit_code == 0, started.stderr
    assert f"committed on {branch}" in started.stdout

    for when, args in STEPS:
        dated = {**env, "GIT_AUTHOR_DATE": git_date(when), "GIT_COMMITTER_DATE": git_date(when)}
        result = run_cli(["-C", target, *args, "--now" if args[0] != "rca" else "--at", when],
                         env=dated)  # fmt: skip
        assert result.exit_code == 0, (args, result.stdout, result.stderr)
        assert "committed" in result.stdout, args

    log = subprocess.run(["git", "-C", target, "log", "--format=%s", branch],
                         env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert log.splitlines()[-1] == "Start the incident repository"
    assert log.splitlines()[0] == f"{ID}: RCA drafted"
    assert subprocess.run(["git", "-C", target, "status", "--porcelain"], env=env,
                          capture_output=True, text=True, check=True).stdout == ""  # fmt: skip

    validated = run_cli(["-C", target, "validate", "--now", AT], env=env)
    assert validated.exit_code == 0, validated.stdout + validated.stderr
    assert "history rules skipped" not in validated.stderr

    sla = run_cli(["-C", target, "sla", "--at", AT, "--format", "json",
                   "--fail-on", "breached"], env=env)  # fmt: skip
    assert sla.exit_code == 0, sla.stderr
    board = json.loads(sla.stdout)
    (incident,) = board["incidents"]
    assert incident["id"] == ID and incident["policy"] == "standard"
    states = {m["metric"]: m["state"] for m in incident["metrics"]}
    assert states["acknowledge"] == "met" and states["resolve"] == "met"
    assert states["postmortem"] == "running"  # 48h from the resolution

    report = run_cli(["-C", target, "report", "--at", AT, "--format", "json"], env=env)
    assert report.exit_code == 0, report.stderr
    assert json.loads(report.stdout)["incidents"] == 1
