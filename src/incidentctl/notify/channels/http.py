"""JSON over HTTPS, for the webhook and PagerDuty channels."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from incidentctl.notify.channels.base import TIMEOUT, DeliveryError, http_failure

MAX_ANSWER = 64 * 1024


def post_json(
    session: requests.Session,
    what: str,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
) -> tuple[int, Any]:
    """POST once; a 2xx gives (status, the decoded JSON answer or None). Failures are
    ``DeliveryError``s that name ``what``, never the URL (it may hold a secret)."""
    try:
        answer = session.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", **headers},
            timeout=TIMEOUT,
            allow_redirects=False,
            stream=True,
        )
    except requests.ConnectionError:
        raise DeliveryError(f"{what} cannot be reached", retryable=True, dead=True) from None
    except requests.Timeout:
        raise DeliveryError(f"{what} did not answer in {TIMEOUT:.0f}s", retryable=True) from None
    except requests.RequestException as error:
        raise DeliveryError(f"{what}: {type(error).__name__}") from None
    with answer:
        raw = answer.raw.read(MAX_ANSWER + 1, decode_content=True)
        if not 200 <= answer.status_code < 300:
            raise http_failure(what, answer.status_code, answer.headers)
    if len(raw) > MAX_ANSWER or not raw.strip():
        return answer.status_code, None
    try:
        return answer.status_code, json.loads(raw)
    except ValueError:
        return answer.status_code, None
