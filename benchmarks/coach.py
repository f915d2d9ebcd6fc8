"""Coach benchmark: a lake of N clients on moto's S3 server (127.0.0.1); pull, re-pull, a
week's new data, the roster, against a bare boto3 + pyarrow scan and a DuckDB query.

Each client is a data dir with sessions spread over `--days`, pushed through the real push
path. Then a fresh coach data dir pulls `--all-clients` (timed), pulls again (nothing new),
each client records and pushes one more session and the coach pulls that (the "week's new
data"), and `app.services.roster.roster` runs: first after the pull (days computed), then best
of 3 with the days stored; then one client's trends over `--days`, first and again in a new
service (issue 22: both under 1 s at 50 clients). Baselines: downloading and decoding
every object with boto3 + `pyarrow.parquet.read_table` (what any pull must at least do), and
a DuckDB query over a local copy giving per-client last session and 7/28-day TRIMP.

    .venv/bin/python benchmarks/coach.py [--clients 10] [--sessions 20] [--samples 1800]

The issue's scale is `--clients 50 --sessions 100 --samples 4000` (5,000 sessions, 20 M
samples); moto is far slower than S3 per request, so pull figures are an upper bound.

The team view's latency under 60 simulated athletes at 4 Hz (sample -> tile repaint, p50/p99)
is `benchmarks/team.py`: it needs the GUI and its own feed server process, not the lake.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pyarrow.parquet as pq  # noqa: E402

from app.domain.samples import Sample  # noqa: E402
from app.services.roster import roster  # noqa: E402
from app.store.repo import Store, now_ms  # noqa: E402
from sync.lake.config import LakeConfig  # noqa: E402
from sync.lake.ddl import duckdb_views  # noqa: E402
from sync.lake.pull import pull  # noqa: E402
from sync.lake.push import push  # noqa: E402
from sync.lake.s3 import LakeClient  # noqa: E402
from sync.outbox import Outbox  # noqa: E402

DAY = 86_400_000


def _record(store: Store, athlete: int, start: int, n: int, seed: int) -> None:
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


def _timed(fn, repeat: int = 1) -> tuple[float, object]:  # noqa: ANN001
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def _client_trends(coach: Store, days: int) -> tuple[float, float]:
    """(first, again) seconds for AnalysisService.trends of one client over `days` days."""
    from datetime import timedelta

    from app.services.analysis import AnalysisService

    client = next(a.id for a in coach.list_athletes() if a.read_only)
    first_svc = AnalysisService(coach)
    today = first_svc.today(client)
    first = today - timedelta(days=days - 1)
    t_first, _ = _timed(lambda: first_svc.trends(client, first, today))
    t_again, _ = _timed(lambda: AnalysisService(coach).trends(client, first, today))
    return t_first, t_again


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--sessions", type=int, default=20, help="per client")
    ap.add_argument("--samples", type=int, default=1800, help="per session (1 Hz)")
    ap.add_argument("--days", type=int, default=730, help="history span per client")
    args = ap.parse_args()
    for var in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
        os.environ.pop(var, None)
    os.environ.update(
        AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", AWS_EC2_METADATA_DISABLED="true"
    )

    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    config = LakeConfig(bucket="coach-bench", prefix="lake", endpoint_url=url, region="us-east-1")
    client = LakeClient(config)
    client._s3.create_bucket(Bucket=config.bucket)  # noqa: SLF001 - benchmark setup only
    total = args.clients * args.sessions
    print(
        f"{args.clients} clients x {args.sessions} sessions x {args.samples} samples "
        f"= {total} sessions, {total * args.samples:,} samples (moto on {url})"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t, homes = _timed(lambda: [_client(root, i, args, config) for i in range(args.clients)])
        print(f"generate + push (athletes' side): {t:.1f} s")
        coach = Store.open(root / "coach")
        try:
            t_pull, report = _timed(lambda: pull(coach, client))
            print(f"coach pull --all-clients: {t_pull:.2f} s ({report.imported} sessions)")  # type: ignore[attr-defined]
            t_re, report = _timed(lambda: pull(coach, client))
            print(f"re-pull, nothing new: {t_re:.2f} s ({report.unchanged} unchanged)")  # type: ignore[attr-defined]

            def week() -> None:
                for i, home in enumerate(homes):  # type: ignore[union-attr]
                    store = Store.open(home)
                    try:
                        a = store.self_athlete()
                        assert a is not None
                        _record(store, a.id, now_ms() - DAY, args.samples, 99_000 + i)
                        asyncio.run(push(store, Outbox(store), config))
                    finally:
                        store.close()

            week()
            t_new, report = _timed(lambda: pull(coach, client))
            print(
                f"pull of a week's new data: {t_new:.2f} s ({report.imported} new, "  # type: ignore[attr-defined]
                f"{report.unchanged} unchanged)"  # type: ignore[attr-defined]
            )
            # The first roster after the pull computes the new days; later ones (a new
            # process each time: roster() builds its own services) read them back.
            t_first, rows = _timed(lambda: roster(coach))
            print(
                f"roster ({len(rows)} clients), first after the pull: "  # type: ignore[arg-type]
                f"{t_first * 1000:.0f} ms (target < 1000)"
            )
            t_roster, rows = _timed(lambda: roster(coach), repeat=3)
            print(
                f"roster ({len(rows)} clients), days stored: {t_roster * 1000:.0f} ms "  # type: ignore[arg-type]
                f"(best of 3, target < 1000)"
            )
            t_tr, t_tr2 = _client_trends(coach, args.days)
            print(
                f"a client's trends over {args.days} days: first {t_tr * 1000:.0f} ms, "
                f"a new process {t_tr2 * 1000:.0f} ms (target < 1000)"
            )
        finally:
            coach.close()

        copy = root / "copy"

        def bare_scan() -> int:
            rows = 0
            for key in client.list_keys("lake/"):
                body = client.get(key)
                target = copy / key.removeprefix("lake/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(body)
                rows += pq.read_table(target).num_rows
            return rows

        t_bare, n = _timed(bare_scan)
        print(f"bare boto3 GET + pyarrow read of every object: {t_bare:.2f} s ({n:,} rows)")
        print(f"ratio pull / bare scan: {t_pull / t_bare:.2f}x")
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
            print(f"DuckDB per-client last/acute/chronic over the copy: {t_duck * 1000:.0f} ms")
            print(f"ratio roster / DuckDB: {t_roster / t_duck:.1f}x ({len(got)} clients)")  # type: ignore[arg-type]
    server.stop()


if __name__ == "__main__":
    main()
