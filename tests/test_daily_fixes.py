"""Small things met every day: sla --diff and a past miss, clamped commits said once and
said alike by validate and audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from gitrepo import Commit, build_repo, incident_yaml, sla_policy_yaml, update

if TYPE_CHECKING:
    from conftest import RunCli

INC = "incidents/2026/INC-2026-0001.yaml"
POLICY = "policies/sla/gold.yaml"


def test_a_past_miss_is_no_change_and_the_due_move_is_said(tmp_path: Path, run_cli: RunCli) -> None:
    targets = {"SEV1": {"update_every": "30m"}, "SEV2": {"update_every": "1h"}}
    late = [update("2026-11-16T10:45:00Z", "Still on it.")]  # 15m past the first due

    def inc(severity: str, **fields: object) -> str:
        return incident_yaml("INC-2026-0001", severity=severity, updates=late, **fields)

    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T09:00:00Z", files={POLICY: sla_policy_yaml(targets=targets)}),
            Commit("2026-11-16T10:00:00Z", files={INC: incident_yaml("INC-2026-0001")}),
            Commit("2026-11-16T10:45:00Z", files={INC: inc("SEV1")}),
            Commit("2026-11-16T11:00:00Z", branch="lower", files={INC: inc("SEV2")}),
            Commit("2026-11-16T11:00:00Z", branch="retitle", start=2,
                   files={INC: inc("SEV1", title="Payments fail in the EU")}),
        ],
    )  # fmt: skip
    at = ("--at", "2026-11-16T11:05:00Z")
    lower = run_cli(["-C", repo.path, "sla", "--diff", "main...lower", *at])
    assert lower.exit_code == 0, lower.stderr
    assert "missed → missed" not in lower.stdout
    assert "update_every due 11:45 UTC (was 11:15 UTC)" in lower.stdout
    retitle = run_cli(["-C", repo.path, "sla", "--diff", "main...retitle", *at, "--format", "json"])
    assert json.loads(retitle.stdout)["incidents"][0]["metrics"] == []


def test_clamped_commits_are_warnings_everywhere_and_edits_do_not_repeat_them(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T10:00:00Z", files={
                POLICY: sla_policy_yaml(), INC: incident_yaml("INC-2026-0001", severity="SEV1")}),
            Commit("2026-11-16T09:30:00Z", files={
                INC: incident_yaml("INC-2026-0001", severity="SEV1", title="Backdated")}),
        ],
    )  # fmt: skip
    validated = run_cli(["-C", repo.path, "validate", "--now", "2026-11-16T11:00:00Z"])
    assert validated.exit_code == 0
    assert "warning clamped-commit" in validated.stdout
    audited = run_cli(["-C", repo.path, "audit", "--at", "2026-11-16T11:00:00Z", "--format",
                       "json"])  # fmt: skip
    levels = {f["level"] for f in json.loads(audited.stdout)["findings"]
              if f["code"] == "clamped-commit"}  # fmt: skip
    assert (audited.exit_code, levels) == (0, {"warning"})
    edited = run_cli(["-C", repo.path, "ack", "1", "--commander", "@dana",
                      "--now", "2026-11-16T11:00:00Z"])  # fmt: skip
    assert edited.exit_code == 0, edited.stderr
    assert "clamped-commit" not in edited.stderr
