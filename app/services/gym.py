"""Gym sets: catalog search, logging a set with its HR, and the HR recovery after it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.store import queries
from app.training.strength import RECOVERY_MS

from .rows import ExerciseChoices, ExerciseMatch, SetRow, set_row

if TYPE_CHECKING:
    from app.store.repo import Store

#: The set's HR recovery is the drop over this long after it ends (app.training.strength).
HR_RECOVERY_S = RECOVERY_MS / 1000


class GymService:
    """Sets as Gym and the session detail list them (HR maths: app.training.strength)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def sets(self, session_id: int) -> list[SetRow]:
        """The session's sets in the order they were done."""
        return queries.session_sets(self.store, session_id, set_row)

    def sets_by_id(self, ids: Sequence[int]) -> list[SetRow]:
        """The sets with these ids."""
        return queries.sets_by_id(self.store, ids, set_row)

    def search(self, athlete_id: int, query: str, limit: int = 6) -> list[ExerciseMatch]:
        """Typo-tolerant catalog search (app.training.catalog does the scoring)."""
        from app.training import catalog

        entries = catalog.exercises(self.store, athlete_id)
        if not query.strip():
            return [ExerciseMatch(e.name, 0.0, e.id) for e in entries[:limit]]
        return [
            ExerciseMatch(hit.exercise.name, hit.score, hit.exercise.id)
            for hit in catalog.search(entries, query, limit=limit)
        ]

    def choices(self, athlete_id: int, query: str, limit: int = 6) -> ExerciseChoices:
        """The search, plus the exercise `query` surely means (catalog.resolve, the rule
        `sets add` logs by), first in the list; None when it only resembles some."""
        from app.training import catalog

        matches = self.search(athlete_id, query, limit)
        found = catalog.resolve(self.store, athlete_id, query) if query.strip() else None
        if found is None:
            return ExerciseChoices(query.strip(), tuple(matches), None)
        sure = next((m for m in matches if m.exercise_id == found.id), None)
        sure = sure or ExerciseMatch(found.name, 100.0, found.id)
        rest = tuple(m for m in matches if m.exercise_id != found.id)
        return ExerciseChoices(query.strip(), (sure, *rest), sure)

    def log_set(
        self,
        session_id: int | None,
        athlete_id: int,
        exercise: str,
        reps: int,
        weight_kg: float | None,
        rpe: float | None,
        started_ms: int,
        ended_ms: int,
    ) -> SetRow:
        """Store a finished set (HR during it and records via app.training.strength)."""
        from app.training import strength

        if not exercise.strip():
            raise ValueError("choose an exercise")
        saved = strength.log_set(
            self.store, athlete_id, exercise, reps, weight_kg, started_ms,
            ended_ms=ended_ms, session_id=session_id, rpe=rpe,
        )  # fmt: skip
        return self.sets_by_id([saved.id])[0]

    def last_set(self, athlete_id: int, exercise: str) -> SetRow | None:
        """The athlete's most recent set of this exercise (the form starts from its weight
        and reps), or None."""
        from sqlalchemy import select

        from app.store import models as m

        with self.store.orm() as s:
            row = s.scalar(
                select(m.ExerciseSet)
                .where(m.ExerciseSet.athlete_id == athlete_id)
                .where(m.ExerciseSet.exercise_name == exercise)
                .order_by(m.ExerciseSet.started_ms.desc(), m.ExerciseSet.id.desc())
                .limit(1)
            )
            return None if row is None else set_row(row)

    def set_recovery(self, set_id: int) -> SetRow | None:
        """Fill the HR drop `HR_RECOVERY_S` after the set once those samples are stored."""
        from app.training import strength

        span = queries.set_span(self.store, set_id)
        if span is None:
            return None
        # The training package owns the HR-of-a-set maths; reuse it rather than repeat it.
        _avg, _max, recovery = strength.set_hr(self.store, *span)
        if recovery is None:
            return None
        queries.set_hr_recovery(self.store, set_id, recovery)
        return self.sets_by_id([set_id])[0]
