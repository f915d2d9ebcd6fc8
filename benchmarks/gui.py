"""GUI benchmark (issue 6): repaint latency, redraw time, and memory over a long recording.

    python benchmarks/gui.py [--hours 10] [--rate 1] [--points 1000000] [--frames 15]
                             [--live-s 10]
                             [--skip-chart] [--without-goals]

(a) sample arrival -> chart repaint latency and (b) redraw times are `benchmarks/chart.py`
(called, not copied: its `main` with these arguments).

(c) Memory of a fast-forwarded session: the real live path of the desktop app (MainWindow,
offscreen; AppContext -> Services -> Recorder fed by a `SimulatedStrap(realtime=False)` on
a simulated clock; bridge, LiveSession, throttled dashboard chart, live goals) records
`--hours` hours at `--rate` Hz. At every hour of session time the source waits while the
recording is committed, the GUI has taken every sample and repainted, and the process RSS
(/proc/self/status) and tracemalloc's current size are read. The same recording without the
GUI (Recorder + SimulatedStrap only) runs in another child process of the same run, as the
raw baseline. Growth per hour is compared with the stored data per hour (the SQLite pages and
record payload of `samples` + `rr_intervals` and their indexes, via dbstat).
`--without-goals` repeats (c) with the live goal tracker fed nothing, to attribute growth.
PASS when the GUI's RSS and Python-heap growth over hours 1..N (least-squares slopes) are no
more than the stored bytes per hour.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.domain.samples import Sample  # noqa: E402
from app.store.repo import Store  # noqa: E402
from device.simulator import SimulatedStrap  # noqa: E402

Checkpoint = Callable[[int], Awaitable[None]]
#: Tables whose pages (and index pages) count as "the stored data" of a recording.
STORED_TABLES = ("samples", "rr_intervals")
#: Largest growth sites (tracemalloc, hour 1 -> last hour) shown for the GUI run.
TOP = 6
TRACE_FRAMES = 1
#: Live goals check interval override in session time (None: the app's own, every 5 s).
GOAL_CHECK_MS: int | None = None


class SimClock:
    """Session time: advanced by the source as it fast-forwards, read by recorder and GUI."""

    def __init__(self, start_s: float) -> None:
        self.now = start_s

    def __call__(self) -> float:
        return self.now


class HourlyStrap:
    """A fast-forwarded SimulatedStrap that stops at every hour until `checkpoint` returns."""

    kind = "simulator"
    key = None

    def __init__(self, clock: SimClock, rate_hz: float, hours: int, checkpoint: Checkpoint):
        self.name = "Simulated strap"
        self.clock, self.rate_hz, self.hours, self.checkpoint = clock, rate_hz, hours, checkpoint
        self.strap = SimulatedStrap(
            seed=7, rate_hz=rate_hz, realtime=False, start_ms=int(clock.now * 1000) + 1000
        )

    async def samples(self) -> AsyncIterator[Sample]:
        per_hour = round(3600 * self.rate_hz)
        await self.checkpoint(0)
        generated = self.strap.generate(per_hour * self.hours)
        for i, sample in enumerate(generated, start=1):
            self.clock.now = sample.t_ms / 1000
            yield sample
            if i % per_hour == 0:
                await self.checkpoint(i // per_hour)
            elif i % 64 == 0:
                await asyncio.sleep(0)  # let the writer and the bridge run, as real BLE would
        await asyncio.Event().wait()  # a sensor stays connected until the recording stops


def rss_bytes() -> int:
    """Resident set size of this process (Linux /proc)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def stored_bytes(store: Store) -> tuple[int, int, int, int]:
    """(pages, record payload, samples rows, rr rows) of the stored recording tables."""
    names = ", ".join(f"'{t}'" for t in STORED_TABLES)
    with store.engine.connect() as conn:
        pages, payload = conn.exec_driver_sql(
            "SELECT coalesce(sum(pgsize), 0), coalesce(sum(payload), 0) FROM dbstat WHERE name IN"
            f" (SELECT name FROM sqlite_master WHERE tbl_name IN ({names}))"
        ).one()
        samples = conn.exec_driver_sql("SELECT count(*) FROM samples").scalar_one()
        rr = conn.exec_driver_sql("SELECT count(*) FROM rr_intervals").scalar_one()
    return int(pages), int(payload), int(samples), int(rr)


