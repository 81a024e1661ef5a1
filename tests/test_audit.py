"""`incidentctl audit` on real Git histories: each finding made by the history it names."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gitrepo import (
    Commit,
    Merge,
    Repo,
    Reset,
    Revert,
    build_repo,
    calendar_yaml,
    incident_yaml,
    sla_policy_yaml,
    update,
)

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

ID, OTHER = "INC-2026-0001", "INC-2026-0002"
INC = f"incidents/2026/{ID}.yaml"
INC2 = f"incidents/2026/{OTHER}.yaml"
POLICY = "policies/sla/gold.yaml"
CALENDAR = "policies/calendars/office.yaml"
TARGETS = {
    "SEV1": {"acknowledge": "5m", "update_every": "15m", "resolve": "4h"},
    "SEV2": {"update_every": "30m", "resolve": "8h"},
}
LATER = "2026-11-16T23:00:00Z"  # the audit's "now" unless a test says otherwise


def policy(resolve: str = "4h") -> str:
    targets = {**TARGETS, "SEV1": {**TARGETS["SEV1"], "resolve": resolve}}
    return sla_policy_yaml("gold", targets=targets, warn_at=["50%"])


def incident(status: str = "open", incident_id: str = ID, **fields: Any) -> str:
    fields.setdefault("severity", "SEV1")
    return incident_yaml(incident_id, status=status, **fields)


def opened(tmp_path: Path, *steps: Commit | Merge | Reset | Revert) -> Repo:
    """A policy at 09:00, an incident opened at 10:00, then ``steps``."""
    return build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T09:00:00Z", files={POLICY: policy()}),
            Commit("2026-11-16T10:00:00Z", files={INC: incident()}),
            *steps,
        ],
    )


def audit(
    run_cli: RunCli, repo: Repo, *args: Any, at: str = LATER, env: dict[str, str] | None = None
) -> CliResult:
    return run_cli(["-C", repo.path, "audit", "--at", at, *args], env=env)


def audit_json(run_cli: RunCli, repo: Repo, *args: str, at: str = LATER) -> tuple[int, Any]:
    result = audit(run_cli, repo, "--format", "json", *args, at=at)
    assert result.exit_code in (0, 1), result.stderr
    return result.exit_code, json.loads(result.stdout)


def findings(data: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in data["findings"] if f["code"] == code]


def codes(data: dict[str, Any]) -> list[str]:
    return [f["code"] for f in data["findings"]]


def test_a_clean_history_has_no_findings(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path, Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}))
    result = audit(run_cli, repo)
    assert result.exit_code == 0, result.stdout
    assert result.stdout.strip() == (
        f"audit of main at {repo.head()[:12]}, 3 commit(s), as of {LATER}: "
        "0 error(s), 0 warning(s), 0 info"
    )


def test_a_backdated_commit_is_a_warning_naming_dates_and_incidents(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(
        tmp_path,
        Commit("2026-11-16T09:30:00Z", files={INC: incident("acknowledged")}),
        Commit("2026-11-16T09:45:00Z", files={"README.md": "notes\n"}),
    )
    code, data = audit_json(run_cli, repo)
    assert code == 0  # validate says the same: a warning, since the clocks clamp it
    touched, harmless = findings(data, "clamped-commit")
    assert (touched["level"], touched["documents"], touched["commits"]) == (
        "warning",
        [ID],
        [repo.shas[2]],
    )
    assert touched["details"] == {
        "committed_at": "2026-11-16T09:30:00Z",
        "parent_at": "2026-11-16T10:00:00Z",
        "counted_at": "2026-11-16T10:00:00Z",
    }
    assert touched["message"] == (
        "commit dated 2026-11-16T09:30:00Z, earlier than its first parent "
        "(2026-11-16T10:00:00Z): its changes count from 2026-11-16T10:00:00Z; "
        f"it changed {ID}"
    )
    # A backdated commit that changed no document moves no clock either.
    assert (harmless["level"], harmless["documents"], harmless["commits"]) == (
        "warning",
        [],
        [repo.shas[3]],
    )


def test_a_declared_time_far_from_its_commit_is_a_warning(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(
        tmp_path,
        Commit(
            "2026-11-16T11:00:00Z",
            files={
                INC2: incident(
                    incident_id=OTHER,
                    reported_at="2026-11-13T11:00:00Z",
                    updates=[update("2026-11-16T10:30:00Z")],
                )
            },
        ),
        # a report an hour before its commit is ordinary: nothing to say
        Commit("2026-11-16T12:00:00Z", files={INC: incident(reported_at="2026-11-16T09:00:00Z")}),
    )
    code, data = audit_json(run_cli, repo)
    assert code == 0  # warnings do not fail the audit
    [gap] = findings(data, "declared-time-gap")
    assert (gap["level"], gap["documents"], gap["commits"]) == ("warning", [OTHER], [repo.shas[2]])
    assert gap["details"]["declared"] == [
        {"field": "detection.reported_at", "at": "2026-11-13T11:00:00Z", "gap_seconds": 3 * 86400}
    ]
    assert gap["message"] == (
        "detection.reported_at 2026-11-13T11:00:00Z is 3d before the commit that brought it "
        "(2026-11-16T11:00:00Z): more than the 1d allowed"
    )
    _, wider = audit_json(run_cli, repo, "--max-declared-gap", "4d")
    assert findings(wider, "declared-time-gap") == []
    _, narrower = audit_json(run_cli, repo, "--max-declared-gap", "20m")
    assert [f["documents"] for f in findings(narrower, "declared-time-gap")] == [[ID], [OTHER]]
    assert findings(narrower, "declared-time-gap")[1]["message"] == (
        "2 declared times far from the commit that brought them (2026-11-16T11:00:00Z), more "
        "than the 20m allowed: detection.reported_at, customer update; the farthest, "
        "detection.reported_at 2026-11-13T11:00:00Z, is 3d before"
    )
    bad = audit(run_cli, repo, "--max-declared-gap", "soon")
    assert bad.exit_code == 2 and "is not a duration" in bad.stderr


def test_imported_records_are_listed_with_their_milestones(tmp_path: Path, run_cli: RunCli) -> None:
    milestones = {"acknowledged_at": "2026-11-16T10:02:00Z", "resolved_at": "2026-11-16T11:00:00Z"}
    repo = opened(
        tmp_path,
        Commit(
            "2026-11-20T12:00:00Z",  # imported four days after the fact
            files={INC2: incident("resolved", OTHER, milestones=milestones)},
        ),
    )
    code, data = audit_json(run_cli, repo)
    assert code == 0
    # its declared times are the imported story, not a suspicious gap
    assert findings(data, "declared-time-gap") == []
    [imported] = findings(data, "imported-record")
    assert (imported["level"], imported["documents"], imported["commits"]) == (
        "info",
        [OTHER],
        [repo.shas[2]],
    )
    assert imported["details"]["milestones"] == milestones
    assert imported["message"] == (
        "imported record: its first version (landed 2026-11-20T12:00:00Z) is already resolved "
        "and declares acknowledged_at 2026-11-16T10:02:00Z, resolved_at 2026-11-16T11:00:00Z"
    )


def test_an_edit_after_close_is_an_error(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(
        tmp_path,
        Commit("2026-11-16T12:00:00Z", files={INC: incident("resolved")}),
        Commit("2026-11-16T13:00:00Z", files={INC: incident("closed")}),
        Commit("2026-11-16T14:00:00Z", files={INC: incident("closed", severity="SEV2")}),
        Commit("2026-11-17T09:00:00Z", files={INC: incident("closed", severity="SEV2")}),
    )
    code, data = audit_json(run_cli, repo, at="2026-11-17T10:00:00Z")
    assert code == 1
    [edit] = findings(data, "closed-immutable")
    assert (edit["level"], edit["documents"], edit["commits"]) == (
        "error",
        [ID],
        [repo.shas[4], repo.shas[3]],
    )
    assert edit["message"] == (
        f"changed severity after the incident was closed in {repo.shas[3][:12]} "
        "(2026-11-16T13:00:00Z)"
    )
    assert "status-transition" not in codes(data)  # resolved -> closed is legal


def test_a_reused_id_is_an_error_but_a_restored_incident_is_not(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(
        tmp_path,
        Commit("2026-11-16T11:00:00Z", delete=[INC]),
        Revert(2, "2026-11-16T11:10:00Z"),  # the same incident back: not a reuse
    )
    code, data = audit_json(run_cli, repo)
    assert findings(data, "id-reused") == []
    # ... though deleting an open incident's file removed evidence, restored or not
    assert code == 1
    [removed] = findings(data, "evidence-removed")
    assert removed["commits"] == [repo.shas[2], repo.shas[3]]
    assert removed["details"]["restored_at"] == "2026-11-16T11:10:00Z"

    repo.apply(Commit("2026-11-16T12:00:00Z", delete=[INC]))
    repo.apply(Commit("2026-11-16T13:00:00Z", files={INC: incident(title="Another outage")}))
    code, data = audit_json(run_cli, repo)
    assert code == 1
    [reused] = findings(data, "id-reused")
    assert (reused["documents"], reused["commits"]) == ([ID], [repo.shas[5], repo.shas[4]])
    assert "'Payments are failing' became 'Another outage'" in reused["message"]


def test_an_illegal_move_already_on_the_branch_is_an_error(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(
        tmp_path,
        Commit("2026-11-16T12:00:00Z", files={INC: incident("resolved")}),
        Commit("2026-11-16T12:30:00Z", files={INC: incident("mitigated")}),
    )
    code, data = audit_json(run_cli, repo)
    assert code == 1
    [move] = findings(data, "status-transition")
    assert (move["documents"], move["commits"]) == ([ID], [repo.shas[3], repo.shas[2]])
    assert move["details"] == {"from": "resolved", "to": "mitigated"}
    assert move["message"].endswith("not a legal move: from resolved it may move to closed, open")


def test_require_merges_flags_a_direct_push_next_to_a_merged_pull_request(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T08:00:00Z", files={"README.md": "incidents\n"}),
            Commit("2026-11-16T09:00:00Z", files={POLICY: policy()}, branch="setup"),
            Merge("setup", "2026-11-16T09:01:00Z"),
            Commit("2026-11-16T10:00:00Z", files={INC: incident()}, branch="open-1"),
            Merge("open-1", "2026-11-16T10:01:00Z"),
            Commit("2026-11-16T10:30:00Z", files={INC2: incident(incident_id=OTHER)}),
        ],
    )
    code, data = audit_json(run_cli, repo)
    assert (code, findings(data, "unmerged-change")) == (0, [])  # only checked when asked
    code, data = audit_json(run_cli, repo, "--require-merges")
    assert code == 1
    [direct] = findings(data, "unmerged-change")
    assert (direct["level"], direct["documents"], direct["commits"]) == (
        "error",
        [OTHER],
        [repo.shas[5]],
    )
    assert "not the merge of a pull request" in direct["message"]


BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")
DEFECT = {"key": "gateway-drops", "title": "The gateway drops requests", "service": "checkout"}


def test_require_merges_allows_the_bots_own_write_backs_and_nothing_more(
    tmp_path: Path, run_cli: RunCli
) -> None:
    tracked = {**DEFECT, "tracker": "jira:PAY-1"}
    fixed = {**tracked, "fixed_in": "2026.04"}
    back = (
        "INC-2026-0001: tracker state read back\n\nIncident: INC-2026-0001\nTracker: jira:PAY-1\n"
    )
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T08:00:00Z", files={"README.md": "incidents\n"}),
            Commit("2026-11-16T09:00:00Z", files={POLICY: policy()}, branch="setup"),
            Merge("setup", "2026-11-16T09:01:00Z"),
            Commit("2026-11-16T10:00:00Z", files={INC: incident(defects=[DEFECT])}, branch="o"),
            Merge("o", "2026-11-16T10:01:00Z"),
            # the bot's write-backs: its identity, its trailers, only tracker fields
            Commit("2026-11-16T10:05:00Z", files={INC: incident(defects=[tracked])},
                   message=back, author=BOT[0], email=BOT[1]),
            Commit("2026-11-16T10:10:00Z", files={INC: incident(defects=[fixed])},
                   message=back, author=BOT[0], email=BOT[1]),
            # the bot's name and trailers on a change of something else
            Commit("2026-11-16T10:20:00Z",
                   files={INC: incident("acknowledged", defects=[fixed])},
                   message=back, author=BOT[0], email=BOT[1]),
            # a person's direct push of a tracker field
            Commit("2026-11-16T10:30:00Z",
                   files={INC: incident("acknowledged", defects=[{**fixed, "fixed_in": "x"}])},
                   message=back),
        ],
    )  # fmt: skip
    code, data = audit_json(run_cli, repo, "--require-merges")
    assert code == 1
    flagged = [f["commits"] for f in findings(data, "unmerged-change")]
    assert flagged == [[repo.shas[7]], [repo.shas[8]]]


def test_a_tightened_policy_lists_the_incidents_it_would_regrade(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(
        tmp_path,
        Commit("2026-11-16T11:00:00Z", files={POLICY: policy(resolve="1h")}),
        Commit("2026-11-16T11:30:00Z", files={INC2: incident(incident_id=OTHER)}),
    )
    code, data = audit_json(run_cli, repo, at="2026-11-16T12:45:00Z")
    assert code == 0  # a warning: the grade itself stands
    [regrade] = findings(data, "policy-regrade")
    assert (regrade["level"], regrade["documents"], regrade["commits"]) == (
        "warning",
        [ID, "SLAPolicy/gold"],
        [repo.shas[2]],
    )
    assert regrade["details"]["metrics"] == [
        {"metric": "resolve", "old": "at_risk", "new": "breached"}
    ]
    assert regrade["message"] == (
        f"SLAPolicy/gold as changed in {repo.shas[2][:12]} (2026-11-16T11:00:00Z) would "
        f"re-grade {ID}, opened 2026-11-16T10:00:00Z and judged by the version in force "
        "then: resolve at_risk -> breached as of 2026-11-16T12:45:00Z"
    )
    # Loosened back, it re-grades nothing opened before the first change, but it
    # would re-grade the incident opened under the tightened version.
    repo.apply(Commit("2026-11-16T12:00:00Z", files={POLICY: policy()}))
    _, data = audit_json(run_cli, repo, at="2026-11-16T12:45:00Z")
    assert [(f["documents"][0], f["commits"]) for f in findings(data, "policy-regrade")] == [
        (ID, [repo.shas[2]]),
        (OTHER, [repo.shas[4]]),
    ]
    assert findings(data, "policy-regrade")[1]["details"]["metrics"] == [
        {"metric": "resolve", "old": "breached", "new": "running"}
    ]


def test_a_policy_created_later_for_the_customer_is_listed(tmp_path: Path, run_cli: RunCli) -> None:
    acme = sla_policy_yaml(
        "acme",
        targets={"SEV1": {"resolve": "1h"}},
        priority=10,
        applies_to={"customers": ["acme"]},
    )
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T09:00:00Z", files={POLICY: policy()}),
            Commit("2026-11-16T10:00:00Z", files={INC: incident(customer="acme")}),
            Commit("2026-11-16T10:00:00Z", files={INC2: incident(incident_id=OTHER)}),
            Commit("2026-11-16T11:00:00Z", files={"policies/sla/acme.yaml": acme}),
        ],
    )
    _, data = audit_json(run_cli, repo, at="2026-11-16T12:45:00Z")
    [regrade] = findings(data, "policy-regrade")  # not the incident of another customer
    assert regrade["documents"] == [ID, "SLAPolicy/acme"]
    assert regrade["details"]["policy"] == {"old": "gold", "new": "acme"}
    assert regrade["message"].startswith(f"SLAPolicy/acme as created in {repo.shas[3][:12]}")
    assert "resolve at_risk -> breached (policy gold -> acme)" in regrade["message"]


def test_a_calendar_edit_that_would_regrade_is_listed(tmp_path: Path, run_cli: RunCli) -> None:
    targets = {"SEV2": {"resolve": "4h", "calendar": "office"}}
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(
                "2026-11-16T08:00:00Z",
                files={
                    CALENDAR: calendar_yaml("office"),
                    POLICY: sla_policy_yaml("gold", targets=targets),
                },
            ),
            # Monday 10:00 to 16:00 Berlin: six office hours for a four-hour target
            Commit("2026-11-16T09:00:00Z", files={INC: incident(severity="SEV2")}),
            Commit("2026-11-16T15:00:00Z", files={INC: incident("resolved", severity="SEV2")}),
            # that Monday declared a holiday afterwards
            Commit(
                "2026-11-17T08:00:00Z",
                files={CALENDAR: calendar_yaml("office", holidays=["2026-11-16"])},
            ),
        ],
    )
    code, data = audit_json(run_cli, repo, at="2026-11-18T12:00:00Z")
    assert code == 0
    [regrade] = findings(data, "policy-regrade")
    assert regrade["documents"] == [ID, "Calendar/office"]
    assert regrade["details"]["metrics"] == [{"metric": "resolve", "old": "missed", "new": "met"}]


def checkpoint(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def test_a_checkpoint_records_the_head_and_its_sla_figures(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path, Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}))
    file = tmp_path / "audit" / "checkpoint.json"
    result = audit(run_cli, repo, "--checkpoint", file, at="2026-11-16T11:00:00Z")
    assert result.exit_code == 0
    assert f"checkpoint recorded in {file}" in result.stdout
    recorded = checkpoint(file)
    assert {k: recorded[k] for k in ("format", "ref", "commit", "recorded_at", "fields")} == {
        "format": "incidentctl-audit-checkpoint/1",
        "ref": "main",
        "commit": repo.head(),
        "recorded_at": "2026-11-16T11:00:00Z",
        "fields": ["state", "elapsed_seconds", "breached_at"],
    }
    assert recorded["incidents"][ID]["acknowledge"] == ["met", 240, None]
    assert recorded["incidents"][ID]["update_every"] == ["breached", 3600, "2026-11-16T10:15:00Z"]
    assert not list(file.parent.glob(".*.tmp"))  # written through a temporary file


def test_a_fast_forward_since_the_checkpoint_is_fine(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(tmp_path, Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}))
    file = tmp_path / "checkpoint.json"
    assert audit(run_cli, repo, "--checkpoint", file, at="2026-11-16T11:00:00Z").exit_code == 0
    recorded = repo.head()
    repo.apply(Commit("2026-11-16T11:30:00Z", files={INC: incident("resolved")}))
    repo.apply(Commit("2026-11-16T11:40:00Z", files={"README.md": "notes\n"}))
    code, data = audit_json(run_cli, repo, "--since-checkpoint", file)
    assert code == 0
    [moved] = findings(data, "checkpoint-fast-forward")
    assert (moved["level"], moved["commits"]) == ("info", [repo.head(), recorded])
    assert moved["details"]["new_commits"] == 2
    assert "history-rewritten" not in codes(data)


def test_a_force_push_against_a_checkpoint_lists_the_changed_figures(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(
        tmp_path,
        Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}),
        Commit("2026-11-16T10:10:00Z", files={INC2: incident(incident_id=OTHER)}),
    )
    file = tmp_path / "checkpoint.json"
    assert audit(run_cli, repo, "--checkpoint", file, at="2026-11-16T11:00:00Z").exit_code == 0
    recorded = repo.head()
    # Force-pushed: the acknowledgement rewritten to look as if it came later.
    repo.apply(Reset("main", 1))
    repo.apply(Commit("2026-11-16T10:09:00Z", files={INC: incident("acknowledged")}))
    repo.apply(Commit("2026-11-16T10:10:00Z", files={INC2: incident(incident_id=OTHER)}))
    code, data = audit_json(run_cli, repo, "--since-checkpoint", file)
    assert code == 1
    [rewritten] = findings(data, "history-rewritten")
    assert rewritten["level"] == "error"
    assert rewritten["commits"] == [repo.head(), recorded]
    assert f"the recorded commit {recorded[:12]} is no longer an ancestor" in rewritten["message"]
    assert "1 incident(s) have other SLA figures as of 2026-11-16T11:00:00Z" in rewritten["message"]
    [changed] = findings(data, "sla-figures-changed")
    assert (changed["level"], changed["documents"]) == ("error", [ID])
    assert changed["details"]["old"]["acknowledge"] == {
        "state": "met",
        "elapsed_seconds": 240,
        "breached_at": None,
    }
    assert changed["details"]["new"]["acknowledge"] == {
        "state": "missed",
        "elapsed_seconds": 540,
        "breached_at": "2026-11-16T10:05:00Z",
    }
    assert (
        "acknowledge met (4m) -> missed (9m, breached 2026-11-16T10:05:00Z)" in changed["message"]
    )


def test_a_checkpoint_off_the_new_first_parent_chain_is_a_rewrite(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path, Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}))
    file = tmp_path / "checkpoint.json"
    assert audit(run_cli, repo, "--checkpoint", file, at="2026-11-16T11:00:00Z").exit_code == 0
    recorded = repo.head()
    # main merged into a side branch, and that merge pushed as main: the old commits are
    # still ancestors, but the acknowledgement now lands with the merge.
    repo.apply(Commit("2026-11-16T10:20:00Z", files={"README.md": "x\n"}, branch="side", start=1))
    repo.apply(Merge("main", "2026-11-16T10:30:00Z", into="side"))
    repo.apply(Reset("main", "side"))
    assert repo.git("merge-base", "--is-ancestor", recorded, "main") == ""
    code, data = audit_json(run_cli, repo, "--since-checkpoint", file)
    assert code == 1
    [rewritten] = findings(data, "history-rewritten")
    assert "is an ancestor of" in rewritten["message"]
    assert "but no longer on its first-parent chain" in rewritten["message"]
    [changed] = findings(data, "sla-figures-changed")
    assert changed["details"]["new"]["acknowledge"]["state"] == "missed"


def test_a_checkpoint_commit_that_no_longer_exists_is_a_rewrite(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path)
    file = tmp_path / "checkpoint.json"
    assert audit(run_cli, repo, "--checkpoint", file, at="2026-11-16T11:00:00Z").exit_code == 0
    gone = "0123456789abcdef0123456789abcdef01234567"
    file.write_text(file.read_text().replace(repo.head(), gone), encoding="utf-8")
    code, data = audit_json(run_cli, repo, "--since-checkpoint", file, at="2026-11-16T11:00:00Z")
    assert code == 1
    [rewritten] = findings(data, "history-rewritten")
    assert f"the recorded commit {gone[:12]} no longer exists" in rewritten["message"]
    assert "no SLA figure as of 2026-11-16T11:00:00Z changed" in rewritten["message"]
    assert findings(data, "sla-figures-changed") == []


def test_the_same_file_rolls_a_checkpoint_forward_and_bad_files_are_refused(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path)
    file = tmp_path / "checkpoint.json"
    assert audit(run_cli, repo, "--checkpoint", file).exit_code == 0
    repo.apply(Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}))
    both = audit(run_cli, repo, "--since-checkpoint", file, "--checkpoint", file)
    assert both.exit_code == 0 and "checkpoint-fast-forward" in both.stdout
    assert checkpoint(file)["commit"] == repo.head()

    file.write_text('{"format": "something else"}', encoding="utf-8")
    bad = audit(run_cli, repo, "--since-checkpoint", file)
    assert bad.exit_code == 2
    assert f"{file} is not an audit checkpoint" in bad.stderr
    missing = audit(run_cli, repo, "--since-checkpoint", tmp_path / "nothing.json")
    assert missing.exit_code == 2


def _signing_key(tmp_path: Path) -> Path:
    if shutil.which("ssh-keygen") is None:
        pytest.skip("ssh-keygen is not installed: cannot make a signing key for the test")
    key = tmp_path / "key"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "alice", "-f", str(key)],
        check=True,
        capture_output=True,
    )
    return key


def test_require_signed_flags_the_unsigned_commit_next_to_a_signed_one(
    tmp_path: Path, run_cli: RunCli
) -> None:
    key = _signing_key(tmp_path)
    allowed = tmp_path / "allowed_signers"
    public = Path(f"{key}.pub").read_text(encoding="utf-8")
    allowed.write_text(f"alice@example.com {public}", encoding="utf-8")
    repo = build_repo(tmp_path / "repo")
    repo.git("config", "gpg.format", "ssh")
    repo.git("config", "user.signingkey", str(key))
    repo.git("config", "gpg.ssh.allowedSignersFile", str(allowed))
    repo.git("config", "commit.gpgsign", "true")
    repo.apply(Commit("2026-11-16T09:00:00Z", files={POLICY: policy()}))
    repo.apply(Commit("2026-11-16T10:00:00Z", files={INC: incident()}))
    repo.git("config", "commit.gpgsign", "false")
    repo.apply(Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}))
    repo.apply(Commit("2026-11-16T10:05:00Z", files={"README.md": "unsigned, no document\n"}))
    assert repo.git("log", "-1", "--format=%G?", repo.shas[1]) == "G"

    code, data = audit_json(run_cli, repo)
    assert (code, findings(data, "unsigned-commit")) == (0, [])
    code, data = audit_json(run_cli, repo, "--require-signed")
    assert code == 1
    [unsigned] = findings(data, "unsigned-commit")
    assert (unsigned["level"], unsigned["documents"], unsigned["commits"]) == (
        "error",
        [ID],
        [repo.shas[2]],
    )
    assert unsigned["details"]["signature"] == "N"
    assert "has no signature: signed commits are required" in unsigned["message"]


def test_json_shape_text_lines_and_exit_codes(tmp_path: Path, run_cli: RunCli) -> None:
    repo = opened(
        tmp_path,
        Commit("2026-11-16T09:30:00Z", files={INC: incident("acknowledged")}),
        Commit(
            "2026-11-16T11:00:00Z",
            files={INC2: incident(incident_id=OTHER, reported_at="2026-11-14T11:00:00Z")},
        ),
    )
    code, data = audit_json(run_cli, repo)
    assert code == 0  # warnings only
    assert set(data) == {
        "ref",
        "commit",
        "as_of",
        "commits_checked",
        "options",
        "summary",
        "findings",
        "checkpoint_written",
    }
    assert (data["ref"], data["commit"], data["as_of"], data["commits_checked"]) == (
        "main",
        repo.head(),
        LATER,
        4,
    )
    assert data["options"] == {
        "require_signed": False,
        "require_merges": False,
        "max_declared_gap_seconds": 86400,
    }
    assert data["summary"] == {"error": 0, "warning": 2, "info": 0}
    assert codes(data) == ["clamped-commit", "declared-time-gap"]
    for finding in data["findings"]:
        assert set(finding) == {"level", "code", "documents", "commits", "message", "details"}

    text = audit(run_cli, repo, env={"NO_COLOR": "1"})
    assert text.exit_code == 0
    lines = text.stdout.splitlines()
    assert lines[0].split()[:4] == ["warning", "clamped-commit", ID, repo.shas[2][:12]]
    assert lines[1].split()[:4] == ["warning", "declared-time-gap", OTHER, repo.shas[3][:12]]
    assert lines[-1] == (
        f"audit of main at {repo.head()[:12]}, 4 commit(s), as of {LATER}: "
        "0 error(s), 2 warning(s), 0 info"
    )
    assert "\x1b[" not in text.stdout

    not_git = run_cli(["-C", tmp_path, "audit"])
    assert not_git.exit_code == 2 and "is not a Git repository" in not_git.stderr


def test_a_shallow_clone_is_an_error_because_the_audit_would_be_partial(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = opened(tmp_path, Commit("2026-11-16T10:04:00Z", files={INC: incident("acknowledged")}))
    clone = tmp_path / "clone"
    repo.git("clone", "-q", "--depth", "1", f"file://{repo.path}", str(clone))
    complete = audit(run_cli, repo)
    assert complete.exit_code == 0 and "shallow-clone" not in complete.stdout
    result = run_cli(["-C", clone, "audit", "--at", LATER, "--format", "json"])
    assert result.exit_code == 1
    [shallow] = findings(json.loads(result.stdout), "shallow-clone")
    assert "fetch-depth: 0" in shallow["message"]
