"""Business time on UTC instants: the Calendar documents of SPEC §2 as arithmetic (SPEC §4).

A :class:`BusinessCalendar` answers four questions about aware instants (results in UTC):
how much business time lies in ``[start, end)`` (:meth:`~BusinessCalendar.elapsed`), when a
given amount of it will have passed (:meth:`~BusinessCalendar.add`), whether it is open at
an instant, and which UTC intervals are open (:meth:`~BusinessCalendar.intervals`).
:func:`build_calendar` makes one from the Calendar documents by name.

Semantics, where the spec leaves a choice:

- **Weekly windows are local wall-clock time**, converted to UTC day by day with
  :mod:`zoneinfo`, so DST days have 23 or 25 hours. A boundary in a repeated hour (fall
  back) is its *first* occurrence; a boundary in a skipped hour (spring forward) moves to
  the transition instant, the first instant that exists after the gap. A window lying
  wholly inside a skipped hour is empty that day.
- **A window belongs to the day it starts on.** ``fri: ["22:00-06:00"]`` runs from Friday
  22:00 to Saturday 06:00; ``"00:00-24:00"`` is the whole day. Windows that overlap or
  touch (also across midnight) are merged.
- **A holiday is a whole local date off**: every instant whose local date is the holiday
  is closed, whichever day's window it came from. An overnight window starting the
  evening before a holiday stops at the holiday's midnight; one starting on the evening
  of a holiday opens only at the next midnight (if that day is not a holiday too).
- **A union is open whenever any member is open**; a member's holidays close only that
  member. Unions nest; a member named twice, directly or through nested unions, counts once.
- **"24x7" is built in** and always open; the name is reserved, so the built-in is used
  even if a Calendar document claims the name.
- **No business time**: :meth:`~BusinessCalendar.elapsed` counts 0 and
  :meth:`~BusinessCalendar.intervals` yields nothing, but :meth:`~BusinessCalendar.add`
  could never finish, so it raises :class:`CalendarError` (a ``ValueError``) once it has
  scanned ``SCAN_LIMIT_DAYS`` (400) days without finding any business time.
- **Exact**: arithmetic is on integer microseconds, so ``elapsed(s, add(s, d)) == d``, and
  ``add`` returns the *earliest* such instant: the close of a window when the duration runs
  out exactly there, not the next opening.
"""

from __future__ import annotations

import heapq
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from incidentctl.model.policy import BUILTIN_CALENDAR, Calendar, parse_days, parse_window
from incidentctl.problems import IncidentctlError

SCAN_LIMIT_DAYS = 400

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NAIVE_EPOCH = datetime(1970, 1, 1)
_US = timedelta(microseconds=1)
_DAY_US = 86_400 * 1_000_000
_CHUNK_US = 32 * _DAY_US  # how far add looks ahead per pass; lazily, so short adds stay short

Span = tuple[int, int]
"""``[start, end)`` in microseconds since the epoch (UTC)."""


class CalendarError(IncidentctlError, ValueError):
    """A calendar that cannot be built, or that has no business time to count."""


