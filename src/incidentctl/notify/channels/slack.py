"""Slack through slack-sdk: an incoming webhook, or a bot token and ``chat.postMessage``.

The message is Block Kit: a header (id and title), the facts (severity, status, SLA
remaining, customer, services) as fields, the text, and buttons to the incident file and
the commit. The plain ``text`` is the fallback notifications show.
"""

from __future__ import annotations

from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from incidentctl.notify.channels.base import (
    TIMEOUT,
    Delivery,
    DeliveryError,
    http_failure,
    with_retries,
)
from incidentctl.notify.messages import Message

_MAX_TEXT = 2900  # a section's text is at most 3000 characters


def _plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": text[:limit], "emoji": False}


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters, so that file text cannot mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def blocks(message: Message) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = [
        {"type": "header", "text": _plain(message.title, 150)},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{_escape(k)}*\n{_escape(v)}"[:2000]}
                for k, v in list(message.facts.items())[:10]
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": _escape(message.text)[:_MAX_TEXT]}},
    ]
    if message.mentions:
        found.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": "Escalation: " + " ".join(_escape(m) for m in message.mentions),
                    }
                ],
            }
        )
    if message.links:
        found.append(
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "text": _plain(title, 75), "url": url[:3000]}
                    for title, url in message.links.items()
                ],
            }
        )
    return found


class SlackWebhookSender:
    def __init__(self, name: str, url: str, scale: float) -> None:
        self.name = name
        self._client = WebhookClient(url, timeout=int(TIMEOUT))
        self._scale = scale

    def _once(self, message: Message) -> int:
        try:
            answer = self._client.send(text=message.text, blocks=blocks(message))
        except (URLError, OSError):
            raise DeliveryError(
                f"slack {self.name} cannot be reached", retryable=True, dead=True
            ) from None
        if answer.status_code != 200:
            raise http_failure(f"slack {self.name}", answer.status_code, answer.headers or {})
        return answer.status_code

    def send(self, delivery: Delivery) -> str:
        status = with_retries(lambda: self._once(delivery.message), scale=self._scale)
        return f"HTTP {status}"


class SlackBotSender:
    def __init__(
        self, name: str, token: str, channel: str, scale: float, base_url: str | None = None
    ) -> None:
        self.name = name
        self._client = WebClient(
            token=token, timeout=int(TIMEOUT), base_url=base_url or WebClient.BASE_URL
        )
        self._channel = channel
        self._scale = scale

    def _once(self, message: Message) -> str:
        try:
            answer = self._client.chat_postMessage(
                channel=self._channel,
                text=message.text,
                blocks=blocks(message),
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            status = error.response.status_code
            if status == 429 or status >= 500:
                raise http_failure(f"slack {self.name}", status, error.response.headers) from None
            raise DeliveryError(
                f"slack {self.name}: {error.response.get('error', f'HTTP {status}')}"
            ) from None
        except (URLError, OSError):
            raise DeliveryError(
                f"slack {self.name} cannot be reached", retryable=True, dead=True
            ) from None
        return str(answer.get("ts", "posted"))

    def send(self, delivery: Delivery) -> str:
        return "ts " + with_retries(lambda: self._once(delivery.message), scale=self._scale)