def malloc_trim() -> None:
    """Give freed C heap back to the OS (glibc), so RSS shows what is still in use."""
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    if name:
        ctypes.CDLL(name).malloc_trim(0)


def measure(hour: int, store: Store) -> dict[str, float]:
    gc.collect()
    pages, payload, samples, rr = stored_bytes(store)
    rss = rss_bytes()
    malloc_trim()
    return {
        "hour": hour,
        "rss": rss,
        "trim": rss_bytes(),
        "py": tracemalloc.get_traced_memory()[0],
        "db_pages": pages,
        "db_payload": payload,
        "samples": samples,
        "rr": rr,
    }


def baseline(hours: int, rate_hz: float, data_dir: Path) -> list[dict[str, float]]:
    """The same recording with no GUI: Recorder + SimulatedStrap on a plain asyncio loop."""
    from app.recorder import Recorder

    store = Store.open(data_dir)
    athlete = store.default_athlete()
    clock = SimClock(time.time())
    rows: list[dict[str, float]] = []

    async def record() -> None:
        rec = await Recorder(store, clock=clock).start(athlete.id)
        done = asyncio.Event()

        async def checkpoint(hour: int) -> None:
            await rec.flush()
            rows.append(await asyncio.to_thread(measure, hour, store))
            if hour == hours:
                done.set()

        rec.attach(HourlyStrap(clock, rate_hz, hours, checkpoint).samples())
        await done.wait()
        await rec.stop()

    tracemalloc.start()
    asyncio.run(record())
    store.close()
    return rows


def gui(hours: int, rate_hz: float, data_dir: Path, goals: bool = True) -> list[dict[str, float]]:
    """The real desktop live path: MainWindow recording a fast-forwarded strap, offscreen."""
    from PySide6.QtWidgets import QApplication

    from app.services.recording import RecordingService
    from app.training.live import GoalTracker
    from app.ui.services import Services
    from app.ui.window import MainWindow

    if GOAL_CHECK_MS is not None:  # --goal-check-ms: attribution of time, not the real path
        GoalTracker.__init__.__kwdefaults__["check_every_ms"] = GOAL_CHECK_MS
    if not goals:  # attribution only (--without-goals): the live goals get no samples
        from app.ui.goal_progress import TrainingGoals

        TrainingGoals.feed = lambda self, sample: None  # type: ignore[method-assign]
    app = QApplication.instance() or QApplication(sys.argv[:1])
    store = Store.open(data_dir)
    clock = SimClock(time.time())
    reached = threading.Event()
    go: dict[int, asyncio.Event] = {}
    holder: dict[str, object] = {}

    async def checkpoint(hour: int) -> None:
        recorder = holder["recorder"]
        assert isinstance(recorder, RecordingService)
        while recorder.recording is None:
            await asyncio.sleep(0.01)  # the pump starts before recorder.start returns
        await recorder.flush()
        go[hour] = asyncio.Event()
        holder["hour"] = hour
        reached.set()
        await go[hour].wait()

    def sources(_athlete):  # noqa: ANN001, ANN202
        return [HourlyStrap(clock, rate_hz, hours, checkpoint)]

    services = Services.build(store, data_dir, sources=sources, clock=clock)
    holder["recorder"] = services.recorder
    window = MainWindow(store, data_dir, services=services)
    window.resize(1280, 800)
    window.show()
    window.settle()
    ctx = window.ctx
    assert ctx is not None
    tracemalloc.start(TRACE_FRAMES)
    ctx.start("run")
    per_hour = round(3600 * rate_hz)
    rows: list[dict[str, float]] = []
    snapshots: list[tracemalloc.Snapshot] = []
    for _ in range(hours + 1):
        if not window.wait_until(reached.is_set, 120):
            raise RuntimeError("the recording did not reach the next hour")
        hour = int(holder["hour"])  # type: ignore[call-overload]
        reached.clear()
        window.wait_until(
            lambda h=hour: ctx.live is not None and ctx.live.view(ctx.now_ms()).samples == h
            * per_hour,
            60,
        )  # fmt: skip
        repaints = window.screen_named("dashboard").chart.repaints  # type: ignore[attr-defined]
        window.wait_until(
            lambda r=repaints: window.screen_named("dashboard").chart.repaints > r,  # type: ignore[attr-defined]
            5,
        )  # the dashboard drew this hour's data
        # Live goals drain their sample queue on a 5 s wall-clock timer (GOALS_REFRESH_MS),
        # i.e. every 5 samples in a real session but only every few hours of fast-forwarded
        # time: drain it now, as the timer would have, so the queue is not counted as growth.
        ctx.refresh_goals()
        window.wait_until(lambda: window.bridge.busy == 0, 30)
        app.processEvents()
        rows.append(measure(hour, store))
        rows[-1]["latencies"] = len(ctx.latencies_ms)
        if hour in (1, hours):
            snapshots.append(tracemalloc.take_snapshot())
        window.loop.loop.call_soon_threadsafe(go[hour].set)
    window.shutdown()
    store.close()
    if len(snapshots) == 2:  # where the Python heap grew between hour 1 and the last hour
        top = snapshots[1].compare_to(snapshots[0], "traceback")[:TOP]
        rows[-1]["top"] = [  # type: ignore[assignment]
            f"{d.size_diff / 1e3:+.0f} kB in {d.count_diff:+,} blocks: "
            + " -> ".join(f"{Path(f.filename).name}:{f.lineno}" for f in d.traceback)
            for d in top
        ]
    return rows


