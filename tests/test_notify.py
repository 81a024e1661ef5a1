"""``incidentctl notify``: events of a push and SLA thresholds, to Slack, email, PagerDuty
and a signed webhook, each once per channel, against real servers on loopback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pytest_httpserver import HTTPServer

from fakenotify import WEBHOOK_SECRET, FakePagerDuty, FakeSlack, FakeSmtp, FakeWebhook
from gitrepo import Commit, Repo, build_repo, incident_yaml, rca_yaml, sla_policy_yaml, update

if TYPE_CHECKING:
    from conftest import RunCli

INC = "incidents/2026/INC-2026-0001.yaml"
POLICY = "policies/sla/gold.yaml"
PD_KEY = "pd-routing-key-payments-0123456789"
SECRETS_SHOWN_NOWHERE = (PD_KEY, "xoxb-fake-token", WEBHOOK_SECRET, FakeSmtp.PASSWORD)

SERVICE = """\
apiVersion: incidentctl/v1
kind: Service
name: payments
owner: "@example/payments"
tier: 1
escalation: ["@example/payments-leads"]
pagerduty: {routing_key_env: PD_KEY_PAYMENTS}
"""

CUSTOMER = """\
apiVersion: incidentctl/v1
kind: Customer
name: acme
contract: gold
contacts:
  - name: Card operations
    email: card-ops@acme.example
  - email: noc@acme.example
"""


def notifications(smtp_port: int) -> str:
    return f"""\
apiVersion: incidentctl/v1
kind: NotificationPolicy
name: default
smtp:
  host: 127.0.0.1
  port: {smtp_port}
  security: starttls
  username_env: SMTP_USERNAME
  password_env: SMTP_PASSWORD
  from: incidents@example.org
channels:
  room:
    slack: {{webhook_url_env: SLACK_WEBHOOK_URL}}
  managers:
    email:
      to: [managers@example.org]
  oncall:
    pagerduty: {{}}
  customers:
    email: {{audience: customer}}
  bot:
    webhook: {{url_env: BOT_URL, secret_env: BOT_SECRET}}
routes:
  - events: [opened, severity-changed, status-changed, sla-warning, sla-breach]
    environments: [production]
    to: [room, managers]
  - events: [opened, severity-changed, status-changed]
    severities: [SEV1]
    to: [oncall]
  - events: [customer-update]
    to: [customers]
  - events: [opened, status-changed, customer-update, sla-warning, sla-breach]
    to: [bot]
