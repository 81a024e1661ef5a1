"""Times as people type them: ISO 8601, local wall-clock times, ``-2h``, ``yesterday 17:00``.

Only the command line reads the clock; these functions take ``now`` and the zone that
local times are in. Full ISO 8601 and our own ``-2h``/``+30m`` shorthand are parsed
here; everything else (``2 hours ago``, ``yesterday 17:00``, ``last monday``) goes to
dateparser, a maintained parser of human dates, rather than a parser of our own.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from pydantic_core import PydanticCustomError

from incidentctl.model.types import Duration

_SHORTHAND = re.compile(r"^([+-])\s*(\d[\dwdhms]*)$")
_AGO = re.compile(r"^(\d[\dwdhms]*)\s+ago$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EXAMPLES = "2026-11-22T10:05:00Z, 2026-11-22 11:05 (local), -2h, '2 hours ago' or 'yesterday 17:00'"


def _duration(text: str) -> timedelta | None:
    try:
        return Duration.parse(text).delta
    except PydanticCustomError:
        return None


def parse_time(text: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The instant ``text`` names, in UTC; ``ValueError`` saying what is accepted.

    A time without an offset is wall-clock time in ``zone``.
    """
    value = text.strip()
    if not value:
        raise ValueError(f"an empty time: write {EXAMPLES}")
    if value.lower() == "now":
        return now.astimezone(UTC)
    match = _SHORTHAND.match(value)
    sign, amount = (
        match.groups() if match else ("-", m.group(1) if (m := _AGO.match(value)) else "")
    )
    delta = _duration(amount) if amount else None
    if delta is not None:
        return (now + delta if sign == "+" else now - delta).astimezone(UTC)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        parsed = _natural(value, now, zone)
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        parsed = parsed.replace(tzinfo=zone)
    return parsed.astimezone(UTC)


def parse_day(text: str, *, now: datetime, zone: ZoneInfo) -> date:
    """The calendar day ``text`` names: ``2026-11-01`` as written, else the day (in
    ``zone``) of the instant it names (``yesterday``, ``30 days ago``, ``last monday``)."""
    value = text.strip()
    if _DATE.match(value):
        return date.fromisoformat(value)
    return parse_time(value, now=now, zone=zone).astimezone(zone).date()


def _natural(text: str, now: datetime, zone: ZoneInfo) -> datetime:
    import dateparser  # imported only when needed: it takes a moment to load

    settings = {
        "RELATIVE_BASE": now.astimezone(zone).replace(tzinfo=None),
        "TIMEZONE": zone.key,
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DATES_FROM": "past",
    }
    parsed = dateparser.parse(text[:100], languages=["en"], settings=settings)
    if not isinstance(parsed, datetime):
        raise ValueError(f"{text!r} is not a time: write {EXAMPLES}")
    return parsed


def shown(value: datetime, zone: tzinfo | None = None, today: datetime | None = None) -> str:
    """The one way an instant is shown to a person: ``2026-12-01 05:56 CET``, in ``zone``
    (UTC by default), to the second when it has seconds; the date is left out when it is
    the day of ``today`` (the "as of" the text states once)."""
    zone = zone or UTC
    local = value.astimezone(zone)
    clock = local.strftime("%H:%M:%S" if local.second else "%H:%M")
    name = local.tzname() or "UTC"
    name = "UTC" if name in ("UTC", "Z", "+00:00") else name
    same_day = today is not None and today.astimezone(zone).date() == local.date()
    return f"{clock} {name}" if same_day else f"{local:%Y-%m-%d} {clock} {name}"
