"""The scheduler drives the Strava sync in the background: a finished session goes up."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import MAX_ID, OWNER_ID, make_sync  # noqa: E402
from helpers import make_session  # noqa: E402

from sync.scheduler import SchedulerConfig, for_strava, load_config  # noqa: E402


def test_scheduler_uploads_in_the_background_and_on_wake(store, emulator, config, clock,
                                                         family) -> None:
    make_session(store, clock(), title="Run")
    emulator.add_activity(OWNER_ID, "Walk with Max", clock() - 600, manual=True)

    async def main() -> list:
        reports: asyncio.Queue = asyncio.Queue()
        async with httpx.AsyncClient() as http:
            sync = make_sync(store, http, config, clock)
            sched = for_strava(sync, SchedulerConfig(outbox_interval_s=3600,
                                                     poll_interval_s=3600),
                               after_run=reports.put_nowait)
            sched.start()
            try:
                first = [await asyncio.wait_for(reports.get(), 10) for _ in range(2)]
                make_session(store, clock() + 60, title="Another run", seed=3)
                sched.wake()
                first.append(await asyncio.wait_for(reports.get(), 10))
            finally:
                sched.shutdown()
            return first

    reports = asyncio.run(main())
    assert sum(r.ran for r in reports) == 3
    assert len(emulator.activities_of(OWNER_ID)) == 3  # 2 sessions + the walk itself
    assert len(emulator.activities_of(MAX_ID)) == 1


def test_intervals_come_from_settings() -> None:
    cfg = load_config({"strava.poll_interval_s": 300})
    assert cfg.poll_interval_s == 300 and cfg.outbox_interval_s == 60
