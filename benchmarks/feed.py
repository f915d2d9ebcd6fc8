"""Feed throughput and latency: one simulator, N athletes x R Hz for S s into one client.

Prints samples/s stored, end-to-end latency p50/p99 (simulator publish -> SQLite commit),
client CPU and peak RSS, for Pulsedeck's client (validation, dedupe, cursors, one Recording
per athlete) and for the raw libraries doing the same work in the same run (a bare
`websockets` client, `json.loads`, `sqlite3.executemany` every 20 ms), and the ratio.

    python benchmarks/feed.py                      # 50 athletes x 10 Hz x 60 s (the issue's)
    python benchmarks/feed.py --duration 10        # quicker

Server and each client run in their own processes so CPU and RSS are the client's alone.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TOKEN = "bench-token"
FLUSH_S = 0.02  # the raw client commits as often as Pulsedeck's feed recordings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


# Roles ------------------------------------------------------------------------------------


async def serve(args: argparse.Namespace) -> None:
    from device.feeds.server import TraceHub, TraceServer
    from device.feeds.simulator import TraceSimulator

    hub = TraceHub(buffer_samples=int(args.rate * 130))
    server = TraceServer(hub, TOKEN)
    await server.start()
    sim = TraceSimulator(
        hub, athletes=args.athletes, rate_hz=args.rate, seed=args.seed, server=server
    )
    print(server.url, flush=True)
    await hub.wait_subscribers(1)
    await sim.run(args.duration)
    await asyncio.wait_for(hub.wait_idle(), 30)
    await server.close()
    sent = {
        key: [[s.t_ms, sim.published_at[i]] for i, s in enumerate(samples)]
        for key, samples in sim.ledger.items()
    }
    Path(args.out).write_text(json.dumps({"sent": sent}))


def usage() -> dict[str, float]:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": ru.ru_utime + ru.ru_stime, "max_rss_mb": ru.ru_maxrss / 1024}


async def client_pulsedeck(args: argparse.Namespace) -> dict[str, Any]:
    from app.feeds import FeedRecorder, GroupWriter
    from app.feeds.writer import write_rows
    from app.store.repo import Store
    from device.feeds.client import FeedEndpoint

    commits: dict[tuple[Any, Any], float] = {}

    def timed_write(engine: Any, rows: Any, rr_rows: Any) -> None:
        """Notes when each sample's transaction committed (the only instrumentation)."""
        write_rows(engine, rows, rr_rows)
        now = time.time()
        for row in rows:
            commits[(row[0], row[2])] = now  # (session_id, t_ms)

    store = Store.open(Path(args.data))
    writer = GroupWriter(store, write=timed_write)
    recorder = FeedRecorder(store, writer=writer, sport="run")
    client = recorder.client(FeedEndpoint(args.url, TOKEN))
    t0 = time.time()
    cpu0 = usage()["cpu_s"]
    report = await recorder.run(client)
    wall = time.time() - t0
    remote = {r.session_id: r.remote_athlete for r in report.athletes}
    return {
        "commits": {f"{remote[k[0]]}|{k[1]}": v for k, v in commits.items()},
        "transactions": writer.transactions,
        "stored": report.stored,
        "rejected": report.rejected_total,
        "duplicates": report.duplicates,
        "wall_s": wall,
        "cpu_s": usage()["cpu_s"] - cpu0,
        "max_rss_mb": usage()["max_rss_mb"],
    }


