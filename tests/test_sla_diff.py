"""`incidentctl sla --diff BASE...HEAD`: what merging a pull request now does to SLAs.

Every pull request here is a real branch in a real repository; the merge is simulated
by the command and must leave every ref as it was.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gitrepo import Commit, Merge, Repo, build_repo, incident_yaml, rca_yaml, sla_policy_yaml

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

INC = "incidents/2026/INC-2026-0042.yaml"
OTHER = "incidents/2026/INC-2026-0043.yaml"
POLICY = "policies/sla/gold.yaml"
TARGETS = {
    "SEV1": {"acknowledge": "5m", "resolve": "4h"},
    "SEV2": {"resolve": "8h"},
}
MARKER = "<!-- incidentctl:sla-comment -->"


def incident(status: str = "open", severity: str = "SEV1", **fields: Any) -> str:
    return incident_yaml("INC-2026-0042", status=status, severity=severity, **fields)


def repository(tmp_path: Path, opened: str, **fields: Any) -> Repo:
    """``main`` with the gold policy and INC-2026-0042 opened at ``opened``."""
    return build_repo(
        tmp_path / "repo",
        [
            Commit(
                "2026-11-16T07:00:00Z", files={POLICY: sla_policy_yaml("gold", targets=TARGETS)}
            ),
            Commit(opened, files={INC: incident(**fields)}),
        ],
    )


def diff(run_cli: RunCli, repo: Repo, spec: str, at: str, *args: str) -> CliResult:
    return run_cli(["-C", repo.path, "sla", "--diff", spec, "--at", at, *args])


def diff_json(run_cli: RunCli, repo: Repo, spec: str, at: str) -> dict[str, Any]:
    result = diff(run_cli, repo, spec, at, "--format", "json")
    assert result.exit_code == 0, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def refs(repo: Repo) -> str:
    return repo.git("for-each-ref", "--format=%(refname) %(objectname)")


def test_resolving_in_time_reads_as_met(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z", status="acknowledged")
    repo.apply(Commit("2026-11-16T12:00:00Z", branch="fix", files={INC: incident("resolved")}))
    before = refs(repo)

    result = diff(run_cli, repo, "main...fix", "2026-11-16T13:12:00Z", "--format", "markdown")

    assert result.exit_code == 0, result.stderr
    comment = result.stdout
    assert comment.startswith(MARKER + "\n")
    assert "Merging now resolves INC-2026-0042 after 3h12m of 4h: resolve met" in comment
    assert "### 🟢 Merging now meets 1 SLA target" in comment
    # the table: before and after for the metric that changed, and only for it
    assert "| INC-2026-0042 | resolve | 🔵 running, 3h12m of 4h, due 14:00 UTC | 🟢 met" in comment
    assert "| INC-2026-0042 | acknowledge |" not in comment
    assert "<details>" in comment
    assert refs(repo) == before  # the merge was simulated, nothing moved


def test_acknowledging_late_reads_as_missed(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z")
    repo.apply(Commit("2026-11-16T10:03:00Z", branch="ack", files={INC: incident("acknowledged")}))

    result = diff(run_cli, repo, "main...ack", "2026-11-16T10:07:00Z")

    assert result.exit_code == 0, result.stderr
    assert (
        "Merging now acknowledges INC-2026-0042 after 7m of 5m: acknowledge missed (2m late)"
        in result.stdout
    )
    assert "Merging now misses 1 SLA target" in result.stdout


def test_the_merge_is_the_landing_time(tmp_path: Path, run_cli: RunCli) -> None:
    """The same pull request merged two minutes earlier meets the target."""
    repo = repository(tmp_path, "2026-11-16T10:00:00Z")
    repo.apply(Commit("2026-11-16T10:01:00Z", branch="ack", files={INC: incident("acknowledged")}))

    data = diff_json(run_cli, repo, "main...ack", "2026-11-16T10:04:30Z")

    [change] = data["incidents"][0]["metrics"]
    assert change["change"] == "met"
    assert change["after"]["cycles"][0]["stopped_at"] == "2026-11-16T10:04:30Z"
    assert change["after"]["evidence"][-1]["commit"] == data["merge"]["commit"]


def test_lowering_severity_after_a_breach_keeps_the_breach(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T08:00:00Z", status="acknowledged")
    lowered = incident("acknowledged", severity="SEV2")
    repo.apply(Commit("2026-11-16T12:30:00Z", branch="lower", files={INC: lowered}))

    result = diff(run_cli, repo, "main...lower", "2026-11-16T13:00:00Z")
    data = diff_json(run_cli, repo, "main...lower", "2026-11-16T13:00:00Z")

    assert (
        "Lowers severity of INC-2026-0042 from SEV1 to SEV2 after a breach: "
        "the resolve breach stays (since 12:00 UTC)"
    ) in result.stdout
    [resolve] = [m for m in data["incidents"][0]["metrics"] if m["metric"] == "resolve"]
    assert resolve["change"] == "breach_stays"
    assert resolve["before"]["state"] == resolve["after"]["state"] == "breached"
    assert resolve["after"]["breached_at"] == "2026-11-16T12:00:00Z"
    assert resolve["after"]["target_seconds"] == 8 * 3600
    assert data["incidents"][0]["severity"] == {"before": "SEV1", "after": "SEV2"}


def test_raising_severity_can_breach_at_once(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T08:00:00Z", status="acknowledged", severity="SEV2")
    raised = incident("acknowledged", severity="SEV1")
    repo.apply(Commit("2026-11-16T12:55:00Z", branch="raise", files={INC: raised}))

    result = diff(run_cli, repo, "main...raise", "2026-11-16T13:00:00Z")

    assert (
        "Raises severity of INC-2026-0042 from SEV2 to SEV1: resolve breached since 13:00 UTC"
        in result.stdout
    )


def test_a_new_incident_reads_as_opened_with_its_due_times(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T08:00:00Z", status="acknowledged")
    new = incident_yaml("INC-2026-0043", severity="SEV1")
    repo.apply(Commit("2026-11-16T09:58:00Z", branch="new", files={OTHER: new}))

    result = diff(run_cli, repo, "main...new", "2026-11-16T10:00:00Z")

    assert result.exit_code == 0, result.stderr
    assert (
        "Opens INC-2026-0043 (SEV1, policy gold): acknowledge due 10:05 UTC, resolve due 14:00 UTC"
    ) in result.stdout
    assert "INC-2026-0042" not in result.stdout.split("\n\n")[1]  # untouched: not described


def test_validation_errors_of_the_changed_files_are_located(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z")
    broken = incident("acknowledged", severity="SEV5", commander=None)
    repo.apply(Commit("2026-11-16T10:03:00Z", branch="bad", files={INC: broken}))

    result = diff(run_cli, repo, "main...bad", "2026-11-16T10:04:00Z", "--format", "markdown")

    assert result.exit_code == 0, result.stderr
    assert "### ❌ Validation errors: 1 · " in result.stdout
    assert "<details open><summary>Validation errors: 1</summary>" in result.stdout
    line = next(n for n, text in enumerate(broken.splitlines(), 1) if text.startswith("severity"))
    assert f"{INC}:{line}:1: error schema severity: 'SEV5' is not one of" in result.stdout


def test_an_illegal_transition_against_the_base_is_a_validation_error(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z", status="acknowledged")
    repo.apply(Commit("2026-11-16T11:00:00Z", files={INC: incident("closed")}))
    repo.apply(Commit("2026-11-16T11:30:00Z", branch="reopen", files={INC: incident("open")}))

    data = diff_json(run_cli, repo, "main...reopen", "2026-11-16T12:00:00Z")

    rules = {p["rule"] for p in data["validation"]["problems"]}
    assert "status-transition" in rules
    assert data["summary"]["errors"] == data["validation"]["errors"] >= 1


def test_json_shape(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z", status="acknowledged")
    repo.apply(Commit("2026-11-16T12:00:00Z", branch="fix", files={INC: incident("resolved")}))

    data = diff_json(run_cli, repo, "main...fix", "2026-11-16T13:12:00Z")

    assert set(data) == {
        "as_of", "base", "head", "merge_base", "merge", "headline", "summary",
        "changed_files", "validation", "incidents",
    }  # fmt: skip
    assert data["as_of"] == "2026-11-16T13:12:00Z"
    assert data["base"] == {"ref": "main", "commit": repo.head()}
    assert data["head"] == {"ref": "fix", "commit": repo.head("fix")}
    assert data["merge_base"] == repo.head()
    merge = data["merge"]
    assert merge["fast_forward"] is True and merge["conflicts"] == []
    assert repo.git("rev-parse", f"{merge['commit']}^1", f"{merge['commit']}^2").split() == [
        repo.head(),
        repo.head("fix"),
    ]
    assert data["changed_files"] == [INC]
    assert data["summary"]["met"] == 1 and data["summary"]["incidents"] == 1
    [inc] = data["incidents"]
    assert inc["id"] == "INC-2026-0042" and inc["change"] == "changed"
    assert inc["status"] == {"before": "acknowledged", "after": "resolved"}
    [resolve] = inc["metrics"]
    assert resolve["metric"] == "resolve" and resolve["change"] == "met"
    assert resolve["message"] == (
        "Merging now resolves INC-2026-0042 after 3h12m of 4h: resolve met"
    )
    assert resolve["before"]["state"] == "running" and resolve["after"]["state"] == "met"
    assert resolve["after"]["elapsed_seconds"] == 3 * 3600 + 12 * 60
    assert data["validation"] == {"checked": 1, "errors": 0, "warnings": 0, "problems": []}


def test_githubs_merge_ref_as_head(tmp_path: Path, run_cli: RunCli) -> None:
    """On pull_request, GitHub checks out its own merge of the branch into main."""
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(
                "2026-11-16T07:00:00Z",
                files={POLICY: sla_policy_yaml(targets=TARGETS, clock="authored")},
            ),
            Commit("2026-11-16T10:00:00Z", files={INC: incident()}),
            Commit("2026-11-16T10:01:00Z", branch="ack", files={INC: incident("acknowledged")}),
        ],
    )
    repo.git("branch", "pull-merge", "main")
    repo.apply(Merge("ack", "2026-11-16T10:02:00Z", into="pull-merge"))

    # landing at 10:04, before the acknowledgement's 10:05 deadline
    data = diff_json(run_cli, repo, "main...pull-merge", "2026-11-16T10:04:00Z")

    assert data["merge"]["fast_forward"] is True
    assert data["changed_files"] == [INC]
    [change] = data["incidents"][0]["metrics"]
    # clock: authored counts the pull request's own commit, not either merge
    assert change["change"] == "met"
    assert change["after"]["cycles"][0]["stopped_at"] == "2026-11-16T10:01:00Z"


def test_a_base_that_moved_on_is_merged_three_ways(tmp_path: Path, run_cli: RunCli) -> None:
    """main gained a commit after the branch started; both are in the merge."""
    repo = repository(tmp_path, "2026-11-16T10:00:00Z", status="acknowledged")
    other = incident_yaml("INC-2026-0043", severity="SEV2", status="acknowledged")
    repo.apply(
        Commit("2026-11-16T10:30:00Z", branch="fix", files={INC: incident("resolved")}),
        Commit("2026-11-16T10:40:00Z", files={OTHER: other}),
    )

    data = diff_json(run_cli, repo, "main...fix", "2026-11-16T11:00:00Z")

    assert data["merge"]["fast_forward"] is False
    assert data["merge_base"] != data["base"]["commit"]
    assert data["changed_files"] == [INC]  # what the pull request changes, not main
    assert [i["id"] for i in data["incidents"]] == ["INC-2026-0042"]
    assert data["incidents"][0]["metrics"][0]["change"] == "met"


def test_a_conflict_is_reported_and_nothing_is_judged(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z", status="acknowledged")
    repo.apply(
        Commit("2026-11-16T10:30:00Z", branch="fix", files={INC: incident("resolved")}),
        Commit("2026-11-16T10:40:00Z", files={INC: incident("mitigated")}),
    )

    result = diff(run_cli, repo, "main...fix", "2026-11-16T11:00:00Z", "--format", "markdown")
    data = diff_json(run_cli, repo, "main...fix", "2026-11-16T11:00:00Z")

    assert result.exit_code == 0, result.stderr
    assert "### ⚠️ Conflicts with main: the SLA effect is unknown" in result.stdout
    assert f"- `{INC}`" in result.stdout
    assert data["merge"]["commit"] is None and data["merge"]["conflicts"] == [INC]


def test_an_rca_brings_its_incident(tmp_path: Path, run_cli: RunCli) -> None:
    targets = {"SEV1": {"resolve": "4h", "postmortem": "48h"}}
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T07:00:00Z", files={POLICY: sla_policy_yaml(targets=targets)}),
            Commit("2026-11-16T08:00:00Z", files={INC: incident("acknowledged")}),
            Commit("2026-11-16T09:00:00Z", files={INC: incident("resolved")}),
        ],
    )
    rca = rca_yaml("INC-2026-0042", meeting_at="2026-11-17T09:00:00Z")
    rca_path = "incidents/2026/INC-2026-0042.rca.yaml"
    repo.apply(Commit("2026-11-17T10:00:00Z", branch="pm", files={rca_path: rca}))

    data = diff_json(run_cli, repo, "main...pm", "2026-11-17T11:00:00Z")

    [inc] = data["incidents"]
    assert inc["id"] == "INC-2026-0042"
    # the meeting is recorded after the fact: it counts when the record lands, not at the
    # time typed into the file (the incident is no imported record)
    assert inc["metrics"][0]["message"] == (
        "Merging now holds the postmortem of INC-2026-0042 after 1d2h of 2d: postmortem met"
    )


def test_a_merged_pull_request_is_judged_like_merging_it(tmp_path: Path, run_cli: RunCli) -> None:
    """What --diff predicts is what `sla` says once the merge really lands then."""
    repo = repository(tmp_path, "2026-11-16T10:00:00Z")
    repo.apply(Commit("2026-11-16T10:03:00Z", branch="ack", files={INC: incident("acknowledged")}))
    predicted = diff_json(run_cli, repo, "main...ack", "2026-11-16T10:20:00Z")
    repo.apply(Merge("ack", "2026-11-16T10:20:00Z"))

    result = run_cli(["-C", repo.path, "sla", "--at", "2026-11-16T10:20:00Z", "--format", "json"])
    actual = json.loads(result.stdout)["incidents"][0]["metrics"]

    after = predicted["incidents"][0]["metrics"][0]["after"]
    [real] = [m for m in actual if m["metric"] == after["metric"]]
    assert (real["state"], real["elapsed_seconds"]) == (after["state"], after["elapsed_seconds"])


def test_the_artifact_holds_the_comment_and_the_pr_number(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z", status="acknowledged")
    repo.apply(Commit("2026-11-16T12:00:00Z", branch="fix", files={INC: incident("resolved")}))
    artifact = tmp_path / "artifact"

    result = diff(
        run_cli, repo, "main...fix", "2026-11-16T13:12:00Z",
        "--format", "json", "--artifact", str(artifact), "--pr-number", "17",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    json.loads(result.stdout)  # stdout keeps the chosen format
    assert sorted(p.name for p in artifact.iterdir()) == ["comment.md", "pr-number"]
    comment = (artifact / "comment.md").read_text(encoding="utf-8")
    assert comment.startswith(MARKER)
    assert "resolve met" in comment
    assert (artifact / "pr-number").read_text(encoding="utf-8") == "17\n"
    mode = stat.S_IMODE((artifact / "comment.md").stat().st_mode)
    assert mode == 0o666 & ~_umask()

    # A later run without a number must not leave the old one for the comment workflow.
    again = diff(run_cli, repo, "main...fix", "2026-11-16T13:12:00Z", "--artifact", str(artifact))
    assert again.exit_code == 0, again.stderr
    assert sorted(p.name for p in artifact.iterdir()) == ["comment.md"]


def test_a_diff_too_large_for_a_comment_is_whole_in_the_job_summary(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z")
    many = {
        f"incidents/2026/INC-2026-{n:04d}.yaml": incident_yaml(
            f"INC-2026-{n:04d}", severity="SEV1", title=f"Checkout fails in region {n}"
        )
        for n in range(100, 400)
    }
    repo.apply(Commit("2026-11-16T11:00:00Z", branch="many", files=many))
    artifact = tmp_path / "artifact"

    result = diff(run_cli, repo, "main...many", "2026-11-16T12:00:00Z",
                  "--format", "markdown", "--artifact", str(artifact))  # fmt: skip

    assert result.exit_code == 0, result.stderr
    comment = (artifact / "comment.md").read_text(encoding="utf-8")
    assert len(comment) <= 60_000
    assert "the full text is in the job summary" in comment
    assert "| INC-2026-0399 |" not in comment
    summary = result.stdout  # what the workflow appends to the job summary
    assert "cut to fit" not in summary
    assert all(f"| INC-2026-{n:04d} |" in summary for n in range(100, 400))


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_fail_on_judges_the_state_after_the_merge(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z")
    repo.apply(Commit("2026-11-16T10:01:00Z", branch="ack", files={INC: incident("acknowledged")}))

    fine = diff(run_cli, repo, "main...ack", "2026-11-16T10:02:00Z", "--fail-on", "breached")
    late = diff(run_cli, repo, "main...ack", "2026-11-16T14:30:00Z", "--fail-on", "breached")

    assert fine.exit_code == 0, fine.stderr
    assert late.exit_code == 1  # resolve is breached after the merge too


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--diff", "main..fix"], "write the pull request as BASE...HEAD"),
        (["--diff", "main...nowhere"], "'nowhere' names no commit"),
        (["--diff", "main...fix", "INC-2026-0042"], "give no incident ids"),
        (["--artifact", "out"], "--artifact and --pr-number go with --diff"),
        (["--diff", "main...fix", "--pr-number", "3"], "--pr-number goes with --artifact"),
    ],
)
def test_usage_errors(tmp_path: Path, run_cli: RunCli, args: list[str], message: str) -> None:
    repo = repository(tmp_path, "2026-11-16T10:00:00Z")
    repo.apply(Commit("2026-11-16T10:01:00Z", branch="fix", files={INC: incident("acknowledged")}))

    result = run_cli(["-C", repo.path, "sla", *args])

    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
