"""Ways in without YAML: Alertmanager and Grafana webhooks, the GitHub issue form.

The payloads are the documented ones (Alertmanager's webhook, version 4; Grafana's
alerting webhook; GitHub's ``issues`` event), plus hostile variants. The issue
workflow's own script is run with bash against a real remote, with ``gh`` recording
its arguments: whatever the issue says, nothing of it reaches a shell.
"""

from __future__ import annotations

import copy
import json
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml
from pytest_httpserver import HTTPServer

from conftest import REPO_ROOT
from fakegithub import BOT, FakeGitHub
from gitrepo import git_date
from incidentctl.github.intake_reply import REPLY_MARKER
from test_init import git_env

if TYPE_CHECKING:
    from conftest import RunCli

PAYLOADS = Path(__file__).parent / "payloads"
REPO = "acme/incidents"
NOW = "2026-11-22T10:01:00Z"
HOSTILE = (
    '$(touch PWNED) `touch PWNED` "; touch PWNED; echo " ${{ secrets.GITHUB_TOKEN }}'
    "\n\x1b[31mred\x00 \u202eevil: {a: b} & *x |>"
)


def payload(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PAYLOADS / name).read_text(encoding="utf-8"))
    return data


@pytest.fixture
def repo(tmp_path: Path, run_cli: RunCli) -> Path:
    """A repository made by init, committed."""
    target = tmp_path / "incidents"
    env = {**git_env(tmp_path), "GIT_AUTHOR_DATE": git_date("2026-11-20T08:00:00Z"),
           "GIT_COMMITTER_DATE": git_date("2026-11-20T08:00:00Z")}  # fmt: skip
    result = run_cli(["init", target, "--commit", "--now", "2026-11-20T08:00:00Z"], env=env)
    assert result.exit_code == 0, result.stderr
    return target


def new_from(run_cli: RunCli, repo: Path, tmp_path: Path, option: str, data: Any) -> Any:
    file = tmp_path / "payload.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    env = {
        **git_env(tmp_path),
        "GIT_AUTHOR_DATE": git_date(NOW),
        "GIT_COMMITTER_DATE": git_date(NOW),
    }
    return run_cli(["-C", repo, "new", option, file, "--now", NOW, "--commit"], cwd=tmp_path,
                   env=env)  # fmt: skip


