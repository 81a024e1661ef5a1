"""``--now`` on the editing commands, on real Git repositories: the SLA counts commits,
so ``--now`` either becomes the commit's author date (``clock: authored`` with
``--commit``) or the command says on stderr what the SLA will count instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from gitrepo import (
    Commit,
    Repo,
    build_repo,
    defect_policy_yaml,
    incident_yaml,
    sla_policy_yaml,
    update,
)
from test_edit_git import git_env

if TYPE_CHECKING:
    from conftest import RunCli

ID = "INC-2026-0001"
INC = f"incidents/2026/{ID}.yaml"
OTHER_ID = "INC-2026-0002"
OTHER = f"incidents/2026/{OTHER_ID}.yaml"
POLICY = "policies/sla/gold.yaml"
DEFECTS = "policies/defects.yaml"
OPENED = "2026-11-16T10:00:00Z"
TYPED = "2026-11-16T10:03:00Z"  # the --now a person gives
LANDS = "2026-11-16T10:20:00Z"  # when the command actually runs and commits
LANDED_NOTE = f"the SLA will count the time this change lands on main, not --now {TYPED}"
AUTHORED_NOTE = (
    f"the SLA will count the author date of the commit that records this change, not --now {TYPED}"
)


def repository(
    path: Path,
    status: str = "open",
    clock: str | None = None,
    acknowledge: str = "5m",
    **fields: Any,
) -> Repo:
    fields.setdefault("updates", [update(OPENED)])
    text = incident_yaml(ID, status=status, severity="SEV1", commander="@dana", **fields)
    targets = {
        "SEV1": {"acknowledge": acknowledge, "update_every": "15m", "resolve": "4h"},
        "SEV2": {"update_every": "30m", "resolve": "8h"},
    }
    policy = sla_policy_yaml("gold", clock=clock, targets=targets)
    files = {POLICY: policy, DEFECTS: defect_policy_yaml(), INC: text}
    return build_repo(path, [Commit(OPENED, files=files)])


def metric(run_cli: RunCli, repo: Repo, name: str, at: str) -> dict[str, Any]:
    result = run_cli(["-C", repo.path, "sla", ID, "--format", "json", "--at", at])
    assert result.exit_code == 0, result.stderr
    (incident,) = json.loads(result.stdout)["incidents"]
    found: dict[str, Any] = next(m for m in incident["metrics"] if m["metric"] == name)
    return found


# Every command that takes --now, with a status it can start from.
EDITS = [
    ("open", ["ack"]),
    ("acknowledged", ["mitigate", "--workaround", "Traffic moved to the standby region."]),
    ("acknowledged", ["wait", "--reason", "The acquirer confirms."]),
    ("waiting", ["resume"]),
    ("mitigated", ["resolve", "--summary", "Rolled back."]),
    ("resolved", ["close"]),
    ("resolved", ["reopen", "--reason", "It failed again."]),
    ("open", ["cancel", "--kind", "false-alarm"]),
    ("open", ["severity", ID, "SEV2", "--reason", "Few customers."]),
    ("open", ["update", ID, "We are on it."]),
    ("open", ["assign", ID, "@erin"]),
    ("open", ["defect", "add", ID, "--title", "Timeout too short", "--service", "payments"]),
]


@pytest.mark.parametrize(("status", "command"), EDITS, ids=[" ".join(c[:2]) for _, c in EDITS])
def test_every_edit_given_now_under_a_landed_clock_says_what_the_sla_counts(
    tmp_path: Path, run_cli: RunCli, status: str, command: list[str]
) -> None:
    repo = repository(tmp_path / "repo", status)
    args = command if ID in command else [*command, ID]
    result = run_cli(["-C", repo.path, *args, "--now", TYPED])
    assert result.exit_code == 0, result.stderr
    assert f"incidentctl: {ID}: {LANDED_NOTE}: SLA policy gold has clock: landed\n" == (
        result.stderr
    )


def test_the_landed_note_is_true_the_clock_stops_at_the_landing(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path / "repo")
    result = run_cli(
        ["-C", repo.path, "ack", ID, "--commit", "--now", TYPED], env=git_env(repo, LANDS)
    )
    assert result.exit_code == 0, result.stderr
    assert LANDED_NOTE in result.stderr
    acknowledge = metric(run_cli, repo, "acknowledge", LANDS)
    assert (acknowledge["state"], acknowledge["elapsed_seconds"]) == ("missed", 20 * 60)


def test_an_authored_clock_dates_the_commit_now(tmp_path: Path, run_cli: RunCli) -> None:
    # a 30-minute target: no breach was on record when the commit landed at 10:20
    repo = repository(tmp_path / "repo", clock="authored", acknowledge="30m")
    result = run_cli(
        ["-C", repo.path, "ack", ID, "--commit", "--now", TYPED], env=git_env(repo, LANDS)
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert repo.git("log", "-1", "--format=%aI %cI") == (
        "2026-11-16T10:03:00+00:00 2026-11-16T10:20:00+00:00"
    )
    acknowledge = metric(run_cli, repo, "acknowledge", LANDS)
    assert (acknowledge["state"], acknowledge["elapsed_seconds"]) == ("met", 3 * 60)


def test_a_backdated_commit_never_erases_a_breach_on_record(
    tmp_path: Path, run_cli: RunCli
) -> None:
    # A 5-minute target: from 10:05 the SLA reported the breach, so a commit dated 10:03
    # that lands at 10:20 counts at 10:20; the breach stays on record.
    repo = repository(tmp_path / "repo", clock="authored")
    result = run_cli(
        ["-C", repo.path, "ack", ID, "--commit", "--now", TYPED], env=git_env(repo, LANDS)
    )
    assert result.exit_code == 0, result.stderr
    assert repo.git("log", "-1", "--format=%aI") == "2026-11-16T10:03:00+00:00"
    acknowledge = metric(run_cli, repo, "acknowledge", LANDS)
    assert (acknowledge["state"], acknowledge["elapsed_seconds"]) == ("missed", 20 * 60)


def test_an_authored_clock_without_commit_says_commit_dates_it(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = repository(tmp_path / "repo", clock="authored")
    result = run_cli(["-C", repo.path, "mitigate", ID, "--workaround", "Failover.", "--now", TYPED])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"incidentctl: {ID}: {AUTHORED_NOTE} (SLA policy gold has clock: authored): add "
        "--commit to date that commit --now\n"
    )


def test_pushing_keeps_the_author_date(tmp_path: Path, run_cli: RunCli) -> None:
    seed = repository(tmp_path / "seed", clock="authored")
    bare = tmp_path / "remote.git"
    seed.git("clone", "-q", "--bare", str(seed.path), str(bare))
    seed.git("clone", "-q", bare.as_uri(), str(tmp_path / "ours"))
    ours = Repo(tmp_path / "ours")
    result = run_cli(
        ["-C", ours.path, "update", ID, "Still on it.", "--push", "--now", TYPED],
        env=git_env(ours, LANDS),
    )
    assert result.exit_code == 0, result.stderr
    pushed = ours.git("--git-dir", str(bare), "log", "-1", "--format=%aI", "main")
    assert pushed == "2026-11-16T10:03:00+00:00"


def test_the_policy_is_chosen_as_the_engine_chooses_it(tmp_path: Path, run_cli: RunCli) -> None:
    """By the incident's customer, among the policies as they stood when it opened."""
    acme = "policies/sla/acme.yaml"
    text = incident_yaml(ID, severity="SEV1", customer="acme", updates=[update(OPENED)])
    selector = {"customers": ["acme"]}
    slow = {"SEV1": {"acknowledge": "30m"}}  # no breach on record before the landing
    authored = sla_policy_yaml(
        "acme", clock="authored", priority=10, applies_to=selector, targets=slow
    )
    landed = sla_policy_yaml("acme", priority=10, applies_to=selector, targets=slow)
    initech = incident_yaml(OTHER_ID, customer="initech")
    opening = {POLICY: sla_policy_yaml("gold"), acme: authored, INC: text, OTHER: initech}
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit(OPENED, files=opening),
            # a later edit of the policy does not change how these incidents are judged
            Commit("2026-11-16T10:01:00Z", files={acme: landed}),
        ],
    )
    result = run_cli(
        ["-C", repo.path, "ack", ID, "--commit", "--now", TYPED], env=git_env(repo, LANDS)
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert repo.git("log", "-1", "--format=%aI") == "2026-11-16T10:03:00+00:00"
    acknowledge = metric(run_cli, repo, "acknowledge", LANDS)
    assert (acknowledge["state"], acknowledge["elapsed_seconds"]) == ("met", 3 * 60)

    # another customer's incident falls to gold, whose clock is landed
    other = run_cli(["-C", repo.path, "ack", OTHER_ID, "--now", TYPED])
    assert other.exit_code == 0, other.stderr
    assert other.stderr == (
        f"incidentctl: {OTHER_ID}: {LANDED_NOTE}: SLA policy gold has clock: landed\n"
    )


def test_no_note_where_no_sla_counts(tmp_path: Path, run_cli: RunCli) -> None:
    repo = repository(tmp_path / "repo", environment="non-production")
    result = run_cli(["-C", repo.path, "ack", ID, "--now", TYPED])
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    # and it becomes due once the incident is in production
    moved = run_cli(["-C", repo.path, "update", ID, "Customers see it too.", "--now", TYPED])
    assert moved.exit_code == 0, moved.stderr
    assert moved.stderr == ""
    (repo.path / INC).write_text(
        (repo.path / INC)
        .read_text("utf-8")
        .replace("environment: non-production", "environment: production"),
        "utf-8",
    )
    noted = run_cli(["-C", repo.path, "assign", ID, "@erin", "--now", TYPED])
    assert noted.exit_code == 0, noted.stderr
    assert LANDED_NOTE in noted.stderr


def test_without_git_the_work_tree_policies_count(tmp_path: Path, run_cli: RunCli) -> None:
    root = tmp_path / "plain"
    for name, text in {INC: incident_yaml(ID, severity="SEV1"), POLICY: sla_policy_yaml()}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    result = run_cli(["-C", root, "ack", ID, "--now", TYPED])
    assert result.exit_code == 0, result.stderr
    assert LANDED_NOTE in result.stderr


def test_help_says_what_now_counts(run_cli: RunCli) -> None:
    result = run_cli(["ack", "--help"])
    assert result.exit_code == 0, result.stderr
    text = " ".join(result.stdout.split())
    assert "The SLA counts commits, not --now" in text
    assert "clock: landed, the time the commit lands on --branch" in text
    assert "clock: authored, the commit's author date, which --commit sets to --now" in text
