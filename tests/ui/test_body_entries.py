"""Issue 18 #10 in the GUI: body entries listed beside the trends, corrected and deleted."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.store.repo import now_ms
from app.training import body as body_mod
from app.training.goals import GoalEngine
from app.ui import viewmodels as vm


def _answer(text: str) -> list[str]:
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    QTimer.singleShot(0, click)
    return seen


def _panel(qtbot, window, rows: int):
    trends = window.show_screen("trends")
    trends.tabs.setCurrentWidget(trends.body_entries)
    panel = trends.body_entries
    qtbot.waitUntil(lambda: panel.table.rowCount() == rows, timeout=15_000)
    return panel


def test_correcting_a_weigh_in_withdraws_the_weight_goal_it_reached(qtbot, window, store) -> None:
    me = window.ctx.athlete.id
    store.update_profile(me, weight_kg=80.0)
    GoalEngine(store).add(me, "weight", "daily", 79.0)
    body_mod.add_metric(store, me, "resting_hr", 52, now_ms() - 3_600_000)
    weigh_in = body_mod.add_metric(store, me, "weight_kg", 78.5, now_ms())
    assert GoalEngine(store).evaluate(me)
    panel = _panel(qtbot, window, 2)
    assert panel.table.item(0, 1).text() == "Weight"  # newest first
    assert panel.table.item(0, 2).text() == "78.5 kg" and not panel.save_btn.isEnabled()
    panel.table.selectRow(0)
    assert panel.save_btn.isEnabled() and panel.value.value() == 78.5
    panel.value.setValue(79.6)
    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as said:
        panel.save()
    assert said.args[0].startswith("Entry saved") and "withdrawn" in said.args[0]
    assert body_mod.metrics(store, me, "weight_kg")[0].value == 79.6
    assert body_mod.metrics(store, me, "weight_kg")[0].measured_ms == weigh_in.measured_ms
    assert GoalEngine(store).achievements(me) == []
    qtbot.waitUntil(lambda: panel.table.item(0, 2).text() == "79.6 kg", timeout=15_000)

    panel.table.selectRow(1)
    panel.value.setValue(5)  # implausible resting HR: refused, nothing stored
    panel.save()
    qtbot.waitUntil(lambda: panel.status.text().startswith("Not saved"), timeout=15_000)
    assert body_mod.metrics(store, me, "resting_hr")[0].value == 52

    seen = _answer("Yes")
    panel.ask_delete()
    assert "Resting HR entry 52.0 bpm" in seen[0]
    qtbot.waitUntil(lambda: panel.table.rowCount() == 1, timeout=15_000)
    assert [m.kind for m in body_mod.metrics(store, me)] == ["weight_kg"]


def test_weight_is_listed_and_edited_in_pounds_for_imperial(qtbot, window, store) -> None:
    me = window.ctx.athlete.id
    store.update_profile(me, units=vm.IMPERIAL)
    window.ctx.set_units(vm.IMPERIAL)
    body_mod.add_metric(store, me, "weight_kg", 80.0, now_ms())
    panel = _panel(qtbot, window, 1)
    assert panel.table.item(0, 2).text() == "176.4 lb"
    panel.table.selectRow(0)
    panel.value.setValue(170.0)
    with qtbot.waitSignal(window.ctx.message, timeout=15_000):
        panel.save()
    assert abs(body_mod.metrics(store, me)[0].value - 170 / vm.LB_PER_KG) < 0.01
