"""What happened to an incident, and how it was found, in sentences a person would write.

These are the lines of every timeline (``rca new``'s draft, ``rca render``, the site) and
the RCA draft's detection; each reads well whichever of its fields are missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from incidentctl.history.model import IncidentState
from incidentctl.model.types import format_duration, iso

RANK = {"SEV1": 1, "SEV2": 2, "SEV3": 3, "SEV4": 4, "NONPROD": 5}

# Who found it: the subject of the detection sentence.
FOUND_BY = {
    "monitoring": "Raised by monitoring",
    "synthetic": "Raised by a synthetic check",
    "internal": "Noticed by our own staff",
    "customer": "Reported by the customer",
    "third-party": "Reported by a third party",
}
# How it reached us; nothing where the channel adds nothing.
THROUGH = {
    "hotline": "on the hotline",
    "portal": "through the support portal",
    "email": "by email",
    "chat": "in chat",
    "monitoring": "through an alert",
    "other": "",
}
ALERTING = frozenset({"monitoring", "synthetic"})


def _names(items: Sequence[str]) -> str:
    if len(items) < 2:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def changes(old: IncidentState | None, new: IncidentState) -> Iterable[str]:
    """One sentence per tracked field a commit changed (the first version: how it opened)."""
    if old is None:
        yield f"Opened as {new.severity}" + ("" if new.status == "open" else f", {new.status}")
        for name, value in new.milestones:
            yield f"Declared {name.removesuffix('_at')} at {iso(value.astimezone(UTC))}"
        if new.customer_updates:
            count = len(new.customer_updates)
            yield f"{_plural(count, 'customer update', 'customer updates')} recorded"
        return
    if old.status != new.status:
        yield f"Status changed from {old.status} to {new.status}"
    if old.severity != new.severity:
        higher = RANK.get(new.severity, 9) < RANK.get(old.severity, 9)
        yield f"Severity {'raised' if higher else 'lowered'} from {old.severity} to {new.severity}"
    yield from _moved("Customer", old.customer, new.customer)
    if old.environment != new.environment:
        yield f"Environment changed from {old.environment} to {new.environment}"
    added = [s for s in new.services if s not in old.services]
    removed = [s for s in old.services if s not in new.services]
    if added:
        yield f"{'Service' if len(added) == 1 else 'Services'} {_names(added)} added"
    if removed:
        yield f"{'Service' if len(removed) == 1 else 'Services'} {_names(removed)} removed"
    yield from _moved("Commander", old.commander, new.commander)
    known = set(old.customer_updates)
    for update in new.customer_updates:
        if update not in known:
            yield f"Customer update: {update.text}"
    for key in new.defect_keys:
        if key not in old.defect_keys:
            yield f"Defect {key} recorded"


def _moved(what: str, old: str | None, new: str | None) -> Iterable[str]:
    if old == new:
        return
    if old is None:
        yield f"{what} set to {new}"
    elif new is None:
        yield f"{what} {old} removed"
    else:
        yield f"{what} changed from {old} to {new}"


def detection(
    source: str,
    channel: str,
    customer: str | None,
    reported_at: datetime | None,
    impact_started_at: datetime | None,
) -> str:
    """``Reported by the customer (acme) on the hotline at …, 20m after the impact began.``"""
    subject = FOUND_BY.get(source, f"Reported by {source}")
    if source == "customer" and customer:
        subject += f" ({customer})"
    through = THROUGH.get(channel, f"through {channel}")
    if source in ALERTING and channel == "monitoring":
        through = ""  # "raised by monitoring through an alert" says it twice
    text = subject + (f" {through}" if through else "")
    if reported_at is not None:
        text += f" at {iso(reported_at.astimezone(UTC))}"
        if impact_started_at is not None and impact_started_at < reported_at:
            late = format_duration((reported_at - impact_started_at).total_seconds())
            text += f", {late} after the impact began"
        elif impact_started_at is not None and impact_started_at == reported_at:
            text += ", as the impact began"
    return text + "."
