"""PagerDuty Events API v2: the incident is mirrored as one alert, ``dedup_key`` = its id.

Opening (and a severity change, and a reopening) triggers; acknowledged, mitigated and
waiting acknowledge; resolved, closed and cancelled resolve.
"""

from __future__ import annotations

import json

import requests

from incidentctl.notify.channels.base import Delivery, DeliveryError, with_retries
from incidentctl.notify.channels.http import post_json
from incidentctl.notify.events import PAGE_ACTIONS

DEFAULT_URL = "https://events.pagerduty.com/v2"
_SEVERITY = {"SEV1": "critical", "SEV2": "error", "SEV3": "warning"}


class PagerDutySender:
    def __init__(self, name: str, base_url: str, routing_key: str | None, scale: float) -> None:
        self.name = name
        self._url = base_url.rstrip("/") + "/enqueue"
        self._routing_key = routing_key
        self._scale = scale
        self._session = requests.Session()

    def body(self, delivery: Delivery) -> dict[str, object]:
        message = delivery.message
        event, state = message.event, message.event.state
        action = "trigger" if event.type != "status-changed" else PAGE_ACTIONS[state.status]
        key = delivery.routing_key or self._routing_key
        if not key:
            raise DeliveryError(
                f"pagerduty {self.name}: no routing key: give the incident's service a "
                "pagerduty.routing_key_env in the catalogue, or the channel a routing_key_env"
            )
        body: dict[str, object] = {
            "routing_key": key,
            "event_action": action,
            "dedup_key": state.id,
        }
        if action == "trigger":
            body["payload"] = {
                "summary": message.title[:1024],
                "source": ", ".join(state.services)[:255] or state.id,
                "severity": _SEVERITY.get(state.severity, "info"),
                "timestamp": event.at.isoformat(),
                "component": state.services[0] if state.services else state.id,
                "custom_details": {**message.facts, "text": message.text},
            }
            body["client"] = "incidentctl"
            if message.links:
                body["links"] = [{"href": h, "text": t} for t, h in message.links.items()]
        return body

    def send(self, delivery: Delivery) -> str:
        body = self.body(delivery)
        raw = json.dumps(body, sort_keys=True).encode()
        status, answer = with_retries(
            lambda: post_json(self._session, f"pagerduty {self.name}", self._url, raw, {}),
            scale=self._scale,
        )
        note = answer.get("message") if isinstance(answer, dict) else None
        return f"{body['event_action']} ({note or f'HTTP {status}'})"
