"""The feed recorder's hot path (issue 23): no thread hop per sample, one cursor transaction.

A 50-athlete feed at 10 Hz spent most of its CPU handing each sample to a worker thread
(`asyncio.to_thread` per one-sample flush) and saving each athlete's cursor in its own ORM
transaction every second. Both are counted here on a real feed server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError

from app.feeds import (
    Cursor,
    FeedRecorder,
    FeedReport,
    FeedStorageFailed,
    GroupWriter,
    load_cursors,
    save_cursors,
)
from app.feeds.writer import Row, RrRow
from app.recorder import recording as recording_module
from app.store.repo import Store
from device.feeds.client import FeedEndpoint
from device.feeds.server import TraceHub, TraceServer
from device.feeds.simulator import TraceSimulator

from .helpers import run

TOKEN = "hot-path-token"
ATHLETES = 8
RATE_HZ = 20.0
DURATION_S = 1.5


class Counter:
    """Counts calls to a wrapped function (asyncio.to_thread, as the recorder module sees it)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        return self.fn(*args, **kwargs)


async def record_simulated(store: Store, writer: GroupWriter | None = None) -> FeedReport:
    hub = TraceHub()
    server = TraceServer(hub, TOKEN)
    await server.start()
    sim = TraceSimulator(hub, athletes=ATHLETES, rate_hz=RATE_HZ, seed=3, server=server)
    recorder = FeedRecorder(store, sport="run", writer=writer)
    client = recorder.client(FeedEndpoint(server.url, TOKEN))
    recording = asyncio.create_task(recorder.run(client))
    await hub.wait_subscribers(1)
    await asyncio.wait(
        [asyncio.create_task(sim.run(DURATION_S)), recording], return_when="FIRST_COMPLETED"
    )
    if not recording.done():
        await asyncio.wait_for(hub.wait_idle(), 30)
    await server.close()
    return await recording


def test_feed_samples_reach_the_shared_writer_without_a_thread_hop_each(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    hops = Counter(asyncio.to_thread)
    monkeypatch.setattr(recording_module.asyncio, "to_thread", hops)  # the module's asyncio
    report = run(record_simulated(store))
    assert report.stored == report.accepted >= ATHLETES * RATE_HZ * DURATION_S * 0.9
    assert len(report.athletes) == ATHLETES
    # Only the stops (finish each session) leave the loop, never a sample hand-over.
    assert hops.calls <= 2 * ATHLETES, f"{hops.calls} thread hops for {report.stored} samples"


def test_a_feed_saves_all_its_cursors_in_one_statement_per_round(store: Store) -> None:
    writes: list[str] = []

    def on_execute(_conn: object, _cur: object, statement: str, *_args: object) -> None:
        if "feed_cursors" in statement and not statement.lstrip().startswith("SELECT"):
            writes.append(statement)

    event.listen(Engine, "before_cursor_execute", on_execute)
    try:
        report = run(record_simulated(store))
    finally:
        event.remove(Engine, "before_cursor_execute", on_execute)
    cursors = load_cursors(store, report.source)
    assert set(cursors) == {r.remote_athlete for r in report.athletes}
    # One upsert for every athlete each second (CURSOR_SAVE_S) and one at the end, where
    # each athlete used to write its own row in its own transaction.
    assert 1 <= len(writes) <= DURATION_S + 3, writes


def test_saved_cursors_move_forward_repair_future_ones_and_keep_known_fields(
    store: Store,
) -> None:
    athlete = store.ensure_athlete("C")
    src = "ws://feed.example/x"
    save_cursors(
        store, src, [Cursor("a", athlete.id, 1_000, 5), Cursor("b", None, 9_999_999, None)], 10_000
    )
    save_cursors(
        store, src, [Cursor("a", None, 500, None), Cursor("b", athlete.id, 2_000, 7)], 10_000
    )
    got = load_cursors(store, src)
    assert got["a"] == Cursor("a", athlete.id, 1_000, 5)  # never backwards; ids kept
    assert got["b"] == Cursor("b", athlete.id, 2_000, 7)  # a future cursor is repaired
    save_cursors(store, src, [], 10_000)  # nothing to save: no transaction, no error
    assert load_cursors(store, "ws://other") == {}


def disk_full(_engine: Engine, _rows: Sequence[Row], _rr: Sequence[RrRow]) -> None:
    """Every transaction of the shared writer fails as SQLite does on a full disk."""
    full = sqlite3.OperationalError("database or disk is full")
    full.sqlite_errorcode = sqlite3.SQLITE_FULL  # as SQLite sets it
    raise OperationalError("INSERT", {}, full)


def test_sessions_whose_samples_were_all_lost_in_the_shared_writer_are_removed(
    store: Store,
) -> None:
    # Each recording handed its samples over before the writer failed: none of them saw the
    # failure itself, and used to be closed as `recovered` sessions holding nothing.
    with pytest.raises(FeedStorageFailed) as stopped:
        run(record_simulated(store, GroupWriter(store, write=disk_full)))
    assert stopped.value.report.stored == 0 and stopped.value.report.athletes == ()
    assert store.list_sessions() == []
