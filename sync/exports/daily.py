"""Daily export: the daily summary (app.training.daily), one row per athlete and local day.

The figures come from the DailyService that `pulsedeck summary` and the GUI use, so each row
equals `pulsedeck summary --json` for that day: one source per instant when sessions overlap,
active kcal (resting energy, 1 MET, excluded), the athlete's time zone, a session across
midnight shared between its days. Only days that a session touches get a row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from pathlib import Path

from app.domain.calendar import local_date
from app.domain.days import DaySummary
from app.store.repo import SessionInfo, Store, now_ms
from app.training.daily import DailyService, load_context

from .common import atomic_file, cell_text

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
    """One athlete's day as the daily summary has it; kcal None when no weight is known."""

    day: date
    athlete: str
    total_steps: int
    distance_m: float
    avg_hr: float | None
    kcal: float | None
    active_min: float
    sessions: int

    @classmethod
    def of(cls, athlete: str, d: DaySummary) -> DailyRow:
        """The export's view of one DaySummary (figures unrounded; the CSV rounds)."""
        return cls(
            day=d.day,
            athlete=athlete,
            total_steps=d.steps,
            distance_m=d.distance_m,
            avg_hr=d.avg_hr,
            kcal=d.kcal,
            active_min=d.active_min,
            sessions=d.sessions,
        )


def summary_rows(
    store: Store, athlete_id: int | None = None, daily: DailyService | None = None
) -> list[DailyRow]:
    """Every day a session touches, for one athlete or all, computed as the daily summary is.

    Args:
        store: the open store.
        athlete_id: only this athlete; None for every athlete.
        daily: a DailyService to reuse (its cache); a new one otherwise.
    """
    service = daily or DailyService(store)
    rows: list[DailyRow] = []
    for a in store.list_athletes():
        if athlete_id is not None and a.id != athlete_id:
            continue
        sessions = store.list_sessions(a.id)
        if not sessions:
            continue
        tz = load_context(store, a.id).tz
        for first, last in _runs(_touched(sessions, tz, now_ms())):
            days = service.days(a.id, first, last)
            rows.extend(DailyRow.of(a.name, d) for d in days if d.session_ids)
    return sorted(rows, key=lambda r: (r.day, r.athlete))


def _touched(sessions: Iterable[SessionInfo], tz: tzinfo, now: int) -> set[date]:
    """Local dates from each session's start to its end (now while it is recording)."""
    out: set[date] = set()
    for s in sessions:
        end = max(s.started_ms, (s.ended_ms if s.ended_ms is not None else now) - 1)
        d, last = local_date(s.started_ms, tz), local_date(end, tz)
        while d <= last:
            out.add(d)
            d += timedelta(days=1)
    return out


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Sorted dates as (first, last) runs of consecutive dates."""
    runs: list[tuple[date, date]] = []
    for d in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == d:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


def _fmt(value: float | None, digits: int) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def write_daily_csv(rows: Sequence[DailyRow], path: Path, *, force: bool = False) -> Path:
    """The daily summary as CSV (UTF-8, header row, empty cell = not measured)."""
    with atomic_file(path, force=force) as fh:
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
