"""Scalar types of the document formats: durations, timestamps, percentages, handles."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

API_VERSION = "incidentctl/v1"

Severity = Literal["SEV1", "SEV2", "SEV3", "SEV4", "NONPROD"]
# A catalogued service's criticality: 1 is the most critical.
Tier = Literal[1, 2, 3, 4]
SEVERITIES: tuple[Severity, ...] = ("SEV1", "SEV2", "SEV3", "SEV4", "NONPROD")

Status = Literal["open", "acknowledged", "mitigated", "waiting", "resolved", "closed", "cancelled"]
STATUSES: tuple[Status, ...] = (
    "open",
    "acknowledged",
    "mitigated",
    "waiting",
    "resolved",
    "closed",
    "cancelled",
)


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` for a message, shortened: a pasted log must not flood the output."""
    if isinstance(value, int) and value.bit_length() > 128:
        # repr() of an integer over 4300 digits raises; nobody reads such a number anyway
        return f"<a number of about {int(value.bit_length() * 0.30103) + 1} digits>"
    text = repr(value)
    return text if len(text) <= limit else f"{text[: limit - 4]}...{text[-1]}"


_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_RE = re.compile(r"^(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")


@dataclass(frozen=True, slots=True)
class Duration:
    """A length of time written like ``90s``, ``15m``, ``2h30m``, ``2d`` or ``6w``.

    ``uses_days`` records whether the text used ``d`` or ``w``: a "day" of business
    hours is ambiguous, so such durations are only allowed on the 24x7 calendar.
    """

    seconds: int
    text: str

    @property
    def uses_days(self) -> bool:
        return "d" in self.text or "w" in self.text

    @property
    def delta(self) -> timedelta:
        return timedelta(seconds=self.seconds)

    def __str__(self) -> str:
        return self.text

    @classmethod
    def parse(cls, value: object) -> Duration:
        if isinstance(value, Duration):
            return value
        if isinstance(value, bool) or not isinstance(value, str):
            raise PydanticCustomError(
                "duration",
                "expected a duration such as 90s, 15m, 4h or 2h30m, got {value}",
                {"value": shown(value)},
            )
        text = value.strip()
        match = _DURATION_RE.match(text)
        if not text or match is None or not any(match.groups()):
            raise PydanticCustomError(
                "duration",
                "{value} is not a duration: write it like 90s, 15m, 4h, 2h30m or 2d",
                {"value": shown(value)},
            )
        seconds = sum(
            int(amount) * _UNIT_SECONDS[unit]
            for amount, unit in zip(match.groups(), "wdhms", strict=True)
            if amount
        )
        if seconds <= 0:
            raise PydanticCustomError(
                "duration", "{value} is not a positive duration", {"value": shown(value)}
            )
        return cls(seconds, text)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            cls.parse, serialization=core_schema.to_string_ser_schema(when_used="json")
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "pattern": r"^(\d+w)?(\d+d)?(\d+h)?(\d+m)?(\d+s)?$",
            "examples": ["90s", "15m", "4h", "2h30m"],
        }


def format_duration(seconds: float) -> str:
    """Humanise a number of seconds the way durations are written: ``2h30m``, ``-2m``."""
    sign = "-" if seconds < 0 else ""
    rest = int(abs(seconds))
    if rest == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, rest = divmod(rest, size)
        if amount:
            parts.append(f"{amount}{unit}")
    return sign + "".join(parts)


def format_hours(seconds: float) -> str:
    """A duration of business time: in hours, never days (``27h``, ``2h30m``), since a
    "day" of business time could be 8 hours or 24."""
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(int(abs(seconds)), 3600)
    minutes, rest = divmod(rest, 60)
    parts = [f"{n}{unit}" for n, unit in ((hours, "h"), (minutes, "m"), (rest, "s")) if n]
    return sign + ("".join(parts) or "0s")


def format_span(seconds: float, business: bool = False, label: bool = True) -> str:
    """A duration as shown to people: wall-clock time as :func:`format_duration`,
    business time in hours and (with ``label``) said to be so: ``27h business``."""
    if not business:
        return format_duration(seconds)
    return format_hours(seconds) + (" business" if label else "")


FIRST_YEAR, LAST_YEAR = 1970, 2199
"""The years a time in a document (or ``--at``/``--now``) may fall in. Far enough either
way for any incident; outside it is a typo (``0026`` for ``2026``), and near the ends of
Python's calendar (year 1, year 9999) an offset or a calendar's day overflows."""


def year_problem(value: date) -> str | None:
    """Why a date or time is out of range, or None."""
    if FIRST_YEAR <= value.year <= LAST_YEAR:
        return None
    return (
        f"the year {value.year:04d} is outside {FIRST_YEAR}-{LAST_YEAR}: check the year "
        "(a typo such as 0026 for 2026?)"
    )


def _refuse_controls(value: str, allowed: str, what: str) -> str:
    for char in value:
        if char not in allowed and (unicodedata.category(char) == "Cc" or char in "\u2028\u2029"):
            raise PydanticCustomError(
                "control_character",
                "{value} holds the control character U+{code}: {what}; remove it",
                {"value": shown(value), "code": f"{ord(char):04X}", "what": what},
            )
    return value


