"""Chart frame time: our pyqtgraph settings against raw pyqtgraph defaults, same arrays, same run.

    python benchmarks/chart.py [--points 1000000] [--frames 15] [--json]

Offscreen (QT_QPA_PLATFORM=offscreen unless set), 1280x400 widgets. A "frame" is a synchronous
repaint of the plot's viewport after a pan (the x range moves a little, as it does when a user
drags or the live chart scrolls), timed with perf_counter; figures are medians and p90 over
`--frames` frames after one warm-up frame.

Cases, each drawn both ways:
  1. `--points` samples of one channel, whole range visible, then a zoomed-in view (10 %).
  2. A 10-hour session at 1 Hz (36 000 points) as the session detail shows it.
  3. A 2-hour session at 4 Hz with HR, cadence, power, speed (4 x 28 800 points).
"Ours" is `app.ui.charts.configure_curve` (peak downsampling + clip to view + NaN gaps, the
live chart and session detail use it); "raw" is `pg.PlotWidget().plot(x, y)` with defaults.
Target: < 16 ms a frame for the sessions, and not slower than 1.5 x raw.

Then the live path (`--live-s`, 0 to skip): sample arrival -> chart repaint latency with 4
simulated sensors at 4 Hz each, through the real main window (loop thread, bridge, live model,
throttled dashboard), against a bare PlotWidget fed by a queued signal from a thread at the
same rate with `setData` per sample, both after a 2 s warm-up. Target: p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyqtgraph as pg  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from app.ui.charts import configure_curve  # noqa: E402

TARGET_FRAME_MS = 16.0
TARGET_RATIO = 1.5
#: Latency is measured in steady state: not while the session opens and the first frame draws.
WARM_UP_S = 2.0


@dataclass(frozen=True)
class Result:
    case: str
    points: int
    ours_p50_ms: float
    ours_p90_ms: float
    raw_p50_ms: float
    raw_p90_ms: float

    @property
    def ratio(self) -> float:
        return self.ours_p50_ms / self.raw_p50_ms if self.raw_p50_ms else float("nan")


def series(n: int, rate_hz: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """A plausible HR trace: intervals, noise, and one drop-out (NaN) per hour."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64) / rate_hz
    y = 130 + 25 * np.sin(t / 120.0) + rng.normal(0, 2, n)
    y[(t % 3600 > 1800) & (t % 3600 < 1810)] = np.nan
    return t, y


def _widget(channels: int) -> tuple[pg.GraphicsLayoutWidget, list[pg.PlotItem]]:
    w = pg.GraphicsLayoutWidget()
    w.resize(1280, 400 if channels == 1 else 800)
    plots = []
    for i in range(channels):
        plot = w.addPlot(row=i, col=0)
        if plots:
            plot.setXLink(plots[0])
        plots.append(plot)
    w.show()
    return w, plots


def frames(
    app: QApplication,
    data: list[tuple[np.ndarray, np.ndarray]],
    ours: bool,
    count: int,
    zoom: float = 1.0,
) -> list[float]:
    """Repaint times (ms) of `count` pans over `data` drawn with our settings or the defaults."""
    widget, plots = _widget(len(data))
    for plot, (t, y) in zip(plots, data, strict=True):
        if ours:
            configure_curve(plot.plot(t, y, connect="finite"))
        else:
            plot.plot(t, y)
    t0, t1 = float(data[0][0][0]), float(data[0][0][-1])
    span = (t1 - t0) * zoom
    app.processEvents()
    times = []
    for i in range(count + 1):
        start = t0 + (t1 - t0 - span) * (i / max(1, count))
        plots[0].setXRange(start, start + span, padding=0)
        app.processEvents()  # let the range change settle, as the event loop would
        began = time.perf_counter()
        widget.viewport().repaint()
        times.append((time.perf_counter() - began) * 1000)
    widget.close()
    widget.deleteLater()
    app.processEvents()
    return times[1:]  # the first frame builds caches once


def _stats(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.9) - 1]


