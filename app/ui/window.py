"""The main window: navigation, athlete switcher, screens (created on first use), tray.

Start-up paints the shell first (navigation, header, a quiet "Opening your data…" state):
this module imports neither SQLAlchemy nor the store. Opening the data after the first paint
is `window_startup.WindowStartup`; the actions (recording, athletes, quit) `window_actions`.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from . import theme as th
from .bridge import Bridge, LoopThread
from .data_state import OPENING_TEXT, DataStateActions, LoadFailedPage
from .live import IDLE
from .window_actions import WindowActions
from .window_import import ImportActions
from .window_startup import LOAD_ANYWAY_MS, FirstPaintWatcher, WindowStartup

if TYPE_CHECKING:  # SQLAlchemy loads on the worker thread, after the first paint
    from app.store.repo import Store

    from .context import AppContext
    from .screens.history import HistoryScreen
    from .services import Services, SourceFactory
    from .tray import Tray

log = logging.getLogger(__name__)

#: Navigation entries: (screen name, label, module, class). Modules load on first view.
NAV: tuple[tuple[str, str, str, str], ...] = (
    ("dashboard", "Dashboard", "app.ui.screens.dashboard", "DashboardScreen"),
    ("devices", "Devices", "app.ui.screens.devices", "DevicesScreen"),
    ("gym", "Gym", "app.ui.screens.gym", "GymScreen"),
    ("team", "Team", "app.ui.screens.team", "TeamScreen"),
    ("history", "History", "app.ui.screens.history", "HistoryScreen"),
    ("trends", "Trends", "app.ui.screens.trends", "TrendsScreen"),
    ("goals", "Goals", "app.ui.screens.goals", "GoalsScreen"),
    ("roster", "Roster", "app.ui.screens.roster", "RosterScreen"),
    ("compare", "Compare", "app.ui.screens.compare", "CompareScreen"),
    ("settings", "Settings", "app.ui.screens.settings", "SettingsScreen"),
)
#: Coach mode: these appear in the navigation once there is more than one athlete.
COACH_SCREENS = frozenset({"roster", "compare"})
SESSION_SCREEN = ("session", "Session", "app.ui.screens.session", "SessionScreen")


class MainWindow(WindowStartup, DataStateActions, WindowActions, ImportActions, QMainWindow):
    firstPainted = Signal()
    lastWindowClosed = Signal()
    #: The store is open and the window is filled in (`ready` is True).
    loaded = Signal()
    #: Opening the data failed; the argument is the exception (also kept in `load_error`).
    loadFailed = Signal(object)

    def __init__(
        self,
        store: Store | None,
        data_dir: Path,
        *,
        open_store: Callable[[], Store] | None = None,
        theme: str | None = None,
        sources: SourceFactory | None = None,
        services: Services | None = None,
        demo_live: bool = False,
    ) -> None:
        """`store` is an open store, or None with `open_store` (called on the worker thread)."""
        super().__init__()
        if store is None and open_store is None and services is None:
            raise ValueError("MainWindow needs a store, an open_store callable or services")
        self.setWindowTitle("Pulsedeck")
        self.resize(1280, 800)
        self.loop = LoopThread().start()
        self.bridge = Bridge(self.loop, self)
        self.data_dir = data_dir
        #: The open store (None until the worker has opened it when `open_store` is used).
        self.store: Store | None = store if store is not None else getattr(services, "store", None)
        self._open_store = open_store
        self._sources = sources
        self._given_services = services
        self._theme_override = theme
        self._demo_live = demo_live
        self.services: Services | None = services
        self.ctx: AppContext | None = None
        self.tray: Tray | None = None
        self.load_error: BaseException | None = None
        self.failed_page: LoadFailedPage | None = None
        self._theme = th.apply_current(theme or "light")
        self._quitting = False
        self._loading = False
        self._wanted_screen = "dashboard"
        self.screens: dict[str, QWidget] = {}
        self.ready = False
        self._build()
        self._file_menu()
        central = self.centralWidget()
        assert central is not None  # set by _build
        central.installEventFilter(FirstPaintWatcher(self))
        self._shortcuts()
        # The data (SQLAlchemy, the store, the start-up reads) and the heavy parts (charts,
        # numpy, the goals engine) load right after the first paint, so the window appears at
        # once; `settle()` also finishes a window never painted.
        self.firstPainted.connect(lambda: QTimer.singleShot(0, self.start_loading))
        # A window that is never painted (started minimised, covered) still opens its data.
        QTimer.singleShot(LOAD_ANYWAY_MS, self.start_loading)

    # Layout -------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(190)
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Ctrl+1..9, 0 switch screens
        for _name, label, _m, _c in NAV:
            self.nav.addItem(label)
        self.set_coach_mode(False)
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
        header.addSpacing(8)
        self.athlete_box = QComboBox()
        self.athlete_box.setMinimumWidth(200)
        self.athlete_box.setAccessibleName("Athlete")
        self.athlete_box.activated.connect(self._athlete_picked)
        header.addWidget(self.athlete_box)
        right.addLayout(header)
        self.header = header
        self.banner = QLabel("")
        self.banner.setObjectName("banner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        right.addWidget(self.banner)
        self.stack = QStackedWidget()
        self._placeholder = QLabel(OPENING_TEXT)
        self._placeholder.setProperty("role", "muted")
        self._placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._placeholder.setWordWrap(True)
        self.stack.addWidget(self._placeholder)
        right.addWidget(self.stack, 1)
        outer.addLayout(right, 1)
        self.setCentralWidget(central)

    def set_coach_mode(self, on: bool) -> None:
        """Show the coach's screens in the navigation (more than one athlete) or hide them."""
        for row, (name, *_rest) in enumerate(NAV):
            if name in COACH_SCREENS:
                self.nav.setRowHidden(row, not on)

    def _shortcuts(self) -> None:
        keys: dict[str, Callable[[], object]] = {
            "F5": self.start_or_pause,
            "Ctrl+Space": self.start_or_pause,
            "Ctrl+L": lambda: self.ctx.lap() if self.ctx is not None else None,
            "Ctrl+Shift+S": self.confirm_stop,
            "Ctrl+Q": self.quit_app,
            "F11": self.toggle_big,
        }
        for i in range(1, min(len(NAV), 10) + 1):  # Ctrl+N: the Nth row shown; 10th: Ctrl+0
            keys[f"Ctrl+{i % 10}"] = partial(self.show_visible_row, i)
        for seq, slot in keys.items():
            QShortcut(QKeySequence(seq), self).activated.connect(slot)

    # Navigation ---------------------------------------------------------------------

    def show_visible_row(self, n: int) -> None:
        """Show the screen of the navigation's Nth visible row (1-based); none past the end."""
        shown = [name for row, (name, *_r) in enumerate(NAV) if not self.nav.isRowHidden(row)]
        if 1 <= n <= len(shown):
            self.show_screen(shown[n - 1])

    def screen_named(self, name: str) -> QWidget:
        """The screen called `name`, created (and its module imported) on first use.

        Not `screen()`: that is QWidget's (the display the window is on).
        """
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
        if self.ctx is None:  # still opening the data: remember it, show it once ready
            if name in {n for n, *_ in NAV}:
                self._wanted_screen = name
                self._show_title(name)
            return self._placeholder
        if name == "session" and "session_id" not in kwargs:
            history = cast("HistoryScreen", self.screen_named("history"))
            history.open_latest()
            return self.screens.get("session", history)
        widget = self.screen_named(name)
        self.stack.setCurrentWidget(widget)
        self._show_title(name)
        activate = getattr(widget, "activate", None)
        if activate is not None:
            activate(**kwargs)
        return widget

    def _show_title(self, name: str) -> None:
        labels = {n: label for n, label, *_ in (*NAV, SESSION_SCREEN)}
        self.title.setText(labels[name])
        parent = "history" if name == "session" else name  # a session is opened from History
        row = next((i for i, n in enumerate(NAV) if n[0] == parent), None)
        if row is not None and self.nav.currentRow() != row:
            self.nav.blockSignals(True)
            self.nav.setCurrentRow(row)
            self.nav.blockSignals(False)

    def open_session(self, session_id: int) -> None:
        self.show_screen("session", session_id=session_id)

    # Lifecycle ----------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:
        if self._quitting:
            event.accept()
            return
        if self.ctx is None or self.tray is None:  # closed while the data was still opening
            self._quitting = True
            event.accept()
            self.lastWindowClosed.emit()
            return
        recording = self.ctx.state != IDLE and not self.ctx.stopping  # a stop saves it anyway
        if recording and self.tray.available():
            event.ignore()
            self.hide()
            self.tray.show_message("Pulsedeck keeps recording", "Use the tray icon to stop.")
            return
        if recording and not self._confirm_quit():
            event.ignore()
            return
        self._quitting = True
        event.accept()
        self.lastWindowClosed.emit()

    def shutdown(self) -> None:
        """Save a running recording, then stop the I/O loop; safe to call twice."""
        self._quitting = True
        if self.ctx is not None:
            self.ctx.close()
        services = self.services
        if services is not None:
            services.imports.watcher.stop()  # a file being imported finishes first
        if services is not None and self.loop.thread.is_alive():
            try:  # before the loop stops: the sync's HTTP client and tasks end cleanly
                self.loop.submit(services.sync.stop()).result(timeout=10)
            except Exception:
                log.exception("could not stop the background sync on exit")
        if services is not None and services.team.running and self.loop.thread.is_alive():
            try:  # every athlete's session is saved, as a stopped dashboard recording is
                self.loop.submit(services.team.stop()).result(timeout=20)
            except Exception:
                log.exception("could not stop the team view's feeds on exit")
        if services is not None and self.loop.thread.is_alive():
            try:  # waits for a start or stop still under way, so nothing is cut off or lost
                self.loop.submit(services.recorder.close()).result(timeout=15)
            except Exception:
                log.exception("could not stop the recording on exit")
        if self.tray is not None:
            self.tray.hide()
        self.loop.stop()


__all__ = ["MainWindow", "NAV", "Qt"]
