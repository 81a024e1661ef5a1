"""Times as people type them, shown one way; colour as no-color.org asks."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from incidentctl.cli.main import wants_colour
from incidentctl.when import parse_day, parse_time, shown

if TYPE_CHECKING:
    from conftest import RunCli

NOW = datetime(2026, 12, 5, 16, 30, tzinfo=UTC)  # Saturday
BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("text", "zone", "expected"),
    [
        ("2026-11-22T10:05:00Z", UTC_ZONE, "2026-11-22T10:05:00+00:00"),
        ("2026-11-22T12:05:00+02:00", BERLIN, "2026-11-22T10:05:00+00:00"),
        ("2026-11-22 11:05", BERLIN, "2026-11-22T10:05:00+00:00"),  # local, winter time
        ("2026-07-22 11:05", BERLIN, "2026-07-22T09:05:00+00:00"),  # local, summer time
        ("-2h", UTC_ZONE, "2026-12-05T14:30:00+00:00"),
        ("+30m", UTC_ZONE, "2026-12-05T17:00:00+00:00"),
        ("1d2h ago", UTC_ZONE, "2026-12-04T14:30:00+00:00"),
        ("now", BERLIN, "2026-12-05T16:30:00+00:00"),
        ("2 hours ago", UTC_ZONE, "2026-12-05T14:30:00+00:00"),
        ("yesterday 17:00", BERLIN, "2026-12-04T16:00:00+00:00"),
        ("yesterday 17:00", UTC_ZONE, "2026-12-04T17:00:00+00:00"),
    ],
)
def test_times_as_people_type_them(text: str, zone: ZoneInfo, expected: str) -> None:
    assert parse_time(text, now=NOW, zone=zone).isoformat() == expected


@pytest.mark.parametrize("text", ["", "tomorrowish", "2026-13-45", "-2x"])
def test_what_is_not_a_time_says_what_is(text: str) -> None:
    with pytest.raises(ValueError, match="2 hours ago"):
        parse_time(text, now=NOW, zone=UTC_ZONE)


def test_days() -> None:
    assert parse_day("2026-11-01", now=NOW, zone=BERLIN) == date(2026, 11, 1)
    assert parse_day("yesterday", now=NOW, zone=UTC_ZONE) == date(2026, 12, 4)
    assert parse_day("30 days ago", now=NOW, zone=UTC_ZONE) == date(2026, 11, 5)


def test_one_format_in_the_display_zone() -> None:
    at = datetime(2026, 12, 1, 4, 56, 13, tzinfo=UTC)
    assert shown(at) == "2026-12-01 04:56:13 UTC"
    assert shown(at.replace(second=0), BERLIN) == "2026-12-01 05:56 CET"
    assert shown(at, UTC, today=at.replace(hour=20)) == "04:56:13 UTC"


def test_an_empty_no_color_is_ignored() -> None:
    assert wants_colour({}, True)
    assert wants_colour({"NO_COLOR": ""}, True)
    assert not wants_colour({"NO_COLOR": "1"}, True)
    assert not wants_colour({}, False)


def test_report_takes_days_and_says_date(tmp_path: Path, run_cli: RunCli) -> None:
    helped = run_cli(["report", "--help"])
    assert "--since DATE" in helped.stdout and "%Y" not in helped.stdout
    bad = run_cli(["-C", tmp_path, "report", "--since", "someday maybe"])
    assert bad.exit_code == 2 and "is not a time" in bad.stderr
    tz = run_cli(["--tz", "Mars/Olympus", "sla"])
    assert tz.exit_code == 2 and "not an IANA time zone" in tz.stderr
