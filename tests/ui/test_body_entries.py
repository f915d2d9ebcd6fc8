"""Issue 18 #10 in the GUI: body entries listed beside the trends, corrected and deleted."""

from __future__ import annotations

import os
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
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


@pytest.fixture
def utc_process():
    """The computer's zone is UTC for the test (TZ + tzset), restored after."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = before
    time.tzset()


def test_times_are_the_athletes_zone_not_the_computers(qtbot, window, store, utc_process) -> None:
    me = window.ctx.athlete.id
    store.update_profile(me, timezone="Pacific/Auckland")
    auckland = ZoneInfo("Pacific/Auckland")
    # 07:30:17.345 on 1 June in Auckland (NZST, UTC+12) is 19:30 the day before in UTC.
    at = datetime(2026, 6, 1, 7, 30, 17, 345_000, tzinfo=auckland)
    stored_ms = round(at.timestamp() * 1000)
    body_mod.add_metric(store, me, "weight_kg", 80.0, stored_ms)
    panel = _panel(qtbot, window, 1)
    assert panel.table.item(0, 0).text() == "2026-06-01 07:30"
    assert "Pacific/Auckland" in panel.table.horizontalHeaderItem(0).text()
    panel.table.selectRow(0)
    assert panel.when.text() == "2026-06-01 07:30"
    assert panel.zone_label.text() == "Pacific/Auckland"

    panel.value.setValue(79.0)  # the time left alone: the stored instant kept to the ms
    with qtbot.waitSignal(window.ctx.message, timeout=15_000):
        panel.save()
    (entry,) = body_mod.metrics(store, me)
    assert entry.value == 79.0 and entry.measured_ms == stored_ms

    qtbot.waitUntil(lambda: panel.table.item(0, 2).text() == "79.0 kg", timeout=15_000)
    panel.table.selectRow(0)
    panel.when.setDateTime(panel.when.dateTime().addSecs(45 * 60))  # 08:15 Auckland
    with qtbot.waitSignal(window.ctx.message, timeout=15_000):
        panel.save()
    moved = datetime(2026, 6, 1, 8, 15, tzinfo=auckland)
    assert body_mod.metrics(store, me)[0].measured_ms == round(moved.timestamp() * 1000)
    qtbot.waitUntil(lambda: panel.table.item(0, 0).text() == "2026-06-01 08:15", timeout=15_000)
