"""The RCA's follow-up review as an SLA metric, and overdue RCA actions on the tracking issue.

The review (``follow_up.held_at`` in the RCA) is owed two to four weeks after the report
is published: by default due four weeks after publication, with a warning when its
window opens at two. It counts when the commit recording it lands, or at the typed
instant once passed for a review planned ahead; ``github watch`` and ``notify`` warn
before it is due and on its breach, after the incident was resolved.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytest_httpserver import HTTPServer

from fakegithub import BOT, FakeGitHub
from gitrepo import Commit, Repo, build_repo, incident_yaml, rca_yaml, sla_policy_yaml

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

REPO = "acme/ops"
LABEL = "incident-tracking"
ID = "INC-2026-0001"
POLICY = "policies/sla/gold.yaml"
INC = "incidents/2026/INC-2026-0001.yaml"
RCA = "incidents/2026/INC-2026-0001.rca.yaml"
ENVIRONMENT = ("GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_TOKEN", "GITHUB_API_URL",
               "GITHUB_SERVER_URL", "INCIDENTCTL_GITHUB_PACE")  # fmt: skip
FOUR_WEEKS = 28 * 86400


def policy(**targets: Any) -> str:
    """The gold policy, the review due four weeks after publication as the seed policies
    have it; a target given as None is written ``null``."""
    chosen = {"resolve": "4h", "rca": "72h", "follow_up": "4w", **targets}
    text = sla_policy_yaml(
        "gold",
        targets={"SEV1": {k: "NULL" if v is None else v for k, v in chosen.items()}},
        warn_at=["75%"],
        escalation=[{"at": "100%", "notify": ["@acme/leads"]}],
    )  # fmt: skip
    return text.replace("'NULL'", "null")


def incident(status: str) -> str:
    return incident_yaml(ID, status=status, severity="SEV1", title="Payments are failing")


def published(**extra: Any) -> str:
    return rca_yaml(ID, status="published", meeting_at="2026-11-02T15:00:00Z", **extra)


def held(at: str, **extra: Any) -> str:
    return published(follow_up={"held_at": at, "notes": "The alerts fired in the drill."}, **extra)


def resolved_and_published(tmp_path: Path, *later: Commit, gold: str | None = None) -> Repo:
    """A SEV1 resolved on 2 November, its RCA published on 3 November at 10:00: the
    follow-up review's window opens on 17 November at 10:00 and it is due on 1 December
    at 10:00."""
    return build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-01T09:00:00Z", files={POLICY: gold or policy()}),
            Commit("2026-11-02T10:00:00Z", files={INC: incident("open")}),
            Commit("2026-11-02T11:00:00Z", files={INC: incident("resolved")}),
            Commit("2026-11-03T10:00:00Z", files={RCA: published()}),
            *later,
        ],
    )


def follow_up(run_cli: RunCli, repo: Repo, at: str) -> dict[str, Any]:
    result = run_cli(["-C", repo.path, "sla", "--at", at, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    metrics = json.loads(result.stdout)["incidents"][0]["metrics"]
    [found] = [m for m in metrics if m["metric"] == "follow_up"]
    return found


def test_the_review_runs_from_publication_warns_when_its_window_opens_and_counts_at_its_commit(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = resolved_and_published(
        tmp_path,
        # held on the 20th at 09:00, recorded at 15:00: it counts at 15:00
        Commit("2026-11-20T15:00:00Z", files={RCA: held("2026-11-20T09:00:00Z")}),
    )

    before = follow_up(run_cli, repo, "2026-11-03T09:00:00Z")
    assert before["state"] == "pending"  # nothing published yet: the review is not owed
    running = follow_up(run_cli, repo, "2026-11-10T10:00:00Z")
    assert (running["state"], running["target_seconds"]) == ("running", FOUR_WEEKS)
    assert running["due_at"] == "2026-12-01T10:00:00Z"
    assert running["evidence"][0]["event"] == "start"
    assert running["evidence"][0]["at"] == "2026-11-03T10:00:00Z"
    # the policy warns at 75 % only; the review's window opens at half its target
    assert follow_up(run_cli, repo, "2026-11-17T09:59:00Z")["state"] == "running"
    assert follow_up(run_cli, repo, "2026-11-17T10:00:00Z")["state"] == "at_risk"
    # typed at 09:00, not counted before its record lands
    assert follow_up(run_cli, repo, "2026-11-20T14:00:00Z")["state"] == "at_risk"

    met = follow_up(run_cli, repo, "2026-11-21T00:00:00Z")

    assert met["state"] == "met"
    assert met["elapsed_seconds"] == 17 * 86400 + 5 * 3600
    stop = met["evidence"][-1]
    assert (stop["event"], stop["at"], stop["source"]) == ("stop", "2026-11-20T15:00:00Z", "commit")
    assert stop["commit"] == repo.head()

    table = run_cli(["-C", repo.path, "sla", "--at", "2026-11-21T00:00:00Z"])
    assert re.search(r"follow_up +met +17d5h of 28d", table.stdout), table.stdout


def test_a_review_recorded_late_is_missed_whatever_time_it_names(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = resolved_and_published(
        tmp_path, Commit("2026-12-03T09:00:00Z", files={RCA: held("2026-11-28T09:00:00Z")})
    )

    breached = follow_up(run_cli, repo, "2026-12-02T10:00:00Z")
    assert (breached["state"], breached["breached_at"]) == ("breached", "2026-12-01T10:00:00Z")

    missed = follow_up(run_cli, repo, "2026-12-04T00:00:00Z")

    assert (missed["state"], missed["breached_at"]) == ("missed", "2026-12-01T10:00:00Z")
    report = run_cli(["-C", repo.path, "report", "--at", "2026-12-02T10:00:00Z", "--format",
                      "json"])  # fmt: skip
    assert report.exit_code == 0, report.stderr
    data = json.loads(report.stdout)
    assert {"incident": ID, "metric": "follow_up", "due_at": "2026-12-01T10:00:00Z",
            "rca_status": "published"} in data["overdue_rcas"]  # fmt: skip
    later = json.loads(run_cli(["-C", repo.path, "report", "--at", "2026-12-04T00:00:00Z",
                                "--format", "json"]).stdout)  # fmt: skip
    assert later["overdue_rcas"] == []  # held: no longer overdue, a miss in attainment
    [row] = [a for a in later["attainment"] if a["metric"] == "follow_up"]
    assert (row["met"], row["missed"]) == (0, 1)


def test_a_review_planned_ahead_counts_only_once_held_and_still_planned(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = resolved_and_published(
        tmp_path,
        Commit("2026-11-10T09:00:00Z", files={RCA: held("2026-11-24T14:00:00Z")}),
    )

    assert follow_up(run_cli, repo, "2026-11-24T13:59:00Z")["state"] == "at_risk"
    met = follow_up(run_cli, repo, "2026-11-24T14:01:00Z")
    assert met["state"] == "met"
    stop = met["evidence"][-1]
    assert (stop["at"], stop["source"], stop["field"]) == (
        "2026-11-24T14:00:00Z",
        "declared",
        "follow_up.held_at",
    )

    # moved to after its deadline before it happened: the first date credits nothing
    repo.apply(Commit("2026-11-23T09:00:00Z", files={RCA: held("2026-12-08T14:00:00Z")}))
    assert follow_up(run_cli, repo, "2026-11-25T00:00:00Z")["state"] == "at_risk"
    late = follow_up(run_cli, repo, "2026-12-09T00:00:00Z")
    assert (late["state"], late["breached_at"]) == ("missed", "2026-12-01T10:00:00Z")


def test_the_policy_sets_or_drops_the_review_and_its_weeks_are_calendar_weeks(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = resolved_and_published(tmp_path, gold=policy(follow_up="2w"))
    two_weeks = follow_up(run_cli, repo, "2026-11-10T10:00:00Z")
    assert two_weeks["target_seconds"] == 14 * 86400
    assert two_weeks["due_at"] == "2026-11-17T10:00:00Z"

    repo.apply(Commit("2026-11-04T09:00:00Z", files={POLICY: policy(follow_up=None)}))
    # policies are those of the incident's opening: a later edit does not re-grade it
    assert follow_up(run_cli, repo, "2026-11-10T10:00:00Z")["target_seconds"] == 14 * 86400

    dropped = resolved_and_published(tmp_path / "dropped", gold=policy(follow_up=None))
    assert "follow_up: null" in (dropped.path / POLICY).read_text(encoding="utf-8")
    assert follow_up(run_cli, dropped, "2026-11-10T10:00:00Z")["state"] == "not_applicable"

    # no target, no review tracked: a policy written before the metric existed re-grades
    # nothing
    older = sla_policy_yaml("gold", targets={"SEV1": {"resolve": "4h", "rca": "72h"}})
    bare = resolved_and_published(tmp_path / "bare", gold=older)
    assert follow_up(run_cli, bare, "2026-12-10T10:00:00Z")["state"] == "not_applicable"

    # a business-hours calendar: the review still counts calendar weeks, and validates
    calendar = "policies/calendars/berlin.yaml"
    office = build_repo(
        tmp_path / "office",
        [
            Commit("2026-11-01T09:00:00Z", files={
                calendar: "apiVersion: incidentctl/v1\nkind: Calendar\nname: berlin\n"
                          "timezone: Europe/Berlin\nhours:\n  mon-fri: ['09:00-17:00']\n",
                POLICY: sla_policy_yaml("gold", targets={"SEV1": {
                    "calendar": "berlin", "resolve": "4h", "rca": "24h", "follow_up": "3w"}}),
            }),
            Commit("2026-11-02T10:00:00Z", files={INC: incident("open")}),
            Commit("2026-11-02T11:00:00Z", files={INC: incident("resolved")}),
            Commit("2026-11-03T10:00:00Z", files={RCA: published()}),
        ],
    )  # fmt: skip
    checked = run_cli(["-C", office.path, "validate"])
    assert checked.exit_code == 0, checked.stdout + checked.stderr
    weeks = follow_up(run_cli, office, "2026-11-10T10:00:00Z")
    assert (weeks["elapsed_seconds"], weeks["due_at"]) == (7 * 86400, "2026-11-24T10:00:00Z")


def test_an_imported_rca_brings_its_past_review(tmp_path: Path, run_cli: RunCli) -> None:
    milestones = {
        "acknowledged_at": "2026-09-01T10:05:00Z",
        "mitigated_at": "2026-09-01T10:30:00Z",
        "resolved_at": "2026-09-01T11:00:00Z",
    }
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-11-01T09:00:00Z", files={POLICY: policy()}),
            Commit("2026-11-02T10:00:00Z", files={
                INC: incident_yaml(ID, status="resolved", severity="SEV1",
                                   reported_at="2026-09-01T10:00:00Z", milestones=milestones),
                RCA: held("2026-09-20T10:00:00Z", published_at="2026-09-03T10:00:00Z"),
            }),
        ],
    )  # fmt: skip

    met = follow_up(run_cli, repo, "2026-11-03T00:00:00Z")

    assert met["state"] == "met"
    assert met["elapsed_seconds"] == 17 * 86400
    assert [(e["event"], e["field"]) for e in met["evidence"]] == [
        ("start", "published_at"),
        ("stop", "follow_up.held_at"),
    ]


def test_a_bad_review_time_is_refused_at_its_line_and_column(
    tmp_path: Path, run_cli: RunCli
) -> None:
    repo = resolved_and_published(tmp_path)
    (repo.path / RCA).write_text(
        published().rstrip("\n") + "\nfollow_up:\n  held_at: next tuesday\n", encoding="utf-8"
    )

    result = run_cli(["-C", repo.path, "validate", str(repo.path / RCA)])

    assert result.exit_code == 1
    line = len(published().splitlines()) + 2
    assert f"{RCA}:{line}:3: error schema follow_up.held_at: 'next tuesday' is not an ISO" in (
        result.stdout
    )
    assert "Traceback" not in result.stderr

    # the planned date written where the review goes: say where it belongs
    (repo.path / RCA).write_text(
        published().rstrip("\n") + "\nfollow_up: 2026-12-01\n", encoding="utf-8"
    )
    planned = run_cli(["-C", repo.path, "validate", str(repo.path / RCA)])
    assert planned.exit_code == 1
    assert f"{RCA}:{line - 1}:1: error schema follow_up: follow_up records the review once " in (
        planned.stdout
    )
    assert "the date it is planned for goes in follow_up_at" in planned.stdout


# -- github watch ---------------------------------------------------------------------


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    github = FakeGitHub(httpserver)
    yield github
    github.check()


def watch(run_cli: RunCli, fake: FakeGitHub, repo: Repo, at: str, *args: str) -> CliResult:
    return run_cli(
        ["-C", repo.path, "github", "watch", "--repo", REPO, "--at", at, *args], env=fake.env()
    )


def markers(body: str) -> list[str]:
    return re.findall(r"<!-- incidentctl:watch (\S+) -->", body)


def posted(fake: FakeGitHub) -> list[list[str]]:
    [issue] = fake.issues_in(REPO, LABEL)
    return [markers(c.body) for c in fake.comments_on(REPO, issue.number)]


def test_the_watch_warns_of_the_review_after_the_resolve_once_per_threshold(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = resolved_and_published(tmp_path)

    quiet = watch(run_cli, fake, repo, "2026-11-10T10:00:00Z")
    assert quiet.exit_code == 0, quiet.stderr
    assert "nothing to post" in quiet.stdout and fake.issues_in(REPO) == []

    window = watch(run_cli, fake, repo, "2026-11-17T11:00:00Z")

    assert window.exit_code == 0, window.stderr
    [issue] = fake.issues_in(REPO, LABEL)
    # the incident is resolved: its issue is opened for the record, commented, closed
    assert (issue.login, issue.state) == (BOT, "closed")
    [first] = [c.body for c in fake.comments_on(REPO, issue.number)]
    assert markers(first) == [f"{ID}/follow_up/1/50"]
    assert "SLA warning: INC-2026-0001 follow_up at 50%" in first
    assert "13d23h remaining, due 2026-12-01T10:00:00Z" in first
    assert "@" not in first
    for _ in range(2):
        again = watch(run_cli, fake, repo, "2026-11-17T12:00:00Z")
        assert again.exit_code == 0 and "nothing to post" in again.stdout, again.stderr

    assert watch(run_cli, fake, repo, "2026-11-24T12:00:00Z").exit_code == 0
    breach = watch(run_cli, fake, repo, "2026-12-01T11:00:00Z")

    assert breach.exit_code == 0, breach.stderr
    assert posted(fake) == [
        [f"{ID}/follow_up/1/50"],
        [f"{ID}/follow_up/1/75"],
        [f"{ID}/follow_up/1/100"],
    ]
    [issue] = fake.issues_in(REPO, LABEL)
    assert issue.state == "closed"  # commented as it is, never reopened
    last = fake.comments_on(REPO, issue.number)[-1].body
    assert "SLA breached: INC-2026-0001 follow_up" in last
    assert "Escalation at 100%: @acme/leads" in last

    repo.apply(Commit("2026-12-02T09:00:00Z", files={RCA: held("2026-12-02T08:00:00Z")}))
    done = watch(run_cli, fake, repo, "2026-12-10T00:00:00Z")
    assert "nothing to post" in done.stdout and len(posted(fake)) == 3


def actions(*extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"id": "A1", "title": "Alert on @everyone's\nissuer timeouts `now`", "type": "detect",
         "owner": "@bob", "due": "2026-11-12"},
        {"id": "A2", "title": "Validate the pool size", "type": "prevent", "owner": "@carol",
         "due": "2026-11-05", "status": "done"},
        {"id": "A3", "title": "Write a runbook", "type": "process", "owner": "@dave"},
        *extra,
    ]  # fmt: skip


def test_an_overdue_action_is_warned_once_per_threshold_across_a_rerun_and_a_crash(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = resolved_and_published(
        tmp_path,
        Commit("2026-11-04T09:00:00Z", files={RCA: published(actions=actions())}),
        gold=policy(follow_up=None),
    )
    assert "nothing to post" in watch(run_cli, fake, repo, "2026-11-12T23:59:00Z").stdout

    # reads: the labelled issues; writes: the issue, the comment; then GitHub goes down
    fake.fail(50, 502, after=3)
    broken = watch(run_cli, fake, repo, "2026-11-13T08:00:00Z")
    assert broken.exit_code == 2 and "Traceback" not in broken.stderr
    fake.failures.clear()
    [issue] = fake.issues_in(REPO, LABEL)
    assert issue.state == "open"  # the run died before closing it

    healed = watch(run_cli, fake, repo, "2026-11-13T08:00:00Z")

    assert healed.exit_code == 0, healed.stderr
    assert "comment on" not in healed.stdout  # the warning was posted before the crash
    assert "close tracking issue" in healed.stdout
    [body] = [c.body for c in fake.comments_on(REPO, issue.number)]
    assert markers(body) == [f"{ID}/action/A1/2026-11-12/overdue"]
    assert "RCA action overdue: INC-2026-0001 A1" in body
    assert "was due **2026-11-12** and is still open. Owner: @bob." in body
    # the title is the file's text, quoted so that it mentions and formats nothing
    assert "(`` Alert on @everyone's issuer timeouts `now` ``)" in body
    assert "Escalation" not in body
    for _ in range(2):
        assert "nothing to post" in watch(run_cli, fake, repo, "2026-11-19T08:00:00Z").stdout

    week = watch(run_cli, fake, repo, "2026-11-20T08:00:00Z")

    assert week.exit_code == 0, week.stderr
    assert "INC-2026-0001: comment on action A1 (overdue-1w)" in week.stdout
    assert posted(fake) == [
        [f"{ID}/action/A1/2026-11-12/overdue"],
        [f"{ID}/action/A1/2026-11-12/overdue-1w"],
    ]
    last = fake.comments_on(REPO, issue.number)[-1].body
    assert "RCA action a week overdue" in last and "Escalation: @bob @alice" in last

    # the owner renegotiates the date: the new date is a new promise, warned once broken
    moved = actions()
    moved[0]["due"] = "2026-11-30"
    repo.apply(Commit("2026-11-21T09:00:00Z", files={RCA: published(actions=moved)}))
    assert "nothing to post" in watch(run_cli, fake, repo, "2026-11-30T20:00:00Z").stdout
    assert watch(run_cli, fake, repo, "2026-12-01T08:00:00Z").exit_code == 0
    assert posted(fake)[-1] == [f"{ID}/action/A1/2026-11-30/overdue"]

    moved[0]["status"] = "done"
    repo.apply(Commit("2026-12-01T09:00:00Z", files={RCA: published(actions=moved)}))
    assert "nothing to post" in watch(run_cli, fake, repo, "2026-12-20T08:00:00Z").stdout
    assert len(posted(fake)) == 3


def test_a_dry_run_lists_the_review_and_action_warnings_and_writes_nothing(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    repo = resolved_and_published(
        tmp_path, Commit("2026-11-04T09:00:00Z", files={RCA: published(actions=actions())})
    )

    result = watch(run_cli, fake, repo, "2026-11-17T11:00:00Z", "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "would INC-2026-0001: open a tracking issue",
        "would INC-2026-0001: comment on follow_up (50%)",
        "would INC-2026-0001: comment on action A1 (overdue)",
        "would INC-2026-0001: close tracking issue (incident ended)",
    ]
    assert fake.writes() == []


def test_actions_falling_overdue_together_share_one_comment(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    long = {"id": "A4", "title": "Rework " + "the retry policy " * 30, "type": "prevent",
            "owner": "@erin", "due": "2026-11-11"}  # fmt: skip
    repo = resolved_and_published(
        tmp_path,
        Commit("2026-11-04T09:00:00Z", files={RCA: published(actions=actions(long))}),
        gold=policy(follow_up=None),
    )

    result = watch(run_cli, fake, repo, "2026-11-13T08:00:00Z")

    assert result.exit_code == 0, result.stderr
    assert "INC-2026-0001: comment on actions A1, A4 (overdue)" in result.stdout
    [issue] = fake.issues_in(REPO, LABEL)
    [body] = [c.body for c in fake.comments_on(REPO, issue.number)]
    assert markers(body) == [
        f"{ID}/action/A1/2026-11-12/overdue",
        f"{ID}/action/A4/2026-11-11/overdue",
    ]
    assert "### RCA actions overdue: INC-2026-0001 A1 A4" in body
    assert "Owner: @bob." in body and "Owner: @erin." in body
    assert "…`" in body and len(body) < 1500  # a title is cut, the comment stays short
    assert "nothing to post" in watch(run_cli, fake, repo, "2026-11-14T08:00:00Z").stdout
