"""Tray icon: recording state, current HR in the tooltip, quick start/stop, notifications."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from . import viewmodels as vm
from .context import AppContext
from .live import IDLE, RECORDING, LiveView


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
        if self.available():
            self.icon.show()

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
        if self.ctx.state == IDLE:
            self.ctx.start()
        else:
            self.ctx.stop()

    def _on_state(self, state: str) -> None:
        self.start_action.setText("Start recording" if state == IDLE else "Stop and save")
        colour = {RECORDING: "#d62d20", IDLE: "#7d8590"}.get(state, "#e3b341")
        self.icon.setIcon(heart_icon(colour))
        if state == IDLE:
            self.icon.setToolTip("Pulsedeck")

    def tooltip_for(self, view: LiveView) -> str:
        if view.state == IDLE:
            return "Pulsedeck"
        hr = "-" if view.hr is None else f"{view.hr} bpm"
        word = "Recording" if view.state == RECORDING else "Paused"
        return f"Pulsedeck · {word} {vm.hms(view.elapsed_s)} · HR {hr}"

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
