"""A generic webhook, signed as the Standard Webhooks specification says.

Headers ``webhook-id`` (the message's identity: the same on a resend, so a receiver
deduplicates), ``webhook-timestamp`` (seconds) and ``webhook-signature``
(``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` keyed by the secret, which is
base64, optionally prefixed ``whsec_``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json

import requests

from incidentctl.notify.channels.base import Delivery, DeliveryError, with_retries
from incidentctl.notify.channels.http import post_json


def signing_key(secret: str) -> bytes:
    try:
        return base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        raise DeliveryError(
            "the webhook secret is not base64 (Standard Webhooks secrets look like "
            "whsec_ followed by base64): generate one with `openssl rand -base64 32`"
        ) from None


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


class WebhookSender:
    def __init__(self, name: str, url: str, secret: str, scale: float) -> None:
        self.name = name
        self._url = url
        self._key = signing_key(secret)
        self._scale = scale
        self._session = requests.Session()

    def send(self, delivery: Delivery) -> str:
        message = delivery.message
        body = json.dumps(message.payload(), sort_keys=True, ensure_ascii=False).encode()
        message_id = f"msg_{message.identity}"
        timestamp = int(delivery.now.timestamp())
        headers = {
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(self._key, message_id, timestamp, body),
        }
        status, _ = with_retries(
            lambda: post_json(self._session, f"webhook {self.name}", self._url, body, headers),
            scale=self._scale,
        )
        return f"HTTP {status}"
