"""A readiness reading recorded live (the dashboard's Readiness button) never counts towards
goals: the live tracker leaves it out as the stored daily summaries do."""

from __future__ import annotations

import pytest

from app.domain.readiness import READINESS_SPORT
from app.domain.samples import Sample
from app.training.goals import GoalEngine
from app.training.live import GoalTracker

from .helpers import athlete, ms

START = ms(2026, 6, 3, 7, 0)


@pytest.mark.parametrize(("sport", "reached"), [(READINESS_SPORT, False), ("run", True)])
def test_a_readiness_reading_is_not_a_session_for_live_goals(store, sport, reached) -> None:
    me = athlete(store)
    engine = GoalEngine(store, clock=lambda: START / 1000)
    engine.add(me, "sessions", "daily", 1)
    tracker = GoalTracker(engine, me, session_id=None, sport=sport, started_ms=START)
    events = []
    for i in range(180):
        events += tracker.feed(Sample(t_ms=START + i * 1000, hr=55))
    events += tracker.check()
    assert bool(events) is reached
    assert (tracker.progress()[0].value or 0) == (1 if reached else 0)
