"""Ingest benchmark: 1,000,000 samples through the recorder every face uses vs raw sqlite3.

Both sides write the same rows into the same schema (the migrated `samples` table with its
index, RR intervals in their own table) in WAL mode with synchronous=NORMAL, in batches of the
same size. The recorder side is `RecordingController` with one source, as the CLI and the
desktop app record: the source pump, validation, the batched writer and its worker thread.

    .venv/bin/python benchmarks/ingest.py [--samples 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path

from app.domain.samples import SAMPLE_COLUMNS, Sample
from app.recorder import MAX_BATCH
from app.recorder.controller import RecordingController
from app.store.repo import Store
from device.simulator import SimulatedStrap


def make_samples(n: int) -> list[Sample]:
    return list(
        SimulatedStrap(seed=1, rate_hz=4, realtime=False, start_ms=1_700_000_000_000).generate(n)
    )


class Backlog:
    """A source that has every sample ready at once (a feed replay, a sensor's backlog)."""

    name = kind = "simulator"

    def __init__(self, samples: list[Sample]) -> None:
        self._samples = samples

    async def samples(self) -> AsyncIterator[Sample]:
        for i, s in enumerate(self._samples):
            yield s
            if i % 1000 == 999:
                await asyncio.sleep(0)  # let the writer task run, as a live loop would


async def through_recorder(store: Store, samples: list[Sample]) -> float:
    athlete = store.default_athlete()
    controller = RecordingController(store)
    t0 = time.perf_counter()
    await controller.start(athlete, "run", [Backlog(samples)])
    rec = controller.require()
    while rec.stats.stored < len(samples):
        await asyncio.sleep(0.001)
    elapsed = time.perf_counter() - t0
    assert rec.stats.rejected == 0
    await controller.stop()  # after the clock: the session summary is not part of ingest
    return elapsed


def raw_sqlite(path: Path, samples: list[Sample], batch: int) -> float:
    """What the recorder does, minus everything but sqlite3: executemany per batch + commit."""
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    cols = ", ".join(SAMPLE_COLUMNS)
    ins = f"INSERT INTO samples ({cols}) VALUES ({', '.join('?' * len(SAMPLE_COLUMNS))})"
    ins_rr = "INSERT INTO rr_intervals (session_id, t_ms, rr_ms) VALUES (?, ?, ?)"
    t0 = time.perf_counter()
    for start in range(0, len(samples), batch):
        chunk = samples[start : start + batch]
        rows = [s.row(1) for s in chunk]
        rr = [(1, s.t_ms, x) for s in chunk for x in s.rr]
        conn.executemany(ins, rows)
        conn.executemany(ins_rr, rr)
        conn.commit()
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def one_round(tmp: Path, samples: list[Sample]) -> tuple[float, float]:
    """(recorder seconds, raw seconds) on fresh databases, one after the other."""
    rec_store = Store.open(tmp / "recorder")
    t_rec = asyncio.run(through_recorder(rec_store, samples))
    rec_store.close()
    raw_store = Store.open(tmp / "raw")  # same migrated schema, incl. the index
    athlete = raw_store.default_athlete()
    raw_store.create_session(athlete.id, sport="run", source="bench", started_ms=1)
    raw_store.close()
    return t_rec, raw_sqlite(tmp / "raw" / "pulsedeck.db", samples, MAX_BATCH)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1_000_000)
    parser.add_argument(
        "--rounds", type=int, default=3, help="recorder and raw alternate; medians are reported"
    )
    args = parser.parse_args()
    n = args.samples
    samples = make_samples(n)
    rr = sum(len(s.rr) for s in samples)
    rounds = []
    for i in range(args.rounds):
        with tempfile.TemporaryDirectory() as tmp:
            rounds.append(one_round(Path(tmp), samples))
        t_rec, t_raw = rounds[-1]
        print(f"round {i + 1}: recorder {n / t_rec:10,.0f}/s, raw {n / t_raw:10,.0f}/s, "
              f"ratio {t_raw / t_rec:.2f}x")  # fmt: skip
    t_rec = statistics.median(r[0] for r in rounds)
    t_raw = statistics.median(r[1] for r in rounds)
    ratio = statistics.median(r[1] / r[0] for r in rounds)
    print(f"samples: {n:,} (+ {rr:,} RR intervals), batch {MAX_BATCH}, {args.rounds} rounds")
    print(f"recorder write path : {n / t_rec:12,.0f} samples/s  (median {t_rec:.2f} s)")
    print(f"raw sqlite3 WAL     : {n / t_raw:12,.0f} samples/s  (median {t_raw:.2f} s)")
    print(f"ratio recorder/raw  : {ratio:.2f}x median of rounds  (target >= 0.8x)")


if __name__ == "__main__":
    main()
