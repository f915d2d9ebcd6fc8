"""Trends benchmark: open the Trends screen over 2 years of data (issue 20: < 300 ms).

Two years of training (tests/analysis/trend_data.fill_history: 3-5 sessions a week, samples
at --hz, a morning reading most days, weighings, sets, a streak goal) in a real SQLite file,
kept in --db-dir between runs. Measured on the GUI thread, offscreen, 1090x1100:
  * service: `AnalysisService.trends(athlete, today - 729 days, today)` on the worker;
  * open: from `TrendsScreen.reload()` to the charts painted (`repaint()` returned);
cold = this process's first open: with `--clear-cache` the stored days and readings are
emptied first (the first open after the data arrived: every day computed from the samples),
without it they are read back (every later start); warm = the same window opening it again.

    .venv/bin/python benchmarks/trends.py [--weeks 104] [--hz 0.2] [--repeat 5] [--clear-cache]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weeks", type=int, default=104)
    ap.add_argument("--hz", type=float, default=0.2)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--db-dir", default="/tmp/pulsedeck-bench-trends")
    ap.add_argument(
        "--clear-cache", action="store_true", help="empty the stored days and readings first"
    )
    args = ap.parse_args()

    from app.store.repo import Store
    from tests.analysis.trend_data import fill_history

    d = Path(args.db_dir) / f"w{args.weeks}-hz{args.hz}"
    if not (d / ".filled").exists():
        d.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        s = Store.open(d)
        fill_history(s, args.weeks, hz=args.hz)
        s.close()
        (d / ".filled").touch()
        print(f"filled {d} in {time.perf_counter() - t:.0f} s")

    from PySide6.QtWidgets import QWidget

    from app.ui.bridge import Bridge, LoopThread
    from app.ui.context import AppContext
    from app.ui.main import _application
    from app.ui.screens.trends import TrendsScreen
    from app.ui.services import Services

    app = _application(offscreen=True)
    store = Store.open(d)
    if args.clear_cache:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM day_summaries")
            conn.exec_driver_sql("DELETE FROM session_readings")
    services = Services.build(store, d)
    with store.engine.connect() as c:
        n_sessions = c.exec_driver_sql("SELECT count(*) FROM sessions").scalar()
        n_samples = c.exec_driver_sql("SELECT count(*) FROM samples").scalar()
    print(f"{args.weeks} weeks: {n_sessions} sessions, {n_samples} samples")
    loop = LoopThread().start()
    host = QWidget()
    ctx = AppContext(Bridge(loop, host), services, None, services.athletes.current(), "light", host)

    class Nav:
        def show_screen(self, name: str, **kw: object) -> None: ...
        def open_session(self, sid: int) -> None: ...
        def reload_athletes(self, select_id: int | None = None) -> None: ...
        def confirm_stop(self) -> None: ...

    screen = TrendsScreen(ctx, Nav())  # type: ignore[arg-type]
    screen.resize(1090, 1100)
    screen.range_box.setCurrentText("2 years")
    screen.show()
    app.processEvents()

    def open_once() -> tuple[float, float]:
        done: list[float] = []
        screen.shown.connect(lambda: done.append(time.perf_counter()))
        t0 = time.perf_counter()
        screen.reload()
        while not done:
            app.processEvents()
            time.sleep(0.0005)
        screen.repaint()
        total = (time.perf_counter() - t0) * 1000
        screen.shown.disconnect()
        return screen.load_ms or 0.0, total

    cold = open_once()
    warm = [open_once() for _ in range(args.repeat)]
    stored = "nothing stored" if args.clear_cache else "days and readings stored"
    print(f"cold ({stored}): service {cold[0]:.0f} ms, open to painted {cold[1]:.0f} ms")
    print(
        f"warm (median of {args.repeat}): service {statistics.median(w[0] for w in warm):.0f} ms, "
        f"open to painted {statistics.median(w[1] for w in warm):.0f} ms (target < 300)"
    )
    loop.stop()
    store.close()


if __name__ == "__main__":
    main()
