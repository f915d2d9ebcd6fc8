"""The static charts' axes: grid lines painted as rectangles give pyqtgraph's pixels."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QVBoxLayout, QWidget

from app.ui.analysis_charts import DateAxis, GridAxis


def _render(
    qtbot, axis: type[pg.AxisItem], alpha: float, y: tuple[float, float]
) -> tuple[np.ndarray, pg.PlotItem, QWidget]:
    """A plot with a grid, inside a parent at an odd offset (as in the Trends scroll area)."""
    host = QWidget()
    qtbot.addWidget(host)
    box = QVBoxLayout(host)
    box.setContentsMargins(7, 13, 3, 5)
    chart = pg.GraphicsLayoutWidget()
    chart.setBackground("w")
    box.addWidget(chart)
    bottom = DateAxis("bottom") if axis is GridAxis else axis("bottom")
    plot = chart.addPlot(axisItems={"left": axis("left"), "bottom": bottom})
    if axis is not GridAxis:  # the same date ticks, painted by pyqtgraph
        plot.getAxis("bottom").tickValues = DateAxis.tickValues.__get__(plot.getAxis("bottom"))
        plot.getAxis("bottom").tickStrings = DateAxis.tickStrings.__get__(plot.getAxis("bottom"))
    plot.showGrid(x=True, y=True, alpha=alpha)
    plot.plot([20000.0, 20100.0, 20400.0], [y[0], y[1], y[0]], pen=pg.mkPen("r", width=2))
    plot.setXRange(19990.3, 20410.7, padding=0)
    plot.setYRange(*y, padding=0)
    host.resize(533, 317)
    host.show()
    qtbot.waitExposed(host)
    image = host.grab().toImage().convertToFormat(QImage.Format.Format_RGB32)
    bits = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), -1)
    return bits[:, : image.width() * 4].copy(), plot, host


@pytest.mark.parametrize(("alpha", "y"), [(0.25, (44.3, 55.7)), (0.6, (-3.2, 61.0)), (1.0, (0, 1))])
def test_grid_axis_paints_the_pixels_pyqtgraph_paints(qtbot, alpha, y) -> None:
    ours, *_kept = _render(qtbot, GridAxis, alpha, y)
    theirs, *_kept = _render(qtbot, pg.AxisItem, alpha, y)
    assert (ours != 255).any()  # something drawn
    assert np.array_equal(ours, theirs)


def test_grid_lines_are_kept_apart_from_the_axis_picture(qtbot) -> None:
    _image, plot, _host = _render(qtbot, GridAxis, 0.25, (0.0, 10.0))
    axis = plot.getAxis("left")
    assert axis._parts is not None and axis._parts[0] is axis.picture
    assert len(axis._parts[1]) >= 5  # the grid lines, painted as rectangles
