"""The GUI thread never stalls during a recording, even when the store is slow."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QTimer

from app.recorder.controller import WriterOptions
from app.store.repo import Store
from app.ui.services import Services

from .conftest import fast_sources

pytestmark = pytest.mark.gui

#: The product promise: no stall of the GUI thread longer than this.
MAX_STALL_MS = 50.0
#: Injected into every batch write: far slower than any real disk.
WRITE_DELAY_S = 0.5


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.99) - 1)]


class SlowStore(Store):
    """The real store with a delay injected into the writer (the one thing we slow down)."""

    writer_threads: set[int] = set()

    def insert_samples(self, *args, **kwargs) -> None:
        self.writer_threads.add(threading.get_ident())
        time.sleep(WRITE_DELAY_S)
        super().insert_samples(*args, **kwargs)


def test_gui_thread_is_never_blocked_with_a_slow_writer(
    qtbot, make_window, store, data_dir
) -> None:
    slow = SlowStore(store.engine, store.path)
    services = Services.build(slow, data_dir, sources=fast_sources,
                              writer=WriterOptions(flush_interval_s=0.05))  # fmt: skip
    recorder = services.recorder
    window = make_window(services)
    ctx = window.ctx
    ticks: list[float] = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    # Baseline: how late 5 ms ticks arrive on this machine right now with the app idle
    # (a shared CI box adds scheduler delay that is not ours to count).
    qtbot.waitUntil(lambda: len(ticks) > 200, timeout=20_000)
    idle = _p99([(b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False)])
    ticks.clear()
    with qtbot.waitSignal(ctx.stateChanged, timeout=20_000):
        ctx.start("run")
    # Record through several slow batch writes while the dashboard redraws.
    qtbot.waitUntil(lambda: recorder.recording is not None
                    and recorder.recording.stats.batches >= 6, timeout=15_000)  # fmt: skip
    rec = recorder.recording
    with qtbot.waitSignal(ctx.recordingStopped, timeout=15_000):
        ctx.stop()
    timer.stop()
    gaps = sorted((b - a) * 1000 for a, b in zip(ticks, ticks[1:], strict=False))
    assert len(gaps) > 100
    # The slow writes never ran on the GUI thread, so no gap comes near their length...
    assert threading.get_ident() not in slow.writer_threads and slow.writer_threads
    assert gaps[-1] < WRITE_DELAY_S * 1000 / 2, f"GUI blocked {gaps[-1]:.1f} ms"
    # ...and the GUI thread stays responsive: 99 % of 5 ms ticks arrive within the budget,
    # beyond what the idle app already sees on this machine.
    p99 = _p99(gaps)
    assert p99 - max(0.0, idle - 5.0) < MAX_STALL_MS, f"stalled {p99:.1f} ms (p99, idle {idle:.1f})"
    assert window.screen_named("dashboard").chart.repaints > 10
    # Latency of samples reaching the screen stays low despite the slow disk.
    # (There are only a few dozen redraws here, so p90: the p99 figure is the benchmark's.)
    lat = sorted(ctx.latencies_ms)
    assert lat and lat[int(len(lat) * 0.9) - 1] < MAX_STALL_MS + max(0.0, idle - 5.0)
    # Every sample still reached the database despite the slow writes.
    info = slow.list_sessions()[0]
    assert info.status == "finished" and info.samples == rec.stats.received > 0
