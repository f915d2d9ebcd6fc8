"""An XLSX workbook of sessions and strength sets (openpyxl, streamed in write-only mode)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from app.domain.validation import printable
from app.store.repo import SessionInfo, Store

from .common import atomic_file, check_target, local_dt

SESSION_HEADER = (
    "id", "start (local)", "timezone", "athlete", "sport", "title", "status", "duration_min",
    "moving_min", "distance_km", "avg_hr", "max_hr", "kcal", "trimp", "avg_cadence",
    "avg_power", "avg_speed_ms", "steps", "rmssd_ms", "z1_min", "z2_min", "z3_min", "z4_min",
    "z5_min",
)  # fmt: skip
SET_HEADER = (
    "session_id", "start (local)", "athlete", "exercise", "reps", "weight_kg", "rpe",
    "avg_hr", "max_hr", "hr_recovery", "e1rm_kg", "is_pr",
)  # fmt: skip


def _text(ws: WriteOnlyWorksheet, value: str | None) -> WriteOnlyCell | None:
    """A cell that stays text even when it starts with '=' (no formula injection).

    Control characters an XLSX cannot hold are dropped: one stored title with one must not
    make the whole workbook fail.
    """
    if value is None:
        return None
    cell = WriteOnlyCell(ws, value=printable(value))
    cell.data_type = "s"
    return cell


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60.0, 2)


def _naive(t_ms: int, tz: str | None) -> datetime:
    """Local wall-clock time without a zone: Excel has no time zones."""
    return local_dt(t_ms, tz).replace(tzinfo=None)


def write_workbook(
    store: Store,
    sessions: Sequence[SessionInfo],
    path: Path,
    *,
    cancel: Callable[[], None] | None = None,
    force: bool = False,
) -> Path:
    """Sheets `Sessions` and `Sets` for the given sessions.

    `cancel`, if given, is called just before the file is renamed into place and may raise
    (sync.progress.Cancelled) to leave nothing behind. An existing file is replaced only
    with `force` (common.check_target).
    """
    check_target(path, force=force)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sessions")
    ws.append(list(SESSION_HEADER))
    for s in sessions:
        ws.append(
            [
                s.id, _naive(s.started_ms, s.timezone), s.timezone, _text(ws, s.athlete),
                _text(ws, s.sport), _text(ws, s.title), s.status, _minutes(s.duration_s),
                _minutes(s.moving_s),
                None if s.distance_m is None else round(s.distance_m / 1000, 3),
                s.avg_hr, s.max_hr, s.kcal, s.trimp, s.avg_cadence, s.avg_power, s.avg_speed,
                s.steps, s.rmssd_ms, *(_minutes(z) for z in s.zone_s),
            ]
        )  # fmt: skip
    sets = wb.create_sheet("Sets")
    sets.append(list(SET_HEADER))
    by_id = {s.id: s for s in sessions}
    if by_id:
        marks = ", ".join("?" for _ in by_id)
        with store.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT session_id, started_ms, exercise_name, reps, weight_kg, rpe, avg_hr, "
                f"max_hr, hr_recovery, e1rm_kg, is_pr FROM exercise_sets WHERE session_id IN "
                f"({marks}) ORDER BY started_ms, id",
                tuple(by_id),
            ).all()
        for sid, started, name, *rest, is_pr in rows:
            s = by_id[sid]
            sets.append(
                [sid, _naive(started, s.timezone), _text(sets, s.athlete), _text(sets, name),
                 *rest, bool(is_pr)]
            )  # fmt: skip
    with atomic_file(path, "wb", force=force) as fh:
        wb.save(fh)
        if cancel is not None:
            cancel()
    return path
