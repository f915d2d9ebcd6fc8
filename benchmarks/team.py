"""Team view latency: N simulated athletes x R Hz into the real window; sample -> on screen.

The trace simulator runs in its own process (`benchmarks/feed.py --role server`, which notes
when each sample was published); this process opens the real MainWindow offscreen on a fresh
data dir, connects the Team screen to it (every athlete's session records as `feeds record`
does) and notes when each sample is on screen: when its tile finished painting it, or, for a
sample that changes nothing drawn (the same whole bpm as the last one: no repaint is needed),
when its tile took it while no repaint was queued. Printed: p50/p90/p99/max of publish -> on
screen (end to end: server, websocket, feed client, recording, board, timer, paint), the same
for the repainted samples alone, and arrival -> on screen (the team view's own share: from the
recording's listener on the loop), in steady state (after the first 3 s, when the sessions
are being opened), with the GUI process's CPU, board reads, paints and GC pauses.

    python benchmarks/team.py                      # 60 athletes x 4 Hz x 30 s at 1920x1080
    python benchmarks/team.py --duration 10        # quicker

Screenshots of the view instead (simulated athletes in the app, `--speed` past the warm-up):

    python benchmarks/team.py --athletes 12 --shot docs/screenshots/team-12.png
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from feed import TOKEN, percentile  # noqa: E402  (benchmarks/feed.py: the server role)

#: Samples published in the first seconds wait for their sessions to open: not steady state.
WARMUP_S = 3.0
TARGET_P99_MS = 100.0


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _window(data: Path, size: tuple[int, int]) -> Any:
    from app.store.repo import Store
    from app.ui.main import _application

    _application(offscreen=True)
    from app.ui.window import MainWindow

    window = MainWindow(Store.open(data), data)
    window.resize(*size)
    window.show()
    window.settle()
    return window


def _stop(window: Any, screen: Any) -> str:
    screen.stop()
    window.wait_until(lambda: screen.status.text().startswith(("Saved", "Could not")), 60)
    return str(screen.status.text())


def shot(args: argparse.Namespace) -> None:
    """Render the team view with simulated athletes to a PNG."""
    from app.services.team import SimulatedSource

    with tempfile.TemporaryDirectory() as tmp:
        window = _window(Path(tmp), args.size)
        screen = window.show_screen("team")
        screen.count.setValue(args.athletes)
        source = SimulatedSource(athletes=args.athletes, rate_hz=1.0, seed=args.seed,
                                 speed=args.speed)  # fmt: skip
        screen.connect_source(source)
        window.wait_until(lambda: False, args.shot_after)
        if args.sort == "zone":
            from app.domain.team import SortOrder

            screen.set_order(SortOrder.ZONE)
            window.wait_until(lambda: False, 0.05)  # painted, before 20x time reshuffles it
        out = Path(args.shot)
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        print(f"{out}: {len(screen.tiles)} tiles; {_stop(window, screen)}")
        window.shutdown()


def bench(args: argparse.Namespace) -> None:
    from app.services.team import FeedSource
    from app.ui.screens.team import TICK_MS
    from app.ui.team_tiles import TeamTile
    from device.feeds.simulator import make_athletes

    keys = {a.info.name: a.info.key for a in make_athletes(args.athletes, args.seed)}
    #: (athlete, t_ms, wall, perf, repainted): when each sample was on screen.
    paints: list[tuple[str, int, float, float, bool]] = []
    paint_cost: list[float] = []
    original_paint = TeamTile.paintEvent

    def timed_paint(tile: TeamTile, event: Any) -> None:
        t0 = time.perf_counter()
        original_paint(tile, event)
        done = time.perf_counter()
        pending.discard(id(tile))
        paint_cost.append((done - t0) * 1000)
        v = tile.view
        if v.sample_t_ms is not None and v.signal:
            paints.append((keys.get(v.name, v.name), v.sample_t_ms, time.time(), done, True))

    TeamTile.paintEvent = timed_paint  # type: ignore[method-assign]  # benchmark probe only
    original_set_view = TeamTile.set_view
    pending: set[int] = set()  # tiles with a repaint queued
    unchanged = [0]

    def timed_set_view(tile: TeamTile, view: Any) -> None:
        """A sample that changes nothing drawn (same bpm) is on screen once the tile has it,
        unless a repaint is still queued (then that paint shows it)."""
        before = tile._shown
        original_set_view(tile, view)
        if tile._shown != before:
            pending.add(id(tile))
        elif id(tile) not in pending and view.sample_t_ms is not None and view.signal:
            unchanged[0] += 1
            paints.append(
                (keys.get(view.name, view.name), view.sample_t_ms, time.time(),
                 time.perf_counter(), False)
            )  # fmt: skip

    TeamTile.set_view = timed_set_view  # type: ignore[method-assign]  # benchmark probe only

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "server.json"
        server = subprocess.Popen(
            [sys.executable, str(ROOT / "benchmarks" / "feed.py"), "--role", "server",
             "--out", str(out), "--athletes", str(args.athletes), "--rate", str(args.rate),
             "--duration", str(args.duration), "--seed", str(args.seed)],
            stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        window = _window(Path(tmp) / "data", args.size)
        screen = window.show_screen("team")
        board = screen.board
        arrivals: dict[tuple[int, int], float] = {}
        original_sample = board.sample

        def timed_sample(key: int, sample: Any) -> None:
            arrivals[(key, sample.t_ms)] = time.perf_counter()
            original_sample(key, sample)

        board.sample = timed_sample  # type: ignore[method-assign]  # benchmark probe only
        refresh_cost: list[float] = []
        original_refresh = screen.refresh

        gc_pauses: list[tuple[int, float]] = []
        gc_at: list[float] = []  # seconds after connecting
        wall0 = time.time()
        gc_started = [0.0]

        def on_gc(phase: str, info: dict[str, Any]) -> None:
            if phase == "start":
                gc_started[0] = time.perf_counter()
            else:
                gc_pauses.append((info["generation"], time.perf_counter() - gc_started[0]))
                gc_at.append(time.time() - wall0)

        gc.callbacks.append(on_gc)
        gaps: list[float] = []
        last_read = [time.perf_counter()]

        def timed_refresh() -> None:
            t0 = time.perf_counter()
            gaps.append((t0 - last_read[0]) * 1000)
            last_read[0] = t0
            original_refresh()
            refresh_cost.append((time.perf_counter() - t0) * 1000)

        screen.timer.timeout.disconnect()
        screen.timer.timeout.connect(timed_refresh)
        cpu0, wall0 = _cpu_s(), time.time()
        screen.connect_source(FeedSource(url, TOKEN))
        window.wait_until(lambda: server.poll() is not None, args.duration + 60)
        cpu, wall = _cpu_s() - cpu0, time.time() - wall0
        gc.callbacks.remove(on_gc)
        tiles = len(screen.tiles)
        saved = _stop(window, screen)
        sessions = {t.view.name: k for k, t in screen.tiles.items()}
        window.shutdown()
        sent = json.loads(out.read_text())["sent"]

    by_athlete: dict[str, list[tuple[int, float, float, bool]]] = {}
    for athlete, t_ms, wall_t, perf_t, repainted in paints:
        by_athlete.setdefault(athlete, []).append((t_ms, wall_t, perf_t, repainted))
    for rows in by_athlete.values():
        rows.sort(key=lambda r: r[1])
    first = min(rows[0][1] for rows in sent.values() if rows)
    end_to_end, own, redrawn, missing = [], [], [], 0
    name_of = {v: k for k, v in keys.items()}
    for athlete, rows in sent.items():
        painted = by_athlete.get(athlete, [])
        session = sessions.get(name_of[athlete])
        i = 0
        for t_ms, published in rows:
            while i < len(painted) and painted[i][0] < t_ms:
                i += 1
            if i == len(painted):
                missing += 1
                continue
            _, wall_t, perf_t, repainted = painted[i]
            if published < first + WARMUP_S:
                continue
            end_to_end.append((wall_t - published) * 1000)
            if repainted:
                redrawn.append(end_to_end[-1])
            arrived = arrivals.get((session, t_ms)) if session is not None else None
            if arrived is not None:
                own.append((perf_t - arrived) * 1000)
    total = sum(len(rows) for rows in sent.values())
    print(
        f"team view benchmark: {args.athletes} athletes x {args.rate:g} Hz x {args.duration:g} s, "
        f"window {args.size[0]}x{args.size[1]} offscreen, python {sys.version.split()[0]}, "
        f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}"
    )
    print(f"tiles {tiles}, samples sent {total}, painted-or-superseded {total - missing}, "
          f"never shown {missing}; {saved}")  # fmt: skip
    for label, values in (
        ("publish -> on screen", end_to_end),
        ("  of which repainted", redrawn),
        ("arrival -> on screen", own),
    ):
        print(
            f"{label:20} n={len(values):6}  p50 {percentile(values, 50):6.1f} ms  "
            f"p90 {percentile(values, 90):6.1f} ms  p99 {percentile(values, 99):6.1f} ms  "
            f"max {max(values, default=float('nan')):6.1f} ms"
        )
    full = [d * 1000 for g, d in gc_pauses if g == 2]
    print(
        f"board reads every {TICK_MS} ms: gap p50 {percentile(gaps, 50):.0f} ms, p99 "
        f"{percentile(gaps, 99):.0f} ms, max {max(gaps, default=0):.0f} ms (a late timer: the "
        f"process waited for a CPU or the GIL); GC: {len(gc_pauses)} collections, "
        f"{len(full)} full, longest {max((d * 1000 for _, d in gc_pauses), default=0):.1f} ms"
    )
    if os.environ.get("TEAM_BENCH_GC"):
        print(
            "GC pauses (generation, ms, s after connecting):",
            [
                (g, round(d * 1000, 1), round(at, 1))
                for (g, d), at in zip(gc_pauses, gc_at, strict=True)
            ],
        )
    print(
        f"board read: mean {sum(refresh_cost) / max(1, len(refresh_cost)):.2f} ms, "
        f"p99 {percentile(refresh_cost, 99):.2f} ms ({len(refresh_cost)} reads); "
        f"tile paint: mean {sum(paint_cost) / max(1, len(paint_cost)):.2f} ms, "
        f"p99 {percentile(paint_cost, 99):.2f} ms ({len(paint_cost)} paints; "
        f"{unchanged[0]} samples changed nothing drawn)"
    )
    print(f"GUI process CPU {cpu:.1f} s over {wall:.1f} s ({100 * cpu / wall:.0f} % of one core; "
          "includes the feed client and recording)")  # fmt: skip
    p99 = percentile(end_to_end, 99)
    verdict = "PASS" if p99 < TARGET_P99_MS and missing <= args.athletes else "MISS"
    print(
        f"target p99 publish -> on screen < {TARGET_P99_MS:.0f} ms: {verdict} ({p99:.1f} ms; "
        f"repainted samples alone: {percentile(redrawn, 99):.1f} ms)"
    )


def _size(text: str) -> tuple[int, int]:
    w, h = (int(v) for v in text.lower().split("x"))
    return w, h


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=60)
    parser.add_argument("--rate", type=float, default=4.0)
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=_size, default=(1920, 1080), help="window WIDTHxHEIGHT")
    parser.add_argument("--shot", help="write a screenshot to this PNG instead of measuring")
    parser.add_argument("--speed", type=float, default=20.0, help="--shot: workout time factor")
    parser.add_argument("--shot-after", type=float, default=12.0, help="--shot: seconds")
    parser.add_argument("--sort", choices=["name", "zone"], default="name")
    args = parser.parse_args()
    if args.shot:
        shot(args)
    else:
        bench(args)


if __name__ == "__main__":
    main()