def _one_line(value: str) -> str:
    """Refuse control characters (a line break among them) in a field shown on one line:
    a title with an escape sequence in it would drive the terminal that prints it."""
    return _refuse_controls(value, "", "this field is one line of printable text")


def _paragraphs(value: str) -> str:
    """Refuse control characters but line feed and tab in a summary."""
    return _refuse_controls(value, "\n\t", "a summary is printable text in lines")


Line = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_one_line)
]
"""Text on one line: a title, a name, a label; no control characters."""


def _ticket_title(value: str) -> str:
    """A defect's or an action's title: the ``tracker-fields`` rule judges its line breaks
    (GitHub takes them, Jira does not); other control characters are refused."""
    return _refuse_controls(value, "\n", "a title is printable text")


TicketTitle = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_ticket_title)
]
"""The title of a tracker ticket to be: printable text; its line breaks are a rule's."""

OneLine = Annotated[str, AfterValidator(_one_line)]
"""An optional caption (a display name, a link's title): one line, may be empty."""

Paragraphs = Annotated[str, AfterValidator(_paragraphs)]
"""An optional summary: lines of printable text, may be empty."""

Summary = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_paragraphs)
]
"""A summary: lines of printable text, no other control characters."""


def _parse_timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError(
                "timestamp",
                "{value} is not an ISO 8601 timestamp such as 2026-11-22T10:05:00Z",
                {"value": shown(value)},
            ) from None
    else:
        raise PydanticCustomError(
            "timestamp",
            "expected an ISO 8601 timestamp such as 2026-11-22T10:05:00Z, got {value}",
            {"value": shown(value)},
        )
    if isinstance(value, str) and len(value.strip()) == 10:
        raise PydanticCustomError(
            "timestamp",
            "{value} is a date, not a timestamp: add the time and offset, "
            "e.g. {value_text}T10:00:00Z",
            {"value": shown(value), "value_text": value.strip()},
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise PydanticCustomError(
            "naive_timestamp",
            "{value} has no UTC offset: add Z or an offset such as +02:00",
            {"value": shown(str(value))},
        )
    why = year_problem(parsed) or year_problem(parsed.astimezone(UTC))
    if why is not None:
        raise PydanticCustomError(
            "timestamp_range", "{value}: {why}", {"value": shown(str(value)), "why": why}
        )
    return parsed


class _TimestampMarker:
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _parse_timestamp,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: v.isoformat().replace("+00:00", "Z"), when_used="json"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {
            "type": "string",
            "format": "date-time",
            "pattern": r"(Z|[+-]\d{2}:\d{2})$",
            "description": "ISO 8601 with an explicit offset (Z or +02:00)",
        }


Timestamp = Annotated[datetime, _TimestampMarker]
"""An aware timestamp; a timestamp without an offset is a validation error."""


def to_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def _parse_date(value: object) -> object:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError(
                "date", "{value} is not a date such as 2026-12-24", {"value": shown(value)}
            ) from None
    if isinstance(value, date):
        why = year_problem(value)
        if why is not None:
            raise PydanticCustomError(
                "date_range", "{value}: {why}", {"value": shown(str(value)), "why": why}
            )
    return value


Date = Annotated[date, BeforeValidator(_parse_date)]


def _parse_percent(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "percent",
            "{value} is not a percentage: write it with a percent sign, e.g. {value}%",
            {"value": shown(value)},
        )
    if isinstance(value, str) and value.strip().endswith("%"):
        number = value.strip()[:-1].strip()
        try:
            fraction = float(number) / 100
        except ValueError:
            fraction = math.nan
        if 0 < fraction <= 10:
            return fraction
        if not math.isnan(fraction):
            raise PydanticCustomError(
                "percent",
                "{value} is out of range: write a percentage above 0% and at most 1000%",
                {"value": shown(value)},
            )
    raise PydanticCustomError(
        "percent", "{value} is not a percentage: write it like 75%", {"value": shown(value)}
    )


class _PercentMarker:
    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _parse_percent,
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda v: f"{round(v * 100, 4):g}%", when_used="json"
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "pattern": r"^\d+(\.\d+)?%$", "examples": ["75%"]}


Percent = Annotated[float, _PercentMarker]
"""A percentage written ``75%``, held as the fraction 0.75."""

_HANDLE = r"^@?[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$"


def _check_handle(value: object) -> object:
    if isinstance(value, str) and re.match(_HANDLE, value):
        return value
    raise PydanticCustomError(
        "handle",
        "{value} is not a handle: write a user like @alice or a team like @org/leads",
        {"value": shown(value)},
    )


Handle = Annotated[
    str,
    BeforeValidator(_check_handle),
    WithJsonSchema({"type": "string", "pattern": _HANDLE, "examples": ["@alice", "@org/leads"]}),
]


def iso(value: datetime | None) -> str | None:
    """An instant as ISO 8601 in UTC with a ``Z``, as every output of the tool writes it."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
