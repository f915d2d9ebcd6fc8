"""Training benchmark: daily summaries and goal progress from the store, full and incremental.

Default: 20 athletes x 730 days x one 60-minute 1 Hz session a day (52.6 M samples), one
day in ten with a second, overlapping feed session of the same activity (so the merge runs),
three goals per athlete. Prints:
  * the raw library doing the least comparable work on the same rows in the same run:
    bare sqlite3 reading every sample (t, hr, steps, speed) and summing per session in SQL;
    each ratio below says what ours costs against it (issue 18: target <= 3x);
  * full recompute, nothing stored: a fresh DailyService computes every day of every athlete
    and each athlete's goal progress and achievements (GoalEngine.progress + evaluate), with
    the stored days (day_summaries) and the stored per-session pieces (session_tracks)
    emptied first: the first read of sessions another program wrote (a lake pull, an old
    database). It reads every sample, so it cannot meet 3x: a bare sqlite3 fetchall of the
    rows alone is about 3x the SQL aggregate. Also printed: the part of it spent reading
    samples, computing the pieces and storing them, and the megabytes the pieces add;
  * full recompute, tracks stored: the same with the days emptied but the pieces kept: what a
    profile, zone or time-zone change or a new day rule pays, and every recompute of sessions
    the app wrote (the app stores their pieces when it first computes their days);
  * a new process: the same with the days stored by the full recompute (what every later
    start, CLI command and roster pays);
  * incremental: after one new session is stored, one athlete's two years of days plus goal
    progress and evaluation again (the cache revalidates against the sessions table and
    recomputes only the touched day); the issue asks for under 100 ms;
  * fitness/fatigue/form (CTL/ATL/TSB, LoadService) and HRV readiness (ReadinessService)
    over every athlete's two years, cold and then incremental after one new session
    (target under 100 ms). Every fifth athlete has an FTP and power in their sessions, and
    every day starts with a 3-minute readiness recording with RR intervals.

    .venv/bin/python benchmarks/summary.py [--athletes 20] [--days 730] [--minutes 60]
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from app.store.repo import Store
from app.training.daily import DailyService
from app.training.goals import GoalEngine
from app.training.load import LoadService, set_thresholds
from app.training.readiness import ReadinessService

TZ = "Europe/Paris"
SAMPLE_SQL = (
    "INSERT INTO samples (session_id, t_ms, hr, speed, steps, power) VALUES (?, ?, ?, ?, ?, ?)"
)
RR_SQL = "INSERT INTO rr_intervals (session_id, t_ms, rr_ms) VALUES (?, ?, ?)"
READINESS_S = 180
SESSION_SQL = (
    "INSERT INTO sessions (id, uid, athlete_id, sport, source, status, started_ms, ended_ms, "
    "sample_count, trimp, avg_power) VALUES (?, ?, ?, ?, ?, 'finished', ?, ?, ?, ?, ?)"
)


def _rows(sid: int, t0: int, n: int, phase: float, power: bool = False):
    for i in range(n):
        hr = int(125 + 25 * math.sin(i / 300 + phase))
        watts = 200 + 60 * math.sin(i / 45 + phase) if power else None
        yield (sid, t0 + i * 1000, hr, 2.8, int(i * 2.7), watts)


def _readiness(conn: sqlite3.Connection, sid: int, a: int, t0: int, d: int) -> None:
    """A 3-minute morning reading: HR samples and RR intervals (RMSSD varies by day)."""
    conn.execute(
        SESSION_SQL,
        (
            sid,
            str(uuid.uuid4()),
            a,
            "readiness",
            "ble",
            t0,
            t0 + READINESS_S * 1000,
            READINESS_S,
            None,
            None,
        ),
    )
    conn.executemany(
        SAMPLE_SQL, ((sid, t0 + i * 1000, 55, None, None, None) for i in range(READINESS_S))
    )
    step = 15 + 10 * math.sin(d / 9 + a)
    conn.executemany(
        RR_SQL, ((sid, t0 + i * 1000, 1090 + (i % 2) * step) for i in range(READINESS_S))
    )


def build(data_dir: Path, athletes: int, days: int, minutes: int, last_day: date) -> int:
    """Create the database; returns the number of samples."""
    store = Store.open(data_dir)
    ids = []
    for a in range(athletes):
        info = store.ensure_athlete(f"athlete{a:02d}", is_self=a == 0)
        store.update_profile(
            info.id,
            birth_year=1985 + a % 20,
            sex="male" if a % 2 else "female",
            weight_kg=60.0 + a,
            resting_hr=55,
            max_hr=185,
            timezone=TZ,
        )
        ids.append(info.id)
    for a in ids[::5]:
        set_thresholds(store, a, ftp_w=250.0, threshold_hr=165)
    store.close()
    tz = ZoneInfo(TZ)
    conn = sqlite3.connect(data_dir / "pulsedeck.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    n = minutes * 60
    sid = 0
    total = 0
    first_day = last_day - timedelta(days=days - 1)
    for a in ids:
        for d in range(days):
            day = first_day + timedelta(days=d)
            t0 = int(
                datetime(day.year, day.month, day.day, 7, a % 60, tzinfo=tz).timestamp() * 1000
            )
            sources = ["ble", "feed"] if d % 10 == 0 else ["ble"]
            sid += 1
            _readiness(conn, sid, a, t0 - 3_600_000, d)
            total += READINESS_S
            power = a % 5 == 0
            for source in sources:
                sid += 1
                conn.execute(
                    SESSION_SQL,
                    (
                        sid,
                        str(uuid.uuid4()),
                        a,
                        "run",
                        source,
                        t0,
                        t0 + n * 1000,
                        n,
                        60.0 + d % 40,
                        200.0 if power else None,
                    ),
                )
                conn.executemany(SAMPLE_SQL, _rows(sid, t0, n, a + d, power))
                total += n
        conn.commit()
    conn.close()
    return total


def clear_day_cache(store: Store, *, tracks: bool = False) -> None:
    """Empty the stored days, and with `tracks` the stored per-session pieces too."""
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM day_summaries")
        if tracks:
            conn.exec_driver_sql("DELETE FROM session_tracks")


class TrackTimer:
    """Time spent in DailyService._load_tracks (reading samples, pieces, storing them)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._inner = DailyService._load_tracks

    def __enter__(self) -> TrackTimer:
        inner = self._inner

        def timed(svc: DailyService, metas):  # type: ignore[no-untyped-def]
            t0 = time.perf_counter()
            try:
                return inner(svc, metas)
            finally:
                self.seconds += time.perf_counter() - t0

        DailyService._load_tracks = timed  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        DailyService._load_tracks = self._inner  # type: ignore[method-assign]


