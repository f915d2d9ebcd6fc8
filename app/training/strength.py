"""Strength sets in the store: logging, HR during a set, records, history, N-rep maxes.

The formulas (Epley e1RM, volume) and the record rules are app.domain.strength.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import delete, select
from sqlalchemy.orm import Session as OrmSession

from app.domain.edits import KEEP, Keep, kept
from app.domain.strength import Lift, Record, epley, record_history, volume
from app.store import models as m
from app.store.repo import Store

from .catalog import ExerciseInfo, lookup


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
    rpe: float | None = None
    ended_ms: int | None = None
    session_id: int | None = None

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


def _check_set(reps: int, weight_kg: float | None, rpe: float | None) -> None:
    if not isinstance(reps, int) or reps <= 0 or reps > 1000:
        raise ValueError(f"reps must be a whole number from 1 to 1000, got {reps!r}")
    if weight_kg is not None and not 0 <= weight_kg <= 1000:
        raise ValueError(f"weight must be 0-1000 kg, got {weight_kg!r}")
    if rpe is not None and not 1 <= rpe <= 10:
        raise ValueError(f"RPE must be 1-10, got {rpe!r}")


def _check_session(store: Store, athlete_id: int, session_id: int | None) -> None:
    """The session exists and is this athlete's (LookupError: exit 4 in the CLI)."""
    if session_id is None:
        return
    with store.orm() as s:
        owner = s.scalar(select(m.Session.athlete_id).where(m.Session.id == session_id))
    if owner is None:
        raise LookupError(f"no session {session_id}")
    if owner != athlete_id:
        raise ValueError(f"session {session_id} belongs to another athlete")


def recompute_records(
    s: OrmSession, athlete_id: int, exercise_id: int | None
) -> dict[int, list[Record]]:
    """Replay the exercise's sets in logging order and make the stored records match.

    Returns each set's records. Rows that are unchanged keep their ids.
    """
    rows = list(
        s.scalars(
            select(m.ExerciseSet)
            .where(
                m.ExerciseSet.athlete_id == athlete_id,
                m.ExerciseSet.exercise_id == exercise_id,
                m.ExerciseSet.reps.is_not(None),
            )
            .order_by(m.ExerciseSet.started_ms, m.ExerciseSet.id)
        )
    )
    history = record_history([Lift(int(r.reps or 0), r.weight_kg) for r in rows])
    wanted = {
        (r.id, rec.kind, rec.reps): (rec.value, r.started_ms)
        for r, recs in zip(rows, history, strict=True)
        for rec in recs
    }
    stored = list(
        s.scalars(
            select(m.PersonalRecord).where(
                m.PersonalRecord.athlete_id == athlete_id,
                m.PersonalRecord.exercise_id == exercise_id,
            )
        )
    )
    for p in stored:
        key = (p.set_id, p.kind, p.reps)
        if key in wanted:
            p.value, p.achieved_ms = wanted.pop(key)
        else:
            s.delete(p)
    for (set_id, kind, reps), (value, at) in wanted.items():
        s.add(
            m.PersonalRecord(
                athlete_id=athlete_id,
                exercise_id=exercise_id,
                set_id=set_id,
                kind=kind,
                reps=reps,
                value=value,
                achieved_ms=at,
            )
        )
    for r, recs in zip(rows, history, strict=True):
        r.is_pr = bool(recs)
    s.flush()
    return {r.id: recs for r, recs in zip(rows, history, strict=True)}


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
    """Save a set and bring the exercise's records up to date, in one transaction.

    A set logged at the same instant as others comes after them; one back-filled before
    later sets recomputes their records (see `recompute_records`).
    """
    if isinstance(exercise, str):
        exercise = lookup(store, athlete_id, exercise)  # UnknownExercise unless sure
    _check_set(reps, weight_kg, rpe)
    if ended_ms is not None and ended_ms < started_ms:
        raise ValueError("a set cannot end before it starts")
    _check_session(store, athlete_id, session_id)
    weight = weight_kg or None
    avg_hr = max_hr = recovery = None
    if session_id is not None and ended_ms is not None:
        avg_hr, max_hr, recovery = set_hr(store, session_id, started_ms, ended_ms)
    e1rm = epley(weight or 0.0, reps)
    with store.orm() as s, s.begin():
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
            is_pr=False,
        )
        s.add(row)
        s.flush()
        records = recompute_records(s, athlete_id, exercise.id).get(row.id, [])
        return _saved(row, records)


