"""Strength sets in the store: logging, HR during a set, records, history, N-rep maxes.

The formulas (Epley e1RM, volume) and the record rules are app.domain.strength.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from app.domain.strength import Lift, Record, detect_records, epley, volume
from app.store import models as m
from app.store.repo import Store

from .catalog import CatalogError, ExerciseInfo, resolve


@dataclass(frozen=True, slots=True)
class SavedSet:
    id: int
    athlete_id: int
    exercise_id: int | None
    exercise: str
    reps: int
    weight_kg: float | None
    started_ms: int
    e1rm_kg: float | None
    volume_kg: float
    avg_hr: float | None
    max_hr: int | None
    hr_recovery: float | None
    records: tuple[Record, ...]

    @property
    def is_pr(self) -> bool:
        return bool(self.records)


@dataclass(frozen=True, slots=True)
class PersonalRecordInfo:
    id: int
    exercise: str
    exercise_id: int | None
    kind: str
    reps: int | None
    value: float
    achieved_ms: int
    set_id: int


#: HR recovery is the drop over this long after the set ends (a common 60-s measure).
RECOVERY_MS = 60_000


def set_hr(
    store: Store, session_id: int, start: int, end: int
) -> tuple[float | None, int | None, float | None]:
    """Average and max HR during the set and the drop 60 s after it, from the session samples."""
    with store.engine.connect() as conn:
        avg, peak = conn.exec_driver_sql(
            "SELECT avg(hr), max(hr) FROM samples WHERE session_id = ? AND t_ms BETWEEN ? AND ? "
            "AND hr IS NOT NULL",
            (session_id, start, end),
        ).one()
        at_end = conn.exec_driver_sql(
            "SELECT hr FROM samples WHERE session_id = ? AND hr IS NOT NULL AND t_ms <= ? "
            "ORDER BY t_ms DESC LIMIT 1",
            (session_id, end),
        ).scalar()
        later = conn.exec_driver_sql(
            "SELECT hr FROM samples WHERE session_id = ? AND hr IS NOT NULL AND t_ms >= ? "
            "ORDER BY t_ms LIMIT 1",
            (session_id, end + RECOVERY_MS),
        ).scalar()
    recovery = None if at_end is None or later is None else float(at_end - later)
    return avg, peak, recovery


_set_hr = set_hr  # the GUI's first version calls this name


def log_set(
    store: Store,
    athlete_id: int,
    exercise: str | ExerciseInfo,
    reps: int,
    weight_kg: float | None,
    started_ms: int,
    *,
    ended_ms: int | None = None,
    session_id: int | None = None,
    rpe: float | None = None,
) -> SavedSet:
    """Save a set, detect the records it breaks and store them with it, in one transaction."""
    if isinstance(exercise, str):
        found = resolve(store, athlete_id, exercise)
        if found is None:
            raise CatalogError(f"no exercise matches {exercise!r}; add it with `exercises add`")
        exercise = found
    if not isinstance(reps, int) or reps <= 0 or reps > 1000:
        raise ValueError(f"reps must be a whole number from 1 to 1000, got {reps!r}")
    if weight_kg is not None and not 0 <= weight_kg <= 1000:
        raise ValueError(f"weight must be 0-1000 kg, got {weight_kg!r}")
    if rpe is not None and not 1 <= rpe <= 10:
        raise ValueError(f"RPE must be 1-10, got {rpe!r}")
    weight = weight_kg or None
    avg_hr = max_hr = recovery = None
    if session_id is not None and ended_ms is not None:
        avg_hr, max_hr, recovery = set_hr(store, session_id, started_ms, ended_ms)
    with store.orm() as s, s.begin():
        history = [
            Lift(int(r or 0), w)
            for r, w in s.execute(
                select(m.ExerciseSet.reps, m.ExerciseSet.weight_kg).where(
                    m.ExerciseSet.athlete_id == athlete_id,
                    m.ExerciseSet.exercise_id == exercise.id,
                    m.ExerciseSet.started_ms < started_ms,
                    m.ExerciseSet.reps.is_not(None),
                )
            ).all()
        ]
        records = detect_records(history, Lift(reps, weight))
        e1rm = epley(weight or 0.0, reps)
        row = m.ExerciseSet(
            session_id=session_id,
            athlete_id=athlete_id,
            exercise_id=exercise.id,
            exercise_name=exercise.name,
            reps=reps,
            weight_kg=weight,
            rpe=rpe,
            started_ms=started_ms,
            ended_ms=ended_ms,
            avg_hr=avg_hr,
            max_hr=max_hr,
            hr_recovery=recovery,
            e1rm_kg=e1rm,
            is_pr=bool(records),
        )
        s.add(row)
        s.flush()
        for rec in records:
            s.add(
                m.PersonalRecord(
                    athlete_id=athlete_id,
                    exercise_id=exercise.id,
                    set_id=row.id,
                    kind=rec.kind,
                    reps=rec.reps,
                    value=rec.value,
                    achieved_ms=started_ms,
                )
            )
        set_id = row.id
    return SavedSet(
        set_id,
        athlete_id,
        exercise.id,
        exercise.name,
        reps,
        weight,
        started_ms,
        e1rm,
        volume(weight, reps),
        avg_hr,
        max_hr,
        recovery,
        tuple(records),
    )


def sets(store: Store, athlete_id: int, exercise: ExerciseInfo | None = None) -> list[SavedSet]:
    """The athlete's sets, oldest first (records not attached)."""
    q = select(m.ExerciseSet).where(m.ExerciseSet.athlete_id == athlete_id)
    if exercise is not None:
        q = q.where(m.ExerciseSet.exercise_id == exercise.id)
    with store.orm() as s:
        rows = s.scalars(q.order_by(m.ExerciseSet.started_ms, m.ExerciseSet.id)).all()
    return [
        SavedSet(
            r.id,
            r.athlete_id,
            r.exercise_id,
            r.exercise_name,
            r.reps or 0,
            r.weight_kg,
            r.started_ms,
            r.e1rm_kg,
            volume(r.weight_kg, r.reps or 0),
            r.avg_hr,
            r.max_hr,
            r.hr_recovery,
            (),
        )
        for r in rows
    ]


