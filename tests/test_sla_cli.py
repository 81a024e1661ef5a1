"""`incidentctl sla`, `log` and validate's history rules on real Git repositories."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gitrepo import (
    Commit,
    Merge,
    Rebase,
    Repo,
    Revert,
    Squash,
    build_repo,
    incident_yaml,
    sla_policy_yaml,
    update,
)

if TYPE_CHECKING:
    from conftest import RunCli

INC = "incidents/2026/INC-2026-0001.yaml"
POLICY = "policies/sla/gold.yaml"
TARGETS = {
    "SEV1": {"acknowledge": "5m", "update_every": "15m", "resolve": "4h"},
    "SEV2": {"update_every": "30m", "resolve": "8h"},
}


def policy(clock: str = "landed", resolve: str = "4h") -> str:
    targets = {**TARGETS, "SEV1": {**TARGETS["SEV1"], "resolve": resolve}}
    return sla_policy_yaml("gold", targets=targets, clock=clock, warn_at=["50%"])


def incident(status: str = "open", **fields: Any) -> str:
    fields.setdefault("severity", "SEV1")
    return incident_yaml("INC-2026-0001", status=status, **fields)


def sla(run_cli: RunCli, repo: Repo, *args: str) -> dict[str, Any]:
    result = run_cli(["-C", repo.path, "sla", "--format", "json", *args])
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def metric(data: dict[str, Any], name: str, incident_id: str = "INC-2026-0001") -> dict[str, Any]:
    found = next(i for i in data["incidents"] if i["id"] == incident_id)
    return next(m for m in found["metrics"] if m["metric"] == name)


def opened(tmp_path: Path, clock: str = "landed") -> Repo:
    return build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T09:00:00Z", files={POLICY: policy(clock)}),
            Commit("2026-11-16T10:00:00Z", files={INC: incident()}),
        ],
    )


@pytest.mark.parametrize(
    ("clock", "merged", "state", "stopped"),
    [
        ("landed", "10:20", "missed", "2026-11-16T10:20:00Z"),
        ("landed", "10:04", "met", "2026-11-16T10:04:00Z"),
        ("authored", "10:04", "met", "2026-11-16T10:03:00Z"),
        # the 10:05 breach was on record before the merge landed: an earlier author date
        # cannot erase it, the acknowledgement counts when it lands
        ("authored", "10:20", "missed", "2026-11-16T10:20:00Z"),
    ],
)
def test_a_merged_pull_request_counts_at_the_merge_or_at_its_authoring(
    tmp_path: Path, run_cli: RunCli, clock: str, merged: str, state: str, stopped: str
) -> None:
    repo = opened(tmp_path, clock)
    repo.apply(Commit("2026-11-16T10:03:00Z", branch="ack", files={INC: incident("acknowledged")}))
    repo.apply(Merge("ack", f"2026-11-16T{merged}:00Z"))
    ack = metric(sla(run_cli, repo, "--at", "2026-11-16T11:00:00Z"), "acknowledge")
    assert (ack["state"], ack["cycles"][0]["stopped_at"]) == (state, stopped)
    stop = ack["evidence"][-1]
    assert (stop["event"], stop["commit"]) == ("stop", repo.head())
    assert stop["author"] == "Alice Example <alice@example.com>"


def test_squash_and_rebase_merges_land_at_their_commit_on_main(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T10:02:00Z", branch="ack", files={INC: incident("acknowledged")}))
    repo.apply(Squash("ack", "2026-11-16T10:04:00Z"))
    ack = metric(sla(run_cli, repo, "--at", "2026-11-16T11:00:00Z"), "acknowledge")
    assert (ack["state"], ack["elapsed_seconds"]) == ("met", 240)

    other = build_repo(
        tmp_path / "rebased",
        [
            Commit("2026-11-16T09:00:00Z", files={POLICY: policy()}),
            Commit("2026-11-16T10:00:00Z", files={INC: incident()}),
            Commit("2026-11-16T10:02:00Z", branch="ack", files={INC: incident("acknowledged")}),
            Rebase("ack", "2026-11-16T10:09:00Z"),
        ],
    )
    ack = metric(sla(run_cli, other, "--at", "2026-11-16T11:00:00Z"), "acknowledge")
    assert (ack["state"], ack["breached_at"]) == ("missed", "2026-11-16T10:05:00Z")


def test_a_backdated_commit_is_clamped_and_reported(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T09:30:00Z", files={INC: incident("acknowledged")}))
    ack = metric(sla(run_cli, repo, "--at", "2026-11-16T11:00:00Z"), "acknowledge")
    assert (ack["state"], ack["elapsed_seconds"]) == ("met", 0)  # counted at its parent's time
    result = run_cli(["-C", repo.path, "validate"])
    assert result.exit_code == 0
    assert (
        f"{INC}:1:1: warning clamped-commit commit {repo.head()[:12]} is dated "
        "2026-11-16T09:30:00Z, earlier than its parent: its changes count from "
        "2026-11-16T10:00:00Z"
    ) in result.stdout


def test_a_revert_does_not_undo_an_acknowledgement(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}))
    repo.apply(Revert(2, "2026-11-16T10:30:00Z"))
    data = sla(run_cli, repo, "--at", "2026-11-16T11:00:00Z")
    ack = metric(data, "acknowledge")
    assert (ack["state"], ack["cycles"][0]["stopped_at"]) == ("met", "2026-11-16T10:04:00Z")
    assert data["incidents"][0]["status"] == "open"


def test_a_moved_file_keeps_its_history(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T10:10:00Z", moves={INC: "incidents/payments/INC-2026-0001.yaml"}))
    data = sla(run_cli, repo, "--at", "2026-11-16T11:00:00Z")
    assert [i["opened_at"] for i in data["incidents"]] == ["2026-11-16T10:00:00Z"]
    log = run_cli(["-C", repo.path, "log", "INC-2026-0001"])
    assert "moved from incidents/2026/INC-2026-0001.yaml" in log.stdout


def test_a_policy_edited_later_does_not_regrade_an_open_incident(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path)
    later = "incidents/2026/INC-2026-0002.yaml"
    repo.apply(Commit("2026-11-16T11:00:00Z", files={POLICY: policy(resolve="1h")}))
    repo.apply(
        Commit(
            "2026-11-16T11:30:00Z", files={later: incident_yaml("INC-2026-0002", severity="SEV1")}
        )
    )
    data = sla(run_cli, repo, "--at", "2026-11-16T12:45:00Z")
    first, second = metric(data, "resolve"), metric(data, "resolve", "INC-2026-0002")
    assert (first["target_seconds"], first["state"]) == (4 * 3600, "at_risk")
    assert (second["target_seconds"], second["state"]) == (3600, "breached")


def test_json_has_the_shape_of_the_specification(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path)
    data = sla(run_cli, repo, "--at", "2026-11-16T10:07:00Z")
    assert set(data) == {"as_of", "ref", "commit", "incidents"}
    assert (data["as_of"], data["ref"], data["commit"]) == (
        "2026-11-16T10:07:00Z",
        "main",
        repo.head(),
    )
    ack = metric(data, "acknowledge")
    assert {
        k: ack[k]
        for k in (
            "state",
            "target_seconds",
            "elapsed_seconds",
            "remaining_seconds",
            "due_at",
            "breached_at",
        )
    } == {
        "state": "breached",
        "target_seconds": 300,
        "elapsed_seconds": 420,
        "remaining_seconds": -120,
        "due_at": "2026-11-16T10:05:00Z",
        "breached_at": "2026-11-16T10:05:00Z",
    }
    assert ack["cycles"][0]["started_at"] == "2026-11-16T10:00:00Z"
    assert ack["evidence"][0] == {
        "event": "start",
        "at": "2026-11-16T10:00:00Z",
        "commit": repo.shas[1],
        "author": "Alice Example <alice@example.com>",
        "source": "commit",
    }


@pytest.mark.parametrize(
    ("at", "fail_on", "code"),
    [
        ("2026-11-16T10:01:00Z", "at_risk", 0),
        ("2026-11-16T10:03:00Z", "at_risk", 1),
        ("2026-11-16T10:03:00Z", "breached", 0),
        ("2026-11-16T10:07:00Z", "breached", 1),
    ],
)
def test_fail_on_thresholds(
    tmp_path: Path, run_cli: RunCli, at: str, fail_on: str, code: int
) -> None:
    repo = opened(tmp_path)
    result = run_cli(["-C", repo.path, "sla", "--at", at, "--fail-on", fail_on])
    assert result.exit_code == code


def test_table_and_markdown_are_readable(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path)
    table = run_cli(["-C", repo.path, "sla", "--at", "2026-11-16T10:07:00Z"], env={"NO_COLOR": "1"})
    row = next(line for line in table.stdout.splitlines() if "acknowledge" in line)
    assert row.split() == [
        "INC-2026-0001",
        "SEV1",
        "open",
        "gold",
        "acknowledge",
        "breached",
        "7m",
        "of",
        "5m",
        "2m",
        "over",
        "due",
        "10:05",
        "UTC",
    ]
    assert "as of 2026-11-16 10:07 UTC on main" in table.stdout
    assert "\x1b[" not in table.stdout
    # the same in Berlin's time, as --tz or the configuration asks
    berlin = run_cli(["-C", repo.path, "--tz", "Europe/Berlin", "sla", "--at",
                      "2026-11-16 11:07"], env={"INCIDENTCTL_TIMEZONE": "Asia/Tokyo"})  # fmt: skip
    assert berlin.exit_code == 0, berlin.stderr
    assert "due 11:05 CET" in berlin.stdout and "as of 2026-11-16 11:07 CET" in berlin.stdout
    tokyo = run_cli(["-C", repo.path, "sla", "--at", "2026-11-16 19:07"],
                    env={"INCIDENTCTL_TIMEZONE": "Asia/Tokyo"})  # fmt: skip
    assert "due 19:05 JST" in tokyo.stdout and "as of 2026-11-16 19:07 JST" in tokyo.stdout
    markdown = run_cli(
        ["-C", repo.path, "sla", "--at", "2026-11-16T10:07:00Z", "--format", "markdown"]
    )
    assert "| INC-2026-0001 | SEV1 | open | acknowledge | 🔴 breached | 7m of 5m | 2m over |" in (
        markdown.stdout
    )


def test_unknown_id_and_missing_ref_are_usage_errors(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path)
    unknown = run_cli(["-C", repo.path, "sla", "INC-2026-9999"])
    assert (unknown.exit_code, unknown.stderr.strip()) == (
        2,
        "incidentctl: unknown incident id INC-2026-9999 on main: check the id "
        "(incidentctl sla lists them)",
    )
    missing = run_cli(["-C", repo.path, "sla", "--ref", "release"])
    assert missing.exit_code == 2 and "ref 'release' not found" in missing.stderr
    not_git = run_cli(["-C", tmp_path, "sla"])
    assert not_git.exit_code == 2 and "is not a Git repository" in not_git.stderr


def test_log_lists_every_commit_with_its_changes_and_trailers(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path)
    repo.apply(
        Commit(
            "2026-11-16T10:04:00Z",
            files={
                INC: incident("acknowledged", updates=[update("2026-11-16T10:03:00Z", "On it")])
            },
            message="INC-2026-0001: acknowledged\n\nIncident: INC-2026-0001\n"
            "Incident-Status: acknowledged\n",
        )
    )
    result = run_cli(["-C", repo.path, "log", "INC-2026-0001"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{repo.shas[1][:12]}  2026-11-16 10:00 UTC  Alice Example")
    assert f"{repo.head()[:12]}  2026-11-16 10:04 UTC" in result.stdout
    assert '    status: "open" -> "acknowledged"' in lines
    assert "    Incident-Status: acknowledged" in lines
    assert '    updates[0].text: (none) -> "On it"' in lines
    as_json = json.loads(
        run_cli(["-C", repo.path, "log", "INC-2026-0001", "--format", "json"]).stdout
    )
    assert [e["kind"] for e in as_json] == ["created", "changed"]
    assert {"field": "status", "from": "open", "to": "acknowledged"} in as_json[1]["changes"]


def test_validate_refuses_an_illegal_move_from_the_branch_version(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T12:00:00Z", files={INC: incident("resolved")}))
    (repo.path / INC).write_text(incident("mitigated"), encoding="utf-8")
    result = run_cli(["-C", repo.path, "validate"])
    line = next(
        n
        for n, text in enumerate(incident("mitigated").splitlines(), 1)
        if text.startswith("status:")
    )
    assert result.exit_code == 1
    assert (
        f"{INC}:{line}:1: error status-transition status cannot move from resolved (on main) "
        "to mitigated: from resolved it may move to closed, open"
    ) in result.stdout


def test_validate_refuses_edits_of_closed_incidents_and_reused_ids(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T12:00:00Z", files={INC: incident("closed")}))
    (repo.path / INC).write_text(incident("closed", summary="Rewritten later."), encoding="utf-8")
    closed = run_cli(["-C", repo.path, "validate"])
    assert closed.exit_code == 1
    assert "error closed-immutable INC-2026-0001 is closed on main and may not change" in (
        closed.stdout
    )

    repo.git("checkout", "--", INC)
    repo.apply(Commit("2026-11-16T13:00:00Z", delete=[INC]))
    (repo.path / INC).parent.mkdir(parents=True, exist_ok=True)
    (repo.path / INC).write_text(incident(title="Another outage"), encoding="utf-8")
    reused = run_cli(["-C", repo.path, "validate"])
    assert reused.exit_code == 1
    assert f"error id-reused id INC-2026-0001 was deleted in {repo.head()[:12]}" in reused.stdout


def test_settled_figures_are_reused_only_while_they_hold(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T10:04:00Z", files={INC: incident("resolved")}))
    first = sla(run_cli, repo, "--at", "2026-11-16T11:00:00Z")
    assert list((repo.path / ".git" / "incidentctl").glob("settled.cache"))
    assert sla(run_cli, repo, "--at", "2026-11-16T11:00:00Z") == first  # from the cache
    assert metric(first, "resolve")["state"] == "met"
    # judged earlier than the cached figures: computed afresh
    earlier = sla(run_cli, repo, "--at", "2026-11-16T10:02:00Z")
    assert metric(earlier, "resolve")["state"] == "running"
    # the incident changed: computed afresh
    repo.apply(Commit("2026-11-16T10:30:00Z", files={INC: incident("open")}))
    reopened = sla(run_cli, repo, "--at", "2026-11-16T11:00:00Z")
    assert reopened["incidents"][0]["status"] == "open"
    assert len(metric(reopened, "resolve")["cycles"]) == 2


def test_a_policy_selects_by_team_and_tier_from_the_catalogue_at_opening(
    tmp_path: Path, run_cli: RunCli
) -> None:
    """A policy for the services a team owns (or of a tier) applies by the catalogue as it
    stood when the incident opened: a later change of owner re-grades nothing opened
    before it, and judges what opens after it."""
    teams = "policies/sla/payments.yaml"
    tier = "policies/sla/critical.yaml"
    service = "services/payments.yaml"

    def catalogued(owner: str, tier_number: int = 2) -> str:
        return (
            "apiVersion: incidentctl/v1\nkind: Service\nname: payments\n"
            f'owner: "{owner}"\ntier: {tier_number}\n'
        )

    selected = {"SEV1": {**TARGETS["SEV1"], "resolve": "1h"}}
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(
                "2026-11-16T09:00:00Z",
                files={
                    POLICY: policy(),
                    teams: sla_policy_yaml(
                        "payments-team",
                        targets=selected,
                        priority=10,
                        applies_to={"teams": ["@acme/payments"]},
                    ),
                    tier: sla_policy_yaml(
                        "tier-one", targets=TARGETS, priority=5, applies_to={"tiers": [1]}
                    ),
                    service: catalogued("@acme/payments"),
                },
            ),
            Commit("2026-11-16T10:00:00Z", files={INC: incident()}),
            Commit("2026-11-16T10:30:00Z", files={service: catalogued("@acme/shop", 1)}),
            Commit(
                "2026-11-16T10:45:00Z",
                files={
                    "incidents/2026/INC-2026-0002.yaml": incident_yaml(
                        "INC-2026-0002", severity="SEV1"
                    )
                },
            ),
            Commit("2026-11-16T10:50:00Z", files={service: catalogued("@acme/shop", 3)}),
            Commit(
                "2026-11-16T10:55:00Z",
                files={
                    "incidents/2026/INC-2026-0003.yaml": incident_yaml(
                        "INC-2026-0003", severity="SEV1"
                    )
                },
            ),
        ],
    )
    data = sla(run_cli, repo, "--at", "2026-11-16T12:00:00Z")
    chosen = {i["id"]: i["policy"] for i in data["incidents"]}
    assert chosen == {
        "INC-2026-0001": "payments-team",  # owned by @acme/payments when it opened
        "INC-2026-0002": "tier-one",  # @acme/shop's by then, and tier 1
        "INC-2026-0003": "gold",  # tier 3 by then: only the default applies
    }
    first = metric(data, "resolve")
    assert (first["target_seconds"], first["state"]) == (3600, "breached")
    # The replayed record agrees with a fresh replay (the cache keeps the catalogue).
    assert sla(run_cli, repo, "--at", "2026-11-16T12:00:00Z") == data
