"""Queries the application services need beyond `Store`'s: athletes, sessions, sets, RR.

Rows are turned into values inside the ORM session by the caller's `as_row` (one mapper per
row type lives with the services), so no detached ORM object leaves this module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import select, update

from . import models as m
from .repo import Store

T = TypeVar("T")


# Athletes --------------------------------------------------------------------------------


def athletes(store: Store, as_row: Callable[[m.Athlete], T]) -> list[T]:
    """Every athlete, yourself first, then by name (the switcher's order)."""
    with store.orm() as s:
        rows = s.scalars(select(m.Athlete).order_by(m.Athlete.is_self.desc(), m.Athlete.name))
        return [as_row(a) for a in rows]


def athlete(store: Store, athlete_id: int, as_row: Callable[[m.Athlete], T]) -> T | None:
    """One athlete's row through `as_row`, or None."""
    with store.orm() as s:
        a = s.get(m.Athlete, athlete_id)
        return None if a is None else as_row(a)


def athlete_units(store: Store, athlete_id: int) -> str | None:
    """The athlete's units (metric or imperial), None for an unknown athlete."""
    with store.orm() as s:
        a = s.get(m.Athlete, athlete_id)
        return None if a is None else a.units


# Sessions --------------------------------------------------------------------------------


def remote_states(store: Store, session_ids: Sequence[int]) -> dict[int, str]:
    """The Strava ledger state per session (the last row wins when there are several)."""
    if not session_ids:
        return {}
    with store.orm() as s:
        rows = s.execute(
            select(m.RemoteActivity.session_id, m.RemoteActivity.state).where(
                m.RemoteActivity.session_id.in_(session_ids)
            )
        ).all()
    return {sid: state for sid, state in rows if sid is not None}


def set_title(store: Store, session_id: int, title: str | None) -> None:
    """Rename a session (None clears the title)."""
    with store.engine.begin() as conn:
        conn.execute(update(m.Session).where(m.Session.id == session_id).values(title=title))


def set_sport(store: Store, session_id: int, sport: str) -> None:
    """Change a session's sport."""
    with store.engine.begin() as conn:
        conn.execute(update(m.Session).where(m.Session.id == session_id).values(sport=sport))


def calendar_rows(
    store: Store, athlete_id: int
) -> list[tuple[int, str, str, int, str | None, float | None]]:
    """(id, sport, status, started_ms, title, duration_s) of the athlete's sessions, oldest first.

    Plain tuples from one indexed query: the Trends screen lists years of sessions, and
    `Store.list_sessions` (full rows through the ORM, with device counts) is 5x slower.
    """
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT id, sport, status, started_ms, title, duration_s FROM sessions "
            "WHERE athlete_id = ? AND deleted_ms IS NULL ORDER BY started_ms, id",
            (athlete_id,),
        ).all()
    return [(int(r[0]), str(r[1]), str(r[2]), int(r[3]), r[4], r[5]) for r in rows]


def rr_intervals(store: Store, session_id: int) -> list[tuple[int, float]]:
    """(t_ms, rr_ms) of the session in time order, for the HRV chart."""
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT t_ms, rr_ms FROM rr_intervals WHERE session_id = ? ORDER BY t_ms, id",
            (session_id,),
        ).all()
    return [(int(t), float(rr)) for t, rr in rows]


# Gym sets --------------------------------------------------------------------------------


def session_sets(store: Store, session_id: int, as_row: Callable[[m.ExerciseSet], T]) -> list[T]:
    """The sets logged during a session, in the order they were done."""
    with store.orm() as s:
        rows = s.scalars(
            select(m.ExerciseSet)
            .where(m.ExerciseSet.session_id == session_id)
            .order_by(m.ExerciseSet.started_ms, m.ExerciseSet.id)
        )
        return [as_row(r) for r in rows]


def sets_by_id(store: Store, ids: Sequence[int], as_row: Callable[[m.ExerciseSet], T]) -> list[T]:
    """The sets with these ids (in id order)."""
    with store.orm() as s:
        rows = s.scalars(
            select(m.ExerciseSet).where(m.ExerciseSet.id.in_(ids)).order_by(m.ExerciseSet.id)
        )
        return [as_row(r) for r in rows]


def set_span(store: Store, set_id: int) -> tuple[int, int, int] | None:
    """(session id, started_ms, ended_ms) of a finished set in a session, else None."""
    with store.orm() as s:
        row = s.get(m.ExerciseSet, set_id)
        if row is None or row.session_id is None or row.ended_ms is None:
            return None
        return row.session_id, row.started_ms, row.ended_ms


def set_hr_recovery(store: Store, set_id: int, recovery: float) -> None:
    """Store the HR drop after a set."""
    with store.orm() as s, s.begin():
        row = s.get(m.ExerciseSet, set_id)
        if row is None:
            raise LookupError(f"no set {set_id}")
        row.hr_recovery = recovery
