"""The main window: navigation, athlete switcher, screens (created on first use), tray.

Start-up paints the shell first (navigation, header, a quiet "Opening your data…" state):
this module imports neither SQLAlchemy nor the store. The store is opened, the start-up
reads run and the services are built on the bridge's worker thread after the first paint;
`_attach` then fills the window in on the GUI thread.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QApplication,
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
from . import viewmodels as vm
from .bridge import Bridge, LoopThread
from .data_state import OPENING_TEXT, DataStateActions
from .live import IDLE
from .window_actions import WindowActions

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
#: The data opens this long after the window is built even if it has not been painted yet.
LOAD_ANYWAY_MS = 1500


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What the worker thread hands the GUI thread once the data is open."""

    store: Store
    services: Services
    athlete: vm.AthleteItem
    theme_name: str


class _PaintWatcher(QObject):
    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self._window.centralWidget().removeEventFilter(self)
            self._window.firstPainted.emit()
        return False


class MainWindow(DataStateActions, WindowActions, QMainWindow):
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
        self.failed_page: QWidget | None = None
        app = QApplication.instance()
        shell_theme = theme or "light"
        self._theme = th.apply(app, shell_theme) if app else th.get(shell_theme)  # type: ignore[arg-type]
        self._quitting = False
        self._loading = False
        self._wanted_screen = "dashboard"
        self.screens: dict[str, QWidget] = {}
        self.ready = False
        self._build()
        self.centralWidget().installEventFilter(_PaintWatcher(self))
        self._shortcuts()
        # The data (SQLAlchemy, the store, the start-up reads) and the heavy parts (charts,
        # numpy, the goals engine) load right after the first paint, so the window appears at
        # once; `settle()` also finishes a window never painted.
        self.firstPainted.connect(lambda: QTimer.singleShot(0, self.start_loading))
        # A window that is never painted (started minimised, covered) still opens its data.
        QTimer.singleShot(LOAD_ANYWAY_MS, self.start_loading)

    # Start-up -----------------------------------------------------------------------

    def start_loading(self) -> None:
        """Open the data on the worker thread, then fill the window in; idempotent."""
        if self._loading or self._quitting:
            return
        self._loading = True
        self.bridge.run(self._load, self._attach, self._load_failed)

    def skip_loading(self) -> None:
        """Start nothing more (the window is about to go away before its data was needed)."""
        self._quitting = True

    def _load(self) -> _Loaded:
        """Worker thread: open the store, build the services, run the three start-up reads."""
        from app.store.settings import THEME

        from . import context, tray  # noqa: F401 - imported here, off the GUI thread
        from .services import Services, simulator_sources

        store = self.store
        if store is None:
            assert self._open_store is not None
            store = self._open_store()
            self.store = store  # kept at once so that run_gui can close it whatever happens
        if self._demo_live:
            from .demo import demo_services

            services = demo_services(store, self.data_dir)
        else:
            services = self._given_services or Services.build(
                store, self.data_dir, sources=self._sources or simulator_sources
            )
        if not store.read_only:  # recovering closes sessions: a write
            services.recorder.recover()
        athlete = services.athletes.current()
        theme_name = self._theme_override or str(services.settings.get(THEME))
        return _Loaded(store, services, athlete, theme_name)

    def _attach(self, loaded: _Loaded) -> None:
        """GUI thread: the context, the tray, the athletes, then the first screen."""
        from .context import AppContext
        from .tray import Tray

        self.store = loaded.store
        self.services = loaded.services
        services, athlete = loaded.services, loaded.athlete
        ctx = AppContext(self.bridge, services, None, athlete, loaded.theme_name, self)
        if loaded.theme_name != self._theme.name:
            app = QApplication.instance()
            self._theme = th.apply(app, loaded.theme_name) if app else th.get(loaded.theme_name)  # type: ignore[arg-type]
        ctx.theme = self._theme
        self.ctx = ctx
        self.tray = Tray(ctx, self)
        ctx.message.connect(lambda text: self.statusBar().showMessage(text, 6000))
        ctx.stateChanged.connect(self._on_state)
        ctx.athleteChanged.connect(self._on_athlete_changed)
        ctx.goalReached.connect(self.tray.notify_goal)
        # A scheduled lake pull may bring new clients: the switcher (and coach mode) follow.
        ctx.syncRan.connect(lambda r: self.reload_athletes() if getattr(r, "pulled", 0) else None)
        self._show_read_only(ctx.read_only)
        if not ctx.read_only:
            ctx.start_sync()  # the sync writes its ledger: nothing to do on a read-only store
        self.reload_athletes()
        self.finish_startup()

    def finish_startup(self) -> None:
        """Create the first screen and the goals engine once the data is open; idempotent."""
        if self.ready or self.ctx is None:
            return
        self.ready = True
        from .goal_progress import provider

        assert self.store is not None
        self.ctx.goals = provider(self.store)
        if self.stack.currentWidget() is self._placeholder:
            self.show_screen(self._wanted_screen)
        self.ctx.refresh_goals()
        if self._demo_live:
            self.ctx.start("run")
        self.loaded.emit()

    # Layout -------------------------------------------------------------------------

    def _build(self) -> None:
        central = QWidget()
        outer = QHBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setFixedWidth(190)
        self.nav.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Ctrl+1..9 switch screens
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
        keys = {
            "F5": self.start_or_pause,
            "Ctrl+Space": self.start_or_pause,
            "Ctrl+L": lambda: self.ctx.lap() if self.ctx is not None else None,
            "Ctrl+Shift+S": self.confirm_stop,
            "Ctrl+Q": self.quit_app,
            "F11": self.toggle_big,
        }
        for i in range(1, min(len(NAV), 9) + 1):  # Ctrl+N: the Nth row *shown* (coach mode)
            keys[f"Ctrl+{i}"] = lambda n=i: self.show_visible_row(n)
        for seq, slot in keys.items():
            QShortcut(QKeySequence(seq), self, activated=slot)

    # Navigation ---------------------------------------------------------------------

    def show_visible_row(self, n: int) -> None:
        """Show the screen of the navigation's Nth visible row (1-based); none past the end."""
        shown = [name for row, (name, *_r) in enumerate(NAV) if not self.nav.isRowHidden(row)]
        if 1 <= n <= len(shown):
            self.show_screen(shown[n - 1])

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
        if self.ctx is None:  # still opening the data: remember it, show it once ready
            if name in {n for n, *_ in NAV}:
                self._wanted_screen = name
                self._show_title(name)
            return self._placeholder
        if name == "session" and "session_id" not in kwargs:
            history = cast("HistoryScreen", self.screen("history"))
            history.open_latest()
            return self.screens.get("session", history)
        widget = self.screen(name)
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

    def settle(self, timeout_s: float = 10.0) -> None:
        """Process events until no background action is pending (offscreen renders, tests)."""
        app = QApplication.instance()
        assert app is not None
        self.start_loading()
        self.wait_until(lambda: self.ctx is not None or self.load_error is not None, timeout_s)
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
        if services is not None and self.loop.thread.is_alive():
            try:  # before the loop stops: the sync's HTTP client and tasks end cleanly
                self.loop.submit(services.sync.stop()).result(timeout=10)
            except Exception:
                log.exception("could not stop the background sync on exit")
        if services is not None and self.loop.thread.is_alive():
            try:  # waits for a start or stop still under way, so nothing is cut off or lost
                self.loop.submit(services.recorder.close()).result(timeout=15)
            except Exception:
                log.exception("could not stop the recording on exit")
        if self.tray is not None:
            self.tray.hide()
        self.loop.stop()


__all__ = ["MainWindow", "NAV", "Qt"]
