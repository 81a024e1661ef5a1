"""``incidentctl defects sync`` against a fake GitHub and a fake Jira on loopback.

Every exchange is validated against the official OpenAPI descriptions (the fakes
fail the test on a violation); repositories are real, with a bare remote to push to.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pytest_httpserver import HTTPServer

from fakegithub import BOT, FakeGitHub
from fakegithub import TOKEN as GITHUB_TOKEN
from fakejira import ACCOUNT, FakeJira, JiraRecord, user_json
from fakejira import TOKEN as JIRA_TOKEN
from gitrepo import Commit, Repo, build_repo, document_yaml, incident_yaml, rca_yaml

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

INC = "incidents/2026/INC-2026-0042.yaml"
RCA = "incidents/2026/INC-2026-0042.rca.yaml"
POLICY = "policies/defects.yaml"
PORTAL = "acme/portal"
GIT_ENV = ("HOME", "XDG_CONFIG_HOME", "GIT_CONFIG_NOSYSTEM", "GIT_CONFIG_GLOBAL")
WRITE_BACK_AT = "2026-03-02T11:00:00Z"
CLEARED = ("GITHUB_REPOSITORY", "GITHUB_TOKEN", "JIRA_URL", "JIRA_USER", "JIRA_API_TOKEN")


def policy(project: str = "PAY") -> str:
    return document_yaml(
        "DefectPolicy",
        {
            "name": "product-defects",
            "routes": [
                {"services": ["payments"], "jira": {"project": project, "issue_type": "Bug"}},
                {"services": ["portal"], "github": PORTAL, "labels": ["bug"]},
            ],
            "fix": {"SEV1": {"hotfix": "48h"}, "SEV2": {"hotfix": "5d"}, "SEV3": "next-release"},
            "release_train": {"first": "2026-01-13", "every": "6w", "freeze": "1w"},
        },
        {},
    )


DEFECTS = [
    {"key": "payment-timeout", "title": "Payments time out after 30s", "service": "payments"},
    {"key": "portal-500", "title": "The portal answers 500 on retry", "service": "portal"},
]


def incident_text() -> str:
    text = incident_yaml("INC-2026-0042", severity="SEV1", defects=DEFECTS)
    text = "# Owned by the payments team: keep this comment.\n" + text
    return text.replace("defects:\n", "defects:  # found in the review\n")


@pytest.fixture
def github(httpserver: HTTPServer) -> Iterator[FakeGitHub]:
    fake = FakeGitHub(httpserver)
    yield fake
    fake.check()


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    fake = FakeJira(server)
    yield fake
    server.clear()
    if server.is_running():
        server.stop()
    fake.check()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)


def remote_and_clone(tmp_path: Path, files: dict[str, str] | None = None) -> tuple[Repo, Path]:
    seed = build_repo(
        tmp_path / "seed",
        [
            Commit("2026-03-02T09:00:00Z", files={POLICY: policy()}),
            Commit("2026-03-02T10:00:00Z", files=files or {INC: incident_text()}),
        ],
    )
    remote = tmp_path / "remote.git"
    seed.git("clone", "-q", "--bare", str(seed.path), str(remote))
    return clone(seed, remote, tmp_path / "work"), remote


def clone(seed: Repo, remote: Path, path: Path) -> Repo:
    seed.git("clone", "-q", str(remote), str(path))
    return Repo(path)


def env(repo: Repo, github: FakeGitHub, jira: FakeJira, **extra: str) -> dict[str, str]:
    git = {k: v for k, v in repo.environment().items() if k in GIT_ENV}
    # the write-back commits are dated, so that later steps of a test come after them
    dates = {"GIT_AUTHOR_DATE": WRITE_BACK_AT, "GIT_COMMITTER_DATE": WRITE_BACK_AT}
    return {**git, **dates, **github.env(), **jira.env(), "GITHUB_REPOSITORY": "acme/incidents",
            **extra}  # fmt: skip


def sync(run_cli: RunCli, repo: Repo, environ: dict[str, str], *args: str) -> CliResult:
    return run_cli(["defects", "sync", "--format", "json", *args], repo.path, env=environ)


def items(result: CliResult | subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    data = json.loads(result.stdout)
    return {f"{i['incident']}/{i['key']}": i for i in data["items"]}


def creates(github: FakeGitHub, jira: FakeJira) -> tuple[int, int]:
    made = github.requests("POST", r"/issues$")
    return len([e for e in made if e.status == 201]), len(
        [e for e in jira.requests("POST", "/rest/api/3/issue") if e.path == "/rest/api/3/issue"
         and e.status == 201]
    )  # fmt: skip


def test_creates_one_ticket_per_defect_and_writes_the_references_back(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, remote = remote_and_clone(tmp_path)
    result = sync(run_cli, repo, env(repo, github, jira), "--push")
    assert result.exit_code == 0, result.stdout + result.stderr
    found = items(result)
    assert found["INC-2026-0042/payment-timeout"]["outcome"] == "created"
    assert found["INC-2026-0042/payment-timeout"]["tracker"] == "jira:PAY-1"
    assert found["INC-2026-0042/portal-500"]["tracker"] == "github:acme/portal#1"

    [issue] = github.issues_in(PORTAL)
    assert issue.labels == ["incident-defect", "bug"]
    assert "<!-- incidentctl:defect INC-2026-0042/portal-500 -->" in issue.body
    assert f"/acme/incidents/blob/main/{INC}" in issue.body
    assert "Due: 2026-03-04" in issue.body  # SEV1: 48h after 2026-03-02T10:00Z

    [ticket] = jira.issues.values()
    assert ticket.fields["duedate"] == "2026-03-04"
    assert "incidentctl-INC-2026-0042-payment-timeout" in ticket.fields["labels"]
    assert "incident-defect" in ticket.fields["labels"]
    assert ticket.fields["description"]["type"] == "doc"
    link = ticket.fields["description"]["content"][0]["content"][1]
    assert link["marks"][0]["attrs"]["href"].endswith(f"/blob/main/{INC}")
    assert ticket.properties == {
        "incidentctl": {"marker": "incidentctl:defect INC-2026-0042/payment-timeout"}
    }

    text = (repo.path / INC).read_text(encoding="utf-8")
    assert text.startswith("# Owned by the payments team: keep this comment.\n")
    assert "defects:  # found in the review\n" in text
    assert "  tracker: jira:PAY-1\n" in text and "  tracker: github:acme/portal#1\n" in text
    log = repo.git("log", "-2", "--format=%B%x00")
    assert "Incident: INC-2026-0042" in log and "Tracker: jira:PAY-1" in log
    assert "Tracker: github:acme/portal#1" in log
    assert repo.git("ls-remote", str(remote), "refs/heads/main").split()[0] == repo.head()
    for output in (result.stdout, result.stderr):
        assert GITHUB_TOKEN not in output and JIRA_TOKEN not in output


def test_a_rerun_creates_nothing(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    environ = env(repo, github, jira)
    assert sync(run_cli, repo, environ, "--push").exit_code == 0
    head = repo.head()
    again = sync(run_cli, repo, environ, "--push")
    assert again.exit_code == 0, again.stdout
    assert {i["outcome"] for i in items(again).values()} == {"tracked"}
    assert creates(github, jira) == (1, 1)
    assert repo.head() == head


def test_a_crash_between_create_and_write_back_is_healed_without_a_second_ticket(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    hook = repo.path / ".git" / "hooks" / "pre-commit"
    hook.write_text("#!/bin/sh\necho 'commits are refused' >&2\nexit 1\n", encoding="utf-8")
    hook.chmod(0o755)
    before = (repo.path / INC).read_text(encoding="utf-8")
    environ = env(repo, github, jira)
    crashed = sync(run_cli, repo, environ)
    assert crashed.exit_code == 1
    outcome = items(crashed)["INC-2026-0042/payment-timeout"]
    assert outcome["outcome"] == "failed"
    assert "next run finds it by its marker" in str(outcome["message"])
    assert (repo.path / INC).read_text(encoding="utf-8") == before  # put back as it was
    assert creates(github, jira) == (1, 1)

    hook.unlink()
    # Jira's search index has not caught up: the journal's ids are reconciled
    healed = sync(run_cli, repo, environ)
    assert healed.exit_code == 0, healed.stdout
    assert {i["outcome"] for i in items(healed).values()} == {"found"}
    assert creates(github, jira) == (1, 1)
    [search] = jira.requests("POST", "/rest/api/3/search/jql")[2:]  # after search, recheck
    assert search.body["reconcileIssues"] == [min(jira.issues)]
    text = (repo.path / INC).read_text(encoding="utf-8")
    assert "tracker: jira:PAY-1" in text and "tracker: github:acme/portal#1" in text


def test_two_serialised_runs_from_two_clones_leave_one_ticket_per_defect(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    first, remote = remote_and_clone(tmp_path)
    second = clone(first, remote, tmp_path / "second")  # cloned before the first run pushes
    assert sync(run_cli, first, env(first, github, jira), "--push").exit_code == 0
    jira.reindex()  # the second run starts later: the index has caught up
    result = sync(run_cli, second, env(second, github, jira), "--push")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert {i["outcome"] for i in items(result).values()} == {"found"}
    assert creates(github, jira) == (1, 1)
    main = first.git("ls-remote", str(remote), "refs/heads/main").split()[0]
    assert second.head() == main  # its identical commits were dropped by the rebase


@pytest.fixture
def threaded() -> Iterator[tuple[FakeGitHub, FakeJira]]:
    """A fake GitHub and a fake Jira that answer concurrent requests concurrently."""
    servers = [HTTPServer(host="127.0.0.1", port=0, threaded=True) for _ in range(2)]
    for server in servers:
        server.start()
    fakes = FakeGitHub(servers[0]), FakeJira(servers[1])
    yield fakes
    for server in servers:
        server.clear()
        if server.is_running():
            server.stop()
    for fake in fakes:
        fake.check()


def run_both(
    repos: list[Repo], github: FakeGitHub, jira: FakeJira
) -> list[subprocess.CompletedProcess[str]]:
    """``defects sync --push`` in each clone, as simultaneous processes."""
    command = [sys.executable, "-c", "from incidentctl.cli.main import main; main()",
               "defects", "sync", "--format", "json", "--push"]  # fmt: skip
    runs = [
        subprocess.Popen(
            command,
            cwd=repo.path,
            env={**repo.environment(), **env(repo, github, jira)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for repo in repos
    ]
    try:
        outputs = [run.communicate(timeout=120) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
                run.communicate()
    return [
        subprocess.CompletedProcess(command, run.returncode, out, err)
        for run, (out, err) in zip(runs, outputs, strict=True)
    ]


def test_two_simultaneous_runs_converge_on_one_ticket_per_defect(
    tmp_path: Path, threaded: tuple[FakeGitHub, FakeJira]
) -> None:
    github, jira = threaded
    # Each fake holds the first create until the second has arrived: both runs have
    # searched and missed before either ticket exists.
    github.hold_creates()
    jira.hold_creates()
    jira.lagging = False  # the recheck relies on Jira's index showing the other's issue
    first, remote = remote_and_clone(tmp_path)
    second = clone(first, remote, tmp_path / "second")
    results = run_both([first, second], github, jira)
    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
    assert not github.held_out and not jira.held_out  # the creates did overlap
    assert creates(github, jira) == (2, 2)

    kept, extra = github.issues_in(PORTAL)
    assert (kept.number, kept.state, kept.labels) == (1, "open", ["incident-defect", "bug"])
    assert (extra.state, extra.state_reason) == ("closed", "not_planned")
    assert extra.labels == ["incident-defect", "bug", "incidentctl-duplicate"]
    [note] = github.comments_on(PORTAL, extra.number)
    assert note.body == "Duplicate of #1, opened by a concurrent sync"

    lower, higher = (jira.issues[i] for i in sorted(jira.issues))
    assert lower.key == "PAY-1" and "incidentctl-duplicate" not in lower.fields["labels"]
    assert "incidentctl-duplicate" in higher.fields["labels"]
    [comment] = jira.comments[higher.id]
    assert "Duplicate of PAY-1, opened by a concurrent sync" in json.dumps(comment)
    assert lower.id not in jira.comments

    outcomes = [items(result) for result in results]
    for key in ("INC-2026-0042/payment-timeout", "INC-2026-0042/portal-500"):
        assert {o[key]["outcome"] for o in outcomes} == {"created", "found"}
        assert len({o[key]["tracker"] for o in outcomes}) == 1
        [found] = [o[key] for o in outcomes if o[key]["outcome"] == "found"]
        assert "a concurrent sync opened" in str(found["message"])
    main = first.git("ls-remote", str(remote), "refs/heads/main").split()[0]
    for repo in (first, second):
        text = (repo.path / INC).read_text(encoding="utf-8")
        assert "  tracker: jira:PAY-1\n" in text and "  tracker: github:acme/portal#1\n" in text
    pushed = first.git("show", f"{main}:{INC}")
    assert "tracker: jira:PAY-1" in pushed and "tracker: github:acme/portal#1" in pushed


def test_tickets_marked_as_duplicates_are_never_picked(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    marker = "<!-- incidentctl:defect INC-2026-0042/portal-500 -->"
    github.add_issue(PORTAL, body=marker, state="closed", login=BOT,
                     labels=["incident-defect", "bug", "incidentctl-duplicate"])  # fmt: skip
    github.add_issue(PORTAL, body=marker, labels=["incident-defect", "bug"], login=BOT)
    label = "incidentctl-INC-2026-0042-payment-timeout"
    for number, labels in ((1, [label, "incidentctl-duplicate"]), (2, [label])):
        plant(jira, number, labels)
    repo, _ = remote_and_clone(tmp_path)
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert {i["outcome"] for i in items(result).values()} == {"found"}
    assert creates(github, jira) == (0, 0)
    text = (repo.path / INC).read_text(encoding="utf-8")
    assert "tracker: jira:PAY-2" in text and "tracker: github:acme/portal#2" in text


def plant(jira: FakeJira, number: int, labels: list[str], account: str = ACCOUNT) -> None:
    """An issue in the fake Jira, indexed, created by ``account``."""
    creator = user_json(jira.base, account, "someone")
    fields = {"labels": labels, "creator": creator}
    jira.issues[10000 + number] = JiraRecord(10000 + number, f"PAY-{number}", "PAY", fields, {},
                                             True)  # fmt: skip


def test_tickets_planted_by_someone_else_are_never_picked(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    marker = "<!-- incidentctl:defect INC-2026-0042/portal-500 -->"
    github.add_issue(PORTAL, body=marker, state="closed", login="mallory",
                     labels=["incident-defect", "bug"])  # fmt: skip
    plant(jira, 1, ["incidentctl-INC-2026-0042-payment-timeout"], account="557058:mallory")
    repo, _ = remote_and_clone(tmp_path)
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 0, result.stdout + result.stderr
    assert {i["outcome"] for i in items(result).values()} == {"created"}
    assert creates(github, jira) == (1, 1)
    text = (repo.path / INC).read_text(encoding="utf-8")
    assert "tracker: jira:PAY-2" in text and "tracker: github:acme/portal#2" in text
    assert github.issues[PORTAL, 2].login == BOT


def test_rca_actions_of_type_fix_or_prevent_are_tracked(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    actions = [
        {"id": "A1", "title": "Cap retries", "type": "fix", "owner": "@bob", "due": "2026-04-01"},
        {"id": "A2", "title": "Write a runbook", "type": "process", "owner": "@bob"},
        {"id": "A3", "title": "Add a canary", "type": "prevent", "status": "done"},
    ]
    files = {INC: incident_yaml("INC-2026-0042", services=["payments"]),
             RCA: rca_yaml("INC-2026-0042", actions=actions)}  # fmt: skip
    repo, _ = remote_and_clone(tmp_path, files)
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 0, result.stdout
    assert list(items(result)) == ["INC-2026-0042/A1"]
    [ticket] = jira.issues.values()
    assert ticket.fields["duedate"] == "2026-04-01"
    assert "incidentctl-action-INC-2026-0042-A1" in ticket.fields["labels"]
    assert "  tracker: jira:PAY-1\n" in (repo.path / RCA).read_text(encoding="utf-8")
    assert "Action: A1" in repo.git("log", "-1", "--format=%B")


def test_a_jira_due_date_follows_a_later_severity_change(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    defect = [DEFECTS[0]]
    repo, _ = remote_and_clone(
        tmp_path, {INC: incident_yaml("INC-2026-0042", severity="SEV3", defects=defect)}
    )
    environ = env(repo, github, jira)
    assert sync(run_cli, repo, environ).exit_code == 0
    [ticket] = jira.issues.values()
    assert ticket.fields["duedate"] == "2026-04-07"  # freeze 2026-03-31 is after 03-02
    text = (repo.path / INC).read_text(encoding="utf-8").replace("severity: SEV3", "severity: SEV1")
    repo.apply(Commit("2026-03-03T08:00:00Z", files={INC: text}))
    result = sync(run_cli, repo, environ)
    assert result.exit_code == 0, result.stdout
    assert items(result)["INC-2026-0042/payment-timeout"]["outcome"] == "updated"
    assert ticket.fields["duedate"] == "2026-03-05"  # 48h after the upgrade landed
    assert len(jira.issues) == 1


def test_a_missing_jira_configuration_is_a_usage_error(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    environ = env(repo, github, jira)
    del environ["JIRA_URL"]
    result = sync(run_cli, repo, environ)
    assert result.exit_code == 2
    assert "JIRA_URL not set" in result.stderr
    assert github.writes() == [] and jira.exchanges == []


@pytest.mark.parametrize("url", ["http://[::1", "https://jira.example:99999", "jira.example"])
def test_a_malformed_jira_url_is_a_usage_error(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira, url: str
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    environ = env(repo, github, jira)
    environ["JIRA_URL"] = url
    result = sync(run_cli, repo, environ)
    assert result.exit_code == 2, result.stderr
    assert f"JIRA_URL {url!r} is not an http(s) URL" in result.stderr
    assert github.writes() == [] and jira.exchanges == []


def test_the_dry_run_needs_no_tracker(tmp_path: Path, run_cli: RunCli) -> None:
    repo, _ = remote_and_clone(tmp_path)
    result = run_cli(["defects", "sync", "--dry-run", "--now", "2026-03-02T12:00:00Z"], repo.path)
    assert result.exit_code == 0, result.stderr
    assert "INC-2026-0042/payment-timeout: would-create" in result.stdout
    assert "to: jira:PAY (Bug)  labels: incident-defect" in result.stdout
    assert "hotfix by 2026-03-04T10:00:00Z" in result.stdout
    assert "to: github:acme/portal  labels: incident-defect, bug" in result.stdout


def test_a_refused_jira_token_fails_its_defect_only(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    result = sync(run_cli, repo, env(repo, github, jira, JIRA_API_TOKEN="wrong-secret-token"))
    assert result.exit_code == 1
    found = items(result)
    assert "HTTP 401" in str(found["INC-2026-0042/payment-timeout"]["message"])
    assert "JIRA_API_TOKEN were refused" in str(found["INC-2026-0042/payment-timeout"]["message"])
    assert found["INC-2026-0042/portal-500"]["outcome"] == "created"
    assert "wrong-secret-token" not in result.stdout + result.stderr


def test_a_refused_github_token_is_reported(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    result = sync(run_cli, repo, env(repo, github, jira, GITHUB_TOKEN="ghs_wrong"))
    assert result.exit_code == 1
    found = items(result)
    assert "HTTP 401" in str(found["INC-2026-0042/portal-500"]["message"])
    assert found["INC-2026-0042/payment-timeout"]["outcome"] == "created"
    assert "ghs_wrong" not in result.stdout + result.stderr


def test_an_unknown_jira_project_says_what_to_fix(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    jira.projects = {"OPS"}
    repo, _ = remote_and_clone(tmp_path)
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 1
    message = str(items(result)["INC-2026-0042/payment-timeout"]["message"])
    assert "HTTP 400" in message and "jira.project in policies/defects.yaml" in message


def test_a_missing_github_repository_says_what_to_check(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    github.fail(1, 404, message="Not Found")
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 1
    message = str(items(result)["INC-2026-0042/portal-500"]["message"])
    assert "HTTP 404" in message and "acme/portal" in message


def test_server_errors_on_search_are_retried(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    jira.fail(2, 500, on="POST /rest/api/3/search/jql")
    github.fail(2, 502)
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 0, result.stdout
    # the search before the create is retried; the one after it (the recheck) succeeds
    assert [e.status for e in jira.requests("POST", "/rest/api/3/search")] == [500, 500, 200, 200]
    assert creates(github, jira) == (1, 1)


def test_a_server_error_on_create_is_not_retried_and_says_the_next_run_heals_it(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    jira.fail(1, 503, on="POST /rest/api/3/issue")
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 1
    message = str(items(result)["INC-2026-0042/payment-timeout"]["message"])
    assert "HTTP 503" in message and "the next run finds it by its label" in message
    assert items(result)["INC-2026-0042/portal-500"]["outcome"] == "created"


def test_a_lost_create_answer_is_waited_out_without_a_second_ticket(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    # Jira makes the issue, the answer is lost, and its index shows the issue 3s later
    jira.lost_answers = 1
    jira.index_lag = 3.0
    files = {INC: incident_yaml("INC-2026-0042", severity="SEV1", defects=[DEFECTS[0]])}
    repo, _ = remote_and_clone(tmp_path, files)
    environ = env(repo, github, jira, INCIDENTCTL_JIRA_INDEX_LAG="5")
    lost = sync(run_cli, repo, environ)
    assert lost.exit_code == 1
    message = str(items(lost)["INC-2026-0042/payment-timeout"]["message"])
    assert "HTTP 503" in message and "may have been created anyway" in message
    assert len(jira.issues) == 1

    # at once: the index does not show it yet, and the journal has no id to reconcile
    healed = sync(run_cli, repo, environ)
    assert healed.exit_code == 0, healed.stdout + healed.stderr
    outcome = items(healed)["INC-2026-0042/payment-timeout"]
    assert (outcome["outcome"], outcome["tracker"]) == ("found", "jira:PAY-1")
    assert len(jira.issues) == 1
    searches = jira.requests("POST", "/rest/api/3/search/jql")[-2:]
    assert searches[1].at - searches[0].at >= 1.0  # it waited for the index
    assert searches[1].at - jira.issues[min(jira.issues)].created >= 3.0
    assert "tracker: jira:PAY-1" in (repo.path / INC).read_text(encoding="utf-8")

    again = sync(run_cli, repo, environ)  # nothing pending any more: no wait, no write
    assert {i["outcome"] for i in items(again).values()} == {"tracked"}


def test_a_create_jira_refused_is_not_waited_for(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    jira.projects = {"OPS"}
    repo, _ = remote_and_clone(tmp_path)
    environ = env(repo, github, jira, INCIDENTCTL_JIRA_INDEX_LAG="30")
    assert sync(run_cli, repo, environ).exit_code == 1
    jira.projects = {"PAY"}
    started = time.monotonic()
    result = sync(run_cli, repo, environ)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert time.monotonic() - started < 20  # a refused create leaves nothing to wait for
    assert len(jira.issues) == 1


def test_rate_limits_are_waited_out_as_retry_after_asks(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    jira.fail(1, 429, retry_after="1", on="POST /rest/api/3/issue")
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 0, result.stdout
    posts = [e for e in jira.requests("POST") if e.path == "/rest/api/3/issue"]
    assert [e.status for e in posts] == [429, 201]
    assert posts[1].at - posts[0].at >= 1.0
    assert len(jira.issues) == 1


def test_rate_limits_that_outlast_the_retries_are_reported(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, _ = remote_and_clone(tmp_path)
    jira.fail(6, 429, retry_after="0", on="POST /rest/api/3/search/jql")
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 1
    message = str(items(result)["INC-2026-0042/payment-timeout"]["message"])
    assert "HTTP 429" in message and "rate limit" in message


def test_a_tracker_refusing_an_item_is_reported_with_its_own_reason(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    defects = [
        {**DEFECTS[0], "title": "Payments time out\nafter 30s"},
        {**DEFECTS[1], "title": "The portal answers 500 " + "on retry " * 40},
    ]
    repo, _ = remote_and_clone(
        tmp_path, {INC: incident_yaml("INC-2026-0042", severity="SEV1", defects=defects)}
    )
    result = sync(run_cli, repo, env(repo, github, jira))
    assert result.exit_code == 1
    found = items(result)
    github_said = str(found["INC-2026-0042/portal-500"]["message"])
    assert "HTTP 422" in github_said
    assert "title is too long (maximum is 256 characters)" in github_said
    jira_said = str(found["INC-2026-0042/payment-timeout"]["message"])
    assert "HTTP 400" in jira_said and "contains newline characters" in jira_said
    assert creates(github, jira) == (0, 0)
    assert "Traceback" not in result.stderr


def run_sync(repo: Repo, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``defects sync`` as its own process, which a hook may kill."""
    command = [sys.executable, "-c", "from incidentctl.cli.main import main; main()",
               "defects", "sync", "--format", "json"]  # fmt: skip
    return subprocess.run(command, cwd=repo.path, env={**repo.environment(), **environ},
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip


def read_backs(repo: Repo) -> list[str]:
    return [m for m in repo.git("log", "--format=%B%x00").split("\0")
            if "Tracker-Sync: read-back" in m]  # fmt: skip


def kill_on(repo: Repo, hook: str) -> Path:
    """A hook that kills the sync (its Git's parent) when Git reaches it; a pre-commit
    hook then fails, so that the commit is not made."""
    killer = repo.path / ".git" / "hooks" / hook
    script = "#!/bin/sh\nkill -9 $(cut -d' ' -f4 /proc/$PPID/stat)\nexit 1\n"
    killer.write_text(script, "utf-8")
    killer.chmod(0o755)
    return killer


def write_backs(repo: Repo, ref: str) -> list[str]:
    return [m for m in repo.git("log", "--format=%B%x00").split("\0")
            if f"tracked in {ref}" in m]  # fmt: skip


@pytest.mark.parametrize(
    ("step", "hook"),
    [("reference", "pre-commit"), ("reference", "post-commit"),
     ("read-back", "pre-commit"), ("read-back", "post-commit")],
)  # fmt: skip
def test_the_way_back_closed_tickets_come_back_in_one_commit_exactly_once(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira, step: str, hook: str
) -> None:
    actions = [{"id": "A1", "title": "Cap retries", "type": "fix", "owner": "@bob",
                "due": "2026-04-01"}]  # fmt: skip
    files = {INC: incident_yaml("INC-2026-0042", severity="SEV1", services=["payments"],
                                defects=DEFECTS),
             RCA: rca_yaml("INC-2026-0042", actions=actions)}  # fmt: skip
    repo, _ = remote_and_clone(tmp_path, files)
    environ = env(repo, github, jira)
    if step == "reference":  # killed while the first reference is committed
        killer = kill_on(repo, hook)
        crashed = run_sync(repo, environ)
        assert crashed.returncode == -9, crashed.stdout + crashed.stderr
        killer.unlink()
        assert len(jira.issues) == 1
    first = sync(run_cli, repo, environ)
    assert first.exit_code == 0, first.stdout + first.stderr
    assert {v["tracker"] for v in items(first).values()} == {
        "jira:PAY-1", "github:acme/portal#1", "jira:PAY-2"}  # fmt: skip
    for ref in ("jira:PAY-1", "github:acme/portal#1", "jira:PAY-2"):
        assert len(write_backs(repo, ref)) == 1, ref
    assert repo.git("status", "--porcelain") == ""

    # Engineers close the tickets in the trackers.
    jira.close("PAY-1", versions=("2026.04",))
    github.close(PORTAL, 1, milestone="v7.3")
    jira.close("PAY-2")
    if step == "read-back":  # killed while the read-back is committed
        killer = kill_on(repo, hook)
        crashed = run_sync(repo, environ)
        assert crashed.returncode == -9, crashed.stdout + crashed.stderr
        killer.unlink()

    healed = sync(run_cli, repo, environ)
    assert healed.exit_code == 0, healed.stdout + healed.stderr
    incident_text = (repo.path / INC).read_text(encoding="utf-8")
    assert '  tracker: jira:PAY-1\n  fixed_in: "2026.04"\n' in incident_text
    assert "  tracker: github:acme/portal#1\n  fixed_in: v7.3\n" in incident_text
    rca_text = (repo.path / RCA).read_text(encoding="utf-8")
    assert "status: done" in rca_text
    [message] = read_backs(repo)
    assert "Incident: INC-2026-0042" in message and "Tracker: jira:PAY-2" in message
    assert "INC-2026-0042 action A1: done (jira:PAY-2)" in message
    assert repo.git("status", "--porcelain") == ""
    head = repo.head()
    assert repo.git("show", "--name-only", "--format=", head).split() == sorted([INC, RCA])

    again = sync(run_cli, repo, environ)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert repo.head() == head  # nothing changed: nothing written
    assert {i["outcome"] for i in items(again).values()} == {"tracked"}

    jira.reopen("PAY-2")  # reopened in the tracker: the action is open again
    reopened = sync(run_cli, repo, environ)
    assert items(reopened)["INC-2026-0042/A1"]["outcome"] == "updated"
    assert "status: done" not in (repo.path / RCA).read_text(encoding="utf-8")
    assert len(read_backs(repo)) == 2
    assert len(jira.issues) == 2 and len(github.issues_in(PORTAL)) == 1


def test_a_protected_main_gets_the_write_backs_as_one_pull_request(
    tmp_path: Path, run_cli: RunCli, github: FakeGitHub, jira: FakeJira
) -> None:
    repo, remote = remote_and_clone(tmp_path)
    main = repo.head()
    environ = env(repo, github, jira)
    branch = "incidentctl/tracker-sync"
    first = sync(run_cli, repo, environ, "--push", "--pull-request", branch)
    assert first.exit_code == 0, first.stdout + first.stderr
    data = json.loads(first.stdout)
    assert repo.git("ls-remote", str(remote), "refs/heads/main").split()[0] == main
    pushed = repo.git("ls-remote", str(remote), f"refs/heads/{branch}").split()[0]
    assert pushed == repo.head() == data["pushed"]
    [pull] = [i for i in github.issues.values() if i.pull]
    assert (pull.repo, pull.head_ref, pull.base_ref) == ("acme/incidents", branch, "main")
    assert data["pull_request"] == f"https://github.example/acme/incidents/pull/{pull.number}"

    # Not merged yet: the next run (from main, in a fresh clone) updates the same branch.
    second = clone(repo, remote, tmp_path / "second")
    jira.reindex()
    github.close(PORTAL, 1, milestone="v7.3")
    again = sync(run_cli, second, env(second, github, jira), "--push", "--pull-request", branch)
    assert again.exit_code == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["pull_request"] == data["pull_request"]
    assert len([i for i in github.issues.values() if i.pull]) == 1
    assert len(github.requests("POST", r"/pulls$")) == 1
    tip = second.git("ls-remote", str(remote), f"refs/heads/{branch}").split()[0]
    assert tip == second.head()
    assert "fixed_in: v7.3" not in second.git("show", f"{tip}:{INC}")  # found, not closed yet
    assert repo.git("ls-remote", str(remote), "refs/heads/main").split()[0] == main
    assert creates(github, jira) == (1, 1)


def test_pull_request_goes_with_push(tmp_path: Path, run_cli: RunCli) -> None:
    repo, _ = remote_and_clone(tmp_path)
    result = run_cli(["defects", "sync", "--pull-request", "x"], repo.path)
    assert result.exit_code == 2 and "--pull-request goes with --push" in result.stderr