async def client_raw(args: argparse.Namespace) -> dict[str, Any]:
    from websockets.asyncio.client import connect

    db = sqlite3.connect(Path(args.data) / "raw.db", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(
        "CREATE TABLE samples (id INTEGER PRIMARY KEY, athlete TEXT, t_ms INTEGER, hr INTEGER,"
        " cadence REAL, speed REAL, distance REAL, steps INTEGER, met REAL, received_ms INTEGER)"
    )
    db.execute("CREATE TABLE rr (id INTEGER PRIMARY KEY, athlete TEXT, t_ms INTEGER, rr REAL)")
    pending: list[tuple[Any, ...]] = []
    pending_rr: list[tuple[Any, ...]] = []
    commits: dict[str, float] = {}
    stored = 0

    def flush() -> None:
        nonlocal stored
        if not pending:
            return
        db.execute("BEGIN")
        db.executemany("INSERT INTO samples VALUES (NULL,?,?,?,?,?,?,?,?,?)", pending)
        db.executemany("INSERT INTO rr VALUES (NULL,?,?,?)", pending_rr)
        db.execute("COMMIT")
        now = time.time()
        for row in pending:
            commits[f"{row[0]}|{row[1]}"] = now
        stored += len(pending)
        pending.clear()
        pending_rr.clear()

    t0 = time.time()
    cpu0 = usage()["cpu_s"]
    async with connect(
        args.url, additional_headers={"Authorization": f"Bearer {TOKEN}"}, proxy=None
    ) as ws:
        hello = json.loads(await ws.recv())
        await ws.send(json.dumps({"v": 1, "type": "subscribe", "since": hello["latest"]}))
        last = time.time()
        while True:
            try:
                raw = await asyncio.wait_for(ws.recv(), FLUSH_S)
            except TimeoutError:
                flush()
                last = time.time()
                continue
            msg = json.loads(raw)
            if msg.get("type") == "end":
                break
            arrival = int(time.time() * 1000)
            for s in msg.get("samples", ()):
                pending.append(
                    (
                        s["athlete"],
                        s["measured_at"],
                        s.get("heart_rate"),
                        s.get("cadence"),
                        s.get("speed"),
                        s.get("distance"),
                        s.get("steps"),
                        s.get("met"),
                        arrival,
                    )
                )
                pending_rr.extend((s["athlete"], s["measured_at"], rr) for rr in s.get("rr", ()))
            if time.time() - last >= FLUSH_S:
                flush()
                last = time.time()
    flush()
    return {
        "commits": commits,
        "stored": stored,
        "rejected": 0,
        "duplicates": 0,
        "wall_s": time.time() - t0,
        "cpu_s": usage()["cpu_s"] - cpu0,
        "max_rss_mb": usage()["max_rss_mb"],
    }


# Orchestration ----------------------------------------------------------------------------


def run_pair(args: argparse.Namespace, role: str, workdir: Path) -> dict[str, Any]:
    """One simulator process and one client process of `role`; returns the figures."""
    server_out = workdir / f"{role}-server.json"
    client_out = workdir / f"{role}-client.json"
    data = workdir / f"{role}-data"
    data.mkdir()
    common = [
        "--athletes",
        str(args.athletes),
        "--rate",
        str(args.rate),
        "--duration",
        str(args.duration),
        "--seed",
        str(args.seed),
    ]
    server = subprocess.Popen(
        [sys.executable, __file__, "--role", "server", "--out", str(server_out), *common],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None
    url = server.stdout.readline().strip()
    client = subprocess.run(
        [
            sys.executable,
            __file__,
            "--role",
            role,
            "--url",
            url,
            "--data",
            str(data),
            "--out",
            str(client_out),
            *common,
        ],
        check=True,
    )
    del client
    server.wait(timeout=120)
    sent = json.loads(server_out.read_text())["sent"]
    got = json.loads(client_out.read_text())
    latencies = []
    steady = []  # after the first 2 s: sessions are being created at the start
    missing = 0
    first = min(rows[0][1] for rows in sent.values() if rows)
    for athlete, rows in sent.items():
        for t_ms, published in rows:
            committed = got["commits"].get(f"{athlete}|{t_ms}")
            if committed is None:
                missing += 1
                continue
            latencies.append((committed - published) * 1000)
            if published >= first + 2.0:
                steady.append(latencies[-1])
    total = sum(len(rows) for rows in sent.values())
    return {
        "sent": total,
        "stored": got["stored"],
        "missing": missing,
        "rate": got["stored"] / got["wall_s"],
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "p99s": percentile(steady, 99),
        "max": max(latencies, default=float("nan")),
        "cpu_s": got["cpu_s"],
        "cpu_pct": 100 * got["cpu_s"] / got["wall_s"],
        "rss": got["max_rss_mb"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=50)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--role", default="bench", choices=["bench", "server", "pulsedeck", "raw"])
    parser.add_argument("--url")
    parser.add_argument("--data")
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.role == "server":
        asyncio.run(serve(args))
        return
    if args.role in ("pulsedeck", "raw"):
        fn = client_pulsedeck if args.role == "pulsedeck" else client_raw
        Path(args.out).write_text(json.dumps(asyncio.run(fn(args))))
        return
    print(
        f"feeds benchmark: {args.athletes} athletes x {args.rate:g} Hz x {args.duration:g} s, "
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        results = {role: run_pair(args, role, Path(tmp)) for role in ("pulsedeck", "raw")}
    header = (
        f"{'client':10} {'sent':>7} {'stored':>7} {'lost':>5} {'samples/s':>10} "
        f"{'p50 ms':>7} {'p99 ms':>7} {'p99>2s':>7} {'max ms':>7} {'CPU s':>6} {'CPU %':>6} "
        f"{'RSS MB':>7}"
    )
    print(header)
    for role, r in results.items():
        print(
            f"{role:10} {r['sent']:>7} {r['stored']:>7} {r['missing']:>5} {r['rate']:>10.0f} "
            f"{r['p50']:>7.1f} {r['p99']:>7.1f} {r['p99s']:>7.1f} {r['max']:>7.0f} "
            f"{r['cpu_s']:>6.1f} {r['cpu_pct']:>6.1f} "
            f"{r['rss']:>7.1f}"
        )
    ours, raw = results["pulsedeck"], results["raw"]
    print(
        f"ratio pulsedeck/raw: CPU {ours['cpu_s'] / max(raw['cpu_s'], 1e-9):.2f}x, "
        f"p99 {ours['p99'] / max(raw['p99'], 1e-9):.2f}x, RSS {ours['rss'] / raw['rss']:.2f}x"
    )
    verdict = "PASS" if ours["p99"] < 50 and ours["missing"] == 0 else "MISS"
    print(f"target p99 < 50 ms and nothing lost: {verdict}")
    cpu_ratio = ours["cpu_s"] / max(raw["cpu_s"], 1e-9)
    print(f"target CPU <= 3x the bare client (issue 23): {'PASS' if cpu_ratio <= 3 else 'MISS'}")


if __name__ == "__main__":
    main()
