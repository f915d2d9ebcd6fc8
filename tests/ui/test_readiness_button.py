"""Issue 18 #12 in the GUI: the dashboard's readiness button records a short reading at rest
as its own kind of session, stops and saves by itself, and it is not queued for Strava."""

from __future__ import annotations

from app.domain.readiness import READINESS_SPORT
from app.ui.live import IDLE, RECORDING
from app.ui.readiness import READINESS_S


def test_readiness_button_records_its_own_kind_and_saves_by_itself(qtbot, window, store) -> None:
    dash = window.show_screen("dashboard")
    run = dash.readiness
    assert READINESS_S == 180 and run.button.text() == "Readiness (3 min)"
    assert run.button.isEnabled()
    run.duration_s = 1.5  # the test's reading: the same path, shorter
    with qtbot.waitSignal(window.ctx.stateChanged, timeout=20_000):
        run.button.click()
    assert window.ctx.state == RECORDING and not run.button.isEnabled()
    with qtbot.waitSignal(window.ctx.recordingStopped, timeout=20_000) as stopped:
        pass  # no Stop pressed: the timer saves it
    sid, discarded = stopped.args
    assert not discarded and window.ctx.state == IDLE and run.button.isEnabled()
    session = store.get_session(sid)
    assert session.sport == READINESS_SPORT and session.status == "finished"
    assert store.load_samples(sid)  # the reading itself


def test_the_timer_never_stops_a_later_ordinary_recording(qtbot, window) -> None:
    dash = window.show_screen("dashboard")
    run = dash.readiness
    run.duration_s = 0.5
    with qtbot.waitSignal(window.ctx.stateChanged, timeout=20_000):
        run.start()
    with qtbot.waitSignal(window.ctx.recordingStopped, timeout=20_000):
        window.ctx.stop()  # stopped early by hand
    with qtbot.waitSignal(window.ctx.stateChanged, timeout=20_000):
        window.ctx.start("run")
    qtbot.wait(1200)
    assert window.ctx.state == RECORDING and window.ctx.sport == "run"
    with qtbot.waitSignal(window.ctx.recordingStopped, timeout=20_000):
        window.ctx.stop()