def run(points: int, count: int) -> list[Result]:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    cases: list[tuple[str, list[tuple[np.ndarray, np.ndarray]], float]] = [
        (f"{points:,} points, all visible", [series(points, 4.0)], 1.0),
        (f"{points:,} points, zoomed to 10 %", [series(points, 4.0)], 0.1),
        ("10-hour session at 1 Hz", [series(36_000, 1.0)], 1.0),
        ("2-hour, 4 channels at 4 Hz", [series(28_800, 4.0, s) for s in range(4)], 1.0),
    ]
    out = []
    for name, data, zoom in cases:
        ours = _stats(frames(app, data, True, count, zoom))
        raw = _stats(frames(app, data, False, count, zoom))
        n = sum(len(t) for t, _ in data)
        out.append(Result(name, n, round(ours[0], 2), round(ours[1], 2), round(raw[0], 2),
                          round(raw[1], 2)))  # fmt: skip
    return out


def live_latency(seconds: float) -> tuple[list[float], list[float]]:
    """(ours, raw) arrival -> painted latencies in ms at 4 sensors x 4 Hz."""
    import tempfile
    import threading
    from collections import deque

    from PySide6.QtCore import QObject, Signal

    from app.store.repo import Store
    from app.ui.services import Services
    from app.ui.window import MainWindow
    from device.simulator import SimulatedStrap

    app = QApplication.instance() or QApplication(sys.argv[:1])

    class Keyed(SimulatedStrap):
        """One of four sensors: its samples carry its own source key."""

        def __init__(self, key: str, seed: int) -> None:
            super().__init__(seed=seed, rate_hz=4.0)
            self.key, self.name = key, key

        async def samples(self):  # noqa: ANN202
            from dataclasses import replace

            async for sample in super().samples():
                yield replace(sample, source=self.key)

    def sources(_athlete):  # noqa: ANN001, ANN202
        return [Keyed(f"sensor-{i}", i) for i in range(4)]

    ours: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        services = Services.build(store, Path(tmp), sources=sources)
        window = MainWindow(store, Path(tmp), services=services)
        window.resize(1280, 800)
        window.show()
        window.settle()
        chart = window.screen_named("dashboard").chart
        unpainted: deque[float] = deque()
        take = window.bridge.take_samples

        def taking():  # noqa: ANN202
            batch = take()
            unpainted.extend(arrived for arrived, _ in batch)
            return batch

        def painted() -> None:
            now = time.perf_counter()
            while unpainted:
                ours.append((now - unpainted.popleft()) * 1000)

        window.bridge.take_samples = taking  # type: ignore[method-assign]
        window.ctx.start("run")
        window.wait_until(lambda: False, WARM_UP_S)  # session opened, first frames drawn
        unpainted.clear()
        chart.on_painted = painted
        window.wait_until(lambda: False, seconds)
        window.shutdown()
        store.close()

    raw: list[float] = []

    class Feed(QObject):
        sample = Signal(float, float, float)

    feed = Feed()
    widget = pg.PlotWidget()
    widget.resize(1060, 300)
    curve = widget.plot([], [])
    widget.show()
    xs: list[float] = []
    ys: list[float] = []
    pending: deque[float] = deque()
    t0 = time.perf_counter()

    def on_sample(arrived: float, x: float, y: float) -> None:
        xs.append(x)
        ys.append(y)
        pending.append(arrived)
        curve.setData(np.asarray(xs), np.asarray(ys))

    feed.sample.connect(on_sample)
    original = widget.paintEvent

    def paint(ev) -> None:  # noqa: ANN001
        original(ev)
        now = time.perf_counter()
        while pending:
            raw.append((now - pending.popleft()) * 1000)

    widget.paintEvent = paint  # type: ignore[method-assign]
    stop = threading.Event()

    def sensors() -> None:
        i = 0
        while not stop.is_set():
            for k in range(4):
                feed.sample.emit(time.perf_counter(), time.perf_counter() - t0, 120.0 + k + i % 7)
            i += 1
            stop.wait(0.25)

    thread = threading.Thread(target=sensors, daemon=True)
    thread.start()
    deadline = time.perf_counter() + WARM_UP_S + seconds
    warm = time.perf_counter() + WARM_UP_S
    while time.perf_counter() < deadline:
        if warm and time.perf_counter() >= warm:
            raw.clear()
            warm = 0.0
        app.processEvents()
        time.sleep(0.002)
    stop.set()
    thread.join()
    widget.close()
    return ours, raw


