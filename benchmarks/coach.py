"""Coach benchmark: a lake of N clients on moto's S3 server (127.0.0.1); the first pull, the
roster, a client's trends, a week's new data, against a bare boto3 + pyarrow scan and DuckDB.

Each client is a data dir with sessions spread over `--days`, pushed through the real push
path (default), or with `--direct` one session recorded and turned into the lake's tables by
the real code, the others copies of it shifted in time written as Parquet in the push's layout
(pushing 20 M samples through moto session by session takes hours here). Then a fresh coach
data dir pulls every client and stores their figures (`warm_after_pull`, as `lake pull` and
the app's Pull do), each timed; the roster runs first after the pull and best of 3; one
client's trends over the Trends screen's default range and over `--days`, each in a new
service (issue 22: roster and trends under 1 s at 50 clients). Each client then records and
pushes one more session and the coach pulls that (the "week's new data"). Last, the stored
figures are emptied and the roster computes everything from the samples (what the first open
after a pull cost before the pull stored them).

Baselines: downloading and decoding every object (or only the week's new ones) with boto3 +
`pyarrow.parquet.read_table` (what any pull must at least do); DuckDB over a local copy for
the roster (per-client last session and 7/28-day TRIMP) and for one client's daily HR over the
default trends range. Times are wall and CPU (this process, moto's server thread included).

    nice -n 10 .venv/bin/python benchmarks/coach.py [--clients 10] [--sessions 20]
        [--samples 1800] [--days 730] [--direct]

The issue's scale is `--clients 50 --sessions 100 --samples 4000 --direct` (5,000 sessions,
20 M samples); moto is slower than S3 per request, so pull figures are an upper bound.

The team view's latency under 60 simulated athletes at 4 Hz (sample -> tile repaint, p50/p99)
is `benchmarks/team.py`: it needs the GUI and its own feed server process, not the lake.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

from app.domain.samples import Sample  # noqa: E402
from app.services.roster import TREND_DAYS, roster, warm_after_pull  # noqa: E402
from app.store.repo import Store, now_ms  # noqa: E402
from sync.lake.config import LakeConfig  # noqa: E402
from sync.lake.ddl import duckdb_views  # noqa: E402
from sync.lake.pull import PullReport, pull  # noqa: E402
from sync.lake.push import push  # noqa: E402
from sync.lake.s3 import LakeClient  # noqa: E402
from sync.outbox import Outbox  # noqa: E402

DAY = 86_400_000
T = TypeVar("T")


def _record(store: Store, athlete: int, start: int, n: int, seed: int) -> int:
    sid = store.create_session(athlete, sport="run", source="simulator", started_ms=start)
    samples = [
        Sample(
            t_ms=start + i * 1000,
            hr=120 + (i * 7 + seed) % 50,
            speed=3.0 + (i % 10) / 10,
            distance=3.2 * i,
            rr=(60000 / (120 + (i * 7 + seed) % 50),),
        )
        for i in range(n)
    ]
    store.insert_samples(sid, samples, {})
    store.finish_session(sid, start + (n - 1) * 1000)
    return sid


def _client(root: Path, i: int, args: argparse.Namespace, config: LakeConfig) -> Path:
    home = root / f"client{i:03d}"
    store = Store.open(home)
    try:
        a = store.ensure_athlete(f"Client {i:03d}", is_self=True)
        store.update_profile(a.id, birth_year=1980 + i % 20)
        step = args.days * DAY // args.sessions
        for k in range(args.sessions):
            start = now_ms() - args.days * DAY + k * step
            _record(store, a.id, start, args.samples, i * 1000 + k)
        asyncio.run(push(store, Outbox(store), config))
    finally:
        store.close()
    return home


def _shifted(table: pa.Table, uid: str, offset_ms: int) -> pa.Table:
    """A copy of one session's table as another session `offset_ms` later, called `uid`."""
    cols = []
    for name, col in zip(table.column_names, table.columns, strict=True):
        if name == "session_id":
            col = pa.DictionaryArray.from_arrays(
                pa.array([0] * len(table), pa.int32()), pa.array([uid])
            )
        elif pa.types.is_timestamp(col.type):
            col = pc.cast(pc.add(pc.cast(col, pa.int64()), offset_ms), col.type)
        cols.append(col)
    return pa.Table.from_arrays(cols, schema=table.schema)


