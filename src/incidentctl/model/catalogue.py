"""The catalogue: Service and Customer documents that incidents and policies name."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, WithJsonSchema

from incidentctl.model.base import Document, Strict
from incidentctl.model.policy import Name
from incidentctl.model.types import Handle, OneLine, Tier

Url = Annotated[str, StringConstraints(pattern=r"^https?://\S+$")]
ENV_NAME_RE = re.compile(r"^[A-Z_][A-Z0-9_]*$")
# The name of an environment variable that holds a secret: the secret itself never
# appears in a document.
EnvName = Annotated[
    str,
    StringConstraints(pattern=ENV_NAME_RE.pattern),
    WithJsonSchema(
        {"type": "string", "pattern": ENV_NAME_RE.pattern, "examples": ["PAGERDUTY_ROUTING_KEY"]}
    ),
]
Email = Annotated[str, StringConstraints(pattern=r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")]


class MonitorLink(Strict):
    url: Url
    title: OneLine | None = None


class PagerDutyRoute(Strict):
    """Where a page for this service goes: the environment variable holding the
    integration's routing key (Events API v2)."""

    routing_key_env: EnvName


class Service(Document):
    """One service of the catalogue: who owns it, how critical it is, where to page."""

    kind: Literal["Service"]
    name: Name
    description: str = ""
    public_name: OneLine | None = None
    owner: Handle
    tier: Tier = 3
    escalation: list[Handle] = Field(default=[])
    pagerduty: PagerDutyRoute | None = None
    runbook: Url | None = None
    monitors: list[MonitorLink] = Field(default=[])


class Contact(Strict):
    name: OneLine | None = None
    email: Email


class Customer(Document):
    """A customer: its contract (the SLA policy sold to it), its contacts for customer
    updates, and whether its incidents are shown on the public status page."""

    kind: Literal["Customer"]
    name: Name
    display_name: OneLine | None = None
    contract: Name | None = None
    contacts: list[Contact] = Field(default=[])
    status_page: Literal["public", "private"] = "private"
