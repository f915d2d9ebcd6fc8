"""Training load of an athlete from the merged daily summary (maths: app.domain.load)."""

from __future__ import annotations

from datetime import date, timedelta

from app.domain.load import CHRONIC_DAYS, LoadPoint, load_series

from .daily import DailyService


def athlete_load(daily: DailyService, athlete_id: int, first: date, last: date) -> list[LoadPoint]:
    """Daily load points for [first, last], reading the 27 days before `first` as history."""
    days = daily.days(athlete_id, first - timedelta(days=CHRONIC_DAYS - 1), last)
    return load_series([(d.day, d.trimp) for d in days], first)
