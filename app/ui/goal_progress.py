"""The goals screen's interface to `app.training` (GoalEngine, live GoalTracker); no Qt.

Runs in the bridge's worker threads. Samples from the live recording are queued by the
recorder's listener (cheap, on the loop thread) and fed to the tracker under a lock when
progress is polled, so the tracker is only ever touched by one thread at a time.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Protocol

from app.domain.samples import Sample
from app.store.repo import Store
from app.training.goals import Achievement, GoalEngine, GoalKind, GoalProgress
from app.training.live import GoalTracker

from .viewmodels import GoalItem

KINDS: tuple[str, ...] = tuple(k.value for k in GoalKind)
PERIODS: tuple[str, ...] = ("daily", "weekly", "monthly")


class GoalsProvider(Protocol):
    """What the screens need from a goals engine."""

    def progress(self, athlete_id: int) -> list[GoalItem]: ...

    def newly_achieved(self, athlete_id: int) -> list[GoalItem]: ...

    def add_goal(
        self, athlete_id: int, kind: str, period: str, target: float, zone: int | None
    ) -> None: ...

    def remove_goal(self, goal_id: int) -> None: ...

    def start_live(self, athlete_id: int, session_id: int, sport: str, started_ms: int) -> None: ...

    def feed(self, sample: Sample) -> None: ...

    def stop_live(self) -> None: ...


def _item(p: GoalProgress) -> GoalItem:
    g = p.goal
    return GoalItem(
        id=g.id,
        kind=g.kind.value,
        period=g.period.value,
        target=g.target,
        value=p.value or 0.0,
        zone=g.zone,
        achieved=p.met or p.achieved_ms is not None,
        unit=g.unit,
        description=g.describe(),
    )


class TrainingGoals:
    """GoalsProvider over `app.training.goals.GoalEngine` and its live `GoalTracker`."""

    def __init__(self, store: Store, engine: GoalEngine | None = None) -> None:
        self.engine = engine or GoalEngine(store)
        self._lock = threading.Lock()
        self._tracker: GoalTracker | None = None
        self._tracked_athlete: int | None = None
        self._queue: list[Sample] = []
        self._queue_lock = threading.Lock()
        self._pending: list[Achievement] = []

    def start_live(self, athlete_id: int, session_id: int, sport: str, started_ms: int) -> None:
        tracker = GoalTracker(
            self.engine, athlete_id, session_id=session_id, sport=sport, started_ms=started_ms
        )
        with self._lock:
            self._tracker, self._tracked_athlete = tracker, athlete_id

    def stop_live(self) -> None:
        with self._lock:
            self._tracker, self._tracked_athlete = None, None
            self._pending = []
        with self._queue_lock:
            self._queue.clear()

    def feed(self, sample: Sample) -> None:
        """Queue a live sample (called on the loop thread; no maths here)."""
        with self._queue_lock:
            self._queue.append(sample)

    def _drain(self) -> list[Achievement]:
        with self._queue_lock:
            batch, self._queue = self._queue, []
        assert self._tracker is not None
        events: list[Achievement] = []
        for s in batch:
            events += self._tracker.feed(s)
        return events + self._tracker.check()

    def progress(self, athlete_id: int) -> list[GoalItem]:
        with self._lock:
            if self._tracker is not None and self._tracked_athlete == athlete_id:
                self._pending = self._drain()
                return [_item(p) for p in self._tracker.progress()]
        return [_item(p) for p in self.engine.progress(athlete_id)]

    def newly_achieved(self, athlete_id: int) -> list[GoalItem]:
        """Goals reached since the last call, each once per goal and period (stored)."""
        with self._lock:
            if self._tracker is not None and self._tracked_athlete == athlete_id:
                events = self._pending + self._drain()
                self._pending = []
            else:
                events = self.engine.evaluate(athlete_id)
        if not events:
            return []
        by_id = {i.id: i for i in self.progress(athlete_id)}
        # The value when it was reached: an achievement may be of an earlier period (a session
        # imported late) whose current progress is still 0 / target.
        return [replace(by_id[e.goal_id], value=e.value, achieved=True)
                for e in events if e.goal_id in by_id]  # fmt: skip

    def add_goal(
        self, athlete_id: int, kind: str, period: str, target: float, zone: int | None
    ) -> None:
        self.engine.add(athlete_id, kind, period, target, zone=zone)

    def remove_goal(self, goal_id: int) -> None:
        self.engine.remove(goal_id)


def provider(store: Store) -> GoalsProvider:
    return TrainingGoals(store)
