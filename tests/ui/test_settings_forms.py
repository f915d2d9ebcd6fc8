"""Issue 21 #10, #12, #15 and the profile read back after Save."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget


def _settings(qtbot, window):
    settings = window.show_screen("settings")
    qtbot.waitUntil(lambda: settings.profile is not None, timeout=15_000)
    return settings


def test_typing_into_a_not_set_field_works_at_once(qtbot, window) -> None:
    settings = _settings(qtbot, window)
    box = settings.birth_year
    assert box.text() == "not set"
    box.setFocus()
    qtbot.keyClicks(box, "1985")
    box.interpretText()
    assert box.value() == 1985
    weight = settings.weight
    weight.setValue(0)
    weight.setFocus()
    qtbot.keyClicks(weight, "72.5")
    weight.interpretText()
    assert weight.value() == pytest.approx(72.5)


def test_profile_form_shows_what_is_stored_after_save(qtbot, window, store) -> None:
    settings = _settings(qtbot, window)
    settings.birth_year.setValue(1984)
    settings.weight.setValue(70.26)  # one decimal is stored as typed: 70.3
    settings.resting.setValue(52)
    settings.max_hr.setValue(186)
    settings.sex.setCurrentText("female")
    reads: list[int] = []
    original = window.services.athletes.profile

    def profile(athlete_id: int):
        reads.append(athlete_id)
        return original(athlete_id)

    window.services.athletes.profile = profile
    settings.save()
    qtbot.waitUntil(lambda: settings.feedback.text().startswith("Saved") and len(reads) >= 2,
                    timeout=15_000)  # fmt: skip
    qtbot.waitUntil(lambda: window.bridge.busy == 0, timeout=15_000)
    stored = store.athlete(window.ctx.athlete.id).profile
    assert settings.birth_year.value() == stored.birth_year == 1984
    assert settings.weight.value() == pytest.approx(stored.weight_kg)
    assert settings.resting.value() == stored.resting_hr and settings.max_hr.value() == 186
    assert settings.sex.currentText() == "female" and settings.save_btn.isEnabled()


@pytest.mark.parametrize("size", [(1280, 800), (1024, 640)])
def test_settings_fit_without_horizontal_overflow(qtbot, window, size) -> None:
    settings = _settings(qtbot, window)
    settings.zone_model.setCurrentIndex(settings.zone_model.findData("custom"))
    window.resize(*size)
    qtbot.wait(50)
    body = settings.scroll_area.widget()
    viewport = settings.scroll_area.viewport()
    assert body.minimumSizeHint().width() <= viewport.width(), "needs a horizontal scroll"
    assert settings.minimumSizeHint().height() <= window.stack.height()
    # Every visible field lies inside the screen horizontally (nothing cut off at the right).
    for w in body.findChildren(QWidget):
        if w.isVisible() and w.width() > 0:
            right = w.mapTo(body, w.rect().topRight()).x()
            assert right <= viewport.width() + 1, f"{w!r} sticks out at {size}"
    # Vertically it scrolls: the Save button can be reached.
    settings.scroll_area.ensureWidgetVisible(settings.save_btn)
    assert settings.save_btn.visibleRegion().boundingRect().height() > 0


def test_switching_athlete_clears_what_was_said_and_new_names_are_asked(qtbot, window) -> None:
    settings = _settings(qtbot, window)
    settings.feedback.setText("Saved.")
    settings.strava.say("Strava: 401 Unauthorized")
    ann = window.services.athletes.add("Annabel")
    window.reload_athletes(select_id=ann.id)
    qtbot.waitUntil(lambda: window.ctx.athlete.id == ann.id, timeout=15_000)
    assert settings.feedback.text() == "" and settings.strava.feedback.text() == ""
    # A typo of an existing name is not created silently.
    asked: list[str] = []
    settings.confirm = lambda q: asked.append(q) or False
    settings.new_name.setText("Anabel")
    qtbot.mouseClick(settings.add_btn, Qt.MouseButton.LeftButton)
    assert asked and "Anabel" in asked[0] and "Annabel" in asked[0]
    qtbot.waitUntil(lambda: window.bridge.busy == 0, timeout=15_000)
    names = [a.name for a in window.services.athletes.roster()]
    assert "Anabel" not in names


def test_kcal_dash_is_explained_and_filled_once_the_profile_is(qtbot, window, store) -> None:
    from device.simulator import SimulatedStrap

    me = window.ctx.athlete.id
    store.update_profile(me, weight_kg=None, birth_year=None, sex=None)
    t0 = 1_700_000_000_000
    sid = store.create_session(me, sport="run", source="simulator", started_ms=t0)
    store.insert_samples(
        sid, list(SimulatedStrap(seed=3, start_ms=t0, realtime=False).generate(120))
    )
    store.finish_session(sid, t0 + 120_000)
    assert store.get_session(sid).kcal is None
    detail = window.show_screen("session", session_id=sid)
    qtbot.waitUntil(lambda: detail.detail is not None and detail.detail.row.id == sid,
                    timeout=15_000)  # fmt: skip
    tip = detail.tiles["kcal"].toolTip()
    assert "weight" in tip and "birth year" in tip and "sex" in tip
    history = window.show_screen("history")
    qtbot.waitUntil(lambda: history.loaded and bool(history.model.rows), timeout=15_000)
    from app.ui.screens.history import KCAL_COL

    index = history.model.index(0, KCAL_COL)
    assert "profile" in history.model.data(index, Qt.ItemDataRole.ToolTipRole)
    settings = _settings(qtbot, window)
    settings.birth_year.setValue(1985)
    settings.sex.setCurrentText("male")
    settings.weight.setValue(72)
    settings.save()
    qtbot.waitUntil(lambda: "earlier session" in settings.feedback.text(), timeout=20_000)
    assert store.get_session(sid).kcal is not None
