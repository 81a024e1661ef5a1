"""``notify-config``: notification routes go to channels that exist and can carry them.

Every channel a route sends to is defined in the same policy; PagerDuty carries only
``opened``, ``severity-changed`` and ``status-changed`` (it mirrors the incident); a
customer-audience email channel carries only ``customer-update``, so an internal event
never reaches a customer. When the run checks secrets (``validate --secrets``, and
``notify`` before it sends anything), every environment variable a channel or the SMTP
server names must be set.

Passing: ``routes: [{events: [opened], severities: [SEV1], to: [oncall]}]`` with
``channels: {oncall: {pagerduty: {routing_key_env: PAGERDUTY_ROUTING_KEY}}}``.

Failing: ``to: [on-call]`` with only ``oncall`` defined ("did you mean 'oncall'?");
``events: [sla-warning]`` to a customer email channel; ``SLACK_WEBHOOK_URL`` unset.
"""

from __future__ import annotations

from collections.abc import Iterator

from incidentctl.model import NotificationPolicy, Service
from incidentctl.model.notify import CUSTOMER_EVENTS, PAGERDUTY_EVENTS, Channel
from incidentctl.problems import Problem
from incidentctl.rules.base import Context, Rule
from incidentctl.rules.catalogue_ref import suggestion


def secret_names(policy: NotificationPolicy) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """(location, environment variable) of every secret the policy needs."""
    if policy.smtp is not None and any(c.email for c in policy.channels.values()):
        for key in ("username_env", "password_env"):
            value = getattr(policy.smtp, key)
            if value:
                yield ("smtp", key), value
    for name, channel in policy.channels.items():
        spec = getattr(channel, channel.type)
        for key in ("webhook_url_env", "token_env", "routing_key_env", "url_env", "secret_env"):
            value = getattr(spec, key, None)
            if value:
                yield ("channels", name, channel.type, key), value


def _allowed(channel: Channel) -> frozenset[str] | None:
    if channel.pagerduty is not None:
        return PAGERDUTY_EVENTS
    if channel.email is not None and channel.email.audience == "customer":
        return CUSTOMER_EVENTS
    return None


def check(context: Context, rule: Rule) -> Iterator[Problem]:
    for doc, policy in context.workspace.target_models(NotificationPolicy):
        for index, route in enumerate(policy.routes):
            for number, name in enumerate(route.to):
                channel = policy.channels.get(name)
                if channel is None:
                    hint = suggestion(name, policy.channels)
                    yield doc.problem(
                        rule.id,
                        f"channel {name!r} is not defined in this policy{hint}"
                        + ("" if hint else f": use one of {', '.join(sorted(policy.channels))}"),
                        ("routes", index, "to", number),
                    )
                    continue
                allowed = _allowed(channel)
                wrong = [e for e in route.events if allowed is not None and e not in allowed]
                if wrong:
                    yield doc.problem(
                        rule.id,
                        f"channel {name!r} ({channel.type}"
                        + (", customer audience" if channel.email else "")
                        + f") cannot carry {', '.join(wrong)}: it takes "
                        f"{', '.join(sorted(allowed or ()))}; route those events elsewhere",
                        ("routes", index, "to", number),
                    )
        if context.environ is None:
            continue
        for loc, variable in secret_names(policy):
            if not context.environ.get(variable):
                yield doc.problem(
                    rule.id,
                    f"secret {variable} is not set in the environment: set it (in CI, as a "
                    "secret of the deployment environment) or remove what needs it",
                    loc,
                )
    if context.environ is None or not any(
        c.pagerduty for p in context.workspace.notification_policies for c in p.channels.values()
    ):
        return
    for doc, service in context.workspace.target_models(Service):
        routed = service.pagerduty.routing_key_env if service.pagerduty else None
        if routed and not context.environ.get(routed):
            yield doc.problem(
                rule.id,
                f"secret {routed} (this service's PagerDuty routing key) is not set in the "
                "environment: set it, or remove pagerduty from the service",
                ("pagerduty", "routing_key_env"),
            )


RULE = Rule("notify-config", "error", "notification routes reach usable channels", check)
