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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--frames", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = run(args.points, args.frames)
    if args.json:
        print(json.dumps([{**asdict(r), "ratio": round(r.ratio, 3)} for r in results], indent=2))
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
