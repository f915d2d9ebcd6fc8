"""GUI test fixtures: the real window on a fresh database with a fast simulated strap.

Qt runs offscreen (tests/conftest.py sets QT_QPA_PLATFORM); the whole directory is skipped
where PySide6 is not installed, like napari's headless job.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

#: Samples per second from the test strap: a few samples within tens of milliseconds.
FAST_HZ = 20.0


def fast_sources(athlete):
    """A real simulated strap, paced in real time, just faster than a real one."""
    from device.simulator import SimulatedStrap

    return [SimulatedStrap(seed=1, rate_hz=FAST_HZ, resting_hr=55, max_hr=185)]


@pytest.fixture
def make_window(qtbot, store, data_dir: Path):
    """Build MainWindow instances on the test store; each is shut down after the test."""
    from app.recorder.controller import WriterOptions
    from app.ui.services import Services
    from app.ui.window import MainWindow

    made = []

    def make(services: Services | None = None, **kwargs: object) -> MainWindow:
        services = services or Services.build(
            store, data_dir, sources=fast_sources, writer=WriterOptions(flush_interval_s=0.05)
        )
        window = MainWindow(store, data_dir, services=services, **kwargs)  # type: ignore[arg-type]
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        made.append(window)
        window.settle()
        return window

    yield make
    for window in made:
        window.shutdown()


@pytest.fixture
def window(make_window):
    return make_window()


def wait_idle(qtbot, window) -> None:
    """Until every background action the window started has delivered its result."""
    qtbot.waitUntil(lambda: window.bridge.busy == 0, timeout=20_000)


@pytest.fixture
def idle(qtbot) -> Iterator[object]:
    yield lambda window: wait_idle(qtbot, window)
