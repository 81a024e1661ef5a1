"""`incidentctl github watch`: SLA escalations on tracking issues, once per threshold."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_httpserver import HTTPServer

from fakegithub import BOT, HTML, FakeGitHub
from gitrepo import Commit, Repo, build_repo, incident_yaml, sla_policy_yaml
from incidentctl.github.watch import (
    CloseIssue,
    Links,
    OpenIssue,
    PostComment,
    ReopenIssue,
    crossings,
    incident_paths,
    plan,
    policies_for,
    thresholds,
    tracking_marker,
    watch_marker,
)
from incidentctl.history.replay import replay
from incidentctl.model import SLAPolicy
from incidentctl.sla.engine import Board, evaluate
from incidentctl.trackers import TrackedIssue

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

REPO = "acme/ops"
INC = "incidents/2026/INC-2026-0001.yaml"
INC2 = "incidents/2026/INC-2026-0002.yaml"
POLICY = "policies/sla/gold.yaml"
LABEL = "incident-tracking"
ENVIRONMENT = ("GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_TOKEN", "GITHUB_API_URL",
               "GITHUB_SERVER_URL", "INCIDENTCTL_GITHUB_PACE")  # fmt: skip
# resolve in 4h: 50 % at 12:00, 75 % at 13:00, 90 % at 13:36, breached at 14:00
GOLD = sla_policy_yaml(
    "gold",
    targets={"SEV1": {"resolve": "4h"}},
    warn_at=["50%", "75%", "90%"],
    escalation=[
        {"at": "75%", "notify": ["@acme/leads"]},
        {"at": "100%", "notify": ["acme/vp", "@carol"]},
    ],
)


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    github = FakeGitHub(httpserver)
    yield github
    github.check()


def incident(status: str = "open", id: str = "INC-2026-0001") -> str:
    return incident_yaml(id, status=status, severity="SEV1", title="Payments are failing")


def opened(tmp_path: Path) -> Repo:
    return build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T09:00:00Z", files={POLICY: GOLD}),
            Commit("2026-11-16T10:00:00Z", files={INC: incident()}),
        ],
    )


def watch(run_cli: RunCli, fake: FakeGitHub, repo: Repo, at: str, *args: str) -> CliResult:
    result = run_cli(
        ["-C", repo.path, "github", "watch", "--repo", REPO, "--at", at, *args], env=fake.env()
    )
    return result


def comments(fake: FakeGitHub) -> list[str]:
    [issue] = fake.issues_in(REPO, LABEL)
    return [c.body for c in fake.comments_on(REPO, issue.number)]


def markers(body: str) -> list[str]:
    return re.findall(r"<!-- incidentctl:watch (\S+) -->", body)


def test_each_threshold_is_posted_once_and_the_issue_closed_after_resolution(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = opened(tmp_path)

    first = watch(run_cli, fake, repo, "2026-11-16T12:10:00Z")
    assert first.exit_code == 0, first.stderr
    [issue] = fake.issues_in(REPO, LABEL)
    assert issue.title == "INC-2026-0001: Payments are failing"
    assert issue.body.startswith(tracking_marker("INC-2026-0001"))
    assert issue.login == BOT and issue.state == "open"
    [warned] = comments(fake)
    assert markers(warned) == ["INC-2026-0001/resolve/1/50"]
    assert "has used **54%** of its 4h target: 1h50m remaining" in warned
    assert "@" not in warned  # 50 % has no escalation entry: a warning, nobody mentioned
    assert "opened tracking issue" in first.stdout and "comment on resolve (50%)" in first.stdout

    for _ in range(2):  # reruns post nothing
        again = watch(run_cli, fake, repo, "2026-11-16T12:20:00Z")
        assert again.exit_code == 0, again.stderr
        assert "nothing to post" in again.stdout
    assert len(comments(fake)) == 1

    assert watch(run_cli, fake, repo, "2026-11-16T13:10:00Z").exit_code == 0
    assert watch(run_cli, fake, repo, "2026-11-16T13:40:00Z").exit_code == 0
    assert watch(run_cli, fake, repo, "2026-11-16T13:50:00Z").exit_code == 0
    posted = comments(fake)
    assert [markers(b) for b in posted[1:]] == [
        ["INC-2026-0001/resolve/1/75"],
        ["INC-2026-0001/resolve/1/90"],
    ]
    assert "Escalation at 75%: @acme/leads" in posted[1]
    assert "Escalation at 90%: @acme/leads" in posted[2]

    breach = watch(run_cli, fake, repo, "2026-11-16T14:30:00Z")
    assert breach.exit_code == 0, breach.stderr
    assert "comment on resolve (breach)" in breach.stdout
    breached = comments(fake)[-1]
    assert markers(breached) == ["INC-2026-0001/resolve/1/100"]
    assert "breached its 4h target since **2026-11-16T14:00:00Z**" in breached
    assert "over by **30m**" in breached
    assert "Escalation at 100%: @acme/leads @acme/vp @carol" in breached
    assert f"{HTML}/{REPO}/blob/{repo.head()}/{INC}" in breached
    assert len(comments(fake)) == 4

    repo.apply(Commit("2026-11-16T15:00:00Z", files={INC: incident("resolved")}))
    closing = watch(run_cli, fake, repo, "2026-11-16T15:30:00Z")
    assert closing.exit_code == 0, closing.stderr
    assert "close tracking issue #1 (incident ended)" in closing.stdout
    [issue] = fake.issues_in(REPO, LABEL)
    assert issue.state == "closed" and issue.state_reason == "completed"
    assert len(comments(fake)) == 4

    later = watch(run_cli, fake, repo, "2026-11-16T16:30:00Z")
    assert later.exit_code == 0 and "nothing to post" in later.stdout
    assert len(fake.issues_in(REPO)) == 1


def test_thresholds_crossed_between_runs_share_one_comment(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = opened(tmp_path)

    result = watch(run_cli, fake, repo, "2026-11-16T13:40:00Z")

    assert result.exit_code == 0, result.stderr
    [body] = comments(fake)
    assert markers(body) == [f"INC-2026-0001/resolve/1/{p}" for p in (50, 75, 90)]
    assert "SLA warning: INC-2026-0001 resolve at 90%" in body
    assert "Escalation at 90%: @acme/leads" in body
    assert watch(run_cli, fake, repo, "2026-11-16T13:50:00Z").stdout.startswith("nothing to post")


def test_markers_posted_by_someone_else_do_not_count(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = opened(tmp_path)
    number = fake.add_issue(
        REPO, "INC-2026-0001 (opened by hand)", tracking_marker("INC-2026-0001") + "\nnotes",
        login="alice", labels=[LABEL, "sev1"],
    )  # fmt: skip
    silencer = watch_marker("INC-2026-0001/resolve/1/50")
    fake.add_comment(REPO, number, f"{silencer}\nshh", login="mallory")

    result = watch(run_cli, fake, repo, "2026-11-16T12:10:00Z")

    assert result.exit_code == 0, result.stderr
    assert len(fake.issues_in(REPO)) == 1  # the existing tracking issue is used
    posted = fake.comments_on(REPO, number)
    assert [(c.login, markers(c.body)) for c in posted] == [
        ("mallory", ["INC-2026-0001/resolve/1/50"]),
        (BOT, ["INC-2026-0001/resolve/1/50"]),
    ]


def test_a_run_that_failed_halfway_is_completed_by_the_next_without_duplicates(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T10:30:00Z", files={INC2: incident(id="INC-2026-0002")}))
    # reads: the labelled issues; writes: issue 1, comment 1, issue 2; then GitHub goes down
    fake.fail(50, 502, after=4)

    broken = watch(run_cli, fake, repo, "2026-11-16T13:10:00Z")

    assert broken.exit_code == 2
    assert "GitHub: commenting on #2: HTTP 502" in broken.stderr
    assert "Traceback" not in broken.stderr
    fake.failures.clear()

    fixed = watch(run_cli, fake, repo, "2026-11-16T13:10:00Z")

    assert fixed.exit_code == 0, fixed.stderr
    issues = fake.issues_in(REPO, LABEL)
    assert [i.title.split(":")[0] for i in issues] == ["INC-2026-0001", "INC-2026-0002"]
    posted = [[markers(c.body) for c in fake.comments_on(REPO, i.number)] for i in issues]
    assert posted == [
        [["INC-2026-0001/resolve/1/50", "INC-2026-0001/resolve/1/75"]],
        [["INC-2026-0002/resolve/1/50"]],
    ]


def test_a_locked_tracking_issue_stops_only_its_own_incident(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T10:30:00Z", files={INC2: incident(id="INC-2026-0002")}))
    title, body = "INC-2026-0001: Payments are failing", tracking_marker("INC-2026-0001")
    locked = fake.add_issue(REPO, title, body, login=BOT, labels=[LABEL])
    fake.issues[REPO, locked].locked = True

    result = watch(run_cli, fake, repo, "2026-11-16T13:10:00Z")

    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert "INC-2026-0001: GitHub: commenting on #1: HTTP 403" in result.stderr
    assert "#1 is locked" in result.stderr and "unlock it" in result.stderr
    assert "permissions" not in result.stderr  # the hint names the real cause
    [other] = [i for i in fake.issues_in(REPO, LABEL) if i.number != locked]
    assert [markers(c.body) for c in fake.comments_on(REPO, other.number)] == [
        ["INC-2026-0002/resolve/1/50"]
    ]
    assert "INC-2026-0002: comment on resolve (50%)" in result.stdout
    assert "1 of 2 incident(s) failed" in result.stderr

    fake.issues[REPO, locked].locked = False
    healed = watch(run_cli, fake, repo, "2026-11-16T13:10:00Z")
    assert healed.exit_code == 0, healed.stderr
    assert [markers(c.body) for c in fake.comments_on(REPO, locked)] == [
        ["INC-2026-0001/resolve/1/50", "INC-2026-0001/resolve/1/75"]
    ]
    assert len(fake.comments_on(REPO, other.number)) == 1


def test_a_dry_run_reads_but_writes_nothing(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = opened(tmp_path)

    result = watch(run_cli, fake, repo, "2026-11-16T14:30:00Z", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "would INC-2026-0001: open a tracking issue",
        "would INC-2026-0001: comment on resolve (breach)",
    ]
    assert fake.writes() == [] and fake.issues_in(REPO) == []


def test_watch_needs_a_repository(tmp_path: Path, run_cli: RunCli, fake: FakeGitHub) -> None:
    repo = opened(tmp_path)
    result = run_cli(["-C", repo.path, "github", "watch"], env=fake.env())
    assert result.exit_code == 2
    assert "pass --repo owner/repo" in result.stderr


# -- planning, without HTTP ----------------------------------------------------


def board_at(repo: Repo, at: str) -> tuple[Board, Links, dict[str, SLAPolicy]]:
    history = replay(repo.path, "main")
    board = evaluate(history, datetime.fromisoformat(at))
    links = Links(HTML, REPO, board.commit, incident_paths(history))
    return board, links, policies_for(history, board)


def tracked(number: int, state: str = "open") -> TrackedIssue:
    body = tracking_marker("INC-2026-0001")
    return TrackedIssue(number, f"github:{REPO}#{number}", "u", state, "t", body, (LABEL,))


def test_the_plan_is_a_function_of_the_board_and_the_markers(tmp_path: Path) -> None:
    repo = opened(tmp_path)
    board, links, policies = board_at(repo, "2026-11-16T13:10:00Z")

    fresh = plan(board, policies, {}, set(), links)
    assert [type(a) for a in fresh] == [OpenIssue, PostComment]
    assert isinstance(fresh[1], PostComment)
    assert fresh[1].keys == ("INC-2026-0001/resolve/1/50", "INC-2026-0001/resolve/1/75")

    issue = {"INC-2026-0001": tracked(7)}
    half = {"INC-2026-0001/resolve/1/50"}
    [rest] = plan(board, policies, issue, half, links)
    assert isinstance(rest, PostComment) and rest.keys == ("INC-2026-0001/resolve/1/75",)
    done = half | {"INC-2026-0001/resolve/1/75"}
    assert plan(board, policies, issue, done, links) == []


def test_a_reopened_incident_is_watched_in_its_new_cycle_on_its_reopened_issue(
    tmp_path: Path,
) -> None:
    repo = opened(tmp_path)
    repo.apply(
        Commit("2026-11-16T11:00:00Z", files={INC: incident("resolved")}),
        Commit("2026-11-16T16:00:00Z", files={INC: incident("open")}),
    )
    board, links, policies = board_at(repo, "2026-11-16T18:30:00Z")
    old = {f"INC-2026-0001/resolve/1/{p}" for p in (50, 75, 90, 100)}

    actions = plan(board, policies, {"INC-2026-0001": tracked(3, "closed")}, old, links)

    assert actions[0] == ReopenIssue("INC-2026-0001", 3)
    assert isinstance(actions[1], PostComment)
    assert actions[1].keys == ("INC-2026-0001/resolve/2/50",)
    assert "(cycle 2)" in actions[1].body


def test_a_resolved_incident_closes_its_open_issue(tmp_path: Path) -> None:
    repo = opened(tmp_path)
    repo.apply(Commit("2026-11-16T15:00:00Z", files={INC: incident("cancelled")}))
    board, links, policies = board_at(repo, "2026-11-16T16:00:00Z")

    assert crossings(board, policies) == []
    assert plan(board, policies, {"INC-2026-0001": tracked(3)}, set(), links) == [
        CloseIssue("INC-2026-0001", 3)
    ]
    assert plan(board, policies, {"INC-2026-0001": tracked(3, "closed")}, set(), links) == []


def test_thresholds_gather_every_escalation_at_or_below_them(tmp_path: Path) -> None:
    repo = opened(tmp_path)
    _, _, policies = board_at(repo, "2026-11-16T10:00:00Z")
    found = [(t.at, t.notify) for t in thresholds(policies["INC-2026-0001"])]
    assert found == [
        (0.5, ()),
        (0.75, ("@acme/leads",)),
        (0.9, ("@acme/leads",)),
        (1.0, ("@acme/leads", "@acme/vp", "@carol")),
    ]
