"""Closing the window while a recording's start or stop is still on the loop.

The app must exit (no question box left waiting, no second stop racing the first) and the
recording must be saved, as `run_gui` does it: close, then `shutdown()`. A question box that
opens is answered "No" by a watchdog and recorded, so a would-be hang fails the test.
"""

from __future__ import annotations

import os

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.store.repo import STATUS_FINISHED

#: Each scenario runs this many times: the race is between the GUI thread and the loop.
ROUNDS = int(os.environ.get("PULSEDECK_CLOSE_ROUNDS", "3"))
#: A round takes a few seconds (a window, a start, a save): a hang fails instead of blocking.
pytestmark = [pytest.mark.gui, pytest.mark.timeout(60 + 15 * ROUNDS)]


def _refuse_questions(seen: list[str]) -> QTimer:
    """Answer "No" to any question box that opens, and note its text."""

    def look() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            button = next(b for b in box.buttons() if b.text().replace("&", "") == "No")
            button.click()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(look)
    timer.start()
    return timer


def _not_finished(store) -> list:
    """Sessions left open ("recording") or closed by recovery instead of by a stop."""
    return [s for s in store.list_sessions() if s.status != STATUS_FINISHED]


def _assert_exited_and_saved(window, store, sid: int | None) -> None:
    assert not window.isVisible()
    assert not window.loop.thread.is_alive(), "the I/O loop did not stop"
    assert window.services.recorder.recording is None, "a recording was left running"
    if sid is not None:
        info = store.get_session(sid)
        assert info is not None and info.status == STATUS_FINISHED, info


@pytest.mark.parametrize("twice", [False, True], ids=["close", "close-twice"])
def test_close_while_stop_is_in_flight_saves_and_exits(qtbot, make_window, store, twice) -> None:
    for _ in range(ROUNDS):
        window = make_window()
        ctx = window.ctx
        with qtbot.waitSignal(ctx.stateChanged, timeout=20_000):
            ctx.start()
        qtbot.waitUntil(lambda: ctx.last_view.samples >= 3, timeout=20_000)  # noqa: B023
        sid = ctx.session_id
        seen: list[str] = []
        watchdog = _refuse_questions(seen)
        ctx.stop()
        window.close()
        if twice:
            window.close()
        watchdog.stop()
        assert not seen, f"closing asked a question although the stop was requested: {seen}"
        window.shutdown()
        if twice:
            window.shutdown()
        _assert_exited_and_saved(window, store, sid)
        assert store.get_session(sid).samples >= 3


def test_close_while_start_is_in_flight_saves_and_exits(qtbot, make_window, store) -> None:
    for _ in range(ROUNDS):
        window = make_window()
        ctx = window.ctx
        before = {s.id for s in store.list_sessions()}
        seen: list[str] = []
        watchdog = _refuse_questions(seen)
        ctx.start()
        window.close()
        watchdog.stop()
        window.shutdown()
        _assert_exited_and_saved(window, store, None)
        assert not seen
        new = [s for s in store.list_sessions() if s.id not in before]
        # Either the start had not reached the store (nothing to save) or it was saved.
        assert len(new) <= 1
        assert not _not_finished(store), _not_finished(store)
