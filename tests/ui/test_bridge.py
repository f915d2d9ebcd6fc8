"""The loop/GUI bridge: results on the GUI thread, errors reported, redraws throttled."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from app.domain.samples import Sample
from app.ui.bridge import Bridge, LoopThread, Throttle

pytestmark = pytest.mark.gui


@pytest.fixture
def bridge(qtbot):
    loop = LoopThread().start()
    b = Bridge(loop)
    yield b
    loop.stop()


def test_coroutine_runs_on_the_loop_and_result_comes_back_on_gui_thread(qtbot, bridge) -> None:
    gui = threading.get_ident()
    seen: dict[str, object] = {}

    async def work() -> int:
        seen["loop_thread"] = threading.get_ident()
        await asyncio.sleep(0)
        return 42

    def done(value: int) -> None:
        seen["value"], seen["result_thread"] = value, threading.get_ident()

    bridge.run(work(), done)
    qtbot.waitUntil(lambda: "value" in seen, timeout=15_000)
    assert seen["value"] == 42
    assert seen["loop_thread"] != gui and seen["result_thread"] == gui
    assert bridge.busy == 0


def test_blocking_callable_runs_in_a_worker_and_errors_reach_the_handler(qtbot, bridge) -> None:
    errors: list[BaseException] = []
    threads: list[int] = []

    def boom() -> None:
        threads.append(threading.get_ident())
        raise LookupError("no session 7")

    bridge.run(boom, on_error=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=15_000)
    assert isinstance(errors[0], LookupError) and threads[0] != threading.get_ident()
    # Without a handler the failure is shown through `failed`, never raised in Qt.
    with qtbot.waitSignal(bridge.failed, timeout=15_000) as failed:
        bridge.run(boom)
    assert failed.args == ["no session 7"]


def test_samples_from_the_loop_arrive_in_order_with_one_signal_per_burst(qtbot, bridge) -> None:
    emitted: list[int] = []
    bridge.samplesArrived.connect(lambda: emitted.append(1))

    async def burst() -> None:
        for i in range(500):
            bridge.push_sample(Sample(1_000 + i, hr=100))

    with qtbot.waitSignal(bridge.samplesArrived, timeout=15_000):
        bridge.run(burst())
    qtbot.waitUntil(lambda: bridge.busy == 0, timeout=15_000)
    got = bridge.take_samples()
    assert [s.t_ms for _, s in got] == list(range(1_000, 1_500))
    assert len(emitted) == 1


def test_after_stop_nothing_new_starts(qtbot, bridge) -> None:
    bridge.loop.stop()
    assert bridge.run(asyncio.sleep(0)) is None


def test_throttle_coalesces_and_never_drops_the_last_call(qtbot) -> None:
    calls: list[float] = []
    throttle = Throttle(lambda: calls.append(time.perf_counter()), interval_ms=50)
    for _ in range(20):
        throttle()
    assert len(calls) == 1  # the first call runs at once
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=2_000)  # the rest become one deferred call
    assert calls[1] - calls[0] >= 0.045
    qtbot.wait(120)
    assert len(calls) == 2


def test_cyclic_garbage_from_worker_threads_is_collected_on_the_gui_thread(qtbot, bridge) -> None:
    import gc

    collected_on: list[int] = []

    class Cycle:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            collected_on.append(threading.get_ident())

    def make_garbage() -> None:
        # More unreachable cycles than gen-0's threshold: with automatic GC on they would be
        # collected right here, on the worker thread (transient allocations do not count).
        for _ in range(2 * gc.get_threshold()[0]):
            Cycle()

    assert not gc.isenabled()  # the bridge switched automatic collection off
    done = []
    bridge.run(make_garbage, on_result=lambda _r: done.append(True))
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    qtbot.waitUntil(lambda: len(collected_on) == 2 * gc.get_threshold()[0], timeout=5000)
    assert set(collected_on) == {threading.get_ident()}
