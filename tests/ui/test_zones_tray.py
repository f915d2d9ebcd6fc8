"""Custom HR zone bounds in Settings; the status-bar stand-in for a missing system tray."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.store import models as m
from app.store.settings import CUSTOM_ZONES
from app.training.daily import load_context
from app.ui.live import IDLE, RECORDING
from app.ui.screens.dashboard import ZONE_NAMES
from app.ui.screens.settings import floors_problem
from app.ui.tray import DEBOUNCE_MS, PAUSED_COLOUR, STATE_COLOURS, StatusTray, status_text

pytestmark = pytest.mark.gui

#: Valid custom bounds far from the default Karvonen zones, so a mix-up shows.
CUSTOM = (100, 118, 133, 150, 171)
#: Every heart rate the simulated strap produces lies in zone 5 under these bounds.
ALL_Z5 = (40, 41, 42, 43, 44)


@pytest.mark.parametrize(
    ("floors", "problem"),
    [
        (CUSTOM, None),
        ((40, 50, 60, 70, 240), None),
        ((100, 90, 130, 150, 170), "Zone 2 must start above zone 1"),
        ((100, 120, 120, 150, 170), "Zone 3 must start above zone 2"),
        ((0, 120, 130, 150, 170), "above 0 bpm"),
        ((-5, 120, 130, 150, 170), "above 0 bpm"),
        ((39, 120, 130, 150, 170), "between 40 and 240"),
        ((100, 120, 130, 150, 241), "Zone 5 must start between 40 and 240"),
        ((100, 120, 130, 150), "five lower bounds"),
    ],
)
def test_floors_problem_says_what_is_wrong(floors, problem) -> None:
    got = floors_problem(floors)
    assert got == problem if problem is None else problem in (got or "")


def _settings(qtbot, window):
    settings = window.show_screen("settings")
    qtbot.waitUntil(lambda: settings.profile is not None, timeout=15_000)
    return settings


def _choose_custom(settings, floors) -> None:
    settings.zone_model.setCurrentIndex(settings.zone_model.findData("custom"))
    for box, bpm in zip(settings.floor_boxes, floors, strict=True):
        box.setValue(bpm)


def _save(qtbot, settings) -> None:
    settings.save()
    qtbot.waitUntil(lambda: settings.feedback.text().startswith(("Saved", "Not saved")),
                    timeout=15_000)  # fmt: skip
    assert settings.feedback.text().startswith("Saved"), settings.feedback.text()


def _weight(store, athlete_id: int) -> float | None:
    with store.orm() as s:
        return s.get(m.Athlete, athlete_id).weight_kg


def _stored(store, athlete_id: int) -> tuple[str, object]:
    with store.orm() as s:
        row = s.get(m.Setting, CUSTOM_ZONES.storage_key(athlete_id))
        return s.get(m.Athlete, athlete_id).zone_model, None if row is None else row.value


def test_custom_zones_are_prefilled_saved_and_reloaded(qtbot, window, store) -> None:
    settings = _settings(qtbot, window)
    aid = window.ctx.athlete.id
    assert settings.zone_model.currentData() == "karvonen"
    assert settings.custom_box.isHidden()  # only the custom model shows the bounds
    karvonen = settings.profile.zone_floors
    settings.zone_model.setCurrentIndex(settings.zone_model.findData("custom"))
    assert not settings.custom_box.isHidden()
    # Prefilled from the zones in use, so switching model starts from what the athlete had.
    assert settings.custom_floors() == tuple(round(f) for f in karvonen)
    assert settings.floors_error.text() == ""
    for box, bpm in zip(settings.floor_boxes, CUSTOM, strict=True):
        box.setValue(bpm)
    _save(qtbot, settings)
    assert _stored(store, aid) == ("custom", [float(f) for f in CUSTOM])
    assert load_context(store, aid).zones.floors_bpm == tuple(float(f) for f in CUSTOM)
    assert settings.zones.text().startswith("Z1 ≥ 100  Z2 ≥ 118")

    # An unsaved change is forgotten on reload; the stored bounds come back.
    settings.zone_model.setCurrentIndex(settings.zone_model.findData("percent_max"))
    settings.floor_boxes[0].setValue(60)
    settings.profile = None
    settings.reload()
    qtbot.waitUntil(lambda: settings.profile is not None, timeout=15_000)
    assert settings.zone_model.currentData() == "custom" and not settings.custom_box.isHidden()
    assert settings.custom_floors() == CUSTOM

    # Back to a computed model: the custom bounds stay stored for later, the model changes.
    settings.zone_model.setCurrentIndex(settings.zone_model.findData("percent_max"))
    assert settings.custom_box.isHidden()
    _save(qtbot, settings)
    assert _stored(store, aid) == ("percent_max", [float(f) for f in CUSTOM])
    assert settings.profile.zone_floors != tuple(float(f) for f in CUSTOM)


def test_invalid_bounds_are_refused_with_a_message_and_nothing_stored(qtbot, window, store) -> None:
    settings = _settings(qtbot, window)
    aid = window.ctx.athlete.id
    before = _stored(store, aid)
    settings.weight.setValue(81)  # saved with the profile: must not be stored either
    _choose_custom(settings, (100, 120, 115, 150, 170))
    assert "Zone 3 must start above zone 2" in settings.floors_error.text()  # inline, at once
    assert settings.floors_error.isVisible()
    settings.save()
    assert settings.feedback.text().startswith("Not saved: Zone 3 must start above zone 2")
    window.settle()
    assert settings.save_btn.isEnabled()  # nothing was sent: the form stays usable
    assert _stored(store, aid) == before == ("karvonen", None)
    assert _weight(store, aid) is None
    # Fixed: the message goes away and the save goes through.
    settings.floor_boxes[2].setValue(135)
    assert settings.floors_error.text() == ""


def test_services_check_custom_bounds_before_storing_anything(window, store) -> None:
    athletes, aid = window.services.athletes, window.ctx.athlete.id
    with pytest.raises(ValueError, match="increasing"):
        athletes.save_profile(aid, weight_kg=70.0, zone_model="custom", floors=(100, 90, 1, 2, 3))
    with pytest.raises(ValueError, match="five|5 lower bounds"):
        athletes.save_profile(aid, weight_kg=70.0, zone_model="custom")
    assert _weight(store, aid) is None
    assert _stored(store, aid) == ("karvonen", None)
    profile = athletes.save_profile(aid, zone_model="custom", floors=CUSTOM)
    assert profile.zone_model == "custom" and profile.zone_floors == tuple(map(float, CUSTOM))


def test_read_only_athlete_cannot_edit_custom_bounds(qtbot, make_window, store) -> None:
    sam = store.ensure_athlete("Imported Sam")
    store.update_profile(sam.id, read_only=True)
    window = make_window()
    window.reload_athletes(select_id=sam.id)
    qtbot.waitUntil(lambda: window.ctx.athlete.id == sam.id, timeout=15_000)
    settings = _settings(qtbot, window)
    qtbot.waitUntil(lambda: settings.profile.athlete_id == sam.id, timeout=15_000)
    settings.zone_model.setCurrentIndex(settings.zone_model.findData("custom"))
    assert not settings.zone_model.isEnabled() and not settings.save_btn.isEnabled()
    assert not any(box.isEnabled() for box in settings.floor_boxes)
    with pytest.raises(PermissionError):
        window.services.athletes.save_profile(sam.id, zone_model="custom", floors=CUSTOM)
    assert _stored(store, sam.id) == ("karvonen", None)


def _band_floors(dash) -> list[float]:
    """The lower edges of the zone shading the dashboard chart draws."""
    return [round(item.rect().top()) for item in dash.chart.bands._items]


def _record(qtbot, window, samples: int) -> int:
    ctx = window.ctx
    with qtbot.waitSignal(ctx.stateChanged, timeout=20_000):
        ctx.start("run")
    qtbot.waitUntil(lambda: ctx.last_view.samples >= samples, timeout=20_000)
    return ctx.session_id


def _stop(qtbot, window) -> None:
    with qtbot.waitSignal(window.ctx.recordingStopped, timeout=20_000):
        window.ctx.stop()


def test_saved_zones_reach_the_dashboard_and_the_session_detail(qtbot, window) -> None:
    dash = window.show_screen("dashboard")
    qtbot.waitUntil(lambda: bool(dash.chart.bands._items), timeout=15_000)
    assert _band_floors(dash) != list(ALL_Z5)
    settings = _settings(qtbot, window)
    _choose_custom(settings, ALL_Z5)
    _save(qtbot, settings)
    # The dashboard reloads the athlete's zones after the save (the zone_floors() path).
    qtbot.waitUntil(lambda: _band_floors(dash) == list(ALL_Z5), timeout=15_000)

    window.show_screen("dashboard")
    sid = _record(qtbot, window, samples=10)
    ctx = window.ctx
    assert ctx.live.zones.floors_bpm == tuple(map(float, ALL_Z5))
    view = ctx.last_view
    assert view.zone == 5
    qtbot.waitUntil(lambda: dash.zone_label.text() == f"bpm · {ZONE_NAMES[5]}", timeout=15_000)
    assert view.zone_s[4] > 0 and view.zone_s[:4] == (0.0, 0.0, 0.0, 0.0)
    assert dash.zone_band.zone_s[4] > 0 and tuple(dash.zone_band.zone_s[:4]) == (0, 0, 0, 0)
    _stop(qtbot, window)

    detail = window.show_screen("session", session_id=sid)
    qtbot.waitUntil(lambda: detail.detail is not None and detail.detail.row.id == sid,
                    timeout=15_000)  # fmt: skip
    # The detail's HR chart is shaded with the athlete's current zones.
    assert detail.detail.zone_floors == tuple(map(float, ALL_Z5))


def test_zones_saved_during_a_recording_apply_after_it(qtbot, window) -> None:
    dash = window.show_screen("dashboard")
    qtbot.waitUntil(lambda: bool(dash.chart.bands._items), timeout=15_000)
    before = _band_floors(dash)
    _record(qtbot, window, samples=3)
    live_floors = window.ctx.live.zones.floors_bpm
    settings = _settings(qtbot, window)
    _choose_custom(settings, ALL_Z5)
    _save(qtbot, settings)
    assert "apply from the next recording" in settings.feedback.text()
    window.settle()
    # The shading keeps matching the live HR colours, which use the zones the session began with.
    assert _band_floors(dash) == before and window.ctx.live.zones.floors_bpm == live_floors
    _stop(qtbot, window)
    qtbot.waitUntil(lambda: _band_floors(dash) == list(ALL_Z5), timeout=15_000)


def test_session_detail_time_in_zone_uses_the_custom_zones(qtbot, window) -> None:
    settings = _settings(qtbot, window)
    _choose_custom(settings, ALL_Z5)
    _save(qtbot, settings)
    sid = _record(qtbot, window, samples=10)
    _stop(qtbot, window)
    detail = window.show_screen("session", session_id=sid)
    qtbot.waitUntil(lambda: detail.detail is not None and detail.detail.row.id == sid,
                    timeout=15_000)  # fmt: skip
    zone_s = detail.detail.zone_s
    assert (zone_s[4] or 0) > 0 and all(not z for z in zone_s[:4]), zone_s


# Status bar in place of the tray -----------------------------------------------------------


def test_without_a_tray_the_status_bar_shows_state_hr_and_starts_and_stops(
    qtbot, window, store
) -> None:
    tray = window.tray
    assert not tray.available()  # offscreen Qt has no system tray, like many Linux desktops
    fallback = tray.fallback
    assert isinstance(fallback, StatusTray)
    assert fallback.parent() is window.statusBar() and fallback.isVisible()
    assert fallback.text.text() == "Not recording"
    assert fallback.button.text() == "Start recording"
    assert STATE_COLOURS[IDLE] in fallback.dot.styleSheet()

    ctx = window.ctx
    with qtbot.waitSignal(ctx.stateChanged, timeout=20_000) as started:
        qtbot.mouseClick(fallback.button, Qt.MouseButton.LeftButton)
    assert started.args == [RECORDING]
    assert STATE_COLOURS[RECORDING] in fallback.dot.styleSheet()
    assert fallback.button.text() == "Stop…"
    qtbot.waitUntil(lambda: ctx.last_view.hr is not None and ctx.last_view.elapsed_s >= 1,
                    timeout=20_000)  # fmt: skip
    with qtbot.waitSignal(ctx.liveChanged, timeout=15_000):
        pass
    text = fallback.text.text()
    assert text == status_text(ctx.last_view) == tray.tooltip_for(ctx.last_view)
    assert text.startswith("Pulsedeck · Recording 0:0") and f"HR {ctx.last_view.hr} bpm" in text
    window.ctx.pause()
    qtbot.waitUntil(lambda: fallback.text.text().startswith("Pulsedeck · Paused"), timeout=15_000)
    assert PAUSED_COLOUR in fallback.dot.styleSheet()
    window.ctx.resume()
    qtbot.waitUntil(lambda: ctx.state == RECORDING, timeout=15_000)
    # A notification still goes to the status bar without hiding the permanent widget.
    tray.show_message("Goal reached", "Sessions: 1 / 1")
    assert window.statusBar().currentMessage() == "Goal reached: Sessions: 1 / 1"
    assert fallback.isVisible()

    sid = ctx.session_id
    window.confirm_stop = lambda: ctx.stop()  # the save-or-discard question, answered "Save"
    qtbot.wait(DEBOUNCE_MS + 100)  # the button just changed meaning: clicks are ignored briefly
    with qtbot.waitSignal(ctx.recordingStopped, timeout=20_000) as stopped:
        qtbot.mouseClick(fallback.button, Qt.MouseButton.LeftButton)
    assert stopped.args == [sid, False]  # stop asks, then saves
    assert store.get_session(sid).status == "finished"
    assert fallback.text.text() == "Not recording" and fallback.button.text() == "Start recording"


def _answer(text: str) -> list[str]:
    """Click `text` in the next modal message box; returns the box's text once seen."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)  # not open yet: look again
            return
        seen.append(box.text())
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    QTimer.singleShot(0, click)
    return seen


def test_closing_while_recording_without_a_tray_asks_first(qtbot, window) -> None:
    # The real QMessageBox.question is answered by clicking its button (like test_dialogs).
    assert window.tray.fallback is not None
    _record(qtbot, window, samples=3)
    seen = _answer("No")
    window.close()
    assert seen and "recording is running" in seen[0]
    assert window.isVisible() and window.ctx.state == RECORDING
    _answer("Yes")
    with qtbot.waitSignal(window.lastWindowClosed, timeout=15_000):
        window.close()


def test_closing_while_recording_with_a_tray_hides_to_it(qtbot, window, monkeypatch) -> None:
    # Offscreen Qt cannot have a system tray, so its presence is simulated here.
    monkeypatch.setattr(window.tray, "available", lambda: True)
    _record(qtbot, window, samples=3)
    window.close()
    assert not window.isVisible() and window.ctx.state == RECORDING
    assert window.tray.notifications[-1].title == "Pulsedeck keeps recording"
    _stop(qtbot, window)
