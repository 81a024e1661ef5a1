"""Which channels an event goes to: the routes of the notification policies. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from incidentctl.model import NotificationPolicy, Service
from incidentctl.model.notify import Channel, Route
from incidentctl.model.policy import services_selected
from incidentctl.notify.events import Event


@dataclass(frozen=True, slots=True)
class Target:
    """A channel of a policy: ``policy/channel`` names it in the ledger and the report."""

    policy: str
    name: str
    channel: Channel

    @property
    def id(self) -> str:
        return f"{self.policy}/{self.name}"


def matches(route: Route, event: Event, services: Mapping[str, Service]) -> bool:
    state = event.state
    if event.type not in route.events:
        return False
    if route.severities is not None and state.severity not in route.severities:
        return False
    if route.environments is not None and state.environment not in route.environments:
        return False
    if route.customers is not None and state.customer not in route.customers:
        return False
    return services_selected(route.services, route.teams, route.tiers, state.services, services)


def targets_for(
    event: Event, policies: list[NotificationPolicy], services: Mapping[str, Service]
) -> list[Target]:
    """Every channel a route sends ``event`` to, once each, in the policies' order."""
    found: dict[str, Target] = {}
    for policy in policies:
        for route in policy.routes:
            if not matches(route, event, services):
                continue
            for name in route.to:
                channel = policy.channels.get(name)
                if channel is not None:
                    target = Target(policy.name, name, channel)
                    found.setdefault(target.id, target)
    return list(found.values())