def _direct_client(root: Path, i: int, args: argparse.Namespace, client: LakeClient) -> Path:
    """A client whose lake objects are Parquet written directly, in the push's layout.

    One session is recorded and turned into the lake's tables by the real code
    (`session_tables`); the client's other sessions are copies of those tables shifted in
    time, under new uids, written with the push's writer and keys.
    """
    from sync.lake.layout import object_key
    from sync.lake.push import set_athlete_ref
    from sync.lake.tables import session_tables
    from sync.lake.writer import to_parquet_bytes

    home = root / f"client{i:03d}"
    store = Store.open(home)
    t0 = now_ms() - args.days * DAY
    try:
        a = store.ensure_athlete(f"Client {i:03d}", is_self=True)
        store.update_profile(a.id, birth_year=1980 + i % 20)
        ref = set_athlete_ref(store, a.id, f"client{i:03d}")
        sid = _record(store, a.id, t0, args.samples, i * 1000)
        template = session_tables(store, sid)
    finally:
        store.close()
    step = args.days * DAY // args.sessions
    prefix = client.config.prefix
    for k in range(args.sessions):
        # the first is the recorded one: the client's later push rewrites it unchanged
        uid = template.session_uid if k == 0 else str(uuid.uuid4())
        for name, table in template.tables.items():
            data = to_parquet_bytes(name, _shifted(table, uid, k * step))
            client.put(object_key(prefix, name, ref, t0 + k * step, uid), data)
    return home


@dataclass(frozen=True, slots=True)
class Timing:
    """Wall and CPU seconds of one run (CPU: this process, moto's server thread included)."""

    wall: float
    cpu: float

    def __str__(self) -> str:
        return f"{self.wall:.2f} s (CPU {self.cpu:.2f} s)"

    def ms(self) -> str:
        return f"{self.wall * 1000:.0f} ms (CPU {self.cpu * 1000:.0f} ms)"


def _timed(fn: Callable[[], T], repeat: int = 1) -> tuple[Timing, T]:
    """The best of `repeat` runs of fn, and its last result."""
    best: Timing | None = None
    result: T
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        t = Timing(time.perf_counter() - w, time.process_time() - c)
        best = t if best is None or t.wall < best.wall else best
    assert best is not None
    return best, result


def _pull(coach: Store, client: LakeClient) -> tuple[Timing, Timing, PullReport, int]:
    """What the app's Pull and `lake pull` do: the pull, then the changed clients' figures."""
    # Margin 0: moto shares this machine's clock and the generated lake is minutes old, where a
    # real lake's older sessions predate the pull's default one-day margin (sync.lake.pull).
    t_pull, report = _timed(lambda: pull(coach, client, seen_margin_ms=0))
    t_warm, warmed = _timed(lambda: warm_after_pull(coach, report))
    return t_pull, t_warm, report, warmed


def _client_trends(coach: Store, days: int) -> Timing:
    """AnalysisService.trends of one client over `days` days in a new service (a new window)."""
    from app.services.analysis import AnalysisService

    client, other = [a.id for a in coach.list_athletes() if a.read_only][:2]
    svc = AnalysisService(coach)
    today = svc.today(client)
    AnalysisService(coach).trends(other, today, today)  # modules imported, as in the app
    t, _ = _timed(lambda: svc.trends(client, today - timedelta(days=days - 1), today))
    return t


