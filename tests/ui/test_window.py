"""Drive the real window: record from the simulated strap, lap, gym set, stop, history, detail."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.ui.live import IDLE, PAUSED, RECORDING

pytestmark = pytest.mark.gui

T0 = 1_764_000_000_000


def _start(qtbot, window) -> None:
    ctx = window.ctx
    with qtbot.waitSignal(ctx.stateChanged, timeout=20_000) as blocker:
        qtbot.mouseClick(window.screen_named("dashboard").start_btn, Qt.MouseButton.LeftButton)
    assert blocker.args == [RECORDING]


def test_record_lap_set_stop_then_find_it_in_history(qtbot, window, store, idle) -> None:
    ctx = window.ctx
    dash = window.screen_named("dashboard")
    assert dash.hr_label.text() == "--"
    _start(qtbot, window)
    # The big number and the chart follow the strap.
    qtbot.waitUntil(lambda: dash.hr_label.text().isdigit(), timeout=20_000)
    painted = dash.chart.repaints
    qtbot.waitUntil(lambda: dash.chart.repaints > painted + 3, timeout=20_000)
    x, hr = ctx.live.series("hr")
    assert len(x) >= 4 and np.isfinite(hr).all()
    assert f"color: {ctx.theme.zones[ctx.last_view.zone]}" in dash.hr_label.styleSheet()
    assert not dash.start_btn.isEnabled() and dash.stop_btn.isEnabled()

    # A lap from the keyboard shortcut.
    with qtbot.waitSignal(ctx.liveChanged, timeout=15_000):
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: ctx.last_view.lap_no == 2, timeout=15_000)

    # A gym set, logged with the one key (F9) after picking an exercise by a typo.
    gym = window.show_screen("gym")
    gym.search.setText("bench prss")
    qtbot.waitUntil(lambda: gym.matches.count() > 0, timeout=15_000)
    assert gym.exercise.text() == "Bench Press"
    gym.reps.setValue(5)
    gym.weight.setValue(60)
    gym.start_set()
    qtbot.waitUntil(lambda: ctx.last_view.samples > 20, timeout=20_000)
    qtbot.keyClick(gym, Qt.Key.Key_F9)
    qtbot.waitUntil(lambda: len(gym.rows) == 1, timeout=20_000)
    row = gym.rows[0]
    assert (row.exercise, row.reps, row.weight_kg) == ("Bench Press", 5, 60.0)
    assert row.avg_hr is not None and row.max_hr is not None  # HR during the set, from the store
    assert row.started_ms < row.ended_ms

    # Pause, resume, stop and save.
    ctx.pause()
    qtbot.waitUntil(lambda: ctx.state == PAUSED, timeout=15_000)
    ctx.resume()
    qtbot.waitUntil(lambda: ctx.state == RECORDING, timeout=15_000)
    sid = ctx.session_id
    with qtbot.waitSignal(ctx.recordingStopped, timeout=20_000) as stopped:
        ctx.stop()
    assert stopped.args == [sid, False]
    assert ctx.state == IDLE

    history = window.show_screen("history")
    qtbot.waitUntil(lambda: any(r.id == sid for r in history.model.rows), timeout=15_000)
    info = store.get_session(sid)
    assert info is not None and info.status == "finished" and info.samples > 20
    shown = next(r for r in history.model.rows if r.id == sid)
    col = {name: i for i, name in enumerate(("Date", "Athlete", "Sport", "Title", "Duration",
                                              "Distance", "Avg HR", "kcal", "Sync"))}  # fmt: skip
    assert history.model.text(shown, col["Avg HR"]) == f"{info.avg_hr:.0f}"
    assert history.model.text(shown, col["Sport"]) == "run"
    assert history.model.text(shown, col["Distance"]).endswith(" km")

    # Open the detail: charts, laps (two), the set.
    index = history.model.rows.index(shown)
    history.table.selectRow(index)
    qtbot.mouseClick(history.open_btn, Qt.MouseButton.LeftButton)
    detail = window.screens["session"]
    qtbot.waitUntil(
        lambda: detail.detail is not None and detail.detail.row.id == sid, timeout=15_000
    )
    d = detail.detail
    assert len(d.laps) == 2
    assert [s.exercise for s in d.sets] == ["Bench Press"]
    assert set(detail.charts.plots) >= {"hr", "cadence", "speed"}
    assert detail.tiles["avg_hr"].value.text().startswith(f"{info.avg_hr:.0f}")
    text = detail.charts.set_crosshair(float(d.t[len(d.t) // 2]))
    assert "HR" in text


def test_discarded_recording_leaves_history_and_can_be_undone(qtbot, window, store) -> None:
    ctx = window.ctx
    _start(qtbot, window)
    qtbot.waitUntil(lambda: ctx.last_view.samples > 3, timeout=20_000)
    sid = ctx.session_id
    with qtbot.waitSignal(ctx.recordingStopped, timeout=20_000):
        ctx.stop(discard=True)
    assert store.get_session(sid) is None  # soft-deleted: hidden everywhere
    history = window.show_screen("history")  # the discard is offered for undo, unprompted
    # The undo names what was deleted, not a database id.
    assert history.undo.isVisible()
    assert history.undo.text() == "Undo delete of the discarded run recording"
    with qtbot.waitSignal(ctx.historyChanged, timeout=15_000):
        history.undo_delete()
    assert store.get_session(sid) is not None


def test_rename_change_sport_and_delete_from_detail(qtbot, window, store) -> None:
    from device.simulator import SimulatedStrap

    athlete = store.default_athlete()
    sid = store.create_session(
        athlete.id, sport="run", source="simulator", started_ms=1_764_000_000_000
    )
    store.insert_samples(sid, list(SimulatedStrap(seed=2, start_ms=1_764_000_000_000,
                                                  realtime=False).generate(120)))  # fmt: skip
    store.finish_session(sid, 1_764_000_120_000)
    window.open_session(sid)
    detail = window.screens["session"]
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=15_000)
    assert window.nav.currentItem().text() == "History"  # where a session is opened from
    with qtbot.waitSignal(window.ctx.historyChanged, timeout=15_000):
        detail.rename("Morning intervals")
    detail.sport_box.setCurrentText("ride")
    with qtbot.waitSignal(window.ctx.historyChanged, timeout=15_000):
        detail._change_sport()
    info = store.get_session(sid)
    assert (info.title, info.sport) == ("Morning intervals", "ride")
    detail.delete()
    qtbot.waitUntil(
        lambda: "history" in window.screens and window.screens["history"].undo.isVisible(),
        timeout=15_000,
    )
    assert store.get_session(sid) is None


def test_export_tcx_writes_a_file(qtbot, window, store, tmp_path) -> None:
    from device.simulator import SimulatedStrap

    athlete = store.default_athlete()
    sid = store.create_session(
        athlete.id, sport="run", source="simulator", started_ms=1_764_000_000_000
    )
    store.insert_samples(sid, list(SimulatedStrap(seed=2, start_ms=1_764_000_000_000,
                                                  realtime=False).generate(60)))  # fmt: skip
    store.finish_session(sid, 1_764_000_060_000)
    window.open_session(sid)
    detail = window.screens["session"]
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=15_000)
    out = tmp_path / "out.tcx"
    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as msg:
        detail.export_to(out)
    assert str(out) in msg.args[0]
    assert "<TrainingCenterDatabase" in out.read_text()


def test_upload_without_a_linked_account_says_what_to_do(qtbot, window, store) -> None:
    from device.simulator import SimulatedStrap

    me = store.default_athlete()
    sid = store.create_session(me.id, sport="run", source="simulator", started_ms=T0)
    store.insert_samples(
        sid, list(SimulatedStrap(seed=3, start_ms=T0, realtime=False).generate(30))
    )
    store.finish_session(sid, T0 + 30_000)
    window.open_session(sid)
    detail = window.screens["session"]
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=15_000)
    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as msg:
        detail.upload()
    assert msg.args[0] == "Not uploaded: no Strava account is linked: run `pulsedeck strava link`"
    assert detail.upload_btn.isEnabled()
