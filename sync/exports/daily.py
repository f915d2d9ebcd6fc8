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


def daily_rows(
    sessions: Iterable[SessionInfo], athlete_tz: dict[int, str | None] | None = None
) -> list[DailyRow]:
    """Deprecated: session totals by start day, which disagree with the daily summary.

    Kept only while `pulsedeck export daily` (app/commands/export.py) still calls it; it must
    call summary_rows(), then this goes (issue 15).
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