def _bare_get(client: LakeClient, keys: list[str], copy: Path) -> int:
    """GET every key and read it with pyarrow (what any pull must at least do); rows read."""
    rows = 0
    for key in keys:
        body = client.get(key)
        target = copy / key.removeprefix("lake/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        rows += pq.read_table(target).num_rows
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--sessions", type=int, default=20, help="per client")
    ap.add_argument("--samples", type=int, default=1800, help="per session (1 Hz)")
    ap.add_argument("--days", type=int, default=730, help="history span per client")
    ap.add_argument(
        "--direct",
        action="store_true",
        help="write the clients' Parquet directly (one recorded session per client, copied) "
        "instead of recording and pushing every session (for the issue's 20 M samples)",
    )
    args = ap.parse_args()
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        os.environ.pop(var, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_EC2_METADATA_DISABLED="true"
    )

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    config = LakeConfig(bucket="coach-bench", prefix="lake", endpoint_url=url, region="us-east-1")
    client = LakeClient(config)
    client._s3.create_bucket(Bucket=config.bucket)  # noqa: SLF001 - benchmark setup only
    total = args.clients * args.sessions
    print(
        f"{args.clients} clients x {args.sessions} sessions x {args.samples} samples over "
        f"{args.days} days = {total} sessions, {total * args.samples:,} samples "
        f"(+ as many RR intervals; moto on {url})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if args.direct:
            t, homes = _timed(
                lambda: [_direct_client(root, i, args, client) for i in range(args.clients)]
            )
            print(f"generate: Parquet written directly in the push's layout: {t}")
        else:
            t, homes = _timed(lambda: [_client(root, i, args, config) for i in range(args.clients)])
            print(f"generate + push through the real push code (athletes' side): {t}")
        copy = root / "copy"
        keys = list(client.list_keys("lake/"))
        t_bare, n = _timed(lambda: _bare_get(client, keys, copy))
        print(f"bare boto3 GET + pyarrow read of all {len(keys)} objects: {t_bare} ({n:,} rows)")
        coach = Store.open(root / "coach")
        try:
            t_pull, t_warm, report, warmed = _pull(coach, client)
            print(f"first pull --all-clients: {t_pull} ({report.imported} sessions)")
            print(f"  then the clients' figures (warm_after_pull, {warmed} clients): {t_warm}")
            print(
                f"  ratio pull / bare scan: wall {t_pull.wall / t_bare.wall:.2f}x, "
                f"CPU {t_pull.cpu / t_bare.cpu:.2f}x; with the figures: wall "
                f"{(t_pull.wall + t_warm.wall) / t_bare.wall:.2f}x"
            )
            t_first, rows = _timed(lambda: roster(coach))
            print(f"roster ({len(rows)} clients), first after the pull: {t_first.ms()}")
            t_roster, rows = _timed(lambda: roster(coach), repeat=3)
            print(f"roster, again (best of 3): {t_roster.ms()}  target < 1000 ms")
            t_tr = _client_trends(coach, TREND_DAYS)
            print(f"a client's trends, default {TREND_DAYS} days, new service: {t_tr.ms()}")
            t_tr2 = _client_trends(coach, args.days)
            print(f"a client's trends over {args.days} days, new service: {t_tr2.ms()}")

            def week() -> None:
                for i, home in enumerate(homes):
                    store = Store.open(home)
                    try:
                        a = store.self_athlete()
                        assert a is not None
                        _record(store, a.id, now_ms() - DAY, args.samples, 99_000 + i)
                        asyncio.run(push(store, Outbox(store), config))
                    finally:
                        store.close()

            week()
            new_keys = sorted(set(client.list_keys("lake/")) - set(keys))
            t_wk, t_wk_warm, report, warmed = _pull(coach, client)
            print(
                f"pull of a week's new data: {t_wk} ({report.imported} new, "
                f"{report.unchanged} unchanged); figures ({warmed} clients): {t_wk_warm}"
            )
            t_bare_wk, _ = _timed(lambda: _bare_get(client, new_keys, root / "week"))
            print(
                f"  bare GET + read of the {len(new_keys)} new objects: {t_bare_wk}; ratio "
                f"(pull + figures) / bare: {(t_wk.wall + t_wk_warm.wall) / t_bare_wk.wall:.1f}x"
            )
            t_after, rows = _timed(lambda: roster(coach))
            print(f"roster, first after the week's pull: {t_after.ms()}")
            with coach.engine.begin() as conn:  # what the first roster cost before the warm-up
                conn.exec_driver_sql("DELETE FROM day_summaries")
                conn.exec_driver_sql("DELETE FROM session_readings")
            t_cold, _ = _timed(lambda: roster(coach))
            print(f"roster with no stored figures (computed from the samples): {t_cold.ms()}")
        finally:
            coach.close()

        try:
            import duckdb
        except ImportError:
            print("duckdb not installed: no DuckDB figure")
        else:
            con = duckdb.connect()
            con.execute(duckdb_views(str(copy)))
            query = (
                "SELECT athlete_id, max(started_at) AS last, "
                "sum(trimp) FILTER (WHERE started_at > now() - INTERVAL 7 DAY) / 7 AS acute, "
                "sum(trimp) FILTER (WHERE started_at > now() - INTERVAL 28 DAY) / 28 AS chronic "
                "FROM sessions GROUP BY athlete_id"
            )
            t_duck, got = _timed(lambda: con.execute(query).fetchall(), repeat=3)
            print(
                f"DuckDB per-client last/acute/chronic over the copy ({len(got)} clients): "
                f"{t_duck.ms()}; ratio roster / DuckDB: {t_roster.wall / t_duck.wall:.2f}x"
            )
            athlete = got[0][0]
            daily = (
                "SELECT date_trunc('day', t) AS day, count(*), avg(hr), max(hr) FROM samples "
                f"WHERE athlete_id = ? AND t >= now() - INTERVAL {TREND_DAYS} DAY GROUP BY 1"
            )
            t_dd, _ = _timed(lambda: con.execute(daily, [athlete]).fetchall(), repeat=3)
            print(
                f"DuckDB one client's daily HR over {TREND_DAYS} days from the samples: "
                f"{t_dd.ms()}; ratio trends / DuckDB: {t_tr.wall / t_dd.wall:.2f}x"
            )
    server.stop()


if __name__ == "__main__":
    main()
