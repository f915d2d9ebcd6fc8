"""A sample dated in the future (a bad device clock) never moves a feed cursor past now + skew."""

from __future__ import annotations

import asyncio
import time

from app.domain.samples import Sample
from app.feeds import FeedRecorder, FeedReport, load_cursors
from app.store.repo import Store
from device.feeds.client import FeedEndpoint
from device.feeds.server import TraceHub, TraceServer

from .helpers import FAST, TOKEN, run

DAY_MS = 86_400_000


def now_ms() -> int:
    return int(time.time() * 1000)


def stored_times(store: Store, session_id: int) -> list[int]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT t_ms FROM samples WHERE session_id = ? ORDER BY id", (session_id,)
        )
        return [t for (t,) in rows]


def real_samples(start_ms: int, count: int) -> list[Sample]:
    return [Sample(t_ms=start_ms + i * 1000, hr=100 + i) for i in range(count)]


async def record(
    store: Store, hub: TraceHub, server: TraceServer, batches: list[list[Sample]]
) -> FeedReport:
    """One recording run: publish `batches` (athlete "a") once subscribed, then end the stream."""
    recorder = FeedRecorder(store)
    running = asyncio.create_task(
        recorder.run(recorder.client(FeedEndpoint(server.url, TOKEN), FAST))
    )
    await hub.wait_subscribers(1)
    for batch in batches:
        hub.publish([("a", s) for s in batch])
        await asyncio.sleep(0.05)
    hub.end()
    report = await running
    hub.ended = False  # the next run gets the live stream again
    return report


def test_a_sample_dated_30_days_ahead_is_rejected_and_later_samples_are_kept(
    store: Store,
) -> None:
    real = real_samples(now_ms() - 20_000, 10)
    future = Sample(t_ms=now_ms() + 30 * DAY_MS, hr=150)  # inside the protocol's 2000..2100

    async def main() -> FeedReport:
        hub = TraceHub()
        async with TraceServer(hub, TOKEN) as server:
            return await record(store, hub, server, [real[:5], [future], real[5:]])

    report = run(main())
    [result] = report.athletes
    assert stored_times(store, result.session_id) == [s.t_ms for s in real]
    assert report.rejected == {"clock-ahead": 1}  # counted (and logged), never silent
    assert report.duplicates == 0
    assert load_cursors(store, report.source)["a"].last_measured_ms == real[-1].t_ms
    info = store.get_session(result.session_id)
    assert info is not None and info.duration_s is not None and info.duration_s < 3600


def test_a_cursor_poisoned_before_the_fix_does_not_drop_samples_after_a_restart(
    store: Store,
) -> None:
    """A database where a future sample was stored and moved the cursor (what 0.x did)."""
    first = real_samples(now_ms() - 60_000, 3)
    later = real_samples(now_ms() - 20_000, 5)
    future_ms = now_ms() + 30 * DAY_MS

    async def main() -> tuple[FeedReport, FeedReport]:
        hub = TraceHub()
        async with TraceServer(hub, TOKEN) as server:
            report1 = await record(store, hub, server, [first])
            with store.engine.begin() as conn:  # a future sample was stored after `first`
                conn.exec_driver_sql(
                    "INSERT INTO samples (session_id, device_id, t_ms, hr, received_ms) "
                    "SELECT session_id, device_id, ?, hr, received_ms FROM samples WHERE t_ms = ?",
                    (future_ms, first[-1].t_ms),
                )
                conn.exec_driver_sql("UPDATE feed_cursors SET last_measured_ms = ?", (future_ms,))
            report2 = await record(store, hub, server, [later])
            return report1, report2

    _, report2 = run(main())
    [result] = report2.athletes
    assert stored_times(store, result.session_id) == [s.t_ms for s in later]
    assert report2.duplicates == 0
    # The poisoned cursor row is repaired, not kept forever by "cursors only move forward".
    assert load_cursors(store, report2.source)["a"].last_measured_ms == later[-1].t_ms
