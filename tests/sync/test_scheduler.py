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
        cfg = SchedulerConfig(
            outbox_interval_s=3600, poll_interval_s=3600, watch_interval_s=0.05, jump_tolerance_s=60
        )
        sched = SyncScheduler(
            outbox, poll, cfg, watch=ClockWatch(60, wall=lambda: c.wall, mono=lambda: c.mono)
        )
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


def test_lake_pull_runs_on_its_interval_and_can_be_turned_off() -> None:
    """Issue 22 #2: the coach's scheduled pull (first after a delay, then every interval)."""

    async def main() -> SyncScheduler:
        pulls: asyncio.Queue[float] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        async def quiet() -> None:
            return None

        async def pull() -> None:
            await pulls.put(loop.time())

        cfg = SchedulerConfig(outbox_interval_s=3600, poll_interval_s=3600,
                              lake_pull_interval_s=0.1)  # fmt: skip
        sched = SyncScheduler(quiet, None, cfg, pull=pull, pull_delay_s=0.3)
        t0 = loop.time()
        sched.start()
        try:
            first = await asyncio.wait_for(pulls.get(), 5)
            assert first - t0 >= 0.25  # not at start: the last pull was recent
            await asyncio.wait_for(pulls.get(), 5)  # then every interval
            sched.set_pull_interval(None)
            await asyncio.sleep(0.05)
            while not pulls.empty():
                pulls.get_nowait()
            await asyncio.sleep(0.4)
            assert pulls.empty()  # off
        finally:
            sched.shutdown()
        return sched

    assert asyncio.run(main()).runs["lake-pull"] >= 2


def test_first_pull_delay() -> None:
    from sync.background import first_pull_delay_s

    assert first_pull_delay_s(None, 3600, 10_000) == 0  # never pulled: at once
    assert first_pull_delay_s(9_000_000, 3600, 10_000) == 2600  # pulled 1,000 s ago
    assert first_pull_delay_s(1_000_000, 3600, 10_000) == 0  # overdue
