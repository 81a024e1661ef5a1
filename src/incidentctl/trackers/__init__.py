"""Issue trackers behind one small protocol, one module per provider.

A tracker finds an issue by a hidden marker among the issues carrying a label
(never by full-text search, whose index lags and which is not authoritative),
creates one, comments on it, reads its comments and closes or reopens it. That is
all the GitHub glue (``github watch``) and ``defects sync`` need: idempotency comes
from markers written into what is created, so a rerun or a crash between two calls
never creates a duplicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol
from urllib.parse import urlsplit


def http_url_problem(url: str) -> str | None:
    """Why ``url`` (from the environment) is not an http(s) URL with a host, or None.

    ``urlsplit`` raises on an unclosed IPv6 bracket, and ``port`` on a port that is not
    a number below 65536: both are the user's typo, not the tool's failure.
    """
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError as error:
        return str(error)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "no http:// or https:// and host"
    return None


@dataclass(frozen=True, slots=True)
class TrackedIssue:
    """An issue as a tracker holds it; ``ref`` names it for humans (``github:o/r#12``)."""

    number: int
    ref: str
    url: str
    state: str  # "open" or "closed"
    title: str
    body: str
    labels: tuple[str, ...] = ()
    author: str | None = None  # the login that opened it


@dataclass(frozen=True, slots=True)
class TicketState:
    """What a tracker says of a ticket, for the way back into the files.

    ``done``: closed as done (GitHub: closed as completed; Jira: in a done status with a
    resolution that is not a refusal); ``closed`` without ``done``: closed as not to be
    done. ``release``: the milestone (GitHub) or fix versions (Jira) it was fixed in.
    """

    ref: str
    closed: bool
    done: bool
    release: str | None = None
    due: date | None = None


@dataclass(frozen=True, slots=True)
class Comment:
    """A comment on an issue or pull request; ``author`` is the login that wrote it."""

    id: int
    author: str | None
    body: str
    url: str


class Tracker(Protocol):
    def find(self, marker: str, label: str) -> TrackedIssue | None:
        """The oldest issue labelled ``label`` whose body holds ``marker``, open or closed."""

    def create(self, title: str, body: str, labels: Sequence[str]) -> TrackedIssue:
        """A new issue, with its labels set (or an error saying why they could not be)."""

    def comment(self, number: int, body: str) -> Comment:
        """Post a new comment on the issue ``number``."""

    def comments(self, number: int) -> list[Comment]:
        """Every comment on the issue ``number``, oldest first."""

    def set_state(self, number: int, state: str) -> TrackedIssue:
        """Close (``closed``) or reopen (``open``) the issue ``number``."""