"""


GOLD = sla_policy_yaml(
    "gold",
    targets={"SEV1": {"acknowledge": "5m", "first_update": "15m", "resolve": "4h"}},
    warn_at=["50%", "75%"],
    escalation=[{"at": "75%", "notify": ["@example/leads"]}],
)


@pytest.fixture
def servers() -> Iterator[list[HTTPServer]]:
    started = []

    def make() -> HTTPServer:
        server = HTTPServer(host="127.0.0.1", port=0, threaded=True)
        server.start()
        started.append(server)
        return server

    yield [make(), make(), make()]
    for server in started:
        server.clear()
        if server.is_running():
            server.stop()


class World:
    """The fakes, the repository and the environment a run gets."""

    def __init__(self, tmp_path: Path, servers: list[HTTPServer]) -> None:
        self.pagerduty = FakePagerDuty(servers[0])
        self.webhook = FakeWebhook(servers[1])
        self.slack = FakeSlack(servers[2])
        self.smtp = FakeSmtp(tmp_path)
        self.smtp.start()
        self.tmp = tmp_path
        self.env = {
            "SLACK_WEBHOOK_URL": self.slack.webhook_url,
            "BOT_URL": self.webhook.url,
            "BOT_SECRET": WEBHOOK_SECRET,
            "PD_KEY_PAYMENTS": PD_KEY,
            "INCIDENTCTL_PAGERDUTY_URL": self.pagerduty.url,
            "INCIDENTCTL_NOTIFY_PACE": "0.01",
            **self.smtp.env(),
        }
        self.setup = {
            "services/payments.yaml": SERVICE,
            "customers/acme.yaml": CUSTOMER,
            "notifications/default.yaml": notifications(self.smtp.port),
        }

    def check(self) -> None:
        self.smtp.stop()
        for fake in (self.pagerduty, self.webhook, self.slack):
            fake.check()


@pytest.fixture
def world(tmp_path: Path, servers: list[HTTPServer]) -> Iterator[World]:
    found = World(tmp_path, servers)
    yield found
    found.check()


def story(world: World, path: Path) -> Repo:
    """A SEV1 opened at 10:00, acknowledged with a customer update at 10:03, resolved at
    10:30."""
    return build_repo(
        path,
        [
            Commit("2026-03-02T09:00:00Z", files={POLICY: GOLD, **world.setup}),
            Commit("2026-03-02T10:00:00Z", files={INC: opened()}),
            Commit("2026-03-02T10:03:00Z", files={INC: incident_yaml(
                "INC-2026-0001", severity="SEV1", status="acknowledged", customer="acme",
                services=["payments"], updates=[update("2026-03-02T10:03:00Z",
                "We are investigating failed card payments.")])}),
            Commit("2026-03-02T10:30:00Z", files={INC: incident_yaml(
                "INC-2026-0001", severity="SEV1", status="resolved", customer="acme",
                services=["payments"], updates=[update("2026-03-02T10:03:00Z",
                "We are investigating failed card payments.")])}),
        ],
    )  # fmt: skip


def opened(**extra: Any) -> str:
    return incident_yaml("INC-2026-0001", severity="SEV1", customer="acme",
                         services=["payments"], **extra)  # fmt: skip


def notify(run_cli: RunCli, repo: Repo, world: World, *args: str, **env: str) -> Any:
    result = run_cli(["-C", str(repo.path), "notify", *args], env={**world.env, **env})
    assert "Traceback" not in result.stdout + result.stderr
    for secret in SECRETS_SHOWN_NOWHERE:
        assert secret not in result.stdout + result.stderr
    return result


def clone(seed: Repo, remote: Path, path: Path) -> Repo:
    seed.git("clone", "-q", str(remote), str(path))
    return Repo(path)


def _range(repo: Repo) -> str:
    return f"{repo.shas[0]}..{repo.head()}"


def test_a_push_notifies_every_channel_once(run_cli: RunCli, world: World, tmp_path: Path) -> None:
    repo = story(world, tmp_path / "repo")
    result = notify(run_cli, repo, world, "--range", _range(repo), "--at", "2026-03-02T10:31:00Z")
    assert result.exit_code == 0, result.stdout + result.stderr
    # Slack: opened, acknowledged, resolved; readable blocks with the links
    assert [m["blocks"][0]["text"]["text"] for m in world.slack.messages] == [
        "INC-2026-0001 opened: Payments are failing",
        "INC-2026-0001 open to acknowledged: Payments are failing",
        "INC-2026-0001 acknowledged to resolved: Payments are failing",
    ]
    fields = world.slack.messages[0]["blocks"][1]["fields"]
    assert "*Severity*\nSEV1" in [f["text"] for f in fields]
    assert not any(f["text"].startswith("*SLA*") for f in fields)  # every clock stopped
    # PagerDuty: one alert, triggered, acknowledged and resolved, keyed by the incident
    alert = world.pagerduty.alerts["INC-2026-0001"]
    assert alert.actions == ["trigger", "acknowledge", "resolve"]
    assert alert.status == "resolved"
    assert {r.body["routing_key"] for r in world.pagerduty.received} == {PD_KEY}
    # Email: the managers get the three events threaded; the customer only its update
    internal = [m for m in world.smtp.messages if m["To"] == "managers@example.org"]
    customer = [m for m in world.smtp.messages if m["To"] != "managers@example.org"]
    assert len(internal) == 3
    root = internal[0]["Message-ID"]
    assert [m["In-Reply-To"] for m in internal] == [None, root, root]
    assert len(customer) == 1
    assert customer[0]["To"] == "card-ops@acme.example, noc@acme.example"
    assert (
        "We are investigating failed card payments."
        in customer[0].get_body(("plain",)).get_content()
    )
    assert "SLA" not in customer[0].as_string()
    assert world.smtp.tls_sessions == 4  # STARTTLS every time
    assert {m.get_content_type() for m in world.smtp.messages} == {"multipart/alternative"}
    # The webhook: every event, signed (the fake verifies), once each
    assert world.webhook.types() == [
        "incident.opened", "incident.status-changed", "incident.customer-update",
        "incident.status-changed",
    ]  # fmt: skip
    shown = [r.body for r in world.webhook.received]
    shown += [r.body.get("payload") for r in world.pagerduty.received]  # routing_key is its auth
    shown += [m.as_string() for m in world.smtp.messages] + world.slack.messages
    for body in shown:
        text = json.dumps(body)
        assert not any(secret in text for secret in SECRETS_SHOWN_NOWHERE)
    assert result.stdout.count("sent: ") == 14

    again = notify(run_cli, repo, world, "--range", _range(repo), "--at", "2026-03-02T10:40:00Z")
    assert (again.exit_code, again.stdout) == (0, "nothing to send\n")
    assert len(world.slack.messages) == 3
    assert len(world.webhook.received) == 4
    assert len(world.smtp.messages) == 4
    assert len(world.pagerduty.received) == 3


def test_the_ledger_is_a_ref_and_a_rerun_in_a_new_clone_sends_nothing(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    repo = story(world, tmp_path / "seed")
    remote = tmp_path / "remote.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(remote))
    first = clone(repo, remote, tmp_path / "ci-1")
    result = notify(run_cli, first, world, "--range", _range(repo), "--remote", "origin",
                    "--at", "2026-03-02T10:31:00Z")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = repo.git(
        "--git-dir", str(remote), "show", "refs/incidentctl/notify-ledger:ledger.jsonl"
    ).splitlines()
    states = {}
    for line in lines:
        entry = json.loads(line)
        states[(entry["channel"], entry["key"])] = entry["state"]
    assert set(states.values()) == {"sent"}
    assert len(states) == 14
    second = clone(repo, remote, tmp_path / "ci-2")
    again = notify(run_cli, second, world, "--range", _range(repo), "--remote", "origin",
                   "--at", "2026-03-02T10:35:00Z")  # fmt: skip
    assert (again.exit_code, again.stdout) == (0, "nothing to send\n")
    assert len(world.webhook.received) == 4


def _cli(repo: Path, env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-c", "from incidentctl.cli.main import main; main()",
               "-C", str(repo), "notify", *args]  # fmt: skip
    return subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def test_two_concurrent_runs_deliver_each_event_once(world: World, tmp_path: Path) -> None:
    repo = story(world, tmp_path / "seed")
    remote = tmp_path / "remote.git"
    repo.git("clone", "-q", "--bare", str(repo.path), str(remote))
    clones = [clone(repo, remote, tmp_path / f"ci-{n}") for n in range(2)]
    args = ("--range", _range(repo), "--remote", "origin", "--at", "2026-03-02T10:31:00Z")
    runs = [_cli(c.path, world.env, *args) for c in clones]
    results = [(run.wait(timeout=120), *run.communicate()) for run in runs]
    assert [code for code, _, _ in results] == [0, 0], results
    sent = [line for _, out, _ in results for line in out.splitlines() if line.startswith("sent")]
    assert len(sent) == 14, results
    assert len(world.webhook.received) == 4
    assert world.webhook.duplicates == 0
    assert len(world.slack.messages) == 3
    assert len(world.smtp.messages) == 4
    assert world.pagerduty.alerts["INC-2026-0001"].actions == ["trigger", "acknowledge", "resolve"]


def test_a_crash_mid_delivery_is_resent_once_with_the_same_identity(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    repo = story(world, tmp_path / "repo")
    # Only the webhook channel: the run is killed while its first request is in flight.
    text = world.setup["notifications/default.yaml"]
    routes = text.index("routes:\n")
    only_bot = text[:routes] + "routes:\n  - events: [opened]\n    to: [bot]\n"
    (repo.path / "notifications/default.yaml").write_text(only_bot, encoding="utf-8")
    arrived = []
    world.webhook.server.clear()
    held = []

    def hold(request: Any) -> Any:
        arrived.append(request.headers.get("webhook-id"))
        held.append(True)
        time.sleep(3)  # the client dies before the answer
        return world.webhook.handle(request)

    world.webhook.server.expect_request("/hooks/incidents").respond_with_handler(hold)
    run = _cli(repo.path, world.env, "--range", _range(repo), "--at", "2026-03-02T10:31:00Z")
    deadline = time.monotonic() + 60
    while not arrived and time.monotonic() < deadline:
        time.sleep(0.05)
    assert arrived, run.communicate()
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=10)
    world.webhook.server.clear()
    world.webhook.server.expect_request("/hooks/incidents").respond_with_handler(
        world.webhook.handle
    )
    # Within the lease the claim stands: nobody sends it again.
    soon = notify(run_cli, repo, world, "--range", _range(repo), "--at", "2026-03-02T10:35:00Z")
    assert (soon.exit_code, soon.stdout) == (0, "nothing to send\n")
    assert world.webhook.received == []
    # After it, the next run sends it again, as the same message: the receiver can tell.
    later = notify(run_cli, repo, world, "--range", _range(repo), "--at", "2026-03-02T10:45:00Z")
    assert later.exit_code == 0, later.stdout + later.stderr
    assert later.stdout.startswith("resent: INC-2026-0001/opened to default/bot")
    assert [r.headers["Webhook-Id"] for r in world.webhook.received] == arrived
    done = notify(run_cli, repo, world, "--range", _range(repo), "--at", "2026-03-02T11:00:00Z")
    assert done.stdout == "nothing to send\n"


def test_retries_honour_retry_after_and_one_dead_channel_blocks_nobody(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    repo = story(world, tmp_path / "repo")
    world.webhook.fail(1, 429, retry_after="1")
    world.webhook.fail(1, 503)
    world.pagerduty.fail(1, 502)
    dead = {"SLACK_WEBHOOK_URL": "http://127.0.0.1:9/services/dead"}  # discard port: refused
    result = notify(run_cli, repo, world, "--range", _range(repo), "--at",
                    "2026-03-02T10:31:00Z", **dead)  # fmt: skip
    assert result.exit_code == 1
    failed = [line for line in result.stdout.splitlines() if line.startswith("failed")]
    assert failed == [
        f"failed: {key} to default/room: slack default/room cannot be reached"
        for key in (
            "INC-2026-0001/opened",
            f"INC-2026-0001/status/{repo.shas[2]}",
            f"INC-2026-0001/status/{repo.shas[3]}",
        )
    ]
    assert "127.0.0.1:9" not in result.stdout + result.stderr  # a webhook URL is a secret
    # Everyone else got everything; the Retry-After was honoured
    assert len(world.webhook.received) == 4
    assert world.webhook.attempts[1] - world.webhook.attempts[0] >= 1.0
    assert world.pagerduty.alerts["INC-2026-0001"].actions == ["trigger", "acknowledge", "resolve"]
    assert len(world.smtp.messages) == 4
    # Slack back: the next run delivers only what Slack missed.
    again = notify(run_cli, repo, world, "--range", _range(repo), "--at", "2026-03-02T10:40:00Z")
    assert again.exit_code == 0
    assert again.stdout.count("sent: ") == 3
    assert len(world.slack.messages) == 3
    assert len(world.webhook.received) == 4


def test_a_temporary_smtp_failure_is_retried(run_cli: RunCli, world: World, tmp_path: Path) -> None:
    repo = story(world, tmp_path / "repo")
    world.smtp.temporary_failures = 2
    result = notify(run_cli, repo, world, "--range", _range(repo), "--at", "2026-03-02T10:31:00Z")
    assert result.exit_code == 0, result.stdout
    assert len(world.smtp.messages) == 4


def test_bad_setup_is_reported_before_anything_is_sent(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    repo = story(world, tmp_path / "repo")
    env = dict(world.env)
    del env["BOT_SECRET"]
    result = run_cli(["-C", str(repo.path), "notify", "--range", _range(repo)], env=env)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[0] == (
        "notifications/default.yaml:22:33: error notify-config secret BOT_SECRET is not set in "
        "the environment: set it (in CI, as a secret of the deployment environment) or remove "
        "what needs it"
    )
    assert "nothing was sent" in result.stderr
    assert world.webhook.attempts == world.slack.attempts == world.pagerduty.attempts == []
    assert world.smtp.messages == []


def test_a_slack_bot_token_posts_with_chat_post_message(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    repo = story(world, tmp_path / "repo")
    path = repo.path / "notifications/default.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "slack: {webhook_url_env: SLACK_WEBHOOK_URL}",
        "slack: {token_env: SLACK_BOT_TOKEN, channel: '#incidents'}",
    )
    path.write_text(text, encoding="utf-8")
    world.slack.fail(1, 429, retry_after="1")
    result = notify(run_cli, repo, world, "--range", _range(repo), "--at",
                    "2026-03-02T10:31:00Z", SLACK_BOT_TOKEN=FakeSlack.TOKEN,
                    INCIDENTCTL_SLACK_API_URL=world.slack.api_url)  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    assert [m["channel"] for m in world.slack.messages] == ["#incidents"] * 3
    assert world.slack.attempts[1] - world.slack.attempts[0] >= 1.0


def _bot(repo: Repo, world: World, channel: str, only_room: bool = False) -> dict[str, str]:
    """Make the room a bot-token channel; the environment it needs."""
    path = repo.path / "notifications/default.yaml"
    text = path.read_text(encoding="utf-8").replace(
        "slack: {webhook_url_env: SLACK_WEBHOOK_URL}",
        f"slack: {{token_env: SLACK_BOT_TOKEN, channel: '{channel}'}}",
    )
    if only_room:
        text = text[: text.index("routes:\n")] + "routes:\n  - events: [opened]\n    to: [room]\n"
    path.write_text(text, encoding="utf-8")
    return {"SLACK_BOT_TOKEN": FakeSlack.TOKEN, "INCIDENTCTL_SLACK_API_URL": world.slack.api_url}


def _identities(world: World) -> list[str]:
    return [m["metadata"]["event_payload"]["id"] for m in world.slack.messages]


def test_a_slack_post_whose_answer_was_lost_is_not_posted_again(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    """Slack posted, but its answer was lost (a 500): the retry looks in the channel's
    history for the message's identity and finds it, rather than posting it twice."""
    repo = story(world, tmp_path / "repo")
    env = _bot(repo, world, "C0INCIDENT1")
    world.slack.answer_lost(1)
    result = notify(run_cli, repo, world, "--range", _range(repo), "--at",
                    "2026-03-02T10:31:00Z", **env)  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(world.slack.messages) == 3
    assert len(set(_identities(world))) == 3
    assert world.slack.reads == ["conversations.history"]  # once, after the lost answer
    assert "to default/room: already posted, ts 1700000001.000100" in result.stdout
    again = notify(run_cli, repo, world, "--range", _range(repo), "--at",
                   "2026-03-02T10:32:00Z", **env)  # fmt: skip
    assert again.stdout == "nothing to send\n"
    assert len(world.slack.messages) == 3


