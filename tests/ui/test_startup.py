"""The window paints its shell first and opens the data on the worker thread afterwards."""

from __future__ import annotations

import threading

import pytest

pytestmark = pytest.mark.gui


def test_shell_first_then_the_data_on_the_worker_thread(qtbot, store, data_dir) -> None:
    from app.store.settings import THEME, Settings
    from app.ui.window import OPENING_TEXT, MainWindow

    Settings(store).set(THEME, "dark")
    on_gui_thread: list[bool] = []

    def open_store():  # noqa: ANN202 - hands over the fixture's real, migrated store
        on_gui_thread.append(threading.current_thread() is threading.main_thread())
        return store

    window = MainWindow(None, data_dir, open_store=open_store)
    qtbot.addWidget(window)
    try:
        # The shell: navigation and a quiet state, nothing opened yet.
        assert window.ctx is None and window.store is None and not window.ready
        assert window.stack.currentWidget().text() == OPENING_TEXT
        window.show_screen("history")  # picked before the data is open: shown once ready
        assert window.title.text() == "History"
        with qtbot.waitSignal(window.loaded, timeout=20_000):
            window.show()
        assert on_gui_thread == [False]
        assert window.ready and window.store is store
        assert window.stack.currentWidget() is window.screens["history"]
        assert window.ctx is not None and window.ctx.theme.name == "dark"  # the saved theme
        qtbot.waitUntil(lambda: window.athlete_box.count() >= 1, timeout=20_000)
    finally:
        window.shutdown()


def test_a_store_that_fails_to_open_is_shown_not_raised_in_the_window(qtbot, data_dir) -> None:
    from app.store.errors import StoreError
    from app.store.repo import Store
    from app.ui.window import MainWindow

    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "pulsedeck.db").write_bytes(b"this is not a database" * 100)

    def open_store():  # noqa: ANN202 - the real Store.open on a corrupt file
        return Store.open(data_dir)

    window = MainWindow(None, data_dir, open_store=open_store)
    qtbot.addWidget(window)
    try:
        with qtbot.waitSignal(window.loadFailed, timeout=20_000) as blocker:
            window.show()
        assert isinstance(blocker.args[0], StoreError)
        assert window.load_error is blocker.args[0] and window.ctx is None
        # A page with the reason and ways forward (tests/ui/test_data_state.py uses them).
        page = window.stack.currentWidget()
        assert page is window.failed_page and page.reason.text() == str(blocker.args[0])
        window.start_or_pause()  # shortcuts do nothing without data
    finally:
        window.shutdown()
