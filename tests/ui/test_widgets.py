"""Metric tiles: a value with its unit fits its tile at any theme instead of being clipped."""

from __future__ import annotations

import pytest

from app.ui.widgets import METRIC_PX, MetricTile

pytestmark = pytest.mark.gui


def _tile(qtbot, width: int, theme: str) -> MetricTile:
    from PySide6.QtWidgets import QApplication

    from app.ui import theme as th

    th.apply(QApplication.instance(), theme)  # the real style sheet (fonts, borders)
    tile = MetricTile("Speed")
    qtbot.addWidget(tile)
    tile.resize(width, 110)
    tile.show()
    qtbot.waitExposed(tile)
    return tile


def _fits(tile: MetricTile) -> bool:
    """The value's ink ends before the label's last column (clipped text touches it)."""
    image = tile.value.grab().toImage()
    background = image.pixel(image.width() - 1, 0)
    inked = [
        x
        for x in range(image.width())
        if any(image.pixel(x, y) != background for y in range(image.height()))
    ]
    return bool(inked) and inked[-1] < image.width() - 1


@pytest.mark.parametrize("theme", ["light", "high_contrast"])
@pytest.mark.parametrize("width", [148, 118])  # a Speed tile at 1280x800 and at 1024x700
def test_speed_with_its_unit_fits_a_dashboard_tile(qtbot, theme, width) -> None:
    tile = _tile(qtbot, width, theme)
    tile.set("16.7 km/h")
    assert _fits(tile)
    assert tile.value.text().startswith("16.7") and tile.value.text().endswith("km/h</span>")


def test_a_long_value_shrinks_and_refits_when_the_tile_widens(qtbot) -> None:
    tile = _tile(qtbot, 120, "light")
    tile.set("1234.5 km/h")
    assert _fits(tile)
    assert "font-size" in tile.value.styleSheet()  # shrunk below the theme's size
    tile.resize(600, 110)
    qtbot.waitUntil(lambda: tile.value.styleSheet() == "")  # back to the full size
    assert tile.value.font().pixelSize() == METRIC_PX
    assert _fits(tile)


def test_a_short_value_keeps_the_full_size(qtbot) -> None:
    tile = _tile(qtbot, 148, "light")
    tile.set("181")
    assert tile.value.styleSheet() == ""
    assert tile.value.text() == "181"
