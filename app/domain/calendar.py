"""Local calendar days in an IANA zone, DST-safe: a day is 23, 24 or 25 hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache


def day_start_ms(day: date, tz: tzinfo) -> int:
    """UTC ms of the first instant of `day` in `tz` (a skipped midnight maps past the gap)."""
    return int(datetime.combine(day, time(0), tzinfo=tz).timestamp() * 1000)


@lru_cache(maxsize=65_536)
def day_bounds(day: date, tz: tzinfo) -> tuple[int, int]:
    """[start, end) of a local day in UTC ms; 23 h or 25 h on DST change days."""
    return day_start_ms(day, tz), day_start_ms(day + timedelta(days=1), tz)


def local_date(ms: int, tz: tzinfo) -> date:
    """The local calendar date of an instant."""
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(tz).date()


def wall_clock(ms: int, tz: tzinfo) -> datetime:
    """The naive date-time a clock in `tz` shows at an instant: what an editor shows."""
    return datetime.fromtimestamp(ms / 1000, UTC).astimezone(tz).replace(tzinfo=None)


def wall_ms(wall: datetime, tz: tzinfo) -> int:
    """UTC ms of a naive date-time read in `tz` (a repeated hour: the first; a skipped one
    maps past the gap): what an editor saves."""
    return round(wall.replace(tzinfo=tz).timestamp() * 1000)


def days_between(first: date, last: date) -> list[date]:
    """Every date from `first` to `last` inclusive (empty when last < first)."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def week_start(day: date) -> date:
    """Monday of the ISO week containing `day`."""
    return day - timedelta(days=day.weekday())


def month_start(day: date) -> date:
    """The first of the month: a monthly goal's period starts there."""
    return day.replace(day=1)


def month_end(day: date) -> date:
    """The last day of the month (28 to 31)."""
    nxt = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return nxt - timedelta(days=1)
