"""Goals with a notification once per period; athlete switch; units and theme applied."""

from __future__ import annotations

import pytest

from app.store.settings import THEME
from app.ui import viewmodels as vm

pytestmark = pytest.mark.gui


def _record(qtbot, window, samples: int = 5) -> int:
    ctx = window.ctx
    with qtbot.waitSignal(ctx.stateChanged, timeout=20_000):
        ctx.start("run")
    qtbot.waitUntil(lambda: ctx.last_view.samples >= samples, timeout=20_000)
    sid = ctx.session_id
    with qtbot.waitSignal(ctx.recordingStopped, timeout=20_000):
        ctx.stop()
    return sid


def test_reaching_a_goal_notifies_once(qtbot, window, idle) -> None:
    ctx = window.ctx
    goals = window.show_screen("goals")
    with qtbot.waitSignal(ctx.goalsChanged, timeout=15_000):
        goals.add_goal("sessions", "daily", 1)
    qtbot.waitUntil(lambda: len(goals.items) == 1, timeout=15_000)
    assert goals.items[0].value == 0 and not goals.items[0].achieved
    with qtbot.waitSignal(ctx.goalReached, timeout=20_000) as reached:
        _record(qtbot, window)
    item = reached.args[0]
    assert item.kind == "sessions" and item.achieved
    assert [n.title for n in window.tray.notifications] == ["Goal reached"]
    assert "Sessions" in window.tray.notifications[0].text
    qtbot.waitUntil(lambda: goals.items and goals.items[0].achieved, timeout=15_000)
    # A second session in the same day: progress moves, no second notification.
    _record(qtbot, window)
    ctx.refresh_goals()
    idle(window)
    assert len(window.tray.notifications) == 1
    assert goals.items[0].value == 2


def test_switch_athlete_shows_their_history_and_profile(qtbot, window, store, idle) -> None:
    sid = _record(qtbot, window)
    settings = window.show_screen("settings")
    settings.new_name.setText("Client Anna")
    settings.confirm = lambda _question: True  # "Create a new athlete called …?" Yes
    with qtbot.waitSignal(window.ctx.athleteChanged, timeout=15_000) as changed:
        settings._add_athlete()
    anna = changed.args[0]
    assert anna.name == "Client Anna" and window.ctx.athlete.id == anna.id
    assert window.athlete_box.currentText() == "Client Anna"
    qtbot.waitUntil(lambda: settings.name.text() == "Client Anna", timeout=15_000)
    history = window.show_screen("history")
    idle(window)
    assert history.model.rows == []
    history.everyone.setChecked(True)
    qtbot.waitUntil(lambda: [r.id for r in history.model.rows] == [sid], timeout=15_000)
    # Back to yourself via the switcher.
    me = window.athlete_box.findText("Me (you)")
    window.athlete_box.setCurrentIndex(me)
    window._athlete_picked(me)
    assert window.ctx.athlete.is_self
    # The choice survives a restart (stored setting).
    assert store.get_session(sid).athlete == "Me"


def test_read_only_client_cannot_be_edited_or_recorded(qtbot, make_window, store) -> None:
    sam = store.ensure_athlete("Imported Sam")
    store.update_profile(sam.id, read_only=True)
    window = make_window()
    window.reload_athletes(select_id=sam.id)
    qtbot.waitUntil(lambda: window.ctx.athlete.id == sam.id, timeout=15_000)
    settings = window.show_screen("settings")
    qtbot.waitUntil(lambda: settings.profile is not None, timeout=15_000)
    assert not settings.save_btn.isEnabled()
    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as msg:
        window.ctx.start()
    assert "read-only" in msg.args[0]


def test_units_apply_everywhere(qtbot, window, store, idle) -> None:
    _record(qtbot, window, samples=10)
    history = window.show_screen("history")
    qtbot.waitUntil(lambda: len(history.model.rows) == 1, timeout=15_000)
    assert history.model.text(history.model.rows[0], 5).endswith(" km")
    settings = window.show_screen("settings")
    with qtbot.waitSignal(window.ctx.unitsChanged, timeout=15_000):
        settings.set_units(vm.IMPERIAL)
    assert history.model.text(history.model.rows[0], 5).endswith(" mi")
    dash = window.screen_named("dashboard")
    from app.ui.live import LiveView

    dash.show_view(LiveView(distance_m=1609.344))  # idle shows "-": no distance is known
    assert dash.tiles["distance"].value.text().endswith("mi</span>")
    with store.orm() as s:
        from app.store import models as m

        assert s.get(m.Athlete, window.ctx.athlete.id).units == vm.IMPERIAL
    gym = window.show_screen("gym")
    assert gym.weight_label.text() == "Weight (lb)"


def test_profile_validation_error_is_shown_not_raised(qtbot, window) -> None:
    settings = window.show_screen("settings")
    qtbot.waitUntil(lambda: settings.profile is not None, timeout=15_000)
    settings.resting.setValue(120)
    settings.max_hr.setValue(110)
    settings.save()
    qtbot.waitUntil(lambda: settings.feedback.text().startswith("Not saved"), timeout=15_000)
    assert "max HR" in settings.feedback.text()


@pytest.mark.parametrize("name", ["dark", "high_contrast", "light"])
def test_theme_switch_recolours_and_is_remembered(qtbot, window, name) -> None:
    with qtbot.waitSignal(window.ctx.themeChanged, timeout=15_000):
        window.ctx.set_theme(name)
    assert window.ctx.theme.name == name
    from PySide6.QtWidgets import QApplication

    assert window.ctx.theme.window in QApplication.instance().styleSheet()
    qtbot.waitUntil(lambda: window.services.settings.get(THEME) == name, timeout=15_000)
