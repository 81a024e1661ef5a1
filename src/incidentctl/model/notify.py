"""The NotificationPolicy document: which events go to which channels."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from incidentctl.model.base import Document, Strict
from incidentctl.model.catalogue import Email, EnvName
from incidentctl.model.policy import Name
from incidentctl.model.types import Handle, Severity, Tier

EVENTS: tuple[str, ...] = (
    "opened",
    "severity-changed",
    "status-changed",
    "customer-update",
    "rca-published",
    "defect-ticket",
    "sla-warning",
    "sla-breach",
)
Event = Literal[
    "opened",
    "severity-changed",
    "status-changed",
    "customer-update",
    "rca-published",
    "defect-ticket",
    "sla-warning",
    "sla-breach",
]
# PagerDuty mirrors the incident: it is triggered, acknowledged and resolved, nothing else.
PAGERDUTY_EVENTS = frozenset({"opened", "severity-changed", "status-changed"})
# What a customer may be sent: the updates written for customers, never internal events.
CUSTOMER_EVENTS = frozenset({"customer-update"})


class SlackChannel(Strict):
    """An incoming webhook (``webhook_url_env``), or a bot token and a channel."""

    webhook_url_env: EnvName | None = None
    token_env: EnvName | None = None
    channel: str | None = None

    @model_validator(mode="after")
    def _one_way(self) -> SlackChannel:
        if (self.webhook_url_env is None) == (self.token_env is None):
            raise ValueError(
                "a slack channel needs exactly one of webhook_url_env (an incoming webhook) "
                "or token_env with channel (a bot token)"
            )
        if self.token_env is not None and not self.channel:
            raise ValueError("a slack bot token needs the channel to post in, e.g. '#incidents'")
        return self


class Smtp(Strict):
    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    username_env: EnvName | None = None
    password_env: EnvName | None = None
    sender: Email = Field(alias="from")

    @model_validator(mode="after")
    def _both_or_neither(self) -> Smtp:
        if (self.username_env is None) != (self.password_env is None):
            raise ValueError("SMTP authentication needs both username_env and password_env")
        return self


class EmailChannel(Strict):
    """Mail to fixed addresses (``to``), or to the contacts of the incident's customer
    (``audience: customer``)."""

    audience: Literal["internal", "customer"] = "internal"
    to: list[Email] = Field(default=[])

    @model_validator(mode="after")
    def _recipients(self) -> EmailChannel:
        if self.audience == "internal" and not self.to:
            raise ValueError("an internal email channel needs to: the addresses to write to")
        if self.audience == "customer" and self.to:
            raise ValueError(
                "a customer email channel writes to the contacts of the incident's customer: "
                "remove to"
            )
        return self


class PagerDutyChannel(Strict):
    """Events API v2. The routing key of the incident's first service with one in the
    catalogue is used, else the one in ``routing_key_env``."""

    routing_key_env: EnvName | None = None


class WebhookChannel(Strict):
    """A JSON POST signed as Standard Webhooks specify."""

    url_env: EnvName
    secret_env: EnvName


class Channel(Strict):
    slack: SlackChannel | None = None
    email: EmailChannel | None = None
    pagerduty: PagerDutyChannel | None = None
    webhook: WebhookChannel | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Channel:
        given = [k for k in ("slack", "email", "pagerduty", "webhook") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "a channel is exactly one of slack, email, pagerduty or webhook"
                + (f" (this one has {', '.join(given)})" if given else "")
            )
        return self

    @property
    def type(self) -> str:
        return next(k for k in ("slack", "email", "pagerduty", "webhook") if getattr(self, k))


class Route(Strict):
    """Events that match every selector given go to every channel in ``to``."""

    events: Annotated[list[Event], Field(min_length=1)]
    severities: list[Severity] | None = None
    environments: list[Literal["production", "non-production"]] | None = None
    services: list[str] | None = None
    teams: list[Handle] | None = None
    tiers: list[Tier] | None = None
    customers: list[str] | None = None
    to: Annotated[list[Name], Field(min_length=1)]


class NotificationPolicy(Document):
    kind: Literal["NotificationPolicy"]
    name: Name
    description: str = ""
    smtp: Smtp | None = None
    channels: dict[Name, Channel]
    routes: Annotated[list[Route], Field(min_length=1)]

    @model_validator(mode="after")
    def _smtp_for_email(self) -> NotificationPolicy:
        if self.smtp is None and any(c.email for c in self.channels.values()):
            raise ValueError("email channels need smtp: the server to send through")
        return self
