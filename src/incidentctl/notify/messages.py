"""What a notification says: one ``Message`` per event, rendered by each channel.

Everything in a message comes from the incident documents, the history and the SLA
board; nothing comes from the environment, so a secret can never be in one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from incidentctl.github.watch import Links, fraction_used, percent
from incidentctl.model.types import format_span, iso
from incidentctl.notify.events import Event
from incidentctl.sla.engine import IncidentResult


@dataclass(frozen=True)
class Message:
    """A notification, ready for any channel.

    ``identity`` is the same for the same event and channel in every run: channels use
    it as the webhook id, the email Message-ID and the like, so that a resend after a
    crash can be recognised by the receiver.
    """

    event: Event
    identity: str
    title: str
    text: str
    facts: dict[str, str] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)
    mentions: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        """The JSON body of a webhook: the event, the incident, the links."""
        state = self.event.state
        return {
            "type": f"incident.{self.event.type}",
            "id": self.identity,
            "keys": list(self.event.keys),
            "at": iso(self.event.at),
            "title": self.title,
            "text": self.text,
            "incident": {
                "id": state.id,
                "title": state.title,
                "severity": state.severity,
                "status": state.status,
                "environment": state.environment,
                "customer": state.customer,
                "services": list(state.services),
            },
            "commit": self.event.commit,
            "facts": self.facts,
            "links": self.links,
            "mentions": list(self.mentions),
        }


def identity(channel: str, event: Event) -> str:
    return hashlib.sha256(f"{channel}\n{event.key}".encode()).hexdigest()[:32]


def _remaining(result: IncidentResult | None) -> str | None:
    """The SLA metric closest to its due time, e.g. ``acknowledge 3m20s remaining``."""
    if result is None:
        return None
    running = [
        (m.cycles[-1].remaining, m.metric, m.cycles[-1].business)
        for m in result.metrics
        if m.cycles and m.cycles[-1].stopped_at is None and m.cycles[-1].remaining is not None
    ]
    if not running:
        return None
    left, metric, business = min(running, key=lambda r: (r[0], r[1]))
    assert left is not None
    if left <= timedelta(0):
        return f"{metric} breached ({format_span(-left.total_seconds(), business)} over)"
    return f"{metric}: {format_span(left.total_seconds(), business)} remaining"


def compose(
    channel: str,
    event: Event,
    result: IncidentResult | None,
    links: Links,
    escalation: tuple[str, ...] = (),
) -> Message:
    """The message of ``event`` on ``channel``. ``escalation``: the catalogue's escalation
    handles of the incident's services, mentioned when an SLA breaks."""
    state, previous = event.state, event.previous
    headline = {
        "opened": "opened",
        "severity-changed": f"severity {previous.severity if previous else '?'} to "
        f"{state.severity}",
        "status-changed": f"{previous.status if previous else '?'} to {state.status}",
        "customer-update": "customer update",
        "rca-published": "RCA published",
        "defect-ticket": "defect ticket opened",
    }.get(event.type, event.text)
    title = f"{state.id} {headline}: {state.title}"
    lines = [f"{state.id}: {state.title}", f"Severity {state.severity}, status {state.status}"]
    if event.type == "customer-update":
        lines.append(f"Update: {event.text}")
    if event.type == "defect-ticket":
        lines.append(f"Defect: {event.text}")
    mentions: tuple[str, ...] = ()
    crossing = event.crossing
    if crossing is not None:
        cycle, top = crossing.cycle, crossing.crossed[-1]
        target = format_span(cycle.target.total_seconds(), cycle.business) if cycle.target else "?"
        if top.breach:
            lines.append(
                f"SLA breached: {crossing.metric} ({target} target) since "
                f"{iso(cycle.breached_at) or 'unknown'}"
            )
        else:
            used = int((fraction_used(cycle) or 0.0) * 100)
            remaining = format_span(
                (cycle.remaining or timedelta(0)).total_seconds(), cycle.business
            )
            lines.append(
                f"SLA warning: {crossing.metric} at {percent(top.at)}% ({used}% of {target} "
                f"used, {remaining} remaining, due {iso(cycle.due_at) or 'unknown'})"
            )
        if cycle.state == "paused":
            lines.append("The clock is paused for now.")
        mentions = top.notify
        if top.breach:
            handles = (f"@{h.lstrip('@')}" for h in escalation)
            mentions = tuple(dict.fromkeys([*mentions, *handles]))
        if mentions:
            lines.append(f"Escalation: {' '.join(mentions)}")
    facts = {"Severity": state.severity, "Status": state.status}
    if state.customer:
        facts["Customer"] = state.customer
    facts["Services"] = ", ".join(state.services)
    sla = _remaining(result)
    if sla:
        facts["SLA"] = sla
    found: dict[str, str] = {}
    url = links.incident_file(state.id)
    if url:
        found["Incident file"] = url
    if event.commit and links.commit is not None:
        found["Commit"] = f"{links.server_url.rstrip('/')}/{links.repo}/commit/{event.commit}"
    return Message(event, identity(channel, event), title, "\n".join(lines), facts, found, mentions)