def written(repo: Path) -> dict[str, Any]:
    (path,) = sorted((repo / "incidents").rglob("INC-*.yaml"))
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def test_an_alertmanager_payload_opens_an_incident_with_its_impact_start(
    repo: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    result = new_from(run_cli, repo, tmp_path, "--from-alert", payload("alertmanager.json"))
    assert result.exit_code == 0, result.stderr
    incident = written(repo)
    assert incident["title"] == "Payments API error rate above 5%"
    assert incident["summary"] == "5xx ratio 12% over 5 minutes on payments-api."
    assert (incident["severity"], incident["services"], incident["customer"]) == (
        "SEV1", ["payments-api"], "acme")  # fmt: skip
    detection = incident["detection"]
    assert detection["source"] == detection["channel"] == "monitoring"
    assert str(detection["impact_started_at"]) in (
        "2026-11-22T09:57:00Z",
        "2026-11-22 09:57:00+00:00",
    )
    assert incident["links"][0]["url"].startswith("http://prometheus.example.com:9090/graph")
    assert incident["updates"][0]["audience"] == "internal"
    assert "2 firing alert(s) PaymentsErrorRate" in incident["updates"][0]["text"]
    # MTTD is measured: from the alert's start to the opening commit (4 minutes)
    report = run_cli(["-C", repo, "report", "--at", "2026-11-22T11:00:00Z", "--format", "json"])
    assert report.exit_code == 0, report.stderr
    assert '"mttd"' in report.stdout.lower()
    assert "240" in report.stdout


def test_a_grafana_payload_and_a_repository_dispatch_event(
    repo: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    event = {"action": "incident-alert", "client_payload": payload("grafana.json")}
    result = new_from(run_cli, repo, tmp_path, "--from-alert", event)
    assert result.exit_code == 0, result.stderr
    incident = written(repo)
    assert incident["title"] == "[FIRING:1] CheckoutLatency Shop (checkout)"
    assert incident["services"] == ["checkout"]
    assert incident["severity"] == "SEV3"  # the alert does not say
    assert str(incident["detection"]["impact_started_at"]) in (
        "2026-11-22T08:50:00Z", "2026-11-22 08:50:00+00:00")  # fmt: skip


def test_a_resolved_notification_opens_nothing(repo: Path, tmp_path: Path, run_cli: RunCli) -> None:
    data = payload("alertmanager.json")
    for alert in data["alerts"]:
        alert["status"] = "resolved"
    result = new_from(run_cli, repo, tmp_path, "--from-alert", data)
    assert result.exit_code == 2 and "no firing alert" in result.stderr
    assert not list((repo / "incidents").rglob("INC-*"))


@pytest.mark.parametrize("garbage", ["[1, 2]", "{not json", "x" * (1 << 20 + 1)])
def test_a_payload_that_is_not_one_is_refused(
    repo: Path, tmp_path: Path, run_cli: RunCli, garbage: str
) -> None:
    file = tmp_path / "payload.json"
    file.write_text(garbage, encoding="utf-8")
    result = run_cli(["-C", repo, "new", "--from-alert", file, "--now", NOW])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr


def test_hostile_alert_texts_are_data(repo: Path, tmp_path: Path, run_cli: RunCli) -> None:
    data = payload("alertmanager.json")
    data["commonAnnotations"] = {"summary": HOSTILE, "description": HOSTILE * 50}
    data["commonLabels"]["service"] = "$(touch PWNED);payments"
    result = new_from(run_cli, repo, tmp_path, "--from-alert", data)
    assert result.exit_code == 0, result.stderr
    incident = written(repo)
    assert "\n" not in incident["title"] and "\x1b" not in incident["title"]
    assert "\u202e" not in incident["title"]
    assert incident["title"].startswith("$(touch PWNED)")
    assert len(incident["summary"].rstrip("\n")) <= 4000
    assert incident["services"] == ["touch", "PWNED-payments"]  # names keep name characters
    assert run_cli(["-C", repo, "validate", "--now", "2026-11-22T11:00:00Z"]).exit_code == 0
    assert not list(tmp_path.rglob("PWNED"))


def test_the_issue_form_event_opens_an_incident_crediting_the_reporter(
    repo: Path, tmp_path: Path, run_cli: RunCli
) -> None:
    result = new_from(run_cli, repo, tmp_path, "--from-issue", payload("issues-opened.json"))
    assert result.exit_code == 0, result.stderr
    incident = written(repo)
    assert incident["title"] == "Checkout fails for card payments"
    assert incident["summary"] == "Card payments time out at checkout.\nAbout 30% fail.\n"
    assert (incident["severity"], incident["services"]) == ("SEV2", ["payments-api", "checkout"])
    assert "customer" not in incident  # left empty in the form
    assert (incident["detection"]["source"], incident["detection"]["channel"]) == (
        "customer", "portal")  # fmt: skip
    assert incident["links"] == [{"url": "https://github.com/acme/incidents/issues/12",
                                  "title": "Issue #12, reported by @octocat"}]  # fmt: skip
    assert incident["updates"][0]["text"] == "Reported by @octocat in issue #12."


def test_the_issue_form_templates_headings_are_the_ones_read() -> None:
    form = yaml.safe_load((REPO_ROOT / ".github/ISSUE_TEMPLATE/incident.yml").read_text("utf-8"))
    labels = {item["attributes"]["label"].lower() for item in form["body"]}
    from incidentctl.intake import from_issue

    body = "".join(f"### {label}\n\nx\n\n" for label in labels)
    event = {"issue": {"number": 1, "title": "t", "body": body, "user": {"login": "a"}}}
    intake = from_issue(event)
    assert intake.summary == "x" and intake.services == ("x",) and intake.source == "x"
    assert form["labels"] == ["incident"]


def _step_script(name: str, step: str = "incidentctl new") -> str:
    """The script of the workflow's step whose script says ``step``."""
    workflow = yaml.safe_load((REPO_ROOT / ".github/workflows" / name).read_text("utf-8"))
    (job,) = workflow["jobs"].values()
    (script,) = [s["run"] for s in job["steps"] if step in s.get("run", "")]
    return str(script)


@dataclass
class Workflow:
    """The issue workflow's checkout (a clone of ``remote``), its event and environment,
    with ``gh`` recording its arguments in ``calls``."""

    work: Path
    remote: Path
    event: Path
    calls: Path
    env: dict[str, str]

    def run(self, step: str = "incidentctl new", **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["bash", "-e", "-c", _step_script("incidents-issue.yml", step)],
                              cwd=self.work, env={**self.env, **env}, capture_output=True,
                              text=True)  # fmt: skip


def workflow(repo: Path, tmp_path: Path, event: dict[str, Any]) -> Workflow:
    env = git_env(tmp_path)
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", repo, remote], env=env, check=True)
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", remote, work], env=env, check=True)
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps(event), encoding="utf-8")
    tools = tmp_path / "bin"
    tools.mkdir()
    calls = tmp_path / "gh-calls.json"
    gh = tools / "gh"
    gh.write_text(
        f"#!{sys.executable}\nimport json, sys\n"
        f"open({str(calls)!r}, 'w').write(json.dumps(sys.argv[1:]))\n",
        encoding="utf-8",
    )
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    path = os.pathsep.join([str(tools), str(Path(sys.executable).parent), os.environ["PATH"]])
    run_env = {**env, "PATH": path, "GITHUB_TOKEN": "not-a-token", "ISSUE_NUMBER": "12",
               "GITHUB_EVENT_PATH": str(event_path), "GITHUB_SERVER_URL": "https://github.invalid",
               "RUNNER_TEMP": str(temp),
               "GIT_AUTHOR_DATE": git_date(NOW), "GIT_COMMITTER_DATE": git_date(NOW)}  # fmt: skip
    return Workflow(work, remote, event_path, calls, run_env)


@pytest.mark.parametrize("title", [HOSTILE, "Normal title"])
def test_the_issue_workflow_script_never_runs_the_issue(
    repo: Path, tmp_path: Path, title: str
) -> None:
    """The workflow's own script, run by bash with a hostile issue: a branch and a pull
    request are made, their names and title are ours, and no command from the issue runs."""
    event = copy.deepcopy(payload("issues-opened.json"))
    event["issue"]["title"] = title
    event["issue"]["body"] = event["issue"]["body"].replace("payments-api", HOSTILE)
    flow = workflow(repo, tmp_path, event)
    done = flow.run()
    assert done.returncode == 0, done.stdout + done.stderr
    assert not list(tmp_path.rglob("PWNED"))
    args = json.loads(flow.calls.read_text(encoding="utf-8"))
    assert args[:6] == ["pr", "create", "--base", "main", "--head", "incident/issue-12"]
    assert args[args.index("--title") + 1] == "INC-2026-0001: opened (SEV2)"
    pushed = subprocess.run(["git", "-C", flow.remote, "show", "incident/issue-12:incidents/2026/"
                             "INC-2026-0001.yaml"], env=flow.env, capture_output=True, text=True,
                            check=True).stdout  # fmt: skip
    incident = yaml.safe_load(pushed)
    assert (
        incident["title"] == " ".join(title.replace("\x1b", " ").split()).replace("\x00", " ")
        or incident["title"]
    )
    assert all(set(s) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._/-")
               for s in incident["services"])  # fmt: skip


REFUSALS = {
    "severity": 'the issue gives no usable "Severity": fill it in with one of the form',
    "title": "the issue gives no usable title: fill it in with one of the form's answers",
    "policy": "sla-policy-match: no SLA policy applies to this production incident",
}


@pytest.mark.parametrize("refused", list(REFUSALS))
def test_a_refused_issue_gets_one_reply_saying_why(
    repo: Path, tmp_path: Path, fake: FakeGitHub, refused: str
) -> None:
    """The step fails on an issue with an unusable severity or a title of control
    characters alone, or that no SLA policy applies to; the reply step posts incidentctl's
    reason on the issue, as data, once across reruns."""
    fake.add_issue(REPO)  # 1
    number = fake.add_issue(REPO, "A hostile report")  # 2
    event = copy.deepcopy(payload("issues-opened.json"))
    event["issue"]["number"] = number
    event["issue"]["title"] = HOSTILE
    if refused == "severity":
        event["issue"]["body"] = event["issue"]["body"].replace("SEV2 (major", "urgent!!! (")
    if refused == "title":
        event["issue"]["title"] = "\u202e\x1b \x00\t\u2066 "
    if refused == "policy":  # the contract covers non-production only
        policy = repo / "policies/sla/standard.yaml"
        text = policy.read_text(encoding="utf-8")
        policy.write_text(text.replace("[production]", "[non-production]"), encoding="utf-8")
        subprocess.run(["git", "-C", repo, "commit", "-qam", "Non-production only"],
                       env=git_env(tmp_path), check=True)  # fmt: skip
    flow = workflow(repo, tmp_path, event)
    env = {"ISSUE_NUMBER": str(number), **fake.env(GITHUB_REPOSITORY=REPO),
           "RUN_URL": "https://github.example/acme/incidents/actions/runs/7"}  # fmt: skip

    failed = flow.run(**env)
    assert failed.returncode == 1
    assert REFUSALS[refused] in failed.stderr  # in the log too
    assert not flow.calls.exists()  # no pull request
    for _ in range(2):  # a rerun of the failed job: the same reply, not a second one
        replied = flow.run("intake-reply", **env)
        assert replied.returncode == 0, replied.stderr
    [reply] = fake.comments_on(REPO, number)
    assert reply.login == BOT
    assert reply.body.startswith(REPLY_MARKER + "\n")
    assert "No incident was opened from this issue ([the workflow run](https://github.example/" in (
        reply.body
    )
    assert "```text\n" in reply.body and REFUSALS[refused] in reply.body
    assert not list(tmp_path.rglob("PWNED"))

    # another reason on a rerun: the same comment, edited
    (Path(flow.env["RUNNER_TEMP"]) / "intake-error.txt").write_text(
        "incidentctl: no SLA policy applies to it: " + HOSTILE + " ```` @everyone\n",
        encoding="utf-8",
    )
    assert flow.run("intake-reply", **env).returncode == 0
    [edited] = fake.comments_on(REPO, number)
    assert edited.id == reply.id and "no SLA policy applies to it" in edited.body
    fence = "`````text\n"  # longer than the four backticks the reason holds
    assert fence in edited.body and "\x1b" not in edited.body and "\u202e" not in edited.body
    assert edited.body.index("@everyone") > edited.body.index(fence)  # inside the code block


def test_a_run_that_failed_elsewhere_says_so_without_a_reason(
    repo: Path, tmp_path: Path, fake: FakeGitHub
) -> None:
    number = fake.add_issue(REPO, "A report")
    fake.add_comment(REPO, number, f"{REPLY_MARKER} quoted by someone else")  # not ours
    flow = workflow(repo, tmp_path, payload("issues-opened.json"))
    done = flow.run("intake-reply", ISSUE_NUMBER=str(number), RUN_URL="",
                    **fake.env(GITHUB_REPOSITORY=REPO))  # fmt: skip
    assert done.returncode == 0, done.stderr
    theirs, ours = fake.comments_on(REPO, number)
    assert theirs.body.endswith("quoted by someone else") and ours.login == BOT
    assert "the workflow failed before it could (its log says why)" in ours.body
    assert "```" not in ours.body


def test_the_reply_step_runs_only_when_the_job_failed() -> None:
    spec = yaml.safe_load((REPO_ROOT / ".github/workflows/incidents-issue.yml").read_text("utf-8"))
    (job,) = spec["jobs"].values()
    [reply] = [s for s in job["steps"] if "intake-reply" in s.get("run", "")]
    assert reply["if"] == "failure()"
    assert job["permissions"]["issues"] == "write"
    assert "${{" not in reply["run"]  # the event's values come in through env only


@pytest.fixture
def fake(httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitHub]:
    for name in ("GITHUB_REPOSITORY", "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_EVENT_PATH"):
        monkeypatch.delenv(name, raising=False)
    github = FakeGitHub(httpserver)
    yield github
    github.check()


def test_a_non_numeric_issue_number_stops_the_workflow_script(tmp_path: Path) -> None:
    done = subprocess.run(["bash", "-e", "-c", _step_script("incidents-issue.yml")],
                          cwd=tmp_path, env={"PATH": os.environ["PATH"],
                                             "ISSUE_NUMBER": "1; touch PWNED"},
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 1 and "not an issue number" in done.stderr
    assert not (tmp_path / "PWNED").exists()
