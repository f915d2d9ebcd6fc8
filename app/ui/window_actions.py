"""The main window's actions: athletes, start / stop with their questions, quit, big mode.

A mixin of MainWindow (kept apart so each module reads in one sitting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from PySide6.QtWidgets import QMessageBox, QWidget

from . import viewmodels as vm
from .live import IDLE, PAUSED, RECORDING
from .window_startup import WindowMixin

if TYPE_CHECKING:
    from PySide6.QtCore import Signal
    from PySide6.QtWidgets import QComboBox, QLabel, QListWidget, QStackedWidget

    from .bridge import Bridge
    from .context import AppContext
    from .screens.dashboard import DashboardScreen
    from .screens.team import TeamScreen
    from .services import Services


class WindowActions(WindowMixin):
    """Athlete switching, recording controls and quitting for MainWindow."""

    ctx: AppContext | None
    services: Services | None
    bridge: Bridge
    lastWindowClosed: Signal
    athlete_box: QComboBox
    rec_badge: QLabel
    nav: QListWidget
    stack: QStackedWidget
    screens: dict[str, QWidget]
    _quitting: bool
    _athletes: list[vm.AthleteItem]

    def _me(self) -> QWidget:
        return cast("QWidget", self)

    # Athletes -----------------------------------------------------------------------

    def reload_athletes(self, select_id: int | None = None) -> None:
        def done(items: list[vm.AthleteItem]) -> None:
            self._athletes = items
            self.set_coach_mode(len(items) > 1)
            self.athlete_box.clear()
            for a in items:
                suffix = " (you)" if a.is_self else (" (read-only)" if a.read_only else "")
                self.athlete_box.addItem(a.name + suffix, a.id)
            assert self.ctx is not None  # the athletes are read once the data is open
            want = select_id or self.ctx.athlete.id
            idx = self.athlete_box.findData(want)
            self.athlete_box.setCurrentIndex(max(0, idx))
            if select_id is not None:
                self._athlete_picked(self.athlete_box.currentIndex())

        self._athletes: list[vm.AthleteItem] = []
        assert self.services is not None
        self.bridge.run(self.services.athletes.roster, done)

    def _athlete_picked(self, index: int) -> None:
        athlete_id = self.athlete_box.itemData(index)
        item = next((a for a in self._athletes if a.id == athlete_id), None)
        ctx = self.ctx  # set before the switcher has any athlete to pick
        if item is None or ctx is None or item.id == ctx.athlete.id:
            return
        if ctx.state != IDLE:
            QMessageBox.information(self._me(), "Recording", "Stop the recording before switching.")
            self.athlete_box.setCurrentIndex(self.athlete_box.findData(ctx.athlete.id))
            return
        ctx.set_athlete(item)

    def _on_athlete_changed(self, athlete: vm.AthleteItem) -> None:
        idx = self.athlete_box.findData(athlete.id)
        if idx >= 0 and idx != self.athlete_box.currentIndex():
            self.athlete_box.setCurrentIndex(idx)

    # Recording ----------------------------------------------------------------------

    def start_or_pause(self) -> None:
        if self.ctx is None:
            return
        if self.ctx.state == IDLE:
            self.ctx.start(getattr(self.screens.get("dashboard"), "sport", "run"))
        else:
            self.ctx.toggle_pause()

    def confirm_stop(self) -> None:
        """Stop asks whether to save or discard; discarding asks again."""
        if self.ctx is None or self.ctx.state == IDLE:
            return
        box = QMessageBox(self._me())
        box.setWindowTitle("Stop recording")
        box.setText("Stop the recording?")
        save = box.addButton("Save", QMessageBox.ButtonRole.AcceptRole)
        discard = box.addButton("Discard…", QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        if box.clickedButton() is save:
            self.ctx.stop()
        elif box.clickedButton() is discard and self.confirm_discard():
            self.ctx.stop(discard=True)

    def confirm_discard(self) -> bool:
        answer = QMessageBox.warning(
            self._me(),
            "Discard recording",
            "Discard this recording? It is moved out of your history (undo from History).",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def _on_state(self, state: str) -> None:
        text = {RECORDING: "● Recording", PAUSED: "❚❚ Paused", IDLE: ""}[state]
        self.rec_badge.setText(text)
        assert self.ctx is not None  # called by the context's stateChanged
        colour = self.ctx.theme.danger if state == RECORDING else self.ctx.theme.muted
        self.rec_badge.setStyleSheet(f"color: {colour}; font-weight: 700; font-size: 17px;")

    def _confirm_quit(self) -> bool:
        answer = QMessageBox.question(
            self._me(),
            "Quit while recording",
            "A recording is running. Quit now? The recording is stopped and saved.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def quit_app(self) -> None:
        ctx = self.ctx
        if ctx is not None and ctx.state != IDLE and not ctx.stopping and not self._confirm_quit():
            return
        self._quitting = True
        self.close()
        self.lastWindowClosed.emit()

    # Big mode -----------------------------------------------------------------------

    def toggle_big(self) -> None:
        """F11: full screen with the dashboard's HR, zone and elapsed scaled to the window
        (on the Team screen: its tiles only, full screen, for a gym's TV)."""
        me = self._me()
        team = self.screens.get("team")
        if team is not None and (getattr(team, "big", False) or self.stack.currentWidget() is team):
            on = not getattr(team, "big", False)
            self.nav.setHidden(on)
            if on:
                me.showFullScreen()
            else:
                me.showNormal()
            cast("TeamScreen", team).set_big(on)
            return
        dash = self.screens.get("dashboard")
        if dash is None or self.ctx is None:
            return
        on = not getattr(dash, "big", False)
        self.nav.setHidden(on)
        if on:
            self.show_screen("dashboard")
            me.showFullScreen()
        else:
            me.showNormal()
        cast("DashboardScreen", dash).set_big(on)

    if TYPE_CHECKING:  # MainWindow's: declared for the type checker only

        def show_screen(self, name: str, **kwargs: object) -> QWidget: ...

        def set_coach_mode(self, on: bool) -> None: ...


__all__ = ["WindowActions"]
