"""Issue 21 #13 (goals form in words people use) and #14 (gym form)."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QHeaderView

from app.ui.screens.goals import goals_count
from app.ui.screens.gym import DEFAULT_RPE, recovery_text

T0 = 1_700_000_000_000


def test_goals_form_has_human_labels_units_and_only_the_fields_that_apply(qtbot, window) -> None:
    goals = window.show_screen("goals")
    labels = [goals.kind.itemText(i) for i in range(goals.kind.count())]
    assert "active_min" not in labels and "zone_min" not in labels
    assert "Active minutes" in labels and "Minutes in a zone" in labels
    assert goals.kind.currentData() == "active_min" and goals.target.suffix() == " min"
    assert goals.zone.isHidden()  # no "zone 1" field for a kind without a zone
    goals.kind.setCurrentIndex(goals.kind.findData("zone_min"))
    assert not goals.zone.isHidden()
    goals.kind.setCurrentIndex(goals.kind.findData("steps"))
    assert goals.target.value() == 8000 and goals.target.decimals() == 0
    assert goals.zone.isHidden() and goals.target.suffix() == " steps"
    goals.kind.setCurrentIndex(goals.kind.findData("distance"))
    assert goals.target.suffix() == " km" and goals.target.value() == 5
    assert [goals.period.itemText(i) for i in range(goals.period.count())][0] == "Daily"
    assert goals_count(1, False) == "1 goal" and goals_count(3, False) == "3 goals"


def test_gym_form_rpe_starts_at_7_and_remembers_an_exercise(qtbot, window, store) -> None:
    gym = window.show_screen("gym")
    assert gym.rpe.value() == DEFAULT_RPE and gym.rpe.singleStep() == 0.5
    me = window.ctx.athlete.id
    window.services.gym.log_set(None, me, "Squat", 5, 102.5, 8.0, T0, T0 + 30_000)
    gym.search.setText("squat")
    qtbot.waitUntil(lambda: gym.exercise.text() == "Back Squat", timeout=15_000)
    qtbot.waitUntil(lambda: gym.weight.value() == pytest.approx(102.5), timeout=15_000)
    assert gym.reps.value() == 5
    # RPE typed straight in (the field is selected on focus).
    gym.rpe.setFocus()
    qtbot.wait(20)
    gym.rpe.selectAll()
    qtbot.keyClicks(gym.rpe, "8.5")
    gym.rpe.interpretText()
    assert gym.rpe.value() == 8.5


def test_gym_words_and_table_fit(qtbot, window) -> None:
    gym = window.show_screen("gym")
    assert recovery_text(24.0) == "−24 bpm" and recovery_text(-3.0) == "+3 bpm"
    assert recovery_text(None) == "…"
    assert "fell" in gym.table.horizontalHeaderItem(5).toolTip()
    from app.ui.live import LiveView

    gym._on_live(LiveView(state="recording", hr=62, zone=0))
    assert "rest" not in gym.hr_label.text().lower() and "below Z1" in gym.hr_label.text()
    from app.ui import viewmodels as vm

    gym._set_rows(
        [
            vm.SetRow(
                i,
                "Romanian Deadlift with a long name",
                12,
                142.5,
                8.5,
                T0,
                T0,
                152.0,
                171,
                -24.0 if i else 31.0,
                bool(i),
            )
            for i in range(4)
        ]
    )
    header = gym.table.horizontalHeader()
    assert header.sectionResizeMode(0) == QHeaderView.ResizeMode.Stretch
    for size in ((1280, 800), (1024, 640)):
        window.resize(*size)
        qtbot.wait(30)
        used = sum(header.sectionSize(i) for i in range(gym.table.columnCount()))
        assert used <= gym.table.viewport().width() + 1, size
        # The words fit too: both set buttons and the Exercise column's header.
        for button in (gym.start_btn, gym.done_btn):
            text = button.fontMetrics().horizontalAdvance(button.text())
            assert text < button.contentsRect().width(), (size, button.text())
        title = header.fontMetrics().horizontalAdvance("Exercise")
        assert title < header.sectionSize(0), size


def test_session_sport_box_shows_an_unknown_sport_as_it_is(qtbot, window, store) -> None:
    me = window.ctx.athlete.id
    sid = store.create_session(me, sport="yoga", source="import", started_ms=T0)
    store.finish_session(sid, T0 + 60_000)
    detail = window.show_screen("session", session_id=sid)
    qtbot.waitUntil(lambda: detail.detail is not None and detail.detail.row.id == sid,
                    timeout=15_000)  # fmt: skip
    assert detail.sport_box.currentText() == "yoga"  # not "run"
    assert detail.charts.empty.isVisible()  # no samples: said, not an empty grid


def test_gym_fields_show_their_values_in_every_theme(qtbot, window) -> None:
    from PySide6.QtGui import QColor

    from app.ui import theme as th

    gym = window.show_screen("gym")
    for name in th.THEMES:
        window.ctx.set_theme(name)
        t = window.ctx.theme
        image = gym.reps.grab().toImage()
        text = [
            (x, y) for x in range(0, image.width(), 2) for y in range(0, image.height(), 2)
            if th.contrast(QColor(image.pixel(x, y)).name(), t.panel) >= 3
        ]  # fmt: skip
        assert len(text) > 20, f"{name}: the reps value is not drawn"
