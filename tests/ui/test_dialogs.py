"""Confirmations a user answers: stop (save or discard), quitting while recording."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from app.ui.live import IDLE, RECORDING

pytestmark = pytest.mark.gui


def answer(*texts: str) -> None:
    """Click the buttons labelled `texts` in the modal boxes that open next, in order."""
    pending = list(texts)

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)  # not open yet: look again
            return
        wanted = pending.pop(0)
        button = next(b for b in box.buttons() if b.text().replace("&", "") == wanted)
        button.click()
        if pending:
            QTimer.singleShot(10, click)

    QTimer.singleShot(0, click)


def _record(qtbot, window) -> int:
    with qtbot.waitSignal(window.ctx.stateChanged, timeout=20_000):
        window.ctx.start()
    qtbot.waitUntil(lambda: window.ctx.last_view.samples >= 3, timeout=20_000)
    return window.ctx.session_id


def test_quit_while_recording_asks_and_no_keeps_recording(qtbot, window) -> None:
    _record(qtbot, window)
    answer("No")
    window.close()
    assert window.isVisible() and window.ctx.state == RECORDING
    answer("Yes")
    with qtbot.waitSignal(window.lastWindowClosed, timeout=15_000):
        window.close()


def test_stop_asks_save_or_discard_and_discard_asks_again(qtbot, window, store) -> None:
    sid = _record(qtbot, window)
    answer("Cancel")
    window.confirm_stop()
    assert window.ctx.state == RECORDING
    answer("Discard…", "Cancel")  # second thoughts at the second question
    window.confirm_stop()
    assert window.ctx.state == RECORDING
    answer("Discard…", "Discard")
    with qtbot.waitSignal(window.ctx.recordingStopped, timeout=20_000) as stopped:
        window.confirm_stop()
    assert stopped.args == [sid, True] and window.ctx.state == IDLE
    assert store.get_session(sid) is None  # soft-deleted, undoable

    sid2 = _record(qtbot, window)
    answer("Save")
    with qtbot.waitSignal(window.ctx.recordingStopped, timeout=20_000):
        window.confirm_stop()
    assert store.get_session(sid2).status == "finished"
