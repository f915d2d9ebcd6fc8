"""Issue 18 #10 in the GUI: a goal's target is edited (in the athlete's units) and a goal is
retired after a question; an achievement the new target no longer supports is withdrawn."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox, QPushButton

from app.store.repo import now_ms
from app.training import strength
from app.training.goals import GoalEngine
from app.ui import viewmodels as vm


def _modal(kind, act) -> None:
    """Run `act` on the next modal dialog of type `kind` once it is open."""

    def look() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, kind):
            QTimer.singleShot(10, look)
            return
        act(box)

    QTimer.singleShot(0, look)


def _click(text: str):
    return lambda box: next(b for b in box.buttons() if b.text().replace("&", "") == text).click()


def _buttons(goals, text: str) -> list[QPushButton]:
    return [b for b in goals.body.findChildren(QPushButton) if b.text() == text]


def test_raising_a_reps_target_withdraws_todays_achievement(qtbot, window, store) -> None:
    me = window.ctx.athlete.id
    engine = GoalEngine(store)
    goal = engine.add(me, "reps", "daily", 10)
    strength.log_set(store, me, "Squat", 12, 100.0, now_ms())
    assert engine.evaluate(me)
    goals = window.show_screen("goals")
    qtbot.waitUntil(lambda: len(goals.items) == 1 and goals.items[0].achieved, timeout=15_000)
    assert _buttons(goals, "Edit…")[0].isEnabled() and _buttons(goals, "Retire…")[0].isEnabled()

    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as said:
        goals.edit_target(goal.id, 20)
    assert said.args[0] == "Goal changed: 20 reps daily"
    qtbot.waitUntil(lambda: goals.items and goals.items[0].target == 20, timeout=15_000)
    assert not goals.items[0].achieved
    assert engine.achievements(me) == []


def test_edit_dialog_speaks_the_athletes_units_and_retire_asks(qtbot, window, store) -> None:
    me = window.ctx.athlete.id
    store.update_profile(me, units=vm.IMPERIAL)
    window.ctx.set_units(vm.IMPERIAL)
    goal = GoalEngine(store).add(me, "weight", "daily", 80.0)
    goals = window.show_screen("goals")
    qtbot.waitUntil(lambda: len(goals.items) == 1, timeout=15_000)
    seen: list[float] = []

    def answer(box: QInputDialog) -> None:
        seen.append(box.doubleValue())
        box.setDoubleValue(170.0)
        box.accept()

    _modal(QInputDialog, answer)
    _buttons(goals, "Edit…")[0].click()
    qtbot.waitUntil(lambda: abs(goals.items[0].target - 170 / vm.LB_PER_KG) < 0.01,
                    timeout=15_000)  # fmt: skip
    assert seen == [176.4]  # 80 kg shown in lb

    _modal(QMessageBox, _click("No"))
    _buttons(goals, "Retire…")[0].click()
    assert GoalEngine(store).goals(me)[0].id == goal.id
    _modal(QMessageBox, _click("Yes"))
    _buttons(goals, "Retire…")[0].click()
    qtbot.waitUntil(lambda: goals.items == [], timeout=15_000)
    assert GoalEngine(store).goals(me) == []
    assert GoalEngine(store).goals(me, include_inactive=True)[0].id == goal.id  # history kept
