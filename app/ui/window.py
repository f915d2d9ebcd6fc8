"""The main window: navigation, athlete switcher, screens (created on first use), tray."""

from __future__ import annotations

import importlib
import logging
import time
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.store.repo import Store

from . import theme as th
from . import viewmodels as vm
from .bridge import Bridge, LoopThread
from .context import AppContext
from .live import IDLE, PAUSED, RECORDING
from .services import THEME_KEY, Services, SourceFactory, simulator_sources
from .tray import Tray

log = logging.getLogger(__name__)

#: Navigation entries: (screen name, label, module, class). Modules load on first view.
NAV: tuple[tuple[str, str, str, str], ...] = (
    ("dashboard", "Dashboard", "app.ui.screens.dashboard", "DashboardScreen"),
    ("devices", "Devices", "app.ui.screens.devices", "DevicesScreen"),
    ("gym", "Gym", "app.ui.screens.gym", "GymScreen"),
    ("history", "History", "app.ui.screens.history", "HistoryScreen"),
    ("goals", "Goals", "app.ui.screens.goals", "GoalsScreen"),
    ("settings", "Settings", "app.ui.screens.settings", "SettingsScreen"),
)
SESSION_SCREEN = ("session", "Session", "app.ui.screens.session", "SessionScreen")


class _PaintWatcher(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._window.centralWidget().removeEventFilter(self)
            self._window.firstPainted.emit()
        return False


class MainWindow(QMainWindow):
    firstPainted = Signal()
    lastWindowClosed = Signal()

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        theme: str | None = None,
        sources: SourceFactory = simulator_sources,
        services: Services | None = None,
        demo_live: bool = False,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Pulsedeck")
        self.resize(1280, 800)
        self.loop = LoopThread().start()
        self.bridge = Bridge(self.loop, self)
        if demo_live:
            from .demo import demo_services

            services = demo_services(store, data_dir)
        self.services = services or Services(store, data_dir, sources=sources)
        # Start-up reads happen once before the first paint (tiny indexed queries).
        self.services.recover()
        athlete = self.services.current_athlete()
        theme_name = theme or str(self.services.get_setting(THEME_KEY, "light"))
        self.ctx = AppContext(self.bridge, self.services, None, athlete, theme_name, self)
        self._store = store
        self._demo_live = demo_live
        app = QApplication.instance()
        self.ctx.theme = th.apply(app, theme_name) if app else th.get(theme_name)  # type: ignore[arg-type]
        self._quitting = False
        self.screens: dict[str, QWidget] = {}
        self._build()
        self.tray = Tray(self.ctx, self)
        self.ctx.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.ctx.stateChanged.connect(self._on_state)
        self.ctx.athleteChanged.connect(self._on_athlete_changed)
        self.ctx.goalReached.connect(self.tray.notify_goal)
        self.centralWidget().installEventFilter(_PaintWatcher(self))
        self._shortcuts()
        self.ready = False
        # The heavy parts (charts, numpy, the goals engine) load right after the first paint,
        # so the window appears at once; `settle()` also finishes a window never painted.
        self.firstPainted.connect(lambda: QTimer.singleShot(0, self.finish_startup))

    def finish_startup(self) -> None:
        """Create the dashboard and the goals engine; idempotent."""
        if self.ready:
            return
        self.ready = True
        from .goal_progress import provider

        self.ctx.goals = provider(self._store)
        if self.stack.currentWidget() is self._placeholder:
            self.show_screen("dashboard")
        self.ctx.refresh_goals()
        if self._demo_live:
            self.ctx.start("run")

    # Layout -------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(190)
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Ctrl+1..6 switch screens
        for _name, label, _m, _c in NAV:
            self.nav.addItem(label)
        self.nav.setCurrentRow(0)  # before connecting: focusing the list must not load a screen
        self.nav.currentRowChanged.connect(lambda row: self.show_screen(NAV[row][0]))
        outer.addWidget(self.nav)
        right = QVBoxLayout()
        right.setContentsMargins(16, 12, 16, 8)
        header = QHBoxLayout()
        self.title = QLabel("Dashboard")
        self.title.setProperty("role", "title")
        header.addWidget(self.title)
        header.addStretch(1)
        self.rec_badge = QLabel("")
        self.rec_badge.setProperty("role", "muted")
        header.addWidget(self.rec_badge)
        header.addSpacing(16)
        who = QLabel("Athlete")
        who.setProperty("role", "muted")
        header.addWidget(who)
        self.athlete_box = QComboBox()
        self.athlete_box.setMinimumWidth(200)
        self.athlete_box.setAccessibleName("Athlete")
        self.athlete_box.activated.connect(self._athlete_picked)
        header.addWidget(self.athlete_box)
        right.addLayout(header)
        self.stack = QStackedWidget()
        self._placeholder = QLabel("Loading…")
        self._placeholder.setProperty("role", "muted")
        self.stack.addWidget(self._placeholder)
        right.addWidget(self.stack, 1)
        outer.addLayout(right, 1)
        self.setCentralWidget(central)
        self.reload_athletes()

    def _shortcuts(self) -> None:
        keys = {
            "F5": self.start_or_pause,
            "Ctrl+Space": self.start_or_pause,
            "Ctrl+L": self.ctx.lap,
            "Ctrl+Shift+S": self.confirm_stop,
            "Ctrl+Q": self.quit_app,
        }
        for i, (name, *_rest) in enumerate(NAV, start=1):
            keys[f"Ctrl+{i}"] = lambda n=name: self.show_screen(n)
        for seq, slot in keys.items():
            QShortcut(QKeySequence(seq), self, activated=slot)

    # Navigation ---------------------------------------------------------------------

    def screen(self, name: str) -> QWidget:
        """The screen called `name`, created (and its module imported) on first use."""
        if name not in self.screens:
            entry = next((n for n in (*NAV, SESSION_SCREEN) if n[0] == name), None)
            if entry is None:
                raise ValueError(f"unknown screen {name!r}")
            module = importlib.import_module(entry[2])
            widget = getattr(module, entry[3])(self.ctx, self)
            self.screens[name] = widget
            self.stack.addWidget(widget)
        return self.screens[name]

    def show_screen(self, name: str, **kwargs: object) -> QWidget:
        if name == "session" and "session_id" not in kwargs:
            history = self.screen("history")
            history.open_latest()  # type: ignore[attr-defined]
            return self.screens.get("session", history)
        widget = self.screen(name)
        self.stack.setCurrentWidget(widget)
        labels = {n: label for n, label, *_ in (*NAV, SESSION_SCREEN)}
        self.title.setText(labels[name])
        row = next((i for i, n in enumerate(NAV) if n[0] == name), None)
        if row is not None and self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)
        activate = getattr(widget, "activate", None)
        if activate is not None:
            activate(**kwargs)
        return widget

    def open_session(self, session_id: int) -> None:
        self.show_screen("session", session_id=session_id)

    # Athletes -----------------------------------------------------------------------

    def reload_athletes(self, select_id: int | None = None) -> None:
        def done(items: list[vm.AthleteItem]) -> None:
            self._athletes = items
            self.athlete_box.clear()
            for a in items:
                suffix = " (you)" if a.is_self else (" (read-only)" if a.read_only else "")
                self.athlete_box.addItem(a.name + suffix, a.id)
            want = select_id or self.ctx.athlete.id
            idx = self.athlete_box.findData(want)
            self.athlete_box.setCurrentIndex(max(0, idx))
            if select_id is not None:
                self._athlete_picked(self.athlete_box.currentIndex())

        self._athletes: list[vm.AthleteItem] = []
        self.bridge.run(self.services.athletes, done)

    def _athlete_picked(self, index: int) -> None:
        athlete_id = self.athlete_box.itemData(index)
        item = next((a for a in self._athletes if a.id == athlete_id), None)
        if item is None or item.id == self.ctx.athlete.id:
            return
        if self.ctx.state != IDLE:
            QMessageBox.information(self, "Recording", "Stop the recording before switching.")
            self.athlete_box.setCurrentIndex(self.athlete_box.findData(self.ctx.athlete.id))
            return
        self.ctx.set_athlete(item)

    def _on_athlete_changed(self, athlete: vm.AthleteItem) -> None:
        idx = self.athlete_box.findData(athlete.id)
        if idx >= 0 and idx != self.athlete_box.currentIndex():
            self.athlete_box.setCurrentIndex(idx)

    # Recording ----------------------------------------------------------------------

    def start_or_pause(self) -> None:
        if self.ctx.state == IDLE:
            self.ctx.start(getattr(self.screens.get("dashboard"), "sport", "run"))
        else:
            self.ctx.toggle_pause()

    def confirm_stop(self) -> None:
        """Stop asks whether to save or discard; discarding asks again."""
        if self.ctx.state == IDLE:
            return
        box = QMessageBox(self)
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
            self,
            "Discard recording",
            "Discard this recording? It is moved out of your history (undo from History).",
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Discard

    def _on_state(self, state: str) -> None:
        text = {RECORDING: "● Recording", PAUSED: "❚❚ Paused", IDLE: ""}[state]
        self.rec_badge.setText(text)
        colour = self.ctx.theme.danger if state == RECORDING else self.ctx.theme.muted
        self.rec_badge.setStyleSheet(f"color: {colour}; font-weight: 700; font-size: 17px;")

    # Lifecycle ----------------------------------------------------------------------

    def settle(self, timeout_s: float = 10.0) -> None:
        """Process events until no background action is pending (offscreen renders, tests)."""
        app = QApplication.instance()
        assert app is not None
        self.finish_startup()
        deadline = time.monotonic() + timeout_s
        idle_rounds = 0
        while time.monotonic() < deadline and idle_rounds < 5:
            app.processEvents()
            if self.bridge.busy == 0:
                idle_rounds += 1
            else:
                idle_rounds = 0
                time.sleep(0.002)

    def wait_until(self, predicate, timeout_s: float = 10.0) -> bool:
        """Process events until `predicate()` holds (offscreen renders); False on timeout."""
        app = QApplication.instance()
        assert app is not None
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            app.processEvents()
            if predicate():
                return True
            time.sleep(0.005)
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._quitting:
            event.accept()
            return
        if self.ctx.state != IDLE and self.tray.available():
            event.ignore()
            self.hide()
            self.tray.show_message("Pulsedeck keeps recording", "Use the tray icon to stop.")
            return
        if self.ctx.state != IDLE and not self._confirm_quit():
            event.ignore()
            return
        self._quitting = True
        event.accept()
        self.lastWindowClosed.emit()

    def _confirm_quit(self) -> bool:
        answer = QMessageBox.question(
            self,
            "Quit while recording",
            "A recording is running. Quit now? The recording is stopped and saved.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def quit_app(self) -> None:
        if self.ctx.state != IDLE and not self._confirm_quit():
            return
        self._quitting = True
        self.close()
        self.lastWindowClosed.emit()

    def shutdown(self) -> None:
        """Save a running recording, then stop the I/O loop; safe to call twice."""
        self.ctx.close()
        if self.services.recording is not None and self.loop.thread.is_alive():
            try:
                self.loop.submit(self.services.stop()).result(timeout=15)
            except Exception:
                log.exception("could not stop the recording on exit")
        self.tray.hide()
        self.loop.stop()


__all__ = ["MainWindow", "NAV", "Qt"]