def sizes(path: Path) -> tuple[float, float | None]:
    """(MB of stored pieces, MB of the samples table's pages or None without dbstat)."""
    conn = sqlite3.connect(path)
    try:
        blobs = conn.execute("SELECT coalesce(sum(length(pieces)), 0) FROM session_tracks")
        mb = blobs.fetchone()[0] / 1e6
        try:
            pages = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = 'samples'")
            return mb, pages.fetchone()[0] / 1e6
        except sqlite3.OperationalError:  # SQLite built without the dbstat table
            return mb, None
    finally:
        conn.close()


def full_recompute(
    store: Store, athletes: list[int], first: date, last: date
) -> tuple[float, float, int]:
    """(wall s, CPU s, sessions whose samples were read) for every athlete's days and goals
    from a cold service."""
    daily = DailyService(store)
    engine = GoalEngine(store, daily, clock=lambda: _noon(last))
    t0, c0 = time.perf_counter(), time.process_time()
    for a in athletes:
        daily.days(a, first, last)
        engine.progress(a, last)
        engine.evaluate(a, last)
    return time.perf_counter() - t0, time.process_time() - c0, daily.computed_tracks


def full_load(store: Store, athletes: list[int], first: date, last: date) -> tuple[float, float]:
    """(wall s, CPU s) for every athlete's CTL/ATL/TSB and readiness from cold services."""
    loads, ready = LoadService(store), ReadinessService(store)
    t0, c0 = time.perf_counter(), time.process_time()
    for a in athletes:
        loads.fitness(a, first, last)
        ready.series(a, first, last)
    return time.perf_counter() - t0, time.process_time() - c0


def raw_read(path: Path) -> tuple[float, float]:
    conn = sqlite3.connect(path)
    t0, c0 = time.perf_counter(), time.process_time()
    rows = conn.execute(
        "SELECT session_id, count(*), avg(hr), max(hr), max(steps) - min(steps), sum(speed) "
        "FROM samples GROUP BY session_id"
    ).fetchall()
    elapsed = time.perf_counter() - t0, time.process_time() - c0
    assert rows
    conn.close()
    return elapsed