class UnknownCalendarError(CalendarError, KeyError):
    """A calendar name that no Calendar document defines."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


def _to_us(instant: datetime) -> int:
    if instant.utcoffset() is None:
        raise ValueError(
            f"{instant.isoformat()} has no UTC offset: business time is counted between "
            "aware instants, e.g. 2026-03-27T15:30:00Z"
        )
    return (instant - _EPOCH) // _US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _duration_us(duration: timedelta) -> int:
    if duration < timedelta(0):
        raise ValueError(f"cannot add a negative duration ({duration}) of business time")
    return duration // _US


def _merge(spans: Iterable[Span]) -> Iterator[Span]:
    """Merge overlapping or touching spans, given in order of their starts."""
    run: Span | None = None
    for start, end in spans:
        if run is None:
            run = (start, end)
        elif start <= run[1]:
            if end > run[1]:
                run = (run[0], end)
        else:
            yield run
            run = (start, end)
    if run is not None:
        yield run


class BusinessCalendar(ABC):
    """Business time between aware instants. Subclasses provide :meth:`_spans`."""

    name: str

    @abstractmethod
    def _spans(self, lo: int, hi: int) -> Iterator[Span]:
        """The open spans clipped to ``[lo, hi)``: non-empty, merged, in order."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time inside ``[start, end)``; zero if ``end <= start``."""
        lo, hi = _to_us(start), _to_us(end)
        if hi <= lo:
            return timedelta(0)
        return timedelta(microseconds=sum(e - s for s, e in self._spans(lo, hi)))

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant ``t >= start`` with ``elapsed(start, t) == duration``.

        ``start`` itself when ``duration`` is zero. Raises :class:`CalendarError` when no
        business time turns up within ``SCAN_LIMIT_DAYS`` days.
        """
        remaining = _duration_us(duration)
        pos = _to_us(start)
        if remaining == 0:
            return _from_us(pos)
        last_open = pos
        while True:
            hi = pos + _CHUNK_US
            for s, e in self._spans(pos, hi):
                if e - s >= remaining:
                    return _from_us(s + remaining)
                remaining -= e - s
                last_open = e
            if hi - last_open >= SCAN_LIMIT_DAYS * _DAY_US:
                raise CalendarError(
                    f"calendar {self.name!r} has no business time in the {SCAN_LIMIT_DAYS} days "
                    f"after {_from_us(last_open).isoformat()}: give it hours, or fewer holidays"
                )
            pos = hi

    def is_open(self, instant: datetime) -> bool:
        us = _to_us(instant)
        return next(self._spans(us, us + 1), None) is not None

    def intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """The open UTC intervals clipped to ``[start, end)``, merged, in order."""
        lo, hi = _to_us(start), _to_us(end)  # eagerly, so bad arguments fail at the call
        return ((_from_us(s), _from_us(e)) for s, e in self._spans(lo, hi) if lo < hi)


class AlwaysOpen(BusinessCalendar):
    """The built-in ``24x7`` calendar: business time is wall-clock time."""

    def __init__(self, name: str = BUILTIN_CALENDAR) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"AlwaysOpen({self.name!r})"

    def _spans(self, lo: int, hi: int) -> Iterator[Span]:
        if lo < hi:
            yield lo, hi

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return _from_us(_to_us(start) + _duration_us(duration))


class WeeklyCalendar(BusinessCalendar):
    """Weekly local windows in one time zone, minus holidays.

    ``weekly[d]`` lists the windows of weekday ``d`` (0 = Monday) as minutes
    ``(start, end)``; ``end <= start`` runs overnight into the next day. Each local day's
    UTC spans are computed once and cached on the instance, so reuse an instance.
    """

    def __init__(
        self,
        name: str,
        timezone: ZoneInfo,
        weekly: Sequence[Iterable[tuple[int, int]]],
        holidays: Iterable[date] = (),
    ) -> None:
        if len(weekly) != 7:
            raise ValueError(f"weekly windows need 7 days (Monday first), got {len(weekly)}")
        self.name = name
        self.timezone = timezone
        self._weekly = tuple(tuple(sorted(set(day))) for day in weekly)
        self._holidays = frozenset(d.toordinal() for d in holidays)
        # local date ordinal -> (UTC start of that local day, spans of the windows it starts)
        self._days: dict[int, tuple[int, tuple[Span, ...]]] = {}

    @classmethod
    def from_model(cls, calendar: Calendar) -> WeeklyCalendar:
        if calendar.timezone is None:
            raise CalendarError(
                f"calendar {calendar.name!r} has hours but no timezone: add one, "
                "e.g. timezone: Europe/Berlin"
            )
        try:
            zone = ZoneInfo(calendar.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CalendarError(
                f"calendar {calendar.name!r}: {calendar.timezone!r} is not a known IANA time "
                "zone: use a name such as Europe/Berlin or America/New_York"
            ) from None
        weekly: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for spec, windows in calendar.hours.items():
            for day in parse_days(spec):
                weekly[day].extend(parse_window(window) for window in windows)
        return cls(calendar.name, zone, weekly, calendar.holiday_dates())

    def __repr__(self) -> str:
        return f"WeeklyCalendar({self.name!r}, {self.timezone.key!r})"

    def _spans(self, lo: int, hi: int) -> Iterator[Span]:
        # Start a day early: an overnight window of the previous local day may still be open.
        ordinal = _from_us(lo).astimezone(self.timezone).toordinal() - 1
        days = self._days
        run_start = run_end = 0
        running = False
        while True:
            entry = days.get(ordinal)
            if entry is None:
                entry = days[ordinal] = self._day(ordinal)
            day_start, spans = entry
            if day_start >= hi:
                break
            for s, e in spans:
                s, e = max(s, lo), min(e, hi)
                if s >= e:
                    continue
                if running and s <= run_end:
                    run_end = max(run_end, e)
                else:
                    if running:
                        yield run_start, run_end
                    run_start, run_end, running = s, e, True
            ordinal += 1
        if running:
            yield run_start, run_end

    def _day(self, ordinal: int) -> tuple[int, tuple[Span, ...]]:
        day = date.fromordinal(ordinal)
        midnight = datetime.combine(day, time())
        day_start = self._wall_to_us(midnight)
        windows = self._weekly[day.weekday()]
        if not windows:
            return day_start, ()
        # Windows reach at most into the next day. Only the local date counts: on a holiday
        # a window may open at the next midnight, and it closes at a holiday's midnight.
        holiday, eve = ordinal in self._holidays, ordinal + 1 in self._holidays
        next_midnight = self._wall_to_us(midnight + timedelta(days=1)) if holiday or eve else 0
        spans: list[Span] = []
        for first, last in windows:
            s = self._wall_to_us(midnight + timedelta(minutes=first))
            e = self._wall_to_us(midnight + timedelta(minutes=last + (first >= last) * 24 * 60))
            if holiday:
                s = max(s, next_midnight)
            if eve:
                e = min(e, next_midnight)
            if s < e:
                spans.append((s, e))
        spans.sort()
        return day_start, tuple(_merge(spans))

    def _wall_to_us(self, wall: datetime) -> int:
        """A naive local wall time as a UTC instant: first occurrence, or the end of a gap."""
        zone = self.timezone
        first = wall.replace(tzinfo=zone)  # fold=0: the first occurrence if repeated
        offset = first.utcoffset()
        assert offset is not None
        us = (wall - _NAIVE_EPOCH - offset) // _US
        if offset == wall.replace(tzinfo=zone, fold=1).utcoffset():
            return us  # neither repeated nor skipped: the usual case, kept cheap
        if _from_us(us).astimezone(zone).replace(tzinfo=None) == wall:
            return us
        # Skipped by a forward transition: the transition instant lies between the readings
        # with the offsets before and after it. Transitions fall on whole seconds.
        other = _to_us(wall.replace(tzinfo=zone, fold=1))
        lo = min(us, other) // 1_000_000
        hi = -(-max(us, other) // 1_000_000)
        while hi - lo > 1:  # invariant: local(lo) <= wall < local(hi)
            mid = (lo + hi) // 2
            local = (_EPOCH + timedelta(seconds=mid)).astimezone(zone).replace(tzinfo=None)
            if local > wall:
                hi = mid
            else:
                lo = mid
        return hi * 1_000_000


class UnionCalendar(BusinessCalendar):
    """Open whenever any member is open (follow-the-sun support)."""

    def __init__(self, name: str, members: Sequence[BusinessCalendar]) -> None:
        if not members:
            raise ValueError(f"union calendar {name!r} needs at least one member")
        self.name = name
        self.members = tuple(members)

    def __repr__(self) -> str:
        return f"UnionCalendar({self.name!r}, {[m.name for m in self.members]!r})"

    def _spans(self, lo: int, hi: int) -> Iterator[Span]:
        return _merge(heapq.merge(*(member._spans(lo, hi) for member in self.members)))


def build_calendar(name: str, calendars: Mapping[str, Calendar]) -> BusinessCalendar:
    """The business calendar called ``name``, from Calendar documents keyed by name.

    ``24x7`` is built in. Unions are resolved recursively and flattened to their distinct
    non-union members. Raises :class:`UnknownCalendarError` (a ``KeyError``) for a name
    nothing defines and :class:`CalendarError` (a ``ValueError``) for a union that
    contains itself or a calendar with an unknown time zone.
    """
    if name == BUILTIN_CALENDAR:
        return AlwaysOpen()
    members: dict[str, BusinessCalendar] = {}
    _collect(name, calendars, (), members)
    if not calendars[name].union:
        return members[name]
    if any(isinstance(member, AlwaysOpen) for member in members.values()):
        return AlwaysOpen(name)
    return UnionCalendar(name, list(members.values()))


def _collect(
    name: str,
    calendars: Mapping[str, Calendar],
    path: tuple[str, ...],
    members: dict[str, BusinessCalendar],
) -> None:
    if name in path:
        cycle = " -> ".join([*path[path.index(name) :], name])
        raise CalendarError(
            f"calendar {name!r} is a union that contains itself: {cycle}; "
            "remove one of these union members"
        )
    if name == BUILTIN_CALENDAR:
        members[name] = AlwaysOpen()
        return
    calendar = calendars.get(name)
    if calendar is None:
        known = ", ".join(sorted({BUILTIN_CALENDAR, *calendars}))
        what = f"calendar {path[-1]!r} joins {name!r}, which is" if path else f"{name!r} is"
        raise UnknownCalendarError(f"{what} not a calendar: known calendars are {known}")
    if calendar.union:
        for member in calendar.union:
            _collect(member, calendars, (*path, name), members)
    elif name not in members:
        members[name] = WeeklyCalendar.from_model(calendar)