def _saved(r: m.ExerciseSet, records: Sequence[Record] = ()) -> SavedSet:
    return SavedSet(
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
        tuple(records),
        r.rpe,
        r.ended_ms,
        r.session_id,
    )


def sets(store: Store, athlete_id: int, exercise: ExerciseInfo | None = None) -> list[SavedSet]:
    """The athlete's sets, oldest first (records not attached)."""
    q = select(m.ExerciseSet).where(m.ExerciseSet.athlete_id == athlete_id)
    if exercise is not None:
        q = q.where(m.ExerciseSet.exercise_id == exercise.id)
    with store.orm() as s:
        rows = s.scalars(q.order_by(m.ExerciseSet.started_ms, m.ExerciseSet.id)).all()
        return [_saved(r) for r in rows]


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
    """The standing record per (exercise, kind, reps): the best value in the history.

    An N-rep max is the heaviest weight lifted for at least N reps, so a heavier set of more
    reps stands as the N-rep max too (95 kg x 15 is also the 8-rep max).
    """
    best: dict[tuple[str, str, int | None], PersonalRecordInfo] = {}
    for r in records:
        key = (r.exercise, r.kind, r.reps if r.kind == "weight_for_reps" else None)
        if key not in best or r.value > best[key].value:
            best[key] = r
    for (name, kind, n), r in list(best.items()):
        if kind != "weight_for_reps" or n is None:
            continue
        heavier = [
            x
            for (nm, k, reps), x in best.items()
            if nm == name and k == kind and reps is not None and reps >= n and x.value > r.value
        ]
        if heavier:
            top = max(heavier, key=lambda x: (x.value, -x.achieved_ms))
            best[(name, kind, n)] = replace(top, reps=n)
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


def _own_set(s: OrmSession, athlete_id: int, set_id: int) -> m.ExerciseSet:
    row = s.get(m.ExerciseSet, set_id)
    if row is None or row.athlete_id != athlete_id:
        raise LookupError(f"no set {set_id}")
    return row


def edit_set(
    store: Store,
    athlete_id: int,
    set_id: int,
    *,
    exercise: ExerciseInfo | Keep = KEEP,
    reps: int | Keep = KEEP,
    weight_kg: float | None | Keep = KEEP,
    rpe: float | None | Keep = KEEP,
    started_ms: int | Keep = KEEP,
) -> SavedSet:
    """Change a set and replay the records of its exercise(s).

    KEEP leaves a field as it is; None clears the RPE, and None or 0 kg makes it bodyweight.
    A new start moves the end with it, and the HR during and after the set is read again.
    """
    with store.orm() as s, s.begin():
        row = _own_set(s, athlete_id, set_id)
        new_reps = kept(reps, row.reps)
        new_weight = kept(weight_kg, row.weight_kg) or None
        new_rpe = kept(rpe, row.rpe)
        _check_set(int(new_reps or 0), new_weight, new_rpe)
        old_exercise = row.exercise_id
        if not isinstance(exercise, Keep):
            row.exercise_id, row.exercise_name = exercise.id, exercise.name
        if not isinstance(started_ms, Keep) and started_ms != row.started_ms:
            if row.ended_ms is not None:
                row.ended_ms += started_ms - row.started_ms
            row.started_ms = started_ms
            if row.session_id is not None and row.ended_ms is not None:  # HR of the new span
                row.avg_hr, row.max_hr, row.hr_recovery = set_hr(
                    store, row.session_id, row.started_ms, row.ended_ms
                )
        row.reps, row.weight_kg, row.rpe = new_reps, new_weight, new_rpe
        row.e1rm_kg = epley(new_weight or 0.0, int(new_reps or 0))
        s.flush()
        if old_exercise != row.exercise_id:
            recompute_records(s, athlete_id, old_exercise)
        records = recompute_records(s, athlete_id, row.exercise_id).get(row.id, [])
        return _saved(row, records)


def delete_set(store: Store, athlete_id: int, set_id: int) -> None:
    """Delete a set and its records, and replay the records of its exercise."""
    with store.orm() as s, s.begin():
        row = _own_set(s, athlete_id, set_id)
        exercise_id = row.exercise_id
        s.execute(delete(m.PersonalRecord).where(m.PersonalRecord.set_id == set_id))
        s.delete(row)
        s.flush()
        recompute_records(s, athlete_id, exercise_id)
