"""`incidentctl github comment` and the GitHub client, against the fake GitHub on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from pytest_httpserver import HTTPServer

from fakegithub import BOT, PREFIX, TOKEN, FakeGitHub
from incidentctl.github.comment import MAX_BODY, STICKY_MARKER, length
from incidentctl.trackers.github import GitHub, GitHubError, Pacing

if TYPE_CHECKING:
    from conftest import CliResult, RunCli

REPO = "acme/ops"
RUN_URL = "https://github.example/acme/ops/actions/runs/77"
ENVIRONMENT = ("GITHUB_REPOSITORY", "GITHUB_EVENT_PATH", "GITHUB_TOKEN", "GITHUB_API_URL",
               "GITHUB_SERVER_URL", "INCIDENTCTL_GITHUB_PACE")  # fmt: skip


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    for name in ENVIRONMENT:  # a run inside GitHub Actions must not reach the real thing
        monkeypatch.delenv(name, raising=False)
    github = FakeGitHub(httpserver)
    yield github
    github.check()


def artifact(tmp_path: Path, number: int | str, body: str, name: str = "artifact") -> Path:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "pr-number").write_text(f"{number}\n", encoding="utf-8")
    (folder / "comment.md").write_text(body, encoding="utf-8")
    return folder


def workflow_run(
    tmp_path: Path, pulls: list[int], head_repo: str = REPO, trigger: str = "pull_request"
) -> Path:
    """A ``workflow_run`` event payload, trimmed to the fields GitHub always sends."""
    base = {"id": 1, "name": "ops", "full_name": REPO, "fork": False}
    head = {"id": 2, "name": "ops", "full_name": head_repo, "fork": head_repo != REPO}
    event: dict[str, Any] = {
        "action": "completed",
        "workflow_run": {
            "id": 77,
            "name": "pull request",
            "event": trigger,
            "status": "completed",
            "conclusion": "success",
            "head_branch": "fix-ack",
            "head_sha": "0123456789abcdef0123456789abcdef01234567",
            "html_url": RUN_URL,
            "pull_requests": [
                {"number": n, "head": {"ref": "fix-ack"}, "base": {"ref": "main"}} for n in pulls
            ],
            "repository": base,
            "head_repository": head,
        },
        "repository": base,
    }
    path = tmp_path / "event.json"
    path.write_text(json.dumps(event), encoding="utf-8")
    return path


def comment(run_cli: RunCli, fake: FakeGitHub, folder: Path, *args: str, **env: str) -> CliResult:
    return run_cli(["github", "comment", "--artifact", folder, *args], env=fake.env(**env))


def bodies(fake: FakeGitHub, number: int) -> list[tuple[str, str]]:
    return [(c.login, c.body) for c in fake.comments_on(REPO, number)]


def test_the_sticky_comment_is_created_then_edited_in_place(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    event = workflow_run(tmp_path, [pr])

    first = comment(run_cli, fake, artifact(tmp_path, pr, "SLA: no change"), "--event", event,
                    "--repo", REPO)  # fmt: skip
    assert first.exit_code == 0, first.stderr
    assert "created" in first.stdout
    assert bodies(fake, pr) == [(BOT, f"{STICKY_MARKER}\nSLA: no change")]

    second = comment(run_cli, fake, artifact(tmp_path, pr, "SLA: acknowledge met"),
                     "--event", event, "--repo", REPO)  # fmt: skip
    assert second.exit_code == 0, second.stderr
    assert "updated" in second.stdout
    assert bodies(fake, pr) == [(BOT, f"{STICKY_MARKER}\nSLA: acknowledge met")]
    assert len(fake.requests("POST")) == 1
    assert len(fake.requests("PATCH", r"/issues/comments/\d+$")) == 1

    third = comment(run_cli, fake, artifact(tmp_path, pr, "SLA: acknowledge met"),
                    "--event", event, "--repo", REPO)  # fmt: skip
    assert third.exit_code == 0, third.stderr
    assert "unchanged" in third.stdout
    assert len(fake.writes()) == 2


def test_a_comment_by_someone_else_carrying_the_marker_is_not_taken_over(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    fake.add_comment(REPO, pr, f"{STICKY_MARKER}\nI copied the bot's comment", login="mallory")

    result = comment(run_cli, fake, artifact(tmp_path, pr, "SLA table"), "--repo", REPO)

    assert result.exit_code == 0, result.stderr
    assert bodies(fake, pr) == [
        ("mallory", f"{STICKY_MARKER}\nI copied the bot's comment"),
        (BOT, f"{STICKY_MARKER}\nSLA table"),
    ]


def test_the_comment_is_found_on_a_later_page(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    for n in range(105):
        fake.add_comment(REPO, pr, f"LGTM {n}")
    fake.add_comment(REPO, pr, f"{STICKY_MARKER}\nold table", login=BOT)

    result = comment(run_cli, fake, artifact(tmp_path, pr, "new table"), "--repo", REPO)

    assert result.exit_code == 0, result.stderr
    assert bodies(fake, pr)[-1] == (BOT, f"{STICKY_MARKER}\nnew table")
    assert len(fake.comments_on(REPO, pr)) == 106
    assert [e.query.get("page") for e in fake.requests("GET")] == [None, "2"]


def test_a_long_body_is_cut_under_the_limit_with_a_pointer_to_the_job_summary(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    rows = "".join(f"| INC-2026-{n:04d} | resolve | breached | ✅ |\n" for n in range(3000))
    body = "## SLA effect of this change\n\n```text\n" + rows + "```\n"
    assert length(body) > MAX_BODY

    result = comment(run_cli, fake, artifact(tmp_path, pr, body), "--event",
                     workflow_run(tmp_path, [pr]))  # fmt: skip

    assert result.exit_code == 0, result.stderr
    [(login, posted)] = bodies(fake, pr)
    assert login == BOT
    assert len(posted) < MAX_BODY and length(posted) <= MAX_BODY
    assert posted.startswith(f"{STICKY_MARKER}\n## SLA effect of this change")
    assert f"[job summary]({RUN_URL})" in posted
    kept = posted.split("\n---\n")[0]
    assert kept.count("```") % 2 == 0  # the cut closed the code block
    assert kept.rstrip("`\n").endswith("✅ |")  # cut at the end of a line


def test_a_huge_artifact_is_read_only_up_to_its_cap(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    body = "x" * (20 * 1024 * 1024)

    result = comment(run_cli, fake, artifact(tmp_path, pr, body), "--repo", REPO)

    assert result.exit_code == 0, result.stderr
    [(_, posted)] = bodies(fake, pr)
    assert length(posted) <= MAX_BODY
    assert "the full text is in the job summary" in posted


def test_a_fork_pull_request_is_commented_on_in_the_base_repository(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    fake.add_pull_request(REPO)
    pr = fake.add_pull_request(REPO, "Fix from a fork", head_repo="mallory/ops")
    event = workflow_run(tmp_path, [], head_repo="mallory/ops")

    result = run_cli(
        ["github", "comment", "--artifact", artifact(tmp_path, pr, "SLA from a fork")],
        env=fake.env(GITHUB_EVENT_PATH=str(event)),
    )

    assert result.exit_code == 0, result.stderr
    assert bodies(fake, pr) == [(BOT, f"{STICKY_MARKER}\nSLA from a fork")]
    assert [e.path for e in fake.requests("GET", "/pulls/")] == [f"/repos/{REPO}/pulls/{pr}"]
    assert all(e.path.startswith(f"/repos/{REPO}/") for e in fake.exchanges)


def test_a_fork_artifact_naming_another_pull_request_is_refused(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    victim = fake.add_pull_request(REPO, "Someone else's fix")
    fake.add_comment(REPO, victim, f"{STICKY_MARKER}\nSLA: no change", login=BOT)
    fake.add_pull_request(REPO, "Mallory's fork", head_repo="mallory/ops")
    event = workflow_run(tmp_path, [], head_repo="mallory/ops")

    result = comment(run_cli, fake, artifact(tmp_path, victim, "@everyone click here"),
                     "--event", event)  # fmt: skip

    assert result.exit_code == 2
    assert f"names pull request #{victim}, whose head is in {REPO}" in result.stderr
    assert "built mallory/ops: refusing" in result.stderr
    assert bodies(fake, victim) == [(BOT, f"{STICKY_MARKER}\nSLA: no change")]
    assert fake.writes() == []


def test_a_pull_request_that_moved_on_since_the_run_is_left_to_the_newer_run(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO, "Fix from a fork", head_repo="mallory/ops", head_sha="a" * 40)
    event = workflow_run(tmp_path, [], head_repo="mallory/ops")

    result = comment(run_cli, fake, artifact(tmp_path, pr, "SLA of an older commit"),
                     "--event", event)  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert "skipped: the pull request's head is now aaaaaaaaaaaa" in result.stdout
    assert fake.writes() == []


@pytest.mark.parametrize("number", ["0", "-3", "../../7", "12abc", "1e3", "", "99999999999"])
def test_an_artifact_number_that_is_not_a_positive_integer_is_refused(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub, number: str
) -> None:
    result = comment(run_cli, fake, artifact(tmp_path, number, "body"), "--repo", REPO)

    assert result.exit_code == 2
    assert "is not a pull request number" in result.stderr
    assert fake.exchanges == []


def test_an_artifact_naming_another_pull_request_than_the_run_is_refused(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    mine = fake.add_pull_request(REPO)
    other = fake.add_pull_request(REPO)

    result = comment(run_cli, fake, artifact(tmp_path, other, "spam"), "--event",
                     workflow_run(tmp_path, [mine]), "--repo", REPO)  # fmt: skip

    assert result.exit_code == 2
    assert f"names pull request #{other} but the workflow run belongs to #{mine}" in result.stderr
    assert fake.exchanges == []


def test_a_run_that_was_not_for_a_pull_request_is_refused(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    event = workflow_run(tmp_path, [], trigger="push")

    result = comment(run_cli, fake, artifact(tmp_path, 3, "x"), "--event", event)

    assert result.exit_code == 2
    assert "triggered by 'push', not a pull request" in result.stderr


def test_a_missing_artifact_file_says_what_is_expected(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    folder = artifact(tmp_path, 3, "x")
    (folder / "comment.md").unlink()
    (folder / "comment.md").symlink_to("/etc/passwd")

    result = comment(run_cli, fake, folder, "--repo", REPO)

    assert result.exit_code == 2
    assert "comment.md: missing, or not a regular file" in result.stderr


@pytest.mark.parametrize(
    ("status", "retry_after"), [(429, "1"), (403, "1"), (503, "1")], ids=["429", "403", "503"]
)
def test_rate_limits_and_unavailability_are_retried_after_retry_after(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub, status: int, retry_after: str
) -> None:
    pr = fake.add_pull_request(REPO)
    fake.fail(1, status, retry_after=retry_after)

    result = comment(run_cli, fake, artifact(tmp_path, pr, "table"), "--repo", REPO)

    assert result.exit_code == 0, result.stderr
    assert bodies(fake, pr) == [(BOT, f"{STICKY_MARKER}\ntable")]
    refused, retried = fake.exchanges[:2]
    assert (refused.status, retried.status) == (status, 200)
    assert (refused.method, refused.path) == (retried.method, retried.path)
    assert retried.at - refused.at >= 0.95  # Retry-After: 1 was honoured


def test_a_github_outage_fails_the_step_with_a_clear_message(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    fake.fail(100, 500)

    result = comment(run_cli, fake, artifact(tmp_path, pr, "table"), "--repo", REPO)

    assert result.exit_code == 2
    assert result.stderr.startswith(f"incidentctl: GitHub: reading the comments of #{pr}: HTTP 500")
    assert "after 6 attempts" in result.stderr and "outage" in result.stderr
    assert "rerun the job later" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert TOKEN not in result.stderr + result.stdout
    assert len(fake.exchanges) == 6
    assert bodies(fake, pr) == []


def test_a_refused_token_and_a_missing_token_say_what_to_do(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    folder = artifact(tmp_path, pr, "table")

    refused = comment(run_cli, fake, folder, "--repo", REPO, GITHUB_TOKEN="ghs_revoked")
    missing = comment(run_cli, fake, folder, "--repo", REPO, GITHUB_TOKEN="")

    assert refused.exit_code == 2
    assert "HTTP 401: Bad credentials; GITHUB_TOKEN was refused" in refused.stderr
    assert "ghs_revoked" not in refused.stderr
    assert missing.exit_code == 2
    assert "GITHUB_TOKEN is not set" in missing.stderr


def test_a_retry_after_longer_than_the_run_waits_stops_at_once(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    fake.fail(1, 429, retry_after="3600")
    started = time.monotonic()

    result = comment(run_cli, fake, artifact(tmp_path, pr, "table"), "--repo", REPO)

    assert result.exit_code == 2
    assert "GitHub asks to wait 3600s, longer than the 120s this run waits" in result.stderr
    assert time.monotonic() - started < 30


def test_a_primary_rate_limit_resetting_in_an_hour_stops_at_once(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub
) -> None:
    pr = fake.add_pull_request(REPO)
    reset = str(int(time.time()) + 3600)
    fake.fail(1, 403, message="API rate limit exceeded for installation ID 1.",
              headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset})  # fmt: skip
    started = time.monotonic()

    result = comment(run_cli, fake, artifact(tmp_path, pr, "table"), "--repo", REPO)

    assert result.exit_code == 2
    assert "rate limited, and GitHub asks to wait 360" in result.stderr
    assert "rerun the job later" in result.stderr
    assert time.monotonic() - started < 30
    assert len(fake.exchanges) == 1


# -- the client itself --------------------------------------------------------


def client(fake: FakeGitHub, sleeps: list[float], **pacing: Any) -> GitHub:
    return GitHub(REPO, token=TOKEN, api_url=fake.base, sleep=sleeps.append,
                  pacing=Pacing(write_interval=0, request_interval=0, **pacing))  # fmt: skip


def test_the_client_sleeps_what_retry_after_asks_and_backs_off_otherwise(
    fake: FakeGitHub,
) -> None:
    pr = fake.add_pull_request(REPO)
    sleeps: list[float] = []
    with client(fake, sleeps, backoff=0.5) as github:
        fake.fail(1, 429, retry_after="7")
        fake.fail(3, 502)
        posted = github.comment(pr, "hello")
    assert posted.author == BOT and posted.body == "hello"
    # Retry-After: 7 as asked; then, errors in a row, backoff 0.5 * 2**(errors - 1)
    assert sleeps == [7, 1.0, 2.0, 4.0]
    assert [e.status for e in fake.exchanges] == [429, 502, 502, 502, 201]


def test_the_client_gives_up_after_its_retries(fake: FakeGitHub) -> None:
    pr = fake.add_pull_request(REPO)
    sleeps: list[float] = []
    fake.fail(10, 503)
    with client(fake, sleeps, retries=2, backoff=0.01) as github, pytest.raises(GitHubError) as e:
        github.comments(pr)
    assert "HTTP 503" in str(e.value) and "after 3 attempts" in str(e.value)
    assert len(fake.exchanges) == 3


def test_the_client_finds_issues_by_label_and_marker_but_never_pull_requests(
    fake: FakeGitHub,
) -> None:
    fake.add_issue(REPO, "PR with the marker", "<!-- m -->", labels=["tracked"], pull=True)
    fake.add_issue(REPO, "unlabelled", "<!-- m -->")
    fake.add_issue(REPO, "labelled, other marker", "<!-- n -->", labels=["tracked"])
    wanted = fake.add_issue(REPO, "closed", "<!-- m -->", labels=["tracked"], state="closed")
    with client(fake, []) as github:
        found = github.find("<!-- m -->", "tracked")
    assert found is not None and found.number == wanted and found.state == "closed"
    assert found.ref == f"github:{REPO}#{wanted}"


def test_a_label_github_dropped_is_set_again_or_reported(fake: FakeGitHub) -> None:
    fake.drop_labels = True
    with client(fake, []) as github, pytest.raises(GitHubError) as e:
        github.create("INC-2026-0001: down", "<!-- m -->", ["incident-tracking"])
    assert "dropped its label(s) incident-tracking" in str(e.value)
    assert "issues: write" in str(e.value)


# -- the fake holds the client to the contract -------------------------------


def test_the_fake_refuses_exchanges_outside_the_contract(fake: FakeGitHub) -> None:
    pr = fake.add_pull_request(REPO)
    headers = {"Authorization": f"token {TOKEN}"}
    api = fake.base

    # PyGithub's Issue.add_to_labels sends a bare list; the description wants an object
    bare = requests.post(f"{api}/repos/{REPO}/issues/{pr}/labels", json=["x"], headers=headers,
                         timeout=5)  # fmt: skip
    unknown = requests.get(f"{api}/repos/{REPO}/actions/runs", headers=headers, timeout=5)
    no_body = requests.post(f"{api}/repos/{REPO}/issues/{pr}/comments", json={}, headers=headers,
                            timeout=5)  # fmt: skip

    assert [bare.status_code, unknown.status_code, no_body.status_code] == [400, 400, 400]
    assert len(fake.violations) == 3
    assert "labels: request" in fake.violations[0]
    with pytest.raises(AssertionError, match="contract violations"):
        fake.check()
    fake.violations.clear()


def test_the_fake_serves_under_an_enterprise_prefix(fake: FakeGitHub) -> None:
    assert fake.base.endswith(PREFIX)
    pr = fake.add_pull_request(REPO)
    with client(fake, []) as github:
        github.comment(pr, "hi")
    assert fake.exchanges[0].path == f"/repos/{REPO}/issues/{pr}/comments"


def test_the_fake_refuses_a_comment_over_githubs_limit(fake: FakeGitHub) -> None:
    pr = fake.add_pull_request(REPO)
    with client(fake, []) as github, pytest.raises(GitHubError) as e:
        github.comment(pr, "x" * (MAX_BODY + 1))
    assert "HTTP 422: body is too long" in str(e.value)
    assert fake.comments_on(REPO, pr) == []


@pytest.mark.parametrize("url", ["http://[::1", "https://ghe.example:99999/api/v3", "ghe.example"])
def test_a_malformed_api_url_is_a_usage_error(
    tmp_path: Path, run_cli: RunCli, fake: FakeGitHub, url: str
) -> None:
    pr = fake.add_pull_request(REPO)
    result = comment(run_cli, fake, artifact(tmp_path, pr, "SLA table"), "--repo", REPO,
                     GITHUB_API_URL=url)  # fmt: skip
    assert result.exit_code == 2, result.stderr
    assert f"GITHUB_API_URL {url!r} is not an http(s) URL" in result.stderr
    assert fake.comments_on(REPO, pr) == []
