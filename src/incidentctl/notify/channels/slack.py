"""Slack through slack-sdk: an incoming webhook, or a bot token and ``chat.postMessage``.

The message is Block Kit: a header (id and title), the facts (severity, status, SLA
remaining, customer, services) as fields, the text, and buttons to the incident file and
the commit. The plain ``text`` is the fallback notifications show.

With a bot token a message is sent exactly once. Each message carries its identity in
Slack's message metadata (``event_type`` ``incidentctl_delivery``, ``event_payload``
``{"id": …}``). Whenever it may already be in the channel (the claim was abandoned by a
run that died, or an attempt failed in a way that does not say whether Slack posted it),
the channel's recent history is read first (``conversations.history`` with all
metadata) and a message with that identity is taken as the delivery. This needs the
scopes ``chat:write`` and ``channels:history`` (``groups:history`` in a private channel),
and ``channels:read`` (``groups:read``) when the channel is given by name, not id.

An incoming webhook can post and nothing else: nothing can be read back, so a run that
dies between Slack's answer and the ledger's record, or an answer lost on the way back,
can repeat one message. Prefer a bot token.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar
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
EVENT_TYPE = "incidentctl_delivery"
_PAGE = 200  # messages read per history page
_PAGES = 5  # how far back a recheck looks: the newest 1000 messages
_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{6,}$")


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
        # Retried by ``with_retries`` alone, as the bot is.
        self._client = WebhookClient(url, timeout=int(TIMEOUT), retry_handlers=[])
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


T = TypeVar("T")


class SlackBotSender:
    def __init__(
        self, name: str, token: str, channel: str, scale: float, base_url: str | None = None
    ) -> None:
        self.name = name
        # No retries inside the client: a post is retried only after the recheck below.
        self._client = WebClient(
            token=token,
            timeout=int(TIMEOUT),
            base_url=base_url or WebClient.BASE_URL,
            retry_handlers=[],
        )
        self._channel = channel
        self._channel_id: str | None = channel if _CHANNEL_ID.match(channel) else None
        self._scale = scale

    def _call(self, what: str, call: Callable[[], T]) -> T:
        """One Web API call, its failures as ``DeliveryError``."""
        try:
            return call()
        except SlackApiError as error:
            status = error.response.status_code
            if status == 429 or status >= 500:
                raise http_failure(f"slack {self.name}", status, error.response.headers) from None
            code = error.response.get("error", f"HTTP {status}")
            raise DeliveryError(f"slack {self.name}: {what}: {code}") from None
        except (URLError, OSError):
            raise DeliveryError(
                f"slack {self.name} cannot be reached", retryable=True, dead=True
            ) from None

    def _post(self, message: Message) -> str:
        answer = self._call(
            "chat.postMessage",
            lambda: self._client.chat_postMessage(
                channel=self._channel,
                text=message.text,
                blocks=blocks(message),
                metadata={"event_type": EVENT_TYPE, "event_payload": {"id": message.identity}},
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        if self._channel_id is None and isinstance(answer.get("channel"), str):
            self._channel_id = answer["channel"]
        return str(answer.get("ts", "posted"))

    def _resolve(self) -> str:
        """The channel's id: as configured, learnt from a post, or looked up by name."""
        if self._channel_id is not None:
            return self._channel_id
        wanted = self._channel.lstrip("#")
        cursor: str | None = None
        while True:
            page = self._call(
                "conversations.list",
                partial(
                    self._client.conversations_list,
                    types="public_channel,private_channel",
                    exclude_archived=True,
                    limit=1000,
                    cursor=cursor,
                ),
            )
            for found in page.get("channels") or []:
                if isinstance(found, dict) and found.get("name") == wanted:
                    self._channel_id = str(found["id"])
                    return self._channel_id
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if cursor is None:
                raise DeliveryError(
                    f"slack {self.name}: the bot sees no channel {self._channel!r} to check "
                    "for an earlier post: invite it, or give the channel's id"
                )

    def _posted(self, identity: str) -> str | None:
        """The ts of the message carrying ``identity`` among the channel's newest, or None."""
        channel = self._resolve()
        cursor: str | None = None
        for _ in range(_PAGES):
            page = self._call(
                "conversations.history",
                partial(
                    self._client.conversations_history,
                    channel=channel,
                    include_all_metadata=True,
                    limit=_PAGE,
                    cursor=cursor,
                ),
            )
            for message in page.get("messages") or []:
                meta = message.get("metadata") if isinstance(message, dict) else None
                if (
                    isinstance(meta, dict)
                    and meta.get("event_type") == EVENT_TYPE
                    and isinstance(meta.get("event_payload"), dict)
                    and meta["event_payload"].get("id") == identity
                ):
                    return str(message.get("ts", "?"))
            cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
            if not page.get("has_more") or cursor is None:
                break
        return None

    def send(self, delivery: Delivery) -> str:
        message = delivery.message
        unsure = [delivery.resend]  # may the message be in the channel already?

        def attempt() -> str:
            if unsure[0]:
                found = self._posted(message.identity)
                if found is not None:
                    return f"already posted, ts {found}"
            unsure[0] = True  # a failed post may have been posted all the same
            return "ts " + self._post(message)

        return with_retries(attempt, scale=self._scale)
