"""Correcting the training log: sets, body entries, goals and your own exercises.

One place for the CLI (`sets|body|exercises edit|delete`, `goals edit|remove`) and the GUI:
each change goes through app.training (which replays the personal records), and then the
goal achievements the data no longer supports are withdrawn and returned, so both can say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import TYPE_CHECKING

from app.domain.edits import KEEP, Keep
from app.domain.goals import Achievement, Goal
from app.training import body as body_mod
from app.training import catalog, strength
from app.training.daily import load_context
from app.training.goals import GoalEngine

if TYPE_CHECKING:
    from app.store.repo import Store


@dataclass(frozen=True, slots=True)
class SetEdit:
    """A corrected set (its records replayed) and the achievements it withdrew."""

    saved: strength.SavedSet
    withdrawn: tuple[Achievement, ...]


@dataclass(frozen=True, slots=True)
class BodyEdit:
    """A corrected body entry and the achievements (weight goals) it withdrew."""

    entry: body_mod.Metric
    withdrawn: tuple[Achievement, ...]


class TrainingLogService:
    """Edits and deletes of training-log entries; refuses imported (read-only) clients."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def _writable(self, athlete_id: int) -> None:
        info = self.store.athlete(athlete_id)
        if info is None:
            raise LookupError(f"no athlete {athlete_id}")
        if info.read_only:
            raise PermissionError(f"{info.name} is an imported client: read-only")

    def _withdraw(self, athlete_id: int) -> tuple[Achievement, ...]:
        return tuple(GoalEngine(self.store).withdraw_stale(athlete_id))

    # Sets -----------------------------------------------------------------------------

    def edit_set(
        self,
        athlete_id: int,
        set_id: int,
        *,
        exercise: catalog.ExerciseInfo | str | Keep = KEEP,
        reps: int | Keep = KEEP,
        weight_kg: float | None | Keep = KEEP,
        rpe: float | None | Keep = KEEP,
        started_ms: int | Keep = KEEP,
    ) -> SetEdit:
        """Change a set; records are replayed.

        KEEP leaves a field (app.domain.edits); None clears the RPE; None or 0 kg is
        bodyweight. An exercise given by name must be a sure match (catalog.UnknownExercise).
        """
        self._writable(athlete_id)
        if isinstance(exercise, str):
            exercise = catalog.lookup(self.store, athlete_id, exercise)
        saved = strength.edit_set(
            self.store, athlete_id, set_id, exercise=exercise, reps=reps, weight_kg=weight_kg,
            rpe=rpe, started_ms=started_ms,
        )  # fmt: skip
        return SetEdit(saved, self._withdraw(athlete_id))

    def delete_set(self, athlete_id: int, set_id: int) -> tuple[Achievement, ...]:
        """Delete a set; its exercise's records are replayed. The withdrawn achievements."""
        self._writable(athlete_id)
        strength.delete_set(self.store, athlete_id, set_id)
        return self._withdraw(athlete_id)

    # Body entries ---------------------------------------------------------------------

    def zone(self, athlete_id: int) -> tzinfo:
        """The athlete's time zone: the log's times are shown and typed in it, not the
        computer's (a coach abroad edits a client's weigh-in at the client's hour)."""
        return load_context(self.store, athlete_id).tz

    def body_entries(self, athlete_id: int) -> list[body_mod.Metric]:
        """Every measurement, newest first (as a list to correct them from)."""
        return body_mod.metrics(self.store, athlete_id)[::-1]

    def edit_body(
        self,
        athlete_id: int,
        entry_id: int,
        *,
        value: float | None = None,
        measured_ms: int | None = None,
    ) -> BodyEdit:
        """Correct a measurement (checked like a new one)."""
        self._writable(athlete_id)
        entry = body_mod.edit_metric(
            self.store, athlete_id, entry_id, value=value, measured_ms=measured_ms
        )
        return BodyEdit(entry, self._withdraw(athlete_id))

    def delete_body(self, athlete_id: int, entry_id: int) -> tuple[Achievement, ...]:
        """Delete a measurement; the withdrawn achievements."""
        self._writable(athlete_id)
        body_mod.delete_metric(self.store, athlete_id, entry_id)
        return self._withdraw(athlete_id)

    # Goals ----------------------------------------------------------------------------

    def _own_goal(self, athlete_id: int, goal_id: int) -> GoalEngine:
        engine = GoalEngine(self.store)
        goal = engine.get(goal_id)
        if goal is None or goal.athlete_id != athlete_id:
            raise LookupError(f"no goal {goal_id}")
        return engine

    def edit_goal(self, athlete_id: int, goal_id: int, target: float) -> Goal:
        """Change a goal's target; achievements it no longer supports are withdrawn."""
        self._writable(athlete_id)
        return self._own_goal(athlete_id, goal_id).edit(goal_id, target)

    def remove_goal(self, athlete_id: int, goal_id: int) -> None:
        """Stop tracking a goal (its history is kept)."""
        self._writable(athlete_id)
        self._own_goal(athlete_id, goal_id).remove(goal_id)

    # Own exercises --------------------------------------------------------------------

    def own_exercises(self, athlete_id: int) -> list[catalog.ExerciseInfo]:
        """The athlete's own exercises (built-in ones cannot change)."""
        return [e for e in catalog.exercises(self.store, athlete_id) if not e.builtin]

    def add_exercise(
        self,
        athlete_id: int,
        name: str,
        *,
        aliases: Sequence[str] = (),
        muscle_groups: Sequence[str] = (),
        equipment: str | None = None,
        kind: str = "strength",
    ) -> catalog.ExerciseInfo:
        """A new exercise of the athlete's own, as `exercises add` / `sets add --create` make
        (catalog.add_custom: refused if the catalog already has the name)."""
        self._writable(athlete_id)
        return catalog.add_custom(
            self.store, athlete_id, name, aliases=aliases, muscle_groups=muscle_groups,
            equipment=equipment, kind=kind,
        )  # fmt: skip

    def _exercise(self, athlete_id: int, exercise_id: int) -> catalog.ExerciseInfo:
        for e in catalog.exercises(self.store, athlete_id):
            if e.id == exercise_id:
                return e
        raise LookupError(f"no exercise {exercise_id}")

    def edit_exercise(
        self,
        athlete_id: int,
        exercise_id: int,
        *,
        name: str | None = None,
        aliases: Sequence[str] | None = None,
        muscle_groups: Sequence[str] | None = None,
        equipment: str | None = None,
        kind: str | None = None,
    ) -> catalog.ExerciseInfo:
        """Change one of the athlete's own exercises; a new name is carried to its sets."""
        self._writable(athlete_id)
        return catalog.edit_custom(
            self.store, athlete_id, self._exercise(athlete_id, exercise_id), name=name,
            aliases=aliases, muscle_groups=muscle_groups, equipment=equipment, kind=kind,
        )  # fmt: skip

    def delete_exercise(self, athlete_id: int, exercise_id: int) -> None:
        """Delete one of the athlete's own exercises (refused while sets or goals use it)."""
        self._writable(athlete_id)
        catalog.delete_custom(self.store, athlete_id, self._exercise(athlete_id, exercise_id))
