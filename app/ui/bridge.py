"""The one bridge between the asyncio I/O loop (its own thread) and the Qt GUI thread.

UI actions go to the loop with `asyncio.run_coroutine_threadsafe`; results come back as a
queued Qt signal and run their callback on the GUI thread. Samples from the recorder are
buffered and announced with at most one pending signal, so a burst costs one wake-up.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QTimer, Signal, Slot

from app.domain.samples import Sample

from . import gcguard

log = logging.getLogger(__name__)

#: At most this often the screens repaint from live data (≤ 30 Hz as the product promises).
REDRAW_INTERVAL_MS = 33

ResultCallback = Callable[[Any], None]
ErrorCallback = Callable[[BaseException], None]


class LoopThread:
    """An asyncio event loop running forever on a daemon thread."""

    def __init__(self, name: str = "pulsedeck-io") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = threading.Event()
        self._stopping = False

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        self.loop.run_forever()
        # Let cancelled tasks finish their cleanup before the loop closes.
        pending = asyncio.all_tasks(self.loop)
        for task in pending:
            task.cancel()
        if pending:
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        self.loop.run_until_complete(self.loop.shutdown_default_executor())
        self.loop.close()

    def start(self) -> LoopThread:
        self._thread.start()
        self._started.wait(5)
        return self

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping = True
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self.loop.is_closed() and not self._stopping

    @property
    def thread(self) -> threading.Thread:
        return self._thread


class Bridge(QObject):
    """Runs work on the loop and hands results and live samples to the GUI thread."""

    #: Carries a zero-argument callable to run on the GUI thread.
    _deliver = Signal(object)
    #: New samples are waiting in `take_samples()` (emitted once per batch, not per sample).
    samplesArrived = Signal()
    #: A background action failed; the text is for the status bar.
    failed = Signal(str)
    #: Number of actions in flight changed (a busy indicator).
    busyChanged = Signal(int)

    def __init__(self, loop: LoopThread, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.loop = loop
        self._samples: deque[tuple[float, Sample]] = deque()
        self._samples_lock = threading.Lock()
        self._announced = False
        self._busy = 0
        self._deliver.connect(self._on_deliver, Qt.ConnectionType.QueuedConnection)
        app = QCoreApplication.instance()
        if app is not None:  # from here on worker threads exist: collect on the GUI thread
            gcguard.install(app)

    # Actions ------------------------------------------------------------------------

    def run(
        self,
        work: Awaitable[Any] | Callable[[], Any],
        on_result: ResultCallback | None = None,
        on_error: ErrorCallback | None = None,
    ) -> concurrent.futures.Future[Any] | None:
        """Run a coroutine on the loop, or a blocking callable in the loop's worker threads.

        `on_result` / `on_error` run later on the GUI thread; without `on_error` the error is
        logged and shown through `failed`.
        """
        if not self.loop.running:
            if asyncio.iscoroutine(work):
                work.close()  # the window is closing: nothing may start any more
            return None
        if asyncio.iscoroutine(work):
            coro = work
        elif callable(work):
            coro = asyncio.to_thread(work)
        else:
            raise TypeError(f"cannot run {work!r}")
        self._set_busy(+1)
        future = self.loop.submit(coro)

        def done(f: concurrent.futures.Future[Any]) -> None:
            def on_gui() -> None:
                self._set_busy(-1)
                if f.cancelled():
                    return
                exc = f.exception()
                if exc is not None:
                    if on_error is not None:
                        on_error(exc)
                    else:
                        log.error("background action failed: %s", exc, exc_info=exc)
                        self.failed.emit(str(exc) or type(exc).__name__)
                elif on_result is not None:
                    on_result(f.result())

            self._deliver.emit(on_gui)

        future.add_done_callback(done)
        return future

    def call_soon_in_gui(self, fn: Callable[[], object]) -> None:
        """Run `fn` on the GUI thread (from any thread); used for sensor status events."""
        self._deliver.emit(fn)

    def _set_busy(self, delta: int) -> None:
        self._busy += delta
        self.busyChanged.emit(self._busy)

    @property
    def busy(self) -> int:
        return self._busy

    @Slot(object)
    def _on_deliver(self, fn: Callable[[], object]) -> None:
        try:
            fn()
        except Exception:  # a broken slot must not take the app down
            log.exception("result handler failed")

    # Live samples -------------------------------------------------------------------

    def push_sample(self, sample: Sample) -> None:
        """Called on the loop thread by the recorder's listener; never blocks."""
        with self._samples_lock:
            self._samples.append((time.perf_counter(), sample))
            announce = not self._announced
            self._announced = True
        if announce:
            self.samplesArrived.emit()

    def take_samples(self) -> list[tuple[float, Sample]]:
        """(arrival perf_counter, sample) pairs waiting since the last call; GUI thread."""
        with self._samples_lock:
            out = list(self._samples)
            self._samples.clear()
            self._announced = False
        return out


class Throttle(QObject):
    """Call `fn` at most once per interval; a call inside the interval is deferred, not lost."""

    def __init__(self, fn: Callable[[], None], interval_ms: int = REDRAW_INTERVAL_MS,
                 parent: QObject | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self._fn = fn
        self._interval = interval_ms
        self._last = -1e9
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    def __call__(self) -> None:
        if self._timer.isActive():
            return
        wait = self._interval - (time.perf_counter() - self._last) * 1000
        if wait <= 0:
            self._fire()
        else:
            self._timer.start(int(wait) + 1)

    def _fire(self) -> None:
        self._last = time.perf_counter()
        self._fn()
