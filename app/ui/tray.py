"""Tray icon: recording state, current HR in the tooltip, quick start/stop, notifications.

Where no system tray exists (many Linux desktops, offscreen Qt) the same role moves to a
permanent widget in the main window's status bar (`StatusTray`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QElapsedTimer, QPointF, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMenu, QPushButton, QSystemTrayIcon, QWidget

from . import viewmodels as vm
from .context import AppContext
from .live import IDLE, RECORDING, LiveView

#: The heart / dot colour per recording state (paused and anything else: amber).
STATE_COLOURS = {RECORDING: "#d62d20", IDLE: "#7d8590"}
PAUSED_COLOUR = "#e3b341"


def status_text(view: LiveView) -> str:
    """One line for the tray tooltip and the status bar: state, elapsed time, current HR."""
    if view.state == IDLE:
        return "Pulsedeck"
    hr = "-" if view.hr is None else f"{view.hr} bpm"
    word = "Recording" if view.state == RECORDING else "Paused"
    return f"Pulsedeck · {word} {vm.hms(view.elapsed_s)} · HR {hr}"


#: After Start / Stop changes the button's meaning, clicks are ignored this long (a double
#: click must not record and save a 1-second session).
DEBOUNCE_MS = 1500


def start_stop(ctx: AppContext, window: QWidget) -> None:
    """Quick start (with the dashboard's sport) when idle, else stop, asking save or discard."""
    if ctx.state == IDLE:
        start = getattr(window, "start_or_pause", None)
        if start is not None:
            start()
        else:
            ctx.start()
        return
    confirm = getattr(window, "confirm_stop", None)
    if confirm is not None:
        confirm()
    else:
        ctx.stop()


@dataclass(frozen=True, slots=True)
class Notification:
    title: str
    text: str


def heart_icon(colour: str, size: int = 64) -> QIcon:
    """The app's heart, drawn so no image plugin is needed; colour shows the state."""
    pm = QPixmap(size, size)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64
    path = QPainterPath(QPointF(32 * s, 56 * s))
    path.cubicTo(QPointF(4 * s, 36 * s), QPointF(2 * s, 12 * s), QPointF(18 * s, 8 * s))
    path.cubicTo(QPointF(26 * s, 6 * s), QPointF(31 * s, 12 * s), QPointF(32 * s, 16 * s))
    path.cubicTo(QPointF(33 * s, 12 * s), QPointF(38 * s, 6 * s), QPointF(46 * s, 8 * s))
    path.cubicTo(QPointF(62 * s, 12 * s), QPointF(60 * s, 36 * s), QPointF(32 * s, 56 * s))
    p.fillPath(path, QColor(colour))
    p.end()
    return QIcon(pm)


#: The app icon shipped in resources/ (the installer bundles resources/ as data).
ICON_PATH = Path(__file__).resolve().parents[2] / "resources" / "icons" / "pulsedeck.svg"


def app_icon() -> QIcon:
    """The shipped SVG icon, or the painted heart where the file or SVG support is missing."""
    icon = QIcon(str(ICON_PATH)) if ICON_PATH.is_file() else QIcon()
    return heart_icon("#d62d20") if icon.isNull() else icon


class Tray:
    """The tray icon and its menu; works (without showing) where no tray exists."""

    def __init__(self, ctx: AppContext, window: QWidget) -> None:
        self.ctx = ctx
        self.window = window
        self.notifications: list[Notification] = []
        self.icon = QSystemTrayIcon(window)
        self.icon.setIcon(heart_icon("#7d8590"))
        self.icon.setToolTip("Pulsedeck")
        window.setWindowIcon(app_icon())
        menu = QMenu(window)
        self.show_action = QAction("Show Pulsedeck", menu)
        self.show_action.triggered.connect(self._show_window)
        self.start_action = QAction("Start recording", menu)
        self.start_action.triggered.connect(self._start_stop)
        self.quit_action = QAction("Quit", menu)
        self.quit_action.triggered.connect(lambda: window.quit_app())  # type: ignore[attr-defined]
        for a in (self.show_action, self.start_action, self.quit_action):
            menu.addAction(a)
        self.menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        ctx.stateChanged.connect(self._on_state)
        ctx.liveChanged.connect(self._on_live)
        #: The status-bar stand-in, only where no system tray exists.
        self.fallback: StatusTray | None = None
        if self.available():
            self.icon.show()
        elif callable(getattr(window, "statusBar", None)):
            self.fallback = StatusTray(ctx, window)
            window.statusBar().addPermanentWidget(self.fallback)  # type: ignore[attr-defined]

    @staticmethod
    def available() -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def hide(self) -> None:
        self.icon.hide()

    def _show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self._show_window()

    def _start_stop(self) -> None:
        start_stop(self.ctx, self.window)

    def _on_state(self, state: str) -> None:
        self.start_action.setText("Start recording" if state == IDLE else "Stop…")
        self.icon.setIcon(heart_icon(STATE_COLOURS.get(state, PAUSED_COLOUR)))
        if state == IDLE:
            self.icon.setToolTip("Pulsedeck")

    def tooltip_for(self, view: LiveView) -> str:
        return status_text(view)

    def _on_live(self, view: LiveView) -> None:
        self.icon.setToolTip(self.tooltip_for(view))

    def show_message(self, title: str, text: str) -> None:
        """A desktop notification where a tray exists, else the status bar; always recorded."""
        self.notifications.append(Notification(title, text))
        if self.available() and self.icon.isVisible():
            self.icon.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
        status = getattr(self.window, "statusBar", None)
        if status is not None:
            status().showMessage(f"{title}: {text}", 10000)

    def notify_goal(self, item: vm.GoalItem) -> None:
        self.show_message("Goal reached", f"{item.label(self.ctx.units)}: "
                          f"{item.progress_text(self.ctx.units)}")  # fmt: skip


class StatusTray(QWidget):
    """The tray's role in the status bar where no tray exists: state dot, time, HR, start/stop."""

    def __init__(self, ctx: AppContext, window: QWidget) -> None:
        super().__init__(window)
        self.ctx = ctx
        self.window_ = window
        self.setObjectName("statusTray")
        self.setToolTip("No system tray here: the recording state and quick start/stop")
        row = QHBoxLayout(self)
        row.setContentsMargins(8, 0, 4, 0)
        row.setSpacing(8)
        self.dot = QLabel("●")
        self.dot.setAccessibleName("Recording state")
        self.text = QLabel("")
        self.button = QPushButton("")
        self.button.setAccessibleName("Start or stop recording")
        self.button.clicked.connect(self._clicked)
        self._since = QElapsedTimer()  # since the button last changed meaning
        row.addWidget(self.dot)
        row.addWidget(self.text)
        row.addWidget(self.button)
        ctx.stateChanged.connect(self._on_state)
        ctx.liveChanged.connect(self._on_live)
        self._on_state(ctx.state)
        self._since.invalidate()

    def _clicked(self) -> None:
        """Ignore a click that lands right after the button changed (a double click)."""
        if self._since.isValid() and self._since.elapsed() < DEBOUNCE_MS:
            return
        self._since.restart()
        start_stop(self.ctx, self.window_)

    def _on_state(self, state: str) -> None:
        self._since.restart()
        self.dot.setStyleSheet(f"color: {STATE_COLOURS.get(state, PAUSED_COLOUR)}; "
                               "font-size: 16px;")  # fmt: skip
        self.button.setText("Start recording" if state == IDLE else "Stop…")
        if state == IDLE:
            self.text.setText("Not recording")

    def _on_live(self, view: LiveView) -> None:
        if view.state != IDLE:
            text = status_text(view)
            if text != self.text.text():
                self.text.setText(text)