def live_frames(seconds: float = 600.0, rate: float = 16.0) -> tuple[list[float], list[float]]:
    """The dashboard chart's own cost per frame (set_data + a synchronous repaint), wall and
    CPU ms, from 5 minutes in: HR and cadence at `rate` samples/s, a frame every 4 samples.
    CPU time is much less sensitive to other jobs on the machine than the latency above."""
    from app.ui import theme as th
    from app.ui.charts import LiveChart

    app = QApplication.instance() or QApplication(sys.argv[:1])
    chart = LiveChart()
    chart.resize(1060, 300)
    chart.show()
    chart.apply_theme(th.LIGHT, (120.0, 135.0, 150.0, 165.0, 180.0))
    n = int(seconds * rate)
    t = np.arange(n) / rate
    hr = 140 + 20 * np.sin(t / 60)
    cad = 170 + 5 * np.sin(t / 7)
    wall: list[float] = []
    cpu: list[float] = []
    for i in range(n // 2, n, 4):
        w0, c0 = time.perf_counter(), time.process_time()
        chart.set_data(t[:i], hr[:i], cad[:i], float(t[i - 1]))
        chart.repaint()
        app.processEvents()
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    chart.close()
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--frames", type=int, default=15)
    parser.add_argument("--live-s", type=float, default=10.0, help="seconds of live latency")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.points, args.frames)
    live = live_latency(args.live_s) if args.live_s > 0 else ([], [])

    def pct(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[max(0, int(len(ordered) * q) - 1)] if ordered else float("nan")

    latency = {
        name: {"samples": len(v), "p50_ms": round(pct(v, 0.5), 2), "p99_ms": round(pct(v, 0.99), 2)}
        for name, v in (("ours", live[0]), ("raw", live[1]))
    }
    if args.json:
        frames_json = [{**asdict(r), "ratio": round(r.ratio, 3)} for r in results]
        print(json.dumps({"frames": frames_json, "live_latency": latency}, indent=2))
        return 0
    print(f"{'case':34} {'points':>10} {'ours p50':>9} {'p90':>7} {'raw p50':>9} {'p90':>7} "
          f"{'ours/raw':>8}")  # fmt: skip
    for r in results:
        print(f"{r.case:34} {r.points:>10,} {r.ours_p50_ms:>8.1f}ms {r.ours_p90_ms:>6.1f} "
              f"{r.raw_p50_ms:>8.1f}ms {r.raw_p90_ms:>6.1f} {r.ratio:>8.2f}")  # fmt: skip
    sessions = [r for r in results if "session" in r.case or "channels" in r.case]
    ok = all(r.ours_p50_ms < TARGET_FRAME_MS and r.ratio <= TARGET_RATIO for r in sessions)
    print(f"target: sessions < {TARGET_FRAME_MS:.0f} ms and <= {TARGET_RATIO} x raw: "
          f"{'met' if ok else 'NOT met'}")  # fmt: skip
    wall, cpu = live_frames()
    print(f"live chart frame (set_data + repaint, HR + cadence, 16 samples/s, 5-min window): "
          f"wall p50 {pct(wall, 0.5):.1f} ms p90 {pct(wall, 0.9):.1f} ms; CPU p50 "
          f"{pct(cpu, 0.5):.1f} ms p90 {pct(cpu, 0.9):.1f} ms ({len(wall)} frames)")  # fmt: skip
    if live[0]:
        o, r = latency["ours"], latency["raw"]
        print(f"live, 4 sensors x 4 Hz, arrival -> painted: ours p50 {o['p50_ms']:.1f} ms "
              f"p99 {o['p99_ms']:.1f} ms ({o['samples']} samples); raw setData p50 "
              f"{r['p50_ms']:.1f} ms p99 {r['p99_ms']:.1f} ms ({r['samples']} samples); "
              f"target p99 < 50 ms: {'met' if o['p99_ms'] < 50 else 'NOT met'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
