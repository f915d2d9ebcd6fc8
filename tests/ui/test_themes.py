"""Issue 21 #11: every widget state readable in every theme; disabled looks disabled."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QCheckBox, QHBoxLayout, QPushButton, QWidget

from app.ui import theme as th

THEMES = (th.LIGHT, th.DARK, th.HIGH_CONTRAST)


@pytest.mark.parametrize("t", THEMES, ids=lambda t: t.name)
def test_every_state_has_at_least_4_5_to_1_contrast(t) -> None:
    for (widget, state), (text, background, _border) in th.state_colours(t).items():
        ratio = th.contrast(text, background)
        assert ratio >= 4.5, f"{t.name} {widget} {state}: {ratio:.2f}"
    # Disabled is told apart from enabled by more than the text colour: fill and border.
    for role in ("button", "primary", "danger", "input"):
        normal = th.state_colours(t)[(role, "normal")]
        disabled = th.state_colours(t)[(role, "disabled")]
        assert disabled != normal and disabled[2] != normal[2]
    sheet = th.style_sheet(t)
    assert f"color: {t.disabled}" in sheet and "dashed" in sheet
    assert "QCheckBox::indicator" in sheet


def _grab(widget: QWidget):
    widget.repaint()
    return widget.grab().toImage()


def _colours(image) -> set[tuple[int, int, int]]:
    return {
        QColor(image.pixel(x, y)).getRgb()[:3]
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
    }


@pytest.mark.parametrize("t", THEMES, ids=lambda t: t.name)
def test_rendered_disabled_buttons_and_checkboxes_differ_and_show(qtbot, t) -> None:
    app = QApplication.instance()
    th.apply(app, t.name)
    try:
        host = QWidget()
        qtbot.addWidget(host)
        row = QHBoxLayout(host)
        pairs = []
        for role in (None, "primary", "danger"):
            on, off = QPushButton("Save"), QPushButton("Save")
            for b in (on, off):
                if role:
                    b.setProperty("role", role)
                row.addWidget(b)
            off.setEnabled(False)
            pairs.append((on, off))
        box, checked = QCheckBox("Sync"), QCheckBox("Sync")
        checked.setChecked(True)
        row.addWidget(box)
        row.addWidget(checked)
        host.show()
        qtbot.waitExposed(host)
        for on, off in pairs:
            assert _grab(on) != _grab(off), f"{t.name}: a disabled button looks enabled"
        # The unchecked box's indicator is drawn in the text colour: visible on the window.
        hexes = ["#{:02x}{:02x}{:02x}".format(*c) for c in _colours(_grab(box))]
        visible = [c for c in hexes if th.contrast(c, t.window) >= 3]
        assert visible, f"{t.name}: the checkbox is invisible"
        assert _grab(box) != _grab(checked)
    finally:
        th.apply(app, "light")
