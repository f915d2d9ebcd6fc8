"""How the main window opens its data: after the first paint, on the bridge's worker thread.

The shell (navigation, header, "Opening your data…") paints first; `_load` opens the store,
builds the services and runs the start-up reads off the GUI thread, then `_attach` fills the
window in. A mixin of MainWindow; like it, this module imports neither SQLAlchemy nor the store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QStackedWidget, QWidget

from . import theme as th
from . import viewmodels as vm
from .bridge import Bridge

if TYPE_CHECKING:  # SQLAlchemy loads on the worker thread, after the first paint
    from app.store.repo import Store

    from .context import AppContext
    from .services import Services, SourceFactory
    from .tray import Tray
    from .window import MainWindow

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    #: What MainWindow's mixins extend: QMainWindow for the type checker (their `self` has
    #: its methods and signals), nothing at run time (MainWindow lists QMainWindow last).
    WindowMixin = QMainWindow
else:
    WindowMixin = object

#: The data opens this long after the window is built even if it has not been painted yet.
LOAD_ANYWAY_MS = 1500


@dataclass(frozen=True, slots=True)
class _Loaded:
    """What the worker thread hands the GUI thread once the data is open."""

    store: Store
    services: Services
    athlete: vm.AthleteItem
    theme_name: str


class FirstPaintWatcher(QObject):
    """Emits the window's `firstPainted` once, at its central widget's first paint."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self._window = window

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            central = self._window.centralWidget()
            assert central is not None  # the watcher is installed on it
            central.removeEventFilter(self)
            self._window.firstPainted.emit()
        return False


class WindowStartup(WindowMixin):
    """Opening the data and filling the window in, for MainWindow."""

    store: Store | None
    services: Services | None
    ctx: AppContext | None
    tray: Tray | None
    bridge: Bridge
    data_dir: Path
    stack: QStackedWidget
    load_error: BaseException | None
    loaded: Signal
    _open_store: Callable[[], Store] | None
    _given_services: Services | None
    _sources: SourceFactory | None
    _theme_override: str | None
    _demo_live: bool
    _theme: th.Theme
    _quitting: bool
    _loading: bool
    _wanted_screen: str
    _placeholder: QLabel
    ready: bool

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
            self._theme = th.apply_current(loaded.theme_name)
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
            from .imports import start_watch

            start_watch(ctx)  # the watched folder (Settings), if one is set
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

    # Offscreen renders and tests ----------------------------------------------------

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

    def wait_until(self, predicate: Callable[[], object], timeout_s: float = 10.0) -> bool:
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

    if TYPE_CHECKING:  # MainWindow's (and its other mixins'): declared for the type checker

        def show_screen(self, name: str, **kwargs: object) -> QWidget: ...

        def reload_athletes(self, select_id: int | None = None) -> None: ...

        def _load_failed(self, exc: BaseException) -> None: ...

        def _show_read_only(self, read_only: bool) -> None: ...

        def _on_state(self, state: str) -> None: ...

        def _on_athlete_changed(self, athlete: vm.AthleteItem) -> None: ...


__all__ = ["LOAD_ANYWAY_MS", "FirstPaintWatcher", "WindowStartup"]
