"""Merge built-in exercises stored more than once into one row per built-in.

Before 07b4a3c two first uses of the catalog at once (the GUI's threads) each stored every
built-in, so a database can hold each twice: every suggestion was listed twice, no typo was a
sure match, and sets, records and goals point at either copy, splitting an exercise's history
and PRs between two ids. The repair keeps the lowest id, points every reference at it, deletes
the copies and replays the records of the athletes who used them (strength.recompute_records)
so the PR history is one series again. Built-ins are keyed like `catalog.sync_builtin` keys
them: athlete_id NULL and the name in any case; an athlete's own exercise is never merged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import Column, delete, func, select, update
from sqlalchemy.orm import Session as OrmSession

from app.store import models as m

from .strength import recompute_records

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Merge:
    """One built-in stored more than once: the row kept and the copies merged into it."""

    name: str
    kept: int
    merged: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Repair:
    """What `merge_builtin_duplicates` changed, for the log line and the tests."""

    merges: tuple[Merge, ...]
    references: int  # rows re-pointed from a copy to the kept row (sets, records, goals...)
    replayed: int  # (athlete, exercise) record series replayed

    def describe(self) -> str:
        names = ", ".join(
            f"{g.name} ({'+'.join(map(str, g.merged))} -> {g.kept})" for g in self.merges
        )
        return (
            f"merged {len(self.merges)} built-in exercises stored more than once: "
            f"{self.references} references re-pointed, {self.replayed} record series "
            f"replayed: {names}"
        )


def _duplicates(s: OrmSession) -> list[Merge]:
    """The built-ins stored more than once (one GROUP BY query; empty on a healthy store)."""
    key = func.lower(m.Exercise.name)
    rows = s.execute(
        select(func.group_concat(m.Exercise.id))
        .where(m.Exercise.athlete_id.is_(None))
        .group_by(key)
        .having(func.count() > 1)
    ).scalars()
    out = []
    for ids_text in rows:
        ids = sorted(int(i) for i in str(ids_text).split(","))
        name = s.scalar(select(m.Exercise.name).where(m.Exercise.id == ids[0]))
        out.append(Merge(str(name), ids[0], tuple(ids[1:])))
    return out


def _references() -> list[Column[int]]:
    """Every column with a foreign key to exercises (read from the models, so a new one is
    re-pointed too)."""
    exercises = m.Base.metadata.tables[m.Exercise.__tablename__]
    return [
        c
        for t in m.Base.metadata.sorted_tables
        for c in t.columns
        if any(fk.references(exercises) for fk in c.foreign_keys)
    ]


def merge_builtin_duplicates(s: OrmSession) -> Repair | None:
    """Merge every built-in stored more than once, inside the caller's write transaction;
    None, after one query, when each is stored once."""
    merges = _duplicates(s)
    if not merges:
        return None
    conn = s.connection()
    references = replayed = 0
    for g in merges:
        athletes = set(
            s.scalars(
                select(m.ExerciseSet.athlete_id).where(m.ExerciseSet.exercise_id.in_(g.merged))
            )
        ) | set(
            s.scalars(
                select(m.PersonalRecord.athlete_id).where(
                    m.PersonalRecord.exercise_id.in_(g.merged)
                )
            )
        )
        conn.execute(  # the kept row's spelling, as `last_set` finds sets by name
            update(m.ExerciseSet)
            .where(m.ExerciseSet.exercise_id.in_(g.merged))
            .values(exercise_name=g.name)
        )
        for col in _references():
            moved = conn.execute(
                update(col.table).where(col.in_(g.merged)).values({col.name: g.kept})
            )
            references += moved.rowcount
        conn.execute(delete(m.Exercise).where(m.Exercise.id.in_(g.merged)))
        s.expire_all()  # the rows above changed under the ORM
        for athlete_id in sorted(athletes):
            recompute_records(s, athlete_id, g.kept)
            replayed += 1
    repair = Repair(tuple(merges), references, replayed)
    log.warning("%s", repair.describe())
    return repair
