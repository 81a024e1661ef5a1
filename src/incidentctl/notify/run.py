"""One notification run: plan the deliveries of some events, claim them in the ledger,
send them (one thread per channel, so a slow or dead channel holds nobody else), and
record each outcome as soon as it is known.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from incidentctl.github.watch import Links
from incidentctl.load.repository import Workspace
from incidentctl.model.notify import Channel, NotificationPolicy
from incidentctl.notify.channels.base import Delivery, DeliveryError, Sender, Skipped, pace
from incidentctl.notify.events import Event
from incidentctl.notify.ledger import Ledger, Pair
from incidentctl.notify.messages import compose
from incidentctl.notify.routing import Target, targets_for
from incidentctl.sla.engine import Board


@dataclass(frozen=True)
class Planned:
    target: Target
    event: Event

    @property
    def pairs(self) -> tuple[Pair, ...]:
        return tuple((self.target.id, key) for key in self.event.keys)


@dataclass(frozen=True)
class Outcome:
    channel: str
    event: str
    status: str  # sent, failed, skipped, resent (an abandoned claim, sent again)
    note: str = ""

    def render(self) -> str:
        return f"{self.status}: {self.event} to {self.channel}" + (
            f": {self.note}" if self.note else ""
        )


def plan(events: list[Event], workspace: Workspace) -> list[Planned]:
    policies = workspace.notification_policies
    services = workspace.services
    return [Planned(t, e) for e in events for t in targets_for(e, policies, services)]


SenderFactory = Callable[[Target], Sender]


def make_sender(target: Target, policy: NotificationPolicy, environ: Mapping[str, str]) -> Sender:
    """The sender of a channel, with its secrets from the environment (checked before)."""
    from incidentctl.notify.channels.email import EmailSender
    from incidentctl.notify.channels.pagerduty import DEFAULT_URL, PagerDutySender
    from incidentctl.notify.channels.slack import SlackBotSender, SlackWebhookSender
    from incidentctl.notify.channels.webhook import WebhookSender

    channel: Channel = target.channel
    scale = pace(environ)
    if channel.slack is not None:
        slack = channel.slack
        if slack.webhook_url_env:
            return SlackWebhookSender(target.id, environ[slack.webhook_url_env], scale)
        assert slack.token_env is not None and slack.channel is not None
        return SlackBotSender(
            target.id,
            environ[slack.token_env],
            slack.channel,
            scale,
            environ.get("INCIDENTCTL_SLACK_API_URL"),
        )
    if channel.email is not None:
        smtp = policy.smtp
        assert smtp is not None
        user = environ.get(smtp.username_env) if smtp.username_env else None
        password = environ.get(smtp.password_env) if smtp.password_env else None
        return EmailSender(
            target.id, smtp, user, password, channel.email.audience == "customer", scale
        )
    if channel.pagerduty is not None:
        env = channel.pagerduty.routing_key_env
        url = environ.get("INCIDENTCTL_PAGERDUTY_URL") or DEFAULT_URL
        return PagerDutySender(target.id, url, environ.get(env) if env else None, scale)
    assert channel.webhook is not None
    hook = channel.webhook
    return WebhookSender(target.id, environ[hook.url_env], environ[hook.secret_env], scale)


def _recipients(planned: Planned, workspace: Workspace) -> tuple[str, ...]:
    email = planned.target.channel.email
    if email is None:
        return ()
    if email.audience == "internal":
        return tuple(email.to)
    customer = workspace.customers.get(planned.event.state.customer or "")
    return tuple(c.email for c in customer.contacts) if customer else ()


def _routing_key(planned: Planned, workspace: Workspace, environ: Mapping[str, str]) -> str | None:
    services = workspace.services
    for name in planned.event.state.services:
        service = services.get(name)
        if service is not None and service.pagerduty is not None:
            value = environ.get(service.pagerduty.routing_key_env)
            if value:
                return value
    return None


@dataclass
class Runner:
    workspace: Workspace
    ledger: Ledger
    run_id: str
    environ: Mapping[str, str]
    links: Links
    senders: dict[str, Sender] | None = None

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        if self.senders is None:
            self.senders = {}

    def sender(self, target: Target) -> Sender:
        assert self.senders is not None
        with self._lock:
            found = self.senders.get(target.id)
            if found is None:
                policy = next(
                    p for p in self.workspace.notification_policies if p.name == target.policy
                )
                found = self.senders[target.id] = make_sender(target, policy, self.environ)
            return found

    def deliver(self, planned: list[Planned], board: Board | None, now: datetime) -> list[Outcome]:
        """Claim, send and record; outcomes in the order of ``planned``."""
        if not planned:
            return []
        with self._lock:
            claimed, stale, tried = self.ledger.claim(
                [p for item in planned for p in item.pairs], self.run_id, now
            )
        work: dict[str, list[tuple[int, Planned, tuple[Pair, ...]]]] = defaultdict(list)
        for index, item in enumerate(planned):
            mine = tuple(p for p in item.pairs if p in claimed)
            if mine:
                work[item.target.id].append((index, item, mine))
        results: dict[int, Outcome] = {}

        def channel_worker(items: list[tuple[int, Planned, tuple[Pair, ...]]]) -> None:
            dead: str | None = None
            for index, item, pairs in items:
                outcome = self._one(item, pairs, stale, tried, board, now, dead)
                if outcome.status == "failed" and outcome.note.endswith("cannot be reached"):
                    dead = outcome.note
                results[index] = outcome

        with ThreadPoolExecutor(max_workers=max(1, min(8, len(work)))) as pool:
            for future in [pool.submit(channel_worker, items) for items in work.values()]:
                future.result()
        return [results[i] for i in sorted(results)]

    def _one(
        self,
        item: Planned,
        pairs: tuple[Pair, ...],
        stale: set[Pair],
        tried: set[Pair],
        board: Board | None,
        now: datetime,
        dead: str | None,
    ) -> Outcome:
        target, event = item.target, item.event
        name = event.key if len(event.keys) == 1 else f"{event.key} ({event.type})"
        if dead is not None:
            self._record(pairs, "released", now)
            return Outcome(target.id, name, "failed", dead)
        result = (
            next((r for r in board.incidents if r.id == event.incident), None) if board else None
        )
        services = self.workspace.services
        escalation = tuple(
            h for name in event.state.services if name in services
            for h in services[name].escalation
        )  # fmt: skip
        message = compose(target.id, event, result, self.links, escalation)
        delivery = Delivery(
            message,
            now,
            _recipients(item, self.workspace),
            _routing_key(item, self.workspace, self.environ),
            any(p in tried for p in pairs),
        )
        try:
            note = self.sender(target).send(delivery)
        except Skipped as skipped:
            self._record(pairs, "skipped", now)
            return Outcome(target.id, name, "skipped", str(skipped))
        except DeliveryError as error:
            self._record(pairs, "released", now)
            return Outcome(target.id, name, "failed", str(error))
        self._record(pairs, "sent", now)
        status = "resent" if any(p in stale for p in pairs) else "sent"
        return Outcome(target.id, name, status, note)

    def _record(self, pairs: tuple[Pair, ...], state: str, now: datetime) -> None:
        with self._lock:
            self.ledger.record([(p, state) for p in pairs], self.run_id, now)
