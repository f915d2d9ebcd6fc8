"""Entry points of the desktop app; imports nothing heavy so `import app.ui.main` stays fast.

`run_gui` opens the window (PULSEDECK_QUIT_AFTER_SHOW=1 quits after the first paint, for
start-up benchmarks); `render_main_window_png` and `render_screen_png` draw offscreen for
`pulsedeck --self-test` and `pulsedeck screenshot`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QCoreApplication

    from app.store.repo import Store

QUIT_AFTER_SHOW = "PULSEDECK_QUIT_AFTER_SHOW"


NO_DISPLAY_MESSAGE = (
    "no display found (DISPLAY / WAYLAND_DISPLAY are not set): the desktop app needs a screen. "
    "Use the headless commands instead, e.g. `pulsedeck record --simulate`, "
    "`pulsedeck sessions list`, or set QT_QPA_PLATFORM=offscreen to render without one."
)


def has_display() -> bool:
    """True where Qt can open a window (always on Windows/macOS; X11/Wayland on Linux)."""
    if sys.platform in ("win32", "darwin") or os.environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _application(offscreen: bool = False) -> QCoreApplication:
    if offscreen and not os.environ.get("QT_QPA_PLATFORM") and not _has_app():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Pulsedeck")
        app.setOrganizationName("Pulsedeck")
        app.setQuitOnLastWindowClosed(False)  # closing to the tray keeps recording
    return app


def _has_app() -> bool:
    mod = sys.modules.get("PySide6.QtWidgets")
    return mod is not None and mod.QApplication.instance() is not None


def run_gui(data_dir: Path) -> int:
    """Open the main window on `data_dir` and run until the user quits; returns an exit code.

    The window paints before the store is opened (SQLAlchemy is not even imported by then);
    the store opens on the window's worker thread. A StoreError is raised once the app ends,
    so the CLI reports it (exit code 3) after the window has shown it.
    `PULSEDECK_QUIT_AFTER_SHOW=1` quits right after the first paint without opening the data
    (start-up benchmark); `=ready` quits once the data is open and the dashboard is built.
    """
    if not has_display():
        print(f"pulsedeck: {NO_DISPLAY_MESSAGE}", file=sys.stderr)
        return 1
    app = _application()
    from .window import MainWindow

    def open_store() -> Store:
        """Runs on the window's worker thread: the database is opened off the GUI thread."""
        from app.store.repo import Store

        return Store.open(data_dir)

    window = MainWindow(None, data_dir, open_store=open_store)
    quit_after = os.environ.get(QUIT_AFTER_SHOW)
    if quit_after == "1":
        window.firstPainted.connect(window.skip_loading)
        window.firstPainted.connect(app.quit)
    elif quit_after == "ready":
        window.loaded.connect(app.quit)
        window.loadFailed.connect(app.quit)
    window.show()
    window.lastWindowClosed.connect(app.quit)
    try:
        code = int(app.exec())
    finally:
        window.shutdown()
        if window.store is not None:
            window.store.close()
    if window.load_error is not None:
        raise window.load_error
    return code


def render_screen_png(
    data_dir: Path,
    screen: str,
    out: Path,
    width: int = 1280,
    height: int = 800,
    *,
    demo: bool = False,
    theme: str | None = None,
) -> None:
    """Draw one screen offscreen to a PNG (dashboard, devices, gym, history, session, goals,
    settings); `demo` fills the data dir with simulated athletes and a live recording first."""
    render_screens_png(data_dir, {screen: out}, width, height, demo=demo, theme=theme)


def render_screens_png(
    data_dir: Path,
    outputs: Mapping[str, Path],
    width: int = 1280,
    height: int = 800,
    *,
    demo: bool = False,
    theme: str | None = None,
) -> None:
    """Draw several screens from one window (one start-up, one demo recording)."""
    from app.store.repo import Store

    from .viewmodels import SCREENS

    for screen in outputs:
        if screen not in SCREENS:
            raise ValueError(f"unknown screen {screen!r}; choose from {', '.join(SCREENS)}")
    store = Store.open(data_dir)
    app = _application(offscreen=True)
    from .window import MainWindow

    window = None
    try:
        if demo:
            from .demo import fill_demo

            fill_demo(store)
        window = MainWindow(store, data_dir, theme=theme, demo_live=demo)
        window.resize(width, height)
        window.show()
        window.settle()
        if window.load_error is not None:
            raise window.load_error
        if not window.ready:
            raise TimeoutError("the main window did not finish opening its data")
        if demo:
            from .demo import DEMO_BACKLOG_S

            ctx = window.ctx
            assert ctx is not None  # the window is ready
            window.wait_until(
                lambda: ctx.live is not None and ctx.last_view.samples >= DEMO_BACKLOG_S
            )
        for screen, out in outputs.items():
            window.show_screen(screen)
            window.settle()
            window.wait_until(lambda: False, 0.1)  # let throttled redraws land
            out.parent.mkdir(parents=True, exist_ok=True)
            image = window.grab().toImage()
            # The stub wants the format as bytes; PySide6 takes str (and refuses bytes).
            if not image.save(str(out), "PNG"):  # type: ignore[call-overload]
                raise OSError(f"could not write {out}")
    finally:
        if window is not None:
            window.shutdown()
            window.deleteLater()
        app.processEvents()
        store.close()


def render_main_window_png(data_dir: Path, out: Path, width: int = 1280, height: int = 800) -> None:
    """The main window (dashboard) drawn offscreen to `out`; used by `pulsedeck --self-test`."""
    render_screen_png(data_dir, "dashboard", out, width, height)
