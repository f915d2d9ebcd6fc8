"""Ctrl+1..9 follow the visible navigation: hidden coach screens answer no shortcut."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

pytestmark = pytest.mark.gui


def _visible_names(window) -> list[str]:
    from app.ui.window import NAV

    return [name for row, (name, *_r) in enumerate(NAV) if not window.nav.isRowHidden(row)]


def _press(qtbot, window, n: int) -> None:
    key = getattr(Qt.Key, f"Key_{n}")
    qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)


def _shown(window) -> str:
    return next(n for n, w in window.screens.items() if w is window.stack.currentWidget())


def test_ctrl_number_shows_the_nth_visible_screen(qtbot, store, make_window, idle) -> None:
    window = make_window()
    idle(window)
    visible = _visible_names(window)
    assert "roster" not in visible and "compare" not in visible
    for n, name in enumerate(visible, start=1):
        _press(qtbot, window, n)
        assert _shown(window) == name and window.nav.currentItem().text() == window.title.text()
    # Past the visible entries nothing happens: the hidden coach screens stay unreachable.
    for n in range(len(visible) + 1, 10):
        _press(qtbot, window, n)
    assert "roster" not in window.screens and "compare" not in window.screens
    assert _shown(window) == visible[-1]

    item = store.ensure_athlete("Second")  # coach mode: the shortcuts follow the new rows
    window.reload_athletes(select_id=item.id)
    qtbot.waitUntil(lambda: "roster" in _visible_names(window), timeout=20_000)
    visible = _visible_names(window)
    _press(qtbot, window, visible.index("roster") + 1)
    assert _shown(window) == "roster"
    idle(window)