def pr_history(
    store: Store, athlete_id: int, exercise: ExerciseInfo | None = None
) -> list[PersonalRecordInfo]:
    """Every record set, oldest first: the progression of each kind per exercise."""
    q = (
        select(m.PersonalRecord, m.ExerciseSet.exercise_name)
        .join(m.ExerciseSet, m.ExerciseSet.id == m.PersonalRecord.set_id)
        .where(m.PersonalRecord.athlete_id == athlete_id)
    )
    if exercise is not None:
        q = q.where(m.PersonalRecord.exercise_id == exercise.id)
    q = q.order_by(m.PersonalRecord.achieved_ms, m.PersonalRecord.id)
    with store.orm() as s:
        return [
            PersonalRecordInfo(
                p.id, name, p.exercise_id, p.kind, p.reps, p.value, p.achieved_ms, p.set_id
            )
            for p, name in s.execute(q).all()
        ]


def current_records(records: Sequence[PersonalRecordInfo]) -> list[PersonalRecordInfo]:
    """The standing record per (exercise, kind, reps): the best value in the history."""
    best: dict[tuple[str, str, int | None], PersonalRecordInfo] = {}
    for r in records:
        key = (r.exercise, r.kind, r.reps if r.kind in ("weight_for_reps",) else None)
        if key not in best or r.value > best[key].value:
            best[key] = r
    return sorted(best.values(), key=lambda r: (r.exercise, r.kind, r.reps or 0))


def best_weight_for_reps(
    store: Store, athlete_id: int, exercise: ExerciseInfo, reps: int
) -> float | None:
    """Heaviest weight lifted for at least `reps` reps (the N-rep max), or None."""
    with store.orm() as s:
        return s.scalar(
            select(m.ExerciseSet.weight_kg)
            .where(
                m.ExerciseSet.athlete_id == athlete_id,
                m.ExerciseSet.exercise_id == exercise.id,
                m.ExerciseSet.reps >= reps,
                m.ExerciseSet.weight_kg.is_not(None),
            )
            .order_by(m.ExerciseSet.weight_kg.desc())
            .limit(1)
        )