def child(mode: str, hours: int, rate_hz: float) -> list[dict[str, float]]:
    """Run one mode in a fresh interpreter, so neither inherits the other's heap."""
    cmd = [sys.executable, __file__, "--child", mode, "--hours", str(hours), "--rate", str(rate_hz)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{mode} child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def mb(n: float) -> str:
    return f"{n / 1e6:8.2f}"


def report_memory(hours: int, rate_hz: float, goals: bool = True) -> bool:
    began = time.perf_counter()
    base = child("baseline", hours, rate_hz)
    ui = child("gui" if goals else "gui-without-goals", hours, rate_hz)
    took = time.perf_counter() - began
    n = round(3600 * rate_hz) * hours
    print(f"\n(c) memory, {hours} h at {rate_hz:g} Hz fast-forwarded ({n:,} samples), "
          f"both modes in {took:.0f} s")  # fmt: skip
    print(f"{'hour':>4} {'samples':>8} {'db MB':>8} {'payload':>8} | {'GUI rss':>8} "
          f"{'trimmed':>8} {'GUI py':>8} | {'raw rss':>8} {'trimmed':>8} {'raw py':>8}"
          "   (MB; rss/py are deltas from hour 0)")  # fmt: skip
    for u, b in zip(ui, base, strict=True):
        print(f"{u['hour']:>4} {u['samples']:>8,} {mb(u['db_pages'])} {mb(u['db_payload'])} | "
              f"{mb(u['rss'] - ui[0]['rss'])} {mb(u['trim'] - ui[0]['trim'])} "
              f"{mb(u['py'] - ui[0]['py'])} | {mb(b['rss'] - base[0]['rss'])} "
              f"{mb(b['trim'] - base[0]['trim'])} {mb(b['py'] - base[0]['py'])}")  # fmt: skip
    span = hours - 1 if hours > 1 else 1
    first = 1 if hours > 1 else 0

    def per_hour(rows: list[dict[str, float]], key: str) -> float:
        """Least-squares slope over hours first..N: RSS jumps by MBs between readings (page
        caches, allocator arenas, the chart arrays doubling), so two end points mislead."""
        xs = [r["hour"] for r in rows[first:]]
        ys = [r[key] for r in rows[first:]]
        if len(xs) < 2:
            return (rows[-1][key] - rows[first][key]) / span
        return statistics.linear_regression(xs, ys).slope

    stored_h = per_hour(ui, "db_pages")
    payload_h = per_hour(ui, "db_payload")
    chart_floor_h = round(3600 * rate_hz) * 5 * 8  # t + 4 chart channels as float64
    g_rss, g_py = per_hour(ui, "rss"), per_hour(ui, "py")
    b_rss, b_py = per_hour(base, "rss"), per_hour(base, "py")
    g_trim, b_trim = per_hour(ui, "trim"), per_hour(base, "trim")
    print(f"growth per hour (hours {first}..{hours}): stored {stored_h / 1e3:.0f} kB pages, "
          f"{payload_h / 1e3:.0f} kB payload; live chart arrays need >= {chart_floor_h / 1e3:.0f}"
          f" kB")  # fmt: skip
    print(f"  GUI: rss {g_rss / 1e3:+.0f} kB/h (after malloc_trim {g_trim / 1e3:+.0f}), python "
          f"{g_py / 1e3:+.0f} kB/h; raw (no GUI): rss {b_rss / 1e3:+.0f} kB/h (after malloc_trim "
          f"{b_trim / 1e3:+.0f}), python {b_py / 1e3:+.0f} kB/h")  # fmt: skip
    extra_rss, extra_py = g_rss - b_rss, g_py - b_py
    print(
        f"  GUI minus raw: rss {extra_rss / 1e3:+.0f} kB/h, python {extra_py / 1e3:+.0f} kB/h"
        f" = {extra_py / stored_h if stored_h else float('nan'):.2f} x stored pages/h"
    )
    ratio = g_rss / b_rss if b_rss > 0 else float("nan")
    print(f"  ratio GUI/raw rss growth: {ratio:.2f}; GUI latency list entries at the end: "
          f"{int(ui[-1].get('latencies', 0)):,}")  # fmt: skip
    ok = g_rss <= stored_h and g_py <= stored_h
    for line in ui[-1].get("top", []):  # type: ignore[union-attr]
        print(f"  GUI heap growth, hour 1 -> {hours}: {line}")
    print(f"memory: growth bounded by the stored data ({g_rss / 1e3:.0f} kB/h rss, "
          f"{g_py / 1e3:.0f} kB/h python <= {stored_h / 1e3:.0f} kB/h stored): "
          f"{'PASS' if ok else 'FAIL'}")  # fmt: skip
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=int, default=10)
    parser.add_argument("--rate", type=float, default=1.0, help="samples per second (1 or 4)")
    parser.add_argument("--points", type=int, default=1_000_000, help="chart.py --points")
    parser.add_argument("--frames", type=int, default=15, help="chart.py --frames")
    parser.add_argument("--live-s", type=float, default=10.0, help="chart.py --live-s")
    parser.add_argument("--skip-chart", action="store_true", help="only part (c)")
    parser.add_argument(
        "--without-goals",
        action="store_true",
        help="attribution: (c) with the live goal tracker fed no samples (not the real path)",
    )
    parser.add_argument(
        "--child", choices=("baseline", "gui", "gui-without-goals"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        with tempfile.TemporaryDirectory() as tmp:
            if args.child == "baseline":
                rows = baseline(args.hours, args.rate, Path(tmp))
            else:
                rows = gui(args.hours, args.rate, Path(tmp), goals=args.child == "gui")
        print(json.dumps(rows))
        return 0
    if not args.skip_chart:
        import chart  # benchmarks/chart.py, next to this file

        print("(a) arrival -> repaint latency and (b) redraw times: benchmarks/chart.py")
        argv = sys.argv
        sys.argv = [chart.__file__, "--points", str(args.points), "--frames", str(args.frames),
                    "--live-s", str(args.live_s)]  # fmt: skip
        try:
            chart.main()
        finally:
            sys.argv = argv
    report_memory(args.hours, args.rate, goals=not args.without_goals)
    return 0


if __name__ == "__main__":
    sys.exit(main())
