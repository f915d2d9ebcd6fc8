"""Issue 22 #4 and #7 in the app: Compare (2-6 athletes or one athlete's two periods on the
trends charts), the lake id in Settings, and coach mode in the navigation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt

from tests.analysis.trend_data import fill_history

pytestmark = pytest.mark.gui


def _nav_visible(window, name: str) -> bool:
    from app.ui.window import NAV

    row = next(i for i, n in enumerate(NAV) if n[0] == name)
    return not window.nav.isRowHidden(row)


def _tick(screen, names: set[str]) -> None:
    for i in range(screen.people.count()):
        item = screen.people.item(i)
        on = item.text().removesuffix(" (you)") in names
        item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)


def test_compare_athletes_and_periods_on_the_trends_charts(qtbot, store, make_window) -> None:
    today = datetime.now(UTC).date()
    fill_history(store, 16, hz=0.05, end=today)  # reaches into the period before
    fill_history(store, 16, hz=0.05, end=today, seed=3, name="Ann")
    store.ensure_athlete("Cal")  # no data at all
    window = make_window()
    qtbot.waitUntil(lambda: _nav_visible(window, "compare"), timeout=20_000)
    screen = window.show_screen("compare")
    qtbot.waitUntil(lambda: len(screen.results) == 2, timeout=60_000)

    # The first two athletes are ticked: one line each on every chart with data.
    names = [ln.label.removesuffix(" (you)") for ln, _tr in screen.results]
    assert sorted(names) == ["Ann", "Me"]
    for key in ("fitness", "form", "hours", "load", "resting", "hrv"):
        assert len(screen.plots[key].series) == 2, key
    first, last = screen.results[0][0].first, screen.results[0][0].last
    assert (last - first).days == 90  # "3 months"

    # One athlete is not a comparison; seven are too many; three (one empty) are fine.
    _tick(screen, {"Me"})
    assert not screen.compare_btn.isEnabled() and "Tick 2 to 6" in screen.status.text()
    _tick(screen, {"Me", "Ann", "Cal"})
    assert screen.compare_btn.isEnabled()
    with qtbot.waitSignal(screen.shown, timeout=60_000):
        screen.reload()
    assert len(screen.results) == 3 and "no data for Cal" in screen.status.text()
    assert len(screen.plots["fitness"].series) == 2  # Cal has nothing to draw

    # One athlete's two periods, laid over each other by day of the period.
    with qtbot.waitSignal(screen.shown, timeout=60_000):
        screen.mode.setCurrentText("Periods")
    (now, then) = [ln for ln, _tr in screen.results]
    assert now.athlete_id == then.athlete_id == window.ctx.athlete.id
    assert now.last == today and then.last == now.first - timedelta(days=1)
    fitness = screen.plots["fitness"]
    assert set(fitness.series) == {now.label, then.label}
    xs = fitness.series[now.label].getData()[0]
    assert xs[0] == 0 and xs[-1] == (now.last - now.first).days
    with qtbot.waitSignal(screen.shown, timeout=60_000):
        screen.other.setCurrentText("vs a year earlier")
    assert screen.results[1][0].last == today - timedelta(days=365)


def test_lake_id_is_shown_and_set_in_settings(qtbot, store, make_window, idle) -> None:
    from sync.lake.identity import lake_id

    me = store.default_athlete()
    client = store.ensure_athlete("Pulled client")
    store.update_profile(client.id, read_only=True, remote_ref="client-7")
    window = make_window()
    settings = window.show_screen("settings")
    panel = settings.lake_id
    idle(window)
    assert panel.edit.text() == "" and panel.edit.placeholderText().startswith("assigned")
    panel.edit.setText("bad id!")
    panel.save()
    qtbot.waitUntil(lambda: panel.feedback.text().startswith("Not changed"), timeout=20_000)
    panel.edit.setText("client-7")  # a pulled client's id is theirs
    panel.save()
    qtbot.waitUntil(lambda: "client" in panel.feedback.text(), timeout=20_000)
    assert lake_id(store, me.id) is None
    panel.edit.setText("anna-desktop")
    panel.save()
    qtbot.waitUntil(lambda: "anna-desktop" in panel.feedback.text(), timeout=20_000)
    assert lake_id(store, me.id) == "anna-desktop"

    # A pulled client's id is shown, not editable.
    window.reload_athletes(select_id=client.id)
    qtbot.waitUntil(lambda: window.ctx.athlete.id == client.id, timeout=20_000)
    qtbot.waitUntil(lambda: panel.edit.text() == "client-7", timeout=20_000)
    assert panel.edit.isReadOnly() and not panel.save_btn.isEnabled()
    idle(window)


def test_coach_mode_appears_with_a_second_athlete(qtbot, store, make_window, idle) -> None:
    window = make_window()
    idle(window)
    assert not _nav_visible(window, "roster") and not _nav_visible(window, "compare")
    assert _nav_visible(window, "settings")
    item = store.ensure_athlete("Second")
    window.reload_athletes(select_id=item.id)
    qtbot.waitUntil(lambda: _nav_visible(window, "roster"), timeout=20_000)
    assert _nav_visible(window, "compare")
    idle(window)
