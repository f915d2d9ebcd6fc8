"""The dashboard's readiness button: the GUI's `record --readiness`.

A short HRV reading at rest, recorded as its own kind of session (READINESS_SPORT) so the
readiness series takes it as the morning reading and training figures and Strava leave it out.
It stops and saves by itself after `READINESS_S`.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QPushButton

from app.domain.readiness import READINESS_SPORT

from .context import AppContext
from .live import IDLE

#: The reading's length: `record --readiness`'s default (2-5 min at rest are accepted there).
READINESS_S = 180.0


class ReadinessRun(QObject):
    """A "Readiness" button that records READINESS_S at rest, then saves."""

    def __init__(self, ctx: AppContext, duration_s: float = READINESS_S) -> None:
        super().__init__(ctx)
        self.ctx = ctx
        self.duration_s = duration_s
        self.running = False
        self.button = QPushButton(f"Readiness ({duration_s / 60:.0f} min)")
        self.button.setToolTip(
            "A morning HRV reading: lie still with the strap on; it stops and saves by itself."
        )
        self.button.clicked.connect(self.start)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._finish)
        ctx.stateChanged.connect(self._state)
        self._state(ctx.state)

    def start(self) -> None:
        if self.ctx.state != IDLE or self.ctx.read_only:
            return
        self.running = True
        self.ctx.start(READINESS_SPORT, on_done=self._started)

    def _started(self) -> None:
        self._timer.start(int(self.duration_s * 1000))
        minutes = f"{self.duration_s / 60:.0f} minutes"
        self.ctx.message.emit(f"Readiness: lie still for {minutes}; it stops and saves by itself")

    def _finish(self) -> None:
        if self.running and self.ctx.state != IDLE and self.ctx.sport == READINESS_SPORT:
            self.ctx.stop()

    def _state(self, state: str) -> None:
        if state == IDLE:
            self._timer.stop()
            self.running = False
        self.button.setEnabled(state == IDLE and not self.ctx.read_only)
