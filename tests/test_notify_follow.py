"""Thresholds on time: ``notify --follow`` and its loop, with a simulated clock and for
real, and a clean stop on SIGTERM."""

from __future__ import annotations

import json
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import test_notify
from gitrepo import Commit, Repo, build_repo, incident_yaml
from incidentctl.notify.follow import follow
from incidentctl.notify.session import Notifier
from test_notify import GOLD, INC, POLICY, World, _cli

# The fakes and the repository's setup, shared with test_notify.
servers = test_notify.servers
world = test_notify.world

OPENED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

ONLY_SLA = """\
routes:
  - events: [sla-warning, sla-breach]
    to: [bot]
"""


def sla_only(world: World) -> dict[str, str]:
    text = world.setup["notifications/default.yaml"]
    return {**world.setup, "notifications/default.yaml": text[: text.index("routes:\n")] + ONLY_SLA}


def open_sev1(world: World, path: Path) -> Repo:
    return build_repo(
        path,
        [
            Commit("2026-03-02T09:00:00Z", files={POLICY: GOLD, **sla_only(world)}),
            Commit(OPENED, files={INC: incident_yaml(
                "INC-2026-0001", severity="SEV1", customer="acme", services=["payments"])}),
        ],
    )  # fmt: skip


def test_a_simulated_clock_gets_50_75_and_breach_of_a_5_minute_ack_within_a_minute(
    world: World, tmp_path: Path
) -> None:
    repo = open_sev1(world, tmp_path / "repo")
    notifier = Notifier(repo.path, "main", world.env, None, "simulated",
                        repo="example/incidents")  # fmt: skip
    clock = [OPENED + timedelta(seconds=7)]
    waits: list[float] = []

    def wait(seconds: float) -> bool:
        waits.append(seconds)
        clock[0] += timedelta(seconds=seconds)
        return False

    def tick(now: datetime) -> timedelta | None:
        outcomes, soonest = notifier.follow_tick(now)
        assert all(o.status == "sent" for o in outcomes), outcomes
        return soonest

    follow(tick, lambda: clock[0], wait, until=OPENED + timedelta(minutes=8))
    delivered = {
        r.body["keys"][-1]: datetime.fromtimestamp(int(r.headers["Webhook-Timestamp"]), UTC)
        for r in world.webhook.received
    }
    due = {
        "INC-2026-0001/acknowledge/1/50": OPENED + timedelta(minutes=2, seconds=30),
        "INC-2026-0001/acknowledge/1/75": OPENED + timedelta(minutes=3, seconds=45),
        "INC-2026-0001/acknowledge/1/100": OPENED + timedelta(minutes=5),
    }
    acknowledge = {k: v for k, v in delivered.items() if "/acknowledge/" in k}
    assert acknowledge.keys() == due.keys()
    for key, instant in due.items():
        assert instant <= acknowledge[key] <= instant + timedelta(minutes=1), key
    assert len(world.webhook.received) == len(delivered)  # one message per threshold
    escalation = next(r.body for r in world.webhook.received if r.body["keys"][-1].endswith("/75"))
    assert escalation["mentions"] == ["@example/leads"]
    assert escalation["facts"]["SLA"].startswith("acknowledge: 1m")
    breach = next(r.body for r in world.webhook.received if r.body["keys"][-1].endswith("/100"))
    # A breach also mentions the escalation handles of the incident's services.
    assert breach["mentions"] == ["@example/leads", "@example/payments-leads"]
    # It slept until each threshold rather than polling every second.
    assert len(waits) < 40


def test_follow_stops_cleanly_on_sigterm_and_loses_nothing(world: World, tmp_path: Path) -> None:
    repo = open_sev1(world, tmp_path / "repo")
    arrived: list[str] = []
    world.webhook.server.clear()

    def slow(request: Any) -> Any:
        arrived.append(request.headers.get("webhook-id"))
        time.sleep(1.5)  # SIGTERM arrives while this delivery is in flight
        return world.webhook.handle(request)

    world.webhook.server.expect_request("/hooks/incidents").respond_with_handler(slow)
    run = _cli(repo.path, world.env, "--follow")
    deadline = time.monotonic() + 60
    while not arrived and time.monotonic() < deadline:
        time.sleep(0.05)
    assert arrived, run.communicate()
    run.send_signal(signal.SIGTERM)
    out, err = run.communicate(timeout=30)
    assert run.returncode == 0, out + err
    assert out.splitlines()[-1] == "stopped: every delivery made is recorded"
    # The pass under way finished: one message per metric (acknowledge, first update,
    # resolve: every threshold of each crossed long ago), each recorded as sent.
    assert sorted(r.body["keys"][-1] for r in world.webhook.received) == [
        "INC-2026-0001/acknowledge/1/100",
        "INC-2026-0001/first_update/1/100",
        "INC-2026-0001/resolve/1/100",
    ]
    entries = [
        json.loads(line)
        for line in repo.git("show", "refs/incidentctl/notify-ledger:ledger.jsonl").splitlines()
    ]
    last: dict[tuple[str, str], str] = {}
    for entry in entries:
        last[(entry["channel"], entry["key"])] = entry["state"]
    assert last and set(last.values()) == {"sent"}
    # A new run has nothing left to send.
    again = _cli(repo.path, world.env)
    out, _ = again.communicate(timeout=60)
    assert out == "nothing to send\n"


def test_a_run_staying_up_stops_when_a_newer_push_supersedes_it(
    world: World, tmp_path: Path
) -> None:
    from test_notify import clone

    seed = open_sev1(world, tmp_path / "seed")
    remote = tmp_path / "remote.git"
    seed.git("clone", "-q", "--bare", str(seed.path), str(remote))
    ci = clone(seed, remote, tmp_path / "ci")
    env = {**world.env, "INCIDENTCTL_NOTIFY_POLL": "0.5"}
    run = _cli(ci.path, env, "--range", f"{seed.shas[0]}..{seed.head()}", "--remote", "origin",
               "--for", "10m")  # fmt: skip
    deadline = time.monotonic() + 60
    while len(world.webhook.received) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert run.poll() is None, run.communicate()  # still up, waiting for thresholds
    seed.apply(Commit("2026-03-02T10:20:00Z", files={INC: incident_yaml(
        "INC-2026-0001", severity="SEV1", status="acknowledged", customer="acme",
        services=["payments"])}))  # fmt: skip
    seed.git("push", "-q", str(remote), "main")
    out, err = run.communicate(timeout=60)
    assert run.returncode == 0, out + err
    assert "superseded by a newer push: its run takes over" in out
    assert out.splitlines()[-1] == "stopped: every delivery made is recorded"
