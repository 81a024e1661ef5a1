"""What every channel shares: the sender protocol, its errors, and retries.

A 429 or a 5xx, and a connection that fails, are retried: five attempts, at once, then
after 2, 4 and 8 seconds (scaled by ``INCIDENTCTL_NOTIFY_PACE``, which the tests set
small), a ``Retry-After`` honoured as given. A ``Retry-After`` over 120 seconds stops
the delivery at once (it is retried by the next run) rather than holding the others.
Error messages never contain a URL or a secret: webhook URLs are secrets.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, TypeVar

from incidentctl.notify.messages import Message

ATTEMPTS = 5
MAX_RETRY_AFTER = 120.0
TIMEOUT = 10.0
T = TypeVar("T")


class DeliveryError(Exception):
    """A delivery failed. ``retryable``: worth another attempt in this run; ``dead``: the
    channel cannot be reached at all (connection refused, DNS), so the run stops trying it."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool = False,
        retry_after: float | None = None,
        dead: bool = False,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after
        self.dead = dead


class Skipped(Exception):
    """Nothing to send, for good (a customer without contacts): recorded, never retried."""


@dataclass(frozen=True)
class Delivery:
    message: Message
    now: datetime
    recipients: tuple[str, ...] = ()  # email: the addresses to write to
    routing_key: str | None = None  # PagerDuty: the service's key, when it has one
    # An earlier run tried this delivery (it died, or failed without knowing whether the
    # receiver took it): a channel that can read back what it sent looks first.
    resend: bool = False


class Sender(Protocol):
    def send(self, delivery: Delivery) -> str:
        """Deliver; return a short note for the report (never a secret). Raise
        ``DeliveryError`` or ``Skipped``."""
        ...


def pace(environ: Mapping[str, str] = os.environ) -> float:
    try:
        return max(0.0, float(environ.get("INCIDENTCTL_NOTIFY_PACE", "1")))
    except ValueError:
        return 1.0


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header. The HTTP-date form would need the clock;
    it is treated as absent (the backoff applies)."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        return None


def with_retries(
    attempt: Callable[[], T], *, scale: float, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Run ``attempt`` until it succeeds or fails for good (see the module's doc)."""
    for number in range(ATTEMPTS):
        try:
            return attempt()
        except DeliveryError as error:
            last = number == ATTEMPTS - 1
            if not error.retryable or last:
                raise
            wait = error.retry_after
            if wait is not None and wait > MAX_RETRY_AFTER:
                raise DeliveryError(
                    f"{error} (asked to retry after {wait:.0f}s: left for the next run)"
                ) from None
            if wait is None:
                wait = 0.0 if number == 0 else 2.0**number * scale
            sleep(wait)
    raise AssertionError("unreachable")


def http_failure(what: str, status: int, headers: Mapping[str, str]) -> DeliveryError:
    retryable = status == 429 or status >= 500
    return DeliveryError(
        f"{what} answered HTTP {status}",
        retryable=retryable,
        retry_after=retry_after(headers.get("Retry-After") or headers.get("retry-after")),
    )
