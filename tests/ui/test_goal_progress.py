"""The goals provider behind the GUI: what a "goal reached" notification says."""

from __future__ import annotations

from app.training.goals import GoalEngine
from app.ui.goal_progress import TrainingGoals

from ..training.helpers import athlete, ms, session


def test_a_goal_reached_on_an_earlier_day_is_announced_with_that_days_value(store) -> None:
    a = athlete(store)
    # The goal exists since June 1 (a goal counts from its creation, never before).
    TrainingGoals(store, GoalEngine(store, clock=lambda: ms(2026, 6, 1, 7))).add_goal(
        a, "steps", "daily", 500, None
    )
    session(store, a, ms(2026, 6, 2, 8), 300, steps_per_s=2)  # yesterday: 598 steps
    goals = TrainingGoals(store, GoalEngine(store, clock=lambda: ms(2026, 6, 3, 12)))
    [today] = goals.progress(a)
    assert today.value == 0 and not today.achieved  # nothing yet today
    [reached] = goals.newly_achieved(a)
    assert reached.achieved and reached.value == 598  # not "0 / 500" while saying "reached"
    assert goals.newly_achieved(a) == []  # once per goal and period