def _count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM samples").fetchone()[0])
    finally:
        conn.close()


def _noon(day: date) -> int:
    tz = ZoneInfo(TZ)
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=tz).timestamp() * 1000)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--athletes", type=int, default=20)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--dir", help="keep the database here (default: a temporary directory)")
    ap.add_argument("--reuse", action="store_true", help="use the database already in --dir")
    ap.add_argument("--no-full", action="store_true", help="skip the full recompute")
    args = ap.parse_args()
    last = date(2026, 6, 30)
    first = last - timedelta(days=args.days - 1)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(args.dir or tmp)
        data_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        reuse = args.reuse and (data_dir / "pulsedeck.db").exists()
        if not reuse:
            samples = build(data_dir, args.athletes, args.days, args.minutes, last)
            print(
                f"built {args.athletes} athletes x {args.days} days, {samples:,} samples "
                f"in {time.perf_counter() - t0:.1f} s"
            )
        store = Store.open(data_dir)
        athletes = [a.id for a in store.list_athletes()]
        engine = GoalEngine(store, clock=lambda: _noon(last))
        for a in [] if reuse else athletes:
            engine.add(a, "steps", "daily", 9000)
            engine.add(a, "active_min", "weekly", 300)
            engine.add(a, "zone_min", "monthly", 200, zone=2)

        if not args.no_full:
            import numpy  # noqa: F401  # the app loads it once per process: not measured here

            samples = _count(data_dir / "pulsedeck.db")
            raw, raw_cpu = raw_read(data_dir / "pulsedeck.db")
            print(
                f"raw sqlite3 read + per-session SQL aggregate of the same rows: {raw:.2f} s "
                f"wall, {raw_cpu:.2f} s CPU ({samples / raw / 1e6:.2f} M samples/s)"
            )
            clear_day_cache(store, tracks=True)
            with TrackTimer() as timer:
                full, full_cpu, read = full_recompute(store, athletes, first, last)
            print(
                f"full recompute (no stored days, no stored tracks): {full:.2f} s wall, "
                f"{full_cpu:.2f} s CPU for {len(athletes) * args.days:,} athlete-days "
                f"({samples / full / 1e6:.2f} M samples/s); ratio ours/raw = "
                f"{full / raw:.1f}x wall, {full_cpu / raw_cpu:.1f}x CPU (target <= 3x)"
            )
            blob_mb, samples_mb = sizes(data_dir / "pulsedeck.db")
            table = "?" if samples_mb is None else f"{samples_mb:.1f}"
            print(
                f"  of which reading samples, computing + storing the tracks: "
                f"{timer.seconds:.2f} s ({read} sessions); the stored tracks add "
                f"{blob_mb:.2f} MB (samples table: {table} MB)"
            )
            clear_day_cache(store)
            stored, stored_cpu, read = full_recompute(store, athletes, first, last)
            assert read == 0, f"{read} sessions read their samples again"
            print(
                f"full recompute (no stored days, tracks stored): {stored:.2f} s wall, "
                f"{stored_cpu:.2f} s CPU; ratio ours/raw = {stored / raw:.1f}x wall, "
                f"{stored_cpu / raw_cpu:.1f}x CPU (target <= 3x)"
            )
            again, again_cpu, _ = full_recompute(store, athletes, first, last)
            print(
                f"a new process, days stored: {again:.2f} s wall, {again_cpu:.2f} s CPU; "
                f"ratio ours/raw = {again / raw:.2f}x wall, {again_cpu / raw_cpu:.2f}x CPU "
                f"(target <= 3x)"
            )
            lw, lc = full_load(store, athletes, first, last)
            print(
                f"CTL/ATL/TSB + readiness, cold: {lw:.2f} s wall, {lc:.2f} s CPU for "
                f"{len(athletes)} athletes x {args.days} days; ratio ours/raw = "
                f"{lw / raw:.2f}x wall"
            )

        # Incremental: a warm service, then one new session for athlete 0 on the last day.
        daily = DailyService(store)
        engine = GoalEngine(store, daily, clock=lambda: _noon(last))
        a0 = athletes[0]
        daily.days(a0, first, last)
        engine.evaluate(a0, last)  # goals may reach before `first` (last month's period)
        t1, c1 = time.perf_counter(), time.process_time()
        daily.days(a0, first, last)
        engine.progress(a0, last)
        engine.evaluate(a0, last)
        warm, warm_cpu = time.perf_counter() - t1, time.process_time() - c1
        tz = ZoneInfo(TZ)
        n = args.minutes * 60
        walls, cpus = [], []
        for round_ in range(5):  # five new sessions on the last day, one at a time
            start = int(
                datetime(last.year, last.month, last.day, 14 + 2 * round_, tzinfo=tz).timestamp()
                * 1000
            )
            conn = sqlite3.connect(data_dir / "pulsedeck.db")
            sid = conn.execute("SELECT max(id) FROM sessions").fetchone()[0] + 1
            conn.execute(
                SESSION_SQL,
                (sid, str(uuid.uuid4()), a0, "run", "ble", start, start + n * 1000, n, 80.0, 200.0),
            )
            conn.executemany(SAMPLE_SQL, _rows(sid, start, n, 0.0, True))
            conn.commit()
            conn.close()
            before = daily.recomputed_days
            t2, c2 = time.perf_counter(), time.process_time()
            days = daily.days(a0, first, last)
            progress = engine.progress(a0, last)
            new = engine.evaluate(a0, last)
            walls.append(time.perf_counter() - t2)
            cpus.append(time.process_time() - c2)
            assert days[-1].sessions >= 2 + round_, days[-1]
            assert daily.recomputed_days - before == 1, daily.recomputed_days - before
        # CTL/ATL/TSB and readiness: warm services, then after one more new session.
        loads, ready = LoadService(store), ReadinessService(store)
        loads.fitness(a0, first, last)
        ready.series(a0, first, last)
        lwalls, lcpus = [], []
        for round_ in range(5):
            start = int(
                datetime(
                    last.year, last.month, last.day, 15 + 2 * round_, 30, tzinfo=tz
                ).timestamp()
                * 1000
            )
            conn = sqlite3.connect(data_dir / "pulsedeck.db")
            sid = conn.execute("SELECT max(id) FROM sessions").fetchone()[0] + 1
            conn.execute(
                SESSION_SQL,
                (sid, str(uuid.uuid4()), a0, "run", "ble", start, start + n * 1000, n, 80.0, 200.0),
            )
            conn.executemany(SAMPLE_SQL, _rows(sid, start, n, 0.0, True))
            conn.commit()
            conn.close()
            t3, c3 = time.perf_counter(), time.process_time()
            fit = loads.fitness(a0, first, last)
            rd = ready.series(a0, first, last)
            lwalls.append(time.perf_counter() - t3)
            lcpus.append(time.process_time() - c3)
            assert len(fit) == len(rd) == args.days
        incremental, inc_cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"no change, warm cache: {warm * 1000:.0f} ms wall, {warm_cpu * 1000:.0f} ms CPU "
            f"({args.days} days + {len(progress)} goals, one athlete)"
        )
        print(
            f"incremental after one new {args.minutes}-min session (median of 5): "
            f"{incremental * 1000:.0f} ms wall, {inc_cpu * 1000:.0f} ms CPU "
            f"(1 day recomputed, {args.days} days revalidated, {len(progress)} goals, "
            f"{len(new)} new achievements) -> {'under' if incremental < 0.1 else 'OVER'} 100 ms"
        )
        print(
            "  each: "
            + ", ".join(f"{w * 1000:.0f}/{c * 1000:.0f}" for w, c in zip(walls, cpus, strict=True))
            + " ms wall/CPU"
        )
        lw, lc = statistics.median(lwalls), statistics.median(lcpus)
        print(
            f"CTL/ATL/TSB + readiness incremental after one new session (median of 5): "
            f"{lw * 1000:.0f} ms wall, {lc * 1000:.0f} ms CPU ({args.days} days, one athlete) "
            f"-> {'under' if lw < 0.1 else 'OVER'} 100 ms"
        )
        print(
            "  each: "
            + ", ".join(
                f"{w * 1000:.0f}/{c * 1000:.0f}" for w, c in zip(lwalls, lcpus, strict=True)
            )
            + " ms wall/CPU"
        )
        store.close()


if __name__ == "__main__":
    main()
