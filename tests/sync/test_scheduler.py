"""The background scheduler: runs at start, wakes on demand, reacts to clock jumps."""

from __future__ import annotations

import asyncio

from sync.scheduler import ClockWatch, SchedulerConfig, SyncScheduler


class Clocks:
    def __init__(self) -> None:
        self.wall = 1_000_000.0
        self.mono = 50.0


def test_clock_watch_sees_jumps_both_ways() -> None:
    c = Clocks()
    watch = ClockWatch(60, wall=lambda: c.wall, mono=lambda: c.mono)
    c.wall += 30
    c.mono += 30
    assert watch.check() is None  # both advanced together
    c.wall += 3600 + 30  # suspended for an hour: wall moved, monotonic did not
    c.mono += 30
    assert watch.check() == 3600
    c.wall -= 7200  # the user set the clock back
    assert watch.check() == -7200


def test_scheduler_runs_at_start_wakes_and_recovers_from_a_jump() -> None:
    async def main() -> tuple[SyncScheduler, int]:
        outbox_runs: asyncio.Queue[str] = asyncio.Queue()
        poll_runs: asyncio.Queue[str] = asyncio.Queue()

        async def outbox() -> None:
            await outbox_runs.put("outbox")

        async def poll() -> None:
            await poll_runs.put("poll")
            raise RuntimeError("a failing run must not stop the schedule")

        c = Clocks()
        cfg = SchedulerConfig(outbox_interval_s=3600, poll_interval_s=3600,
                              watch_interval_s=0.05, jump_tolerance_s=60)
        sched = SyncScheduler(outbox, poll, cfg,
                              watch=ClockWatch(60, wall=lambda: c.wall, mono=lambda: c.mono))
        sched.start()
        try:
            # Both run at start (a restart resumes the durable outbox at once).
            await asyncio.wait_for(outbox_runs.get(), 5)
            await asyncio.wait_for(poll_runs.get(), 5)
            sched.wake()
            await asyncio.wait_for(outbox_runs.get(), 5)
            c.wall += 8 * 3600  # a night of suspend
            await asyncio.wait_for(outbox_runs.get(), 5)
            await asyncio.wait_for(poll_runs.get(), 5)
        finally:
            sched.shutdown()
        return sched, outbox_runs.qsize()

    sched, left = asyncio.run(main())
    assert sched.jumps == [8 * 3600]
    assert sched.runs["outbox"] >= 3 and sched.runs["poll"] >= 2
