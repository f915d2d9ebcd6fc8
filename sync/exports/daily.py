"""Daily summary: one row per athlete and local calendar day of the sessions started then."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from app.store.repo import SessionInfo

from .common import atomic_file, cell_text, local_dt

HEADER = (
    "date",
    "athlete",
    "total_steps",
    "distance_m",
    "avg_hr",
    "kcal",
    "active_min",
    "sessions",
)


@dataclass(frozen=True, slots=True)
class DailyRow:
    """Totals of one athlete's day; avg_hr is weighted by each session's duration."""

    day: date
    athlete: str
    total_steps: int
    distance_m: float
    avg_hr: float | None
    kcal: float
    active_min: float
    sessions: int


def daily_rows(
    sessions: Iterable[SessionInfo], athlete_tz: dict[int, str | None] | None = None
) -> list[DailyRow]:
    """Group by athlete and the local date a session started (session zone, else athlete's).

    A session crossing midnight counts wholly on the day it started.
    """
    tz_of = athlete_tz or {}
    groups: dict[tuple[date, str], list[SessionInfo]] = {}
    for s in sessions:
        tz = s.timezone or tz_of.get(s.athlete_id)
        day = local_dt(s.started_ms, tz).date()
        groups.setdefault((day, s.athlete), []).append(s)
    rows = []
    for (day, athlete), group in sorted(groups.items()):
        weighted = [(s.avg_hr, s.duration_s or 0.0) for s in group if s.avg_hr is not None]
        weight = sum(w for _, w in weighted)
        if weight > 0:
            avg_hr: float | None = sum(h * w for h, w in weighted) / weight
        elif weighted:
            avg_hr = sum(h for h, _ in weighted) / len(weighted)
        else:
            avg_hr = None
        rows.append(
            DailyRow(
                day=day,
                athlete=athlete,
                total_steps=sum(s.steps or 0 for s in group),
                distance_m=sum(s.distance_m or 0.0 for s in group),
                avg_hr=avg_hr,
                kcal=sum(s.kcal or 0.0 for s in group),
                active_min=sum((s.moving_s or 0.0) for s in group) / 60.0,
                sessions=len(group),
            )
        )
    return rows


def _fmt(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_daily_csv(rows: Sequence[DailyRow], path: Path) -> Path:
    """The daily summary as CSV (UTF-8, header row, empty cell = not measured)."""
    with atomic_file(path) as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in rows:
            w.writerow(
                [
                    r.day.isoformat(),
                    cell_text(r.athlete),
                    r.total_steps,
                    _fmt(r.distance_m, 1),
                    _fmt(r.avg_hr, 1),
                    _fmt(r.kcal, 1),
                    _fmt(r.active_min, 1),
                    r.sessions,
                ]
            )
    return path
