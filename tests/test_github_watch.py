"""`incidentctl github watch`: SLA escalations on tracking issues, once per threshold."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_httpserver import HTTPServer

from fakegithub import BOT, HTML, FakeGitHub
from gitrepo import Commit, Repo, build_repo, calendar_yaml, incident_yaml, sla_policy_yaml
from incidentctl.github.delivery import CHANNEL
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
from incidentctl.notify.ledger import LEDGER_REF
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


# -- the delivery ledger: exactly once across reruns, crashes and concurrent runs --------


def ledger_states(repo: Repo) -> dict[str, str]:
    """The watch channel's pairs in the clone's delivery ledger: key -> last state."""
    text = repo.git("show", f"{LEDGER_REF}:ledger.jsonl")
    found = {}
    for line in text.splitlines():
        entry = json.loads(line)
        if entry["channel"] == CHANNEL:
            found[entry["key"]] = entry["state"]
    return found


def test_warnings_are_deliveries_in_the_notify_ledger(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = opened(tmp_path)
    assert watch(run_cli, fake, repo, "2026-11-16T12:10:00Z").exit_code == 0
    assert ledger_states(repo) == {
        "INC-2026-0001/tracking-issue": "released",
        "INC-2026-0001/resolve/1/50": "sent",
    }
    reads = len(fake.requests("GET", r"/comments$"))
    again = watch(run_cli, fake, repo, "2026-11-16T12:20:00Z")
    assert "nothing to post" in again.stdout
    # What the ledger holds as sent is not looked for on the issue again.
    assert len(fake.requests("GET", r"/comments$")) == reads
    assert len(comments(fake)) == 1


def test_comments_posted_before_the_ledger_are_not_posted_again(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    """A repository watched before warnings were ledger deliveries: the markers of the
    bot's comments are recorded as sent; nothing is posted twice."""
    repo = opened(tmp_path)
    title, body = "INC-2026-0001: Payments are failing", tracking_marker("INC-2026-0001")
    number = fake.add_issue(REPO, title, body, login=BOT, labels=[LABEL])
    for key in ("50", "75"):
        fake.add_comment(REPO, number, watch_marker(f"INC-2026-0001/resolve/1/{key}") + "\nold",
                         login=BOT)  # fmt: skip

    result = watch(run_cli, fake, repo, "2026-11-16T13:10:00Z")

    assert result.exit_code == 0, result.stderr
    assert "nothing to post" in result.stdout
    assert len(fake.comments_on(REPO, number)) == 2
    assert ledger_states(repo) == {
        "INC-2026-0001/resolve/1/50": "sent",
        "INC-2026-0001/resolve/1/75": "sent",
    }
    later = watch(run_cli, fake, repo, "2026-11-16T13:40:00Z")
    assert later.exit_code == 0, later.stderr
    assert [markers(c.body) for c in fake.comments_on(REPO, number)][2:] == [
        ["INC-2026-0001/resolve/1/90"]
    ]


def _watch_process(repo: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", "from incidentctl.cli.main import main; main()",
               "-C", str(repo), "github", "watch", "--repo", REPO, *args]  # fmt: skip
    return subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip


def test_a_run_killed_after_github_took_its_comment_posts_nothing_twice(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = opened(tmp_path)
    fake.delay_comment_answers(5)
    run = _watch_process(repo.path, fake.env(), "--at", "2026-11-16T12:10:00Z")
    deadline = time.monotonic() + 60
    while not fake.comments and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake.comments, run.communicate()
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=10)
    fake.delay_comment_answers(0)
    assert ledger_states(repo)["INC-2026-0001/resolve/1/50"] == "claimed"

    # Within the lease the dead run's claim stands; after it, the marker on the issue
    # shows the comment was posted: it is recorded, not posted again.
    for at in ("2026-11-16T12:15:00Z", "2026-11-16T12:25:00Z"):
        rerun = watch(run_cli, fake, repo, at)
        assert rerun.exit_code == 0, rerun.stderr
        assert "nothing to post" in rerun.stdout
    assert ledger_states(repo)["INC-2026-0001/resolve/1/50"] == "sent"
    assert [markers(b) for b in comments(fake)] == [["INC-2026-0001/resolve/1/50"]]
    assert watch(run_cli, fake, repo, "2026-11-16T13:10:00Z").exit_code == 0
    assert [markers(b) for b in comments(fake)] == [
        ["INC-2026-0001/resolve/1/50"],
        ["INC-2026-0001/resolve/1/75"],
    ]


@pytest.fixture
def threaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    server.start()
    github = FakeGitHub(server)
    yield github
    server.clear()
    server.stop()
    github.check()


def test_two_concurrent_runs_post_each_warning_once(tmp_path: Path, threaded: FakeGitHub) -> None:
    """Two runs in two clones, with the ledger on their remote: both see no tracking
    issue (their listings are held until both arrive), yet one issue is opened and each
    threshold is posted once."""
    seed = opened(tmp_path)
    remote = tmp_path / "remote.git"
    seed.git("clone", "-q", "--bare", str(seed.path), str(remote))
    clones = []
    for name in ("a", "b"):
        seed.git("clone", "-q", str(remote), str(tmp_path / name))
        clones.append(tmp_path / name)
    threaded.hold_listings(2)
    runs = [
        _watch_process(path, threaded.env(), "--remote", "origin", "--at", "2026-11-16T13:10:00Z")
        for path in clones
    ]
    results = [run.communicate(timeout=120) for run in runs]
    assert not threaded.held_out
    codes = sorted(run.returncode for run in runs)
    # The loser of the tracking issue's claim says so and leaves the warning to the
    # next run; or it came second and found the work done.
    assert codes[0] == 0, results
    issues = threaded.issues_in(REPO, LABEL)
    assert len(issues) == 1, results
    posted = [markers(c.body) for c in threaded.comments_on(REPO, issues[0].number)]
    assert posted == [["INC-2026-0001/resolve/1/50", "INC-2026-0001/resolve/1/75"]], results
    # A third run (in either clone) finds everything delivered.
    third = _watch_process(clones[1], threaded.env(), "--remote", "origin",
                           "--at", "2026-11-16T13:20:00Z")  # fmt: skip
    out, err = third.communicate(timeout=120)
    assert third.returncode == 0, err
    assert "nothing to post" in out
    assert len(threaded.comments_on(REPO, issues[0].number)) == 1


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


def test_a_business_hours_target_is_labelled_so(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    policy = sla_policy_yaml(
        "gold", targets={"SEV1": {"resolve": "27h", "calendar": "office"}}, warn_at=["50%"]
    )
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-16T08:00:00Z", files={POLICY: policy,
                   "policies/calendars/office.yaml": calendar_yaml("office")}),
            Commit("2026-11-16T09:00:00Z", files={INC: incident()}),  # Monday, 10:00 in Berlin
        ],
    )  # fmt: skip
    # Tuesday 16:00 in Berlin: 7 + 7 of 27 business hours
    result = watch(run_cli, fake, repo, "2026-11-17T15:00:00Z")
    assert result.exit_code == 0, result.stderr
    [warned] = comments(fake)
    assert "has used **51%** of its 27h business target: 13h business remaining" in warned
