"""Business-time arithmetic: SPEC §4 vectors 12 and 13, DST, holidays, unions, properties."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentctl.model import Calendar
from incidentctl.sla.calendar import (
    SCAN_LIMIT_DAYS,
    AlwaysOpen,
    BusinessCalendar,
    CalendarError,
    UnionCalendar,
    UnknownCalendarError,
    build_calendar,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
US = timedelta(microseconds=1)


def doc(name: str, **fields: Any) -> Calendar:
    return Calendar.model_validate(
        {"apiVersion": "incidentctl/v1", "kind": "Calendar", "name": name, **fields}
    )


def docs(*calendars: Calendar) -> dict[str, Calendar]:
    return {c.name: c for c in calendars}


def weekly(
    timezone: str, hours: Mapping[str, list[str]], holidays: list[Any] | None = None
) -> BusinessCalendar:
    return build_calendar(
        "c", docs(doc("c", timezone=timezone, hours=hours, holidays=holidays or []))
    )


def local(
    zone: tzinfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return local(UTC, year, month, day, hour, minute)


def spans(cal: BusinessCalendar, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    return list(cal.intervals(start, end))


# Calendars shared by the examples and the properties. Built once, so the properties also
# exercise the per-day cache filled in whatever order hypothesis asks.

BERLIN_HOLIDAYS = [
    date(2025, 12, 25),
    date(2026, 4, 3),
    date(2026, 4, 6),
    date(2026, 12, 25),
    date(2027, 3, 26),
]
BERLIN_HOURS = doc(
    "berlin-business",
    timezone="Europe/Berlin",
    hours={"mon-fri": ["09:00-17:00"]},
    holidays=[
        *(d.isoformat() for d in BERLIN_HOLIDAYS[:2]),
        {"date": "2026-04-06", "name": "Easter Monday"},
        *(d.isoformat() for d in BERLIN_HOLIDAYS[3:]),
    ],
)
# Night support; Saturday's window spans both DST nights (02:00-03:00 on the Sunday).
OVERNIGHT_HOLIDAYS = [date(2026, 1, 15), date(2026, 3, 29), date(2026, 12, 24)]
OVERNIGHT = doc(
    "night-support",
    timezone="Europe/Berlin",
    hours={"sun-thu": ["22:00-06:00"], "sat": ["20:00-04:00"]},
    holidays=[d.isoformat() for d in OVERNIGHT_HOLIDAYS],
)
APAC = doc(
    "apac", timezone="Australia/Sydney", hours={"mon-fri": ["09:00-17:00"]}, holidays=["2026-01-26"]
)
EMEA = doc(
    "emea",
    timezone="Europe/London",
    hours={"mon-fri": ["09:00-17:00"]},
    holidays=["2025-12-25", "2026-12-25"],
)
AMER = doc(
    "amer", timezone="America/New_York", hours={"mon-fri": ["09:00-17:00"]}, holidays=["2026-07-03"]
)
FOLLOW_THE_SUN = doc("follow-the-sun", union=["apac", "emea", "amer"])
WEEKEND = doc("weekend", timezone="Europe/London", hours={"sat,sun": ["00:00-24:00"]})
GLOBAL = doc("global", union=["follow-the-sun", "weekend"])
EMPTY = doc("empty", timezone="Europe/Berlin", hours={"mon-fri": []})
ALL = docs(BERLIN_HOURS, OVERNIGHT, APAC, EMEA, AMER, FOLLOW_THE_SUN, WEEKEND, GLOBAL, EMPTY)

BERLIN_CAL = build_calendar("berlin-business", ALL)
OVERNIGHT_CAL = build_calendar("night-support", ALL)
SUN_CAL = build_calendar("follow-the-sun", ALL)
FIXED = [BERLIN_CAL, OVERNIGHT_CAL, SUN_CAL]


# SPEC §4 test vectors


def test_vector_12_business_hours_over_a_weekend_with_a_dst_switch() -> None:
    opened = local(BERLIN, 2026, 3, 27, 16, 30)  # Friday, CET
    as_of = local(BERLIN, 2026, 3, 30, 10, 30)  # Monday, CEST
    assert (opened, as_of) == (utc(2026, 3, 27, 15, 30), utc(2026, 3, 30, 8, 30))
    assert BERLIN_CAL.elapsed(opened, as_of) == 2 * H
    assert spans(BERLIN_CAL, opened, as_of) == [
        (utc(2026, 3, 27, 15, 30), utc(2026, 3, 27, 16)),
        (utc(2026, 3, 30, 7), utc(2026, 3, 30, 8, 30)),  # 09:00 CEST is 07:00Z
    ]


def test_vector_13_24x7_counts_real_time_across_the_dst_jump() -> None:
    always = build_calendar("24x7", {})
    opened = local(BERLIN, 2026, 3, 29, 0, 30)
    due = always.add(opened, 4 * H)
    assert due == utc(2026, 3, 29, 3, 30)
    assert due.tzinfo is UTC
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 29, 5, 30)
    assert always.elapsed(opened, due) == 4 * H
    # A whole-day calendar in Berlin agrees: its 29 March has only 23 hours.
    whole_days = weekly("Europe/Berlin", {"daily": ["00:00-24:00"]})
    assert whole_days.add(opened, 4 * H) == due


# DST: repeated hours take their first occurrence, skipped ones the transition instant


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        ("Europe/Berlin", date(2026, 3, 29), 23),
        ("Europe/Berlin", date(2026, 10, 25), 25),
        ("Europe/Berlin", date(2026, 10, 26), 24),
        ("America/New_York", date(2026, 3, 8), 23),
        ("America/New_York", date(2026, 11, 1), 25),
    ],
)
def test_a_whole_local_day_has_23_or_25_hours_on_dst_days(zone: str, day: date, hours: int) -> None:
    cal = weekly(zone, {"daily": ["00:00-24:00"]})
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(), tz)
    end = datetime.combine(day + timedelta(days=1), time(), tz)
    assert cal.elapsed(start, end) == hours * H
    # Touching windows of consecutive days merge into one interval.
    assert spans(cal, start - H, end + H) == [(start - H, end + H)]


@pytest.mark.parametrize(
    ("zone", "day", "window", "expected"),
    [
        # Berlin falls back at 01:00Z on 25 October 2026: 02:00-03:00 local happens twice.
        (
            "Europe/Berlin",
            date(2026, 10, 25),
            "01:00-03:00",
            (utc(2026, 10, 24, 23), utc(2026, 10, 25, 2)),
        ),
        (
            "Europe/Berlin",
            date(2026, 10, 25),
            "02:15-02:45",
            (utc(2026, 10, 25, 0, 15), utc(2026, 10, 25, 0, 45)),
        ),
        (
            "Europe/Berlin",
            date(2026, 10, 25),
            "00:00-02:30",
            (utc(2026, 10, 24, 22), utc(2026, 10, 25, 0, 30)),
        ),
        # Berlin springs forward at 01:00Z on 29 March 2026: 02:00-03:00 local never happens.
        (
            "Europe/Berlin",
            date(2026, 3, 29),
            "02:30-04:00",
            (utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),
        ),
        (
            "Europe/Berlin",
            date(2026, 3, 29),
            "00:00-02:30",
            (utc(2026, 3, 28, 23), utc(2026, 3, 29, 1)),
        ),
        # New York falls back at 06:00Z on 1 November 2026 (01:00-02:00 local twice) ...
        (
            "America/New_York",
            date(2026, 11, 1),
            "01:00-03:00",
            (utc(2026, 11, 1, 5), utc(2026, 11, 1, 8)),
        ),
        (
            "America/New_York",
            date(2026, 11, 1),
            "01:30-02:00",
            (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 7)),
        ),
        # ... and springs forward at 07:00Z on 8 March 2026.
        (
            "America/New_York",
            date(2026, 3, 8),
            "02:30-04:00",
            (utc(2026, 3, 8, 7), utc(2026, 3, 8, 8)),
        ),
    ],
)
def test_window_boundaries_on_dst_days(
    zone: str, day: date, window: str, expected: tuple[datetime, datetime]
) -> None:
    cal = weekly(zone, {"sun": [window]})
    assert day.weekday() == 6
    around = (
        utc(day.year, day.month, day.day) - timedelta(days=1),
        utc(day.year, day.month, day.day) + timedelta(days=1),
    )
    assert spans(cal, *around) == [expected]
    assert cal.elapsed(*around) == expected[1] - expected[0]


def test_the_second_occurrence_of_a_repeated_hour_is_outside_a_first_occurrence_window() -> None:
    cal = weekly("Europe/Berlin", {"sun": ["02:15-02:45"]})
    assert cal.is_open(utc(2026, 10, 25, 0, 30))  # 02:30 CEST
    assert not cal.is_open(utc(2026, 10, 25, 1, 30))  # 02:30 CET


def test_a_window_inside_a_skipped_hour_is_empty_that_day() -> None:
    cal = weekly("Europe/Berlin", {"sun": ["02:00-02:30"]})
    assert cal.elapsed(utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(0)
    assert cal.elapsed(utc(2026, 4, 4), utc(2026, 4, 6)) == timedelta(minutes=30)
    assert cal.add(utc(2026, 3, 28), timedelta(minutes=10)) == utc(2026, 4, 5, 0, 10)


@pytest.mark.parametrize(
    ("zone", "year"),
    [
        ("Europe/Berlin", 2025),
        ("America/New_York", 2025),
        ("America/Santiago", 2025),  # changes at midnight: some days start at 01:00
        ("Australia/Lord_Howe", 2025),  # a 30-minute DST shift
        ("Africa/Casablanca", 2025),  # a negative DST around Ramadan
        ("Pacific/Apia", 2011),  # 30 December 2011 never happened there
    ],
)
def test_whole_days_tile_real_time_in_any_zone(zone: str, year: int) -> None:
    cal = weekly(zone, {"daily": ["00:00-12:00", "12:00-00:00"]})
    start, end = utc(year, 1, 1), utc(year + 3, 1, 1)
    assert spans(cal, start, end) == [(start, end)]


def test_a_skipped_local_date_has_no_business_hours() -> None:
    apia = ZoneInfo("Pacific/Apia")
    cal = weekly("Pacific/Apia", {"daily": ["09:00-17:00"]})
    thursday, saturday = local(apia, 2011, 12, 29), local(apia, 2011, 12, 31)
    assert saturday.astimezone(UTC) - thursday.astimezone(UTC) == timedelta(days=1)  # no Friday
    assert cal.elapsed(thursday, saturday) == 8 * H
    assert cal.add(local(apia, 2011, 12, 29, 16), 2 * H) == local(apia, 2011, 12, 31, 10)


def test_business_hours_over_a_new_york_dst_weekend() -> None:
    cal = weekly("America/New_York", {"mon-fri": ["09:00-17:00"]})
    opened = local(NEW_YORK, 2026, 3, 6, 16)  # Friday, EST = 21:00Z
    as_of = local(NEW_YORK, 2026, 3, 9, 10)  # Monday, EDT = 14:00Z
    assert cal.elapsed(opened, as_of) == 2 * H
    assert cal.add(opened, 2 * H) == utc(2026, 3, 9, 14)


def test_overnight_window_across_both_dst_nights() -> None:
    cal = weekly("Europe/Berlin", {"sat": ["22:00-06:00"]})
    assert spans(cal, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        (utc(2026, 3, 28, 21), utc(2026, 3, 29, 4))  # 7 hours
    ]
    assert spans(cal, utc(2026, 10, 24), utc(2026, 10, 26)) == [
        (utc(2026, 10, 24, 20), utc(2026, 10, 25, 5))  # 9 hours
    ]


# Holidays, overnight windows, overlapping windows


def test_holidays_are_whole_local_days_off() -> None:
    thursday = local(BERLIN, 2026, 4, 2, 16)  # Good Friday and Easter Monday follow
    tuesday = local(BERLIN, 2026, 4, 7, 10)
    assert BERLIN_CAL.elapsed(thursday, tuesday) == 2 * H
    assert BERLIN_CAL.add(thursday, 2 * H) == tuesday
    assert not BERLIN_CAL.is_open(local(BERLIN, 2026, 4, 3, 10))
    assert not BERLIN_CAL.is_open(local(BERLIN, 2026, 4, 6, 10))
    assert BERLIN_CAL.is_open(local(BERLIN, 2026, 4, 7, 9))
    without = weekly("Europe/Berlin", {"mon-fri": ["09:00-17:00"]})
    assert without.elapsed(thursday, tuesday) == 18 * H


def test_overnight_windows_belong_to_the_day_they_start() -> None:
    week = (local(BERLIN, 2026, 1, 5), local(BERLIN, 2026, 1, 12))  # Monday to Monday
    # Sunday night's tail (6h), Mon-Thu nights (32h), the next Sunday's start (2h),
    # Saturday's 20:00-04:00 (8h).
    assert OVERNIGHT_CAL.elapsed(*week) == 48 * H
    assert spans(OVERNIGHT_CAL, local(BERLIN, 2026, 1, 11, 12), local(BERLIN, 2026, 1, 12, 12)) == [
        (utc(2026, 1, 11, 21), utc(2026, 1, 12, 5))
    ]
    assert OVERNIGHT_CAL.is_open(local(BERLIN, 2026, 1, 9, 5, 59))  # Thursday night
    assert not OVERNIGHT_CAL.is_open(local(BERLIN, 2026, 1, 9, 6))
    assert not OVERNIGHT_CAL.is_open(local(BERLIN, 2026, 1, 9, 23))  # no Friday night
    assert OVERNIGHT_CAL.is_open(local(BERLIN, 2026, 1, 11, 3))  # Saturday night
    assert not OVERNIGHT_CAL.is_open(local(BERLIN, 2026, 1, 11, 5))


def test_an_overnight_window_is_off_on_the_holidays_local_date_only() -> None:
    # Thursday 15 January 2026 is a holiday: Wednesday night stops at midnight, Thursday
    # night resumes at midnight on Friday.
    start, end = local(BERLIN, 2026, 1, 14, 12), local(BERLIN, 2026, 1, 16, 12)
    assert spans(OVERNIGHT_CAL, start, end) == [
        (utc(2026, 1, 14, 21), utc(2026, 1, 14, 23)),
        (utc(2026, 1, 15, 23), utc(2026, 1, 16, 5)),
    ]
    assert OVERNIGHT_CAL.elapsed(start, end) == 8 * H


def test_overlapping_and_touching_windows_merge() -> None:
    cal = weekly(
        "Europe/Berlin",
        {
            "mon-fri": ["09:00-12:00", "11:00-14:00"],
            "mon": ["13:00-15:00"],
            "tue": ["14:00-16:00"],
            "fri": ["18:00-24:00"],
            "sat": ["00:00-06:00"],
        },
    )
    monday, tuesday = date(2026, 1, 12), date(2026, 1, 13)
    day = timedelta(days=1)
    monday_start = datetime.combine(monday, time(), BERLIN)
    assert cal.elapsed(monday_start, monday_start + day) == 6 * H
    assert spans(
        cal,
        datetime.combine(tuesday, time(), BERLIN),
        datetime.combine(tuesday, time(), BERLIN) + day,
    ) == [(utc(2026, 1, 13, 8), utc(2026, 1, 13, 15))]
    assert spans(cal, utc(2026, 1, 16, 12), utc(2026, 1, 17, 12)) == [
        (utc(2026, 1, 16, 12), utc(2026, 1, 16, 13)),
        (utc(2026, 1, 16, 17), utc(2026, 1, 17, 5)),
    ]


# add


def test_add_from_closed_time_starts_at_the_next_opening() -> None:
    friday_evening = local(BERLIN, 2026, 1, 16, 17, 30)
    assert BERLIN_CAL.add(friday_evening, H) == local(BERLIN, 2026, 1, 19, 10)


def test_add_returns_the_close_of_a_window_when_the_duration_ends_there() -> None:
    monday = local(BERLIN, 2026, 1, 19, 16)
    assert BERLIN_CAL.add(monday, H) == utc(2026, 1, 19, 16)  # 17:00 CET, not Tuesday 09:00
    assert BERLIN_CAL.add(monday, H + US) == utc(2026, 1, 20, 8) + US


def test_add_zero_returns_start_in_utc_even_when_closed() -> None:
    saturday = local(BERLIN, 2026, 1, 17, 12)
    result = BERLIN_CAL.add(saturday, timedelta(0))
    assert result == saturday
    assert result.tzinfo is UTC


@pytest.mark.parametrize("cal", [*FIXED, AlwaysOpen()], ids=lambda c: c.name)
@pytest.mark.parametrize("hours", [1, 7, 8, 9, 40, 1000])
def test_add_and_elapsed_agree(cal: BusinessCalendar, hours: int) -> None:
    start = utc(2026, 3, 27, 15, 30)
    due = cal.add(start, hours * H)
    assert due.tzinfo is UTC
    assert cal.elapsed(start, due) == hours * H
    assert cal.elapsed(start, due - US) < hours * H


def test_naive_instants_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        BERLIN_CAL.elapsed(datetime(2026, 1, 1), utc(2026, 1, 2))
    with pytest.raises(ValueError, match="no UTC offset"):
        BERLIN_CAL.intervals(utc(2026, 1, 1), datetime(2026, 1, 2))
    with pytest.raises(ValueError, match="negative"):
        BERLIN_CAL.add(utc(2026, 1, 1), -H)


# Unions


def test_follow_the_sun_in_winter_covers_all_but_the_gap_before_london_opens() -> None:
    # 14 January 2026: Sydney +11 (22:00Z-06:00Z), London +0, New York -5 (14:00Z-22:00Z).
    assert spans(SUN_CAL, utc(2026, 1, 14), utc(2026, 1, 15, 12)) == [
        (utc(2026, 1, 14), utc(2026, 1, 14, 6)),
        (utc(2026, 1, 14, 9), utc(2026, 1, 15, 6)),
        (utc(2026, 1, 15, 9), utc(2026, 1, 15, 12)),
    ]
    assert not SUN_CAL.is_open(utc(2026, 1, 14, 7, 30))
    # Friday after New York closes to Monday morning in Sydney.
    assert SUN_CAL.elapsed(utc(2026, 1, 16, 22), utc(2026, 1, 18, 22)) == timedelta(0)
    assert SUN_CAL.add(utc(2026, 1, 16, 21), 2 * H) == utc(2026, 1, 18, 23)


def test_follow_the_sun_in_summer_has_two_gaps() -> None:
    # 15 July 2026: Sydney +10 (23:00Z-07:00Z), London +1 (08-16Z), New York -4 (13-21Z).
    assert SUN_CAL.elapsed(utc(2026, 7, 15), utc(2026, 7, 16)) == 21 * H
    assert [s for s, _ in spans(SUN_CAL, utc(2026, 7, 15), utc(2026, 7, 16))] == [
        utc(2026, 7, 15),
        utc(2026, 7, 15, 8),
        utc(2026, 7, 15, 23),
    ]


def test_a_members_holiday_closes_only_that_member() -> None:
    # Friday 3 July 2026: New York is off, London and Sydney are not.
    assert SUN_CAL.elapsed(utc(2026, 7, 3, 12), utc(2026, 7, 3, 23)) == 4 * H


def test_nested_union() -> None:
    cal = build_calendar("global", ALL)
    assert isinstance(cal, UnionCalendar)
    # Friday 12:00Z to Monday 12:00Z: closed only Friday 22-24Z (before London's weekend)
    # and Monday 06-09Z.
    assert cal.elapsed(utc(2026, 1, 16, 12), utc(2026, 1, 19, 12)) == 67 * H
    assert spans(cal, utc(2026, 1, 16, 12), utc(2026, 1, 19, 12)) == [
        (utc(2026, 1, 16, 12), utc(2026, 1, 16, 22)),
        (utc(2026, 1, 17), utc(2026, 1, 19, 6)),
        (utc(2026, 1, 19, 9), utc(2026, 1, 19, 12)),
    ]


def test_a_member_named_twice_counts_once() -> None:
    cals = {**ALL, "twice": doc("twice", union=["follow-the-sun", "emea", "emea"])}
    cal = build_calendar("twice", cals)
    assert isinstance(cal, UnionCalendar)
    assert sorted(m.name for m in cal.members) == ["amer", "apac", "emea"]
    window = (utc(2026, 1, 12), utc(2026, 2, 12))
    assert cal.elapsed(*window) == SUN_CAL.elapsed(*window)


def test_a_union_with_24x7_is_always_open() -> None:
    cal = build_calendar("all", {**ALL, "all": doc("all", union=["emea", "24x7"])})
    assert cal.name == "all"
    assert cal.elapsed(utc(2026, 3, 28), utc(2026, 3, 30)) == 48 * H
    assert build_calendar("24x7", ALL).is_open(utc(2026, 1, 17, 3))


def test_the_name_24x7_is_reserved_for_the_built_in() -> None:
    claim = doc("24x7", timezone="Europe/Berlin", hours={"mon": ["09:00-10:00"]})
    cals = {**ALL, "24x7": claim, "both": doc("both", union=["emea", "24x7"])}
    for name in ("24x7", "both"):
        assert build_calendar(name, cals).elapsed(utc(2026, 1, 17), utc(2026, 1, 18)) == 24 * H


# Errors


def test_unknown_calendar() -> None:
    with pytest.raises(UnknownCalendarError, match=r"'nope' is not a calendar: known .*24x7"):
        build_calendar("nope", ALL)
    with pytest.raises(KeyError, match=r"calendar 'pair' joins 'mars', which is not a calendar"):
        build_calendar("pair", {**ALL, "pair": doc("pair", union=["emea", "mars"])})


@pytest.mark.parametrize(
    ("unions", "root", "cycle"),
    [
        ({"a": ["b"], "b": ["a"]}, "a", "a -> b -> a"),
        ({"a": ["a"]}, "a", "a -> a"),
        ({"root": ["emea", "a"], "a": ["b"], "b": ["emea", "a"]}, "root", "a -> b -> a"),
    ],
)
def test_a_union_cycle_is_an_error(unions: dict[str, list[str]], root: str, cycle: str) -> None:
    cals = {**ALL, **{name: doc(name, union=members) for name, members in unions.items()}}
    with pytest.raises(CalendarError, match=f"contains itself: {cycle};") as caught:
        build_calendar(root, cals)
    assert isinstance(caught.value, ValueError)


def test_an_unknown_time_zone_is_an_error() -> None:
    with pytest.raises(ValueError, match="'Mars/Olympus' is not a known IANA time zone"):
        weekly("Mars/Olympus", {"mon-fri": ["09:00-17:00"]})


def test_a_calendar_without_hours_makes_add_fail_instead_of_looping() -> None:
    empty = build_calendar("empty", ALL)
    year = (utc(2026, 1, 1), utc(2027, 1, 1))
    assert empty.elapsed(*year) == timedelta(0)
    assert list(empty.intervals(*year)) == []
    assert not empty.is_open(utc(2026, 1, 14, 10))
    with pytest.raises(ValueError, match=f"no business time in the {SCAN_LIMIT_DAYS} days"):
        empty.add(utc(2026, 1, 1), H)
    both = build_calendar("both", {**ALL, "both": doc("both", union=["empty", "empty"])})
    with pytest.raises(CalendarError):
        both.add(utc(2026, 1, 1), timedelta(seconds=1))


def test_a_calendar_whose_hours_all_fall_on_holidays_makes_add_fail() -> None:
    # Open on Thursdays only, and 60 Thursdays in a row (420 days) are holidays.
    thursdays = [date(2026, 1, 1) + timedelta(weeks=k) for k in range(60)]
    cal = weekly("Europe/Berlin", {"thu": ["09:00-10:00"]}, [d.isoformat() for d in thursdays])
    with pytest.raises(CalendarError, match="no business time"):
        cal.add(utc(2026, 1, 1), H)
    assert cal.add(utc(2026, 1, 1) + timedelta(weeks=59), H) == local(BERLIN, 2027, 2, 25, 10)


# Properties

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
minutes = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
).map(lambda t: t.replace(second=0, microsecond=0))
business_time = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))
calendars = st.sampled_from(FIXED)
fast = settings(max_examples=200, deadline=None)


def _berlin_open(t: datetime) -> bool:
    wall = t.astimezone(BERLIN)
    if wall.date() in BERLIN_HOLIDAYS:
        return False
    return wall.weekday() < 5 and time(9) <= wall.time() < time(17)


def _overnight_open(t: datetime) -> bool:
    wall = t.astimezone(BERLIN)
    if wall.date() in OVERNIGHT_HOLIDAYS:
        return False
    today, yesterday, now = wall.weekday(), (wall.weekday() - 1) % 7, wall.time()
    sun_thu, sat = {6, 0, 1, 2, 3}, 5
    evening = (today in sun_thu and now >= time(22)) or (today == sat and now >= time(20))
    morning = (yesterday in sun_thu and now < time(6)) or (yesterday == sat and now < time(4))
    return evening or morning


def _office_open(zone: str, holidays: set[date]) -> Callable[[datetime], bool]:
    def is_open(t: datetime) -> bool:
        wall = t.astimezone(ZoneInfo(zone))
        return (
            wall.date() not in holidays and wall.weekday() < 5 and time(9) <= wall.time() < time(17)
        )

    return is_open


def _sun_open(t: datetime) -> bool:
    return any(
        _office_open(c.timezone or "", set(c.holiday_dates()))(t) for c in (APAC, EMEA, AMER)
    )


# Independent oracles: read the local wall clock. Valid because no window boundary of these
# calendars falls in a DST transition hour.
ORACLES: list[tuple[BusinessCalendar, Callable[[datetime], bool]]] = [
    (BERLIN_CAL, _berlin_open),
    (OVERNIGHT_CAL, _overnight_open),
    (SUN_CAL, _sun_open),
]
oracles = st.sampled_from(ORACLES)


@fast
@given(oracles, instants)
def test_is_open_matches_the_local_wall_clock(
    pair: tuple[BusinessCalendar, Callable[[datetime], bool]], t: datetime
) -> None:
    cal, oracle = pair
    assert cal.is_open(t) == oracle(t)


@settings(max_examples=60, deadline=None)
@given(oracles, minutes, st.integers(min_value=0, max_value=36 * 60))
def test_elapsed_counts_the_open_minutes_of_the_local_wall_clock(
    pair: tuple[BusinessCalendar, Callable[[datetime], bool]], start: datetime, length: int
) -> None:
    # Every boundary is on a whole minute, so each minute is wholly open or wholly closed.
    cal, oracle = pair
    open_minutes = sum(oracle(start + timedelta(minutes=i)) for i in range(length))
    assert cal.elapsed(start, start + timedelta(minutes=length)) == timedelta(minutes=open_minutes)


@fast
@given(calendars, instants, instants, instants)
def test_elapsed_is_additive_over_a_split(
    cal: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted((a, b, c))
    assert cal.elapsed(a, c) == cal.elapsed(a, b) + cal.elapsed(b, c)


@fast
@given(calendars, instants, instants)
def test_elapsed_is_bounded_by_wall_clock_time(
    cal: BusinessCalendar, a: datetime, b: datetime
) -> None:
    assert timedelta(0) <= cal.elapsed(a, b) <= max(b - a, timedelta(0))
    if b <= a:
        assert cal.elapsed(a, b) == timedelta(0)


@fast
@given(calendars, instants, instants, instants)
def test_elapsed_is_monotone(cal: BusinessCalendar, a: datetime, b: datetime, c: datetime) -> None:
    a, b, c = sorted((a, b, c))
    assert cal.elapsed(a, b) <= cal.elapsed(a, c)
    assert cal.elapsed(b, c) <= cal.elapsed(a, c)


@fast
@given(calendars, instants, business_time)
def test_add_is_the_earliest_instant_with_that_much_business_time(
    cal: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = cal.add(start, duration)
    assert due >= start
    assert cal.elapsed(start, due) == duration
    if duration:
        assert cal.elapsed(start, due - US) < duration
        assert cal.is_open(due - US)
    else:
        assert due == start


@fast
@given(calendars, instants, business_time, business_time)
def test_add_is_increasing_in_the_duration(
    cal: BusinessCalendar, start: datetime, d1: timedelta, d2: timedelta
) -> None:
    d1, d2 = sorted((d1, d2))
    first, second = cal.add(start, d1), cal.add(start, d2)
    assert first <= second
    assert (first == second) == (d1 == d2)


@fast
@given(calendars, instants, instants)
def test_intervals_are_merged_ordered_and_sum_to_elapsed(
    cal: BusinessCalendar, a: datetime, b: datetime
) -> None:
    a, b = sorted((a, b))
    found = list(cal.intervals(a, b))
    assert all(a <= s < e <= b for s, e in found)
    assert all(e1 < s2 for (_, e1), (s2, _) in itertools.pairwise(found))
    assert sum((e - s for s, e in found), timedelta(0)) == cal.elapsed(a, b)
    for s, e in found[:3] + found[3:][-3:]:
        assert cal.is_open(s) and cal.is_open(e - US)
        if e < b:
            assert not cal.is_open(e)