def test_a_run_killed_after_slack_posted_is_not_repeated(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    """The run dies after Slack posted and before the ledger recorded it. The next run
    after the lease finds the message in the channel (the channel named, its id looked
    up) and records it as sent: one message in Slack."""
    repo = story(world, tmp_path / "repo")
    env = _bot(repo, world, "#incidents", only_room=True)
    world.slack.hold_answers(5)
    run = _cli(repo.path, {**world.env, **env}, "--range", _range(repo),
               "--at", "2026-03-02T10:31:00Z")  # fmt: skip
    deadline = time.monotonic() + 60
    while not world.slack.messages and time.monotonic() < deadline:
        time.sleep(0.05)
    assert world.slack.messages, run.communicate()
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=10)
    world.slack.hold_answers(0)
    soon = notify(run_cli, repo, world, "--range", _range(repo), "--at",
                  "2026-03-02T10:35:00Z", **env)  # fmt: skip
    assert (soon.exit_code, soon.stdout) == (0, "nothing to send\n")
    later = notify(run_cli, repo, world, "--range", _range(repo), "--at",
                   "2026-03-02T10:45:00Z", **env)  # fmt: skip
    assert later.exit_code == 0, later.stdout + later.stderr
    assert later.stdout == (
        "resent: INC-2026-0001/opened to default/room: already posted, ts 1700000001.000100\n"
    )
    assert len(world.slack.messages) == 1
    assert world.slack.reads == ["conversations.list", "conversations.history"]
    done = notify(run_cli, repo, world, "--range", _range(repo), "--at",
                  "2026-03-02T11:00:00Z", **env)  # fmt: skip
    assert done.stdout == "nothing to send\n"
    assert len(world.slack.messages) == 1


