"""Python's cyclic GC runs only on the GUI thread while the app has worker threads.

Otherwise a collection triggered by an allocation on the asyncio or writer thread can destroy
Qt objects caught in a reference cycle on that thread: Qt then warns "Timers cannot be started
from another thread" and, worse, may crash. The usual PyQt/PySide remedy: switch automatic
collection off and collect from a GUI-thread timer with the same generation thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: How often the GUI thread checks whether a collection is due (cheap when it is not).
CHECK_INTERVAL_MS = 500

_installed: GuiThreadGarbageCollector | None = None


class GuiThreadGarbageCollector(QObject):
    """Does what automatic GC would do, but always on the thread that owns this object."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(CHECK_INTERVAL_MS)

    def check(self) -> None:
        """Collect the oldest generation whose allocation count passed its threshold."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.threshold[generation]:
                gc.collect(generation)
                return


def install(parent: QObject) -> GuiThreadGarbageCollector:
    """Install once per process, owned by `parent` (the QApplication): call on the GUI thread."""
    global _installed
    if _installed is None:
        _installed = GuiThreadGarbageCollector(parent)
    return _installed