def test_a_failed_slack_post_is_checked_for_then_posted_once(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    """The opposite case: Slack refused the first post (a 503). The retry finds nothing
    in the channel, so the message is posted, once."""
    repo = story(world, tmp_path / "repo")
    env = _bot(repo, world, "C0INCIDENT1", only_room=True)
    world.slack.fail(1, 503)
    world.slack.hold_answers(0)
    first = notify(run_cli, repo, world, "--range", _range(repo), "--at",
                   "2026-03-02T10:31:00Z", INCIDENTCTL_NOTIFY_PACE="0", **env)  # fmt: skip
    assert first.exit_code == 0, first.stdout + first.stderr
    assert len(world.slack.messages) == 1  # the 503 did not post; the retry did
    assert world.slack.reads == ["conversations.history"]
    assert "sent: INC-2026-0001/opened to default/room: ts " in first.stdout


def test_update_send_pushes_then_emails_the_customer_once(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    from test_edit_git import git_env

    seed = build_repo(tmp_path / "seed", [
        Commit("2026-03-02T09:00:00Z", files={POLICY: GOLD, **world.setup}),
        Commit("2026-03-02T10:00:00Z", files={INC: opened(status="acknowledged")}),
    ])  # fmt: skip
    remote = tmp_path / "remote.git"
    seed.git("clone", "-q", "--bare", str(seed.path), str(remote))
    work = clone(seed, remote, tmp_path / "work")
    before = work.head()
    when = "2026-03-02T10:10:00Z"
    env = {**world.env, **git_env(work, when)}
    text = "Payments are flowing again for most merchants; next update at 10:40 UTC."
    internal = run_cli(["-C", str(work.path), "update", "INC-2026-0001", "Looking at logs",
                        "--audience", "internal", "--send"], env=env)  # fmt: skip
    assert internal.exit_code == 2
    assert "internal updates are never sent to customers" in internal.stderr
    result = run_cli(["-C", str(work.path), "update", "INC-2026-0001", text, "--send",
                      "--now", when], env=env)  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    pushed = work.git("rev-parse", "origin/main")
    assert pushed != before
    assert f"pushed {pushed[:12]} to origin main" in result.stdout
    update_key = "INC-2026-0001/update/2026-03-02T10:10:00Z"
    assert f"sent: {update_key} to default/customers: to 2 recipient(s)" in result.stdout
    assert f"sent: {update_key} to default/bot: HTTP 204" in result.stdout
    assert [m["To"] for m in world.smtp.messages] == ["card-ops@acme.example, noc@acme.example"]
    assert text in world.smtp.messages[0].get_body(("plain",)).get_content()
    # The push workflow's run, in its own clone, finds the update sent.
    ci = clone(seed, remote, tmp_path / "ci")
    later = notify(run_cli, ci, world, "--range", f"{before}..{pushed}", "--remote", "origin",
                   "--at", "2026-03-02T10:11:00Z")  # fmt: skip
    assert later.exit_code == 0, later.stdout
    assert update_key not in later.stdout
    assert len(world.smtp.messages) == 1
    assert len([r for r in world.webhook.received if r.body["type"].endswith("update")]) == 1


def test_a_sent_customer_update_is_in_the_status_page_feed(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    """``update --send`` commits and pushes the customer update, which is what the public
    status page is built from: it appears in the Atom feed and in the Statuspage-shaped
    incidents.json, and an internal update written beside it in neither."""
    from test_edit_git import git_env

    public = CUSTOMER + "status_page: public\n"
    shown = SERVICE + "public_name: Card payments\n"  # on the status page under this name
    seed = build_repo(tmp_path / "seed", [
        Commit("2026-03-02T09:00:00Z", files={POLICY: GOLD, **world.setup,
               "customers/acme.yaml": public, "services/payments.yaml": shown}),
        Commit("2026-03-02T10:00:00Z", files={INC: opened(status="acknowledged")}),
    ])  # fmt: skip
    remote = tmp_path / "remote.git"
    seed.git("clone", "-q", "--bare", str(seed.path), str(remote))
    work = clone(seed, remote, tmp_path / "work")
    when = "2026-03-02T10:10:00Z"
    env = {**world.env, **git_env(work, when)}
    secret = "canary-internal-7f3a: the database replica lags"
    internal = run_cli(["-C", str(work.path), "update", "INC-2026-0001", secret,
                        "--audience", "internal", "--commit", "--now", when], env=env)  # fmt: skip
    assert internal.exit_code == 0, internal.stdout + internal.stderr
    text = "Card payments are failing for some merchants; next update at 10:40 UTC."
    sent = run_cli(["-C", str(work.path), "update", "INC-2026-0001", text, "--send",
                    "--now", when], env=env)  # fmt: skip
    assert sent.exit_code == 0, sent.stdout + sent.stderr
    assert [m["To"] for m in world.smtp.messages] == ["card-ops@acme.example, noc@acme.example"]

    # The site is built where the pages workflow builds it: a clone of what was pushed.
    ci = clone(seed, remote, tmp_path / "ci")
    out = tmp_path / "site"
    build = ["site", "build", "--public", "--out", str(out), "--at", "2026-03-02T10:15:00Z"]
    built = run_cli(["-C", str(ci.path), *build, "--url", "https://status.example.org"])
    assert built.exit_code == 0, built.stdout + built.stderr
    feed = (out / "history.atom").read_text(encoding="utf-8")
    incidents = json.loads((out / "api/v2/incidents.json").read_text(encoding="utf-8"))
    [incident] = incidents["incidents"]
    assert incident["id"] == "INC-2026-0001"
    assert [c["name"] for c in incident["components"]] == ["Card payments"]
    assert [u["body"] for u in incident["incident_updates"]] == [text]
    assert incident["incident_updates"][0]["created_at"] == when
    assert text in feed
    for path in out.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(encoding="utf-8", errors="replace"), path


def test_a_defect_ticket_written_back_is_an_event(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    defect = {"key": "gateway-timeout", "title": "Gateway times out", "service": "payments"}
    routes = "routes:\n  - events: [opened, defect-ticket]\n    to: [bot]\n"
    text = world.setup["notifications/default.yaml"]
    setup = {**world.setup, "notifications/default.yaml": text[: text.index("routes:")] + routes}
    repo = build_repo(tmp_path / "repo", [
        Commit("2026-03-02T09:00:00Z", files={POLICY: GOLD, **setup}),
        Commit("2026-03-02T10:00:00Z", files={INC: opened(defects=[defect])}),
        Commit("2026-03-02T10:20:00Z", files={INC: opened(
            defects=[{**defect, "tracker": "jira:PAY-123"}])}),
    ])  # fmt: skip
    result = notify(run_cli, repo, world, "--range", f"{repo.shas[1]}..{repo.head()}",
                    "--at", "2026-03-02T10:21:00Z")  # fmt: skip
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout == (
        "sent: INC-2026-0001/defect/gateway-timeout to default/bot: HTTP 204\n"
    )
    body = world.webhook.received[0].body
    assert body["type"] == "incident.defect-ticket"
    assert "Defect: Gateway times out: jira:PAY-123" in body["text"]


def test_a_dry_run_needs_no_secret_and_sends_nothing(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    repo = story(world, tmp_path / "repo")
    result = run_cli(["-C", str(repo.path), "notify", "--dry-run", "--range", _range(repo),
                      "--at", "2026-03-02T10:31:00Z"], env={})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 14
    assert lines[0] == "would send: INC-2026-0001/opened to default/room: opened"
    assert world.webhook.attempts == world.slack.attempts == world.pagerduty.attempts == []
    done = notify(run_cli, repo, world, "--range", _range(repo), "--at", "2026-03-02T10:31:00Z")
    assert done.stdout.count("sent: ") == 14  # the dry run recorded nothing


def test_the_rca_follow_up_review_is_warned_after_the_resolve_once_per_threshold(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    routes = "routes:\n  - events: [sla-warning, sla-breach]\n    to: [bot]\n"
    text = world.setup["notifications/default.yaml"]
    setup = {**world.setup, "notifications/default.yaml": text[: text.index("routes:")] + routes}
    rca = "incidents/2026/INC-2026-0001.rca.yaml"
    published = rca_yaml("INC-2026-0001", status="published", meeting_at="2026-03-03T09:00:00Z")
    targets = {"SEV1": {"resolve": "4h", "rca": "72h", "follow_up": "4w"}}
    gold = sla_policy_yaml("gold", targets=targets, warn_at=["75%"])
    repo = build_repo(tmp_path / "repo", [
        Commit("2026-03-02T09:00:00Z", files={POLICY: gold, **setup}),
        Commit("2026-03-02T10:00:00Z", files={INC: opened()}),
        Commit("2026-03-02T10:30:00Z", files={INC: opened(status="resolved")}),
        Commit("2026-03-04T10:00:00Z", files={rca: published}),
    ])  # fmt: skip

    # the review is due four weeks after publication (1 April), its window opens at two
    assert notify(run_cli, repo, world, "--at", "2026-03-18T09:59:00Z").stdout == (
        "nothing to send\n"
    )
    window = notify(run_cli, repo, world, "--at", "2026-03-18T10:01:00Z")
    assert window.stdout == "sent: INC-2026-0001/follow_up/1/50 to default/bot: HTTP 204\n"
    again = notify(run_cli, repo, world, "--at", "2026-03-19T10:00:00Z")
    assert again.stdout == "nothing to send\n"
    breach = notify(run_cli, repo, world, "--at", "2026-04-01T11:00:00Z")
    assert breach.stdout == (
        "sent: INC-2026-0001/follow_up/1/100 (sla-breach) to default/bot: HTTP 204\n"
    )
    bodies = [r.body for r in world.webhook.received]
    assert [b["type"] for b in bodies] == ["incident.sla-warning", "incident.sla-breach"]
    assert "follow_up" in bodies[1]["text"]

    held = rca_yaml("INC-2026-0001", status="published", meeting_at="2026-03-03T09:00:00Z",
                    follow_up={"held_at": "2026-04-02T09:00:00Z"})  # fmt: skip
    repo.apply(Commit("2026-04-02T10:00:00Z", files={rca: held}))
    assert notify(run_cli, repo, world, "--at", "2026-05-01T00:00:00Z").stdout == (
        "nothing to send\n"
    )
    assert len(world.webhook.received) == 2


def test_routes_select_by_team_and_tier_of_one_service(
    run_cli: RunCli, world: World, tmp_path: Path
) -> None:
    """A route's services, teams and tiers must all hold for one of the incident's
    services: payments is @example/payments' and tier 1; ledger is tier 2."""
    ledger = SERVICE.replace("name: payments", "name: ledger").replace("tier: 1", "tier: 2")
    routes = """\
  - events: [opened]
    teams: ["@example/payments"]
    tiers: [1]
    to: [managers]
  - events: [opened]
    teams: ["@example/payments"]
    tiers: [2]
    services: [payments]
    to: [room]
  - events: [opened]
    tiers: [2]
    to: [bot]
"""
    policy = notifications(world.smtp.port)
    policy = policy[: policy.index("routes:\n") + len("routes:\n")] + routes
    repo = build_repo(
        tmp_path / "repo",
        [
            Commit("2026-03-02T09:00:00Z", files={POLICY: GOLD, **world.setup,
                   "services/ledger.yaml": ledger, "notifications/default.yaml": policy}),
            Commit("2026-03-02T10:00:00Z", files={INC: opened()}),
            Commit("2026-03-02T10:01:00Z", files={"incidents/2026/INC-2026-0002.yaml":
                   incident_yaml("INC-2026-0002", services=["ledger"])}),
        ],
    )  # fmt: skip
    result = run_cli(["-C", str(repo.path), "notify", "--dry-run", "--range", _range(repo),
                      "--at", "2026-03-02T10:02:00Z"], env={})  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "would send: INC-2026-0001/opened to default/managers: opened",
        "would send: INC-2026-0002/opened to default/bot: opened",
    ]
