"""Background sync: APScheduler 3 runs the outbox and the Strava poll on the asyncio loop.

Nothing schedule-related is persisted: the work itself is durable (the outbox in SQLite), so
after a restart both jobs simply run at once and pick up where the last process stopped.
Wall-clock jumps (suspend/resume, NTP corrections) are detected by comparing the wall clock
with the monotonic clock, as Vorta's scheduler does; after a jump both jobs run now instead of
waiting for a trigger computed on the old clock. `wake()` runs the outbox now (a session just
finished, the network came back).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from app.store import settings as st
from app.store.settings import Settings

log = logging.getLogger(__name__)

#: One run of a job; what it returns is ignored.
Tick = Callable[[], Awaitable[object]]
Report = TypeVar("Report")
_Report_co = TypeVar("_Report_co", covariant=True)


class Engine(Protocol[_Report_co]):
    """What `for_strava` drives: `sync.strava.engine.StravaSync`, or a test's fake."""

    async def run_once(self, *, poll: bool) -> _Report_co: ...


OUTBOX_JOB, POLL_JOB, WATCH_JOB, PULL_JOB = "outbox", "poll", "clock-watch", "lake-pull"


@dataclass(frozen=True, slots=True)
class SchedulerConfig:
    """Intervals with named defaults; the poll interval is a user setting."""

    #: Due jobs (retries with backoff, rate-limit waits) are looked for this often.
    outbox_interval_s: float = 60.0
    #: Strava webhooks need a public server, so new activities are polled for.
    poll_interval_s: float = 15 * 60.0
    #: How often the clocks are compared; a difference above `jump_tolerance_s` is a jump.
    watch_interval_s: float = 30.0
    jump_tolerance_s: float = 60.0
    #: A coach's scheduled pull of the clients from the lake; None: off (the default).
    lake_pull_interval_s: float | None = None


class ClockWatch:
    """Detects wall-clock jumps: the wall and monotonic clocks must advance together."""

    def __init__(
        self,
        tolerance_s: float,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tolerance_s = tolerance_s
        self.wall = wall
        self.mono = mono
        self._last = (wall(), mono())

    def check(self) -> float | None:
        """The jump in seconds since the last check (positive = forward), or None."""
        wall, mono = self.wall(), self.mono()
        drift = (wall - self._last[0]) - (mono - self._last[1])
        self._last = (wall, mono)
        return drift if abs(drift) > self.tolerance_s else None


class SyncScheduler:
    """Runs `outbox` and `poll` ticks periodically on the running asyncio loop."""

    def __init__(
        self,
        outbox: Tick,
        poll: Tick | None = None,
        config: SchedulerConfig | None = None,
        *,
        watch: ClockWatch | None = None,
        pull: Tick | None = None,
        pull_delay_s: float = 0.0,
    ) -> None:
        """`pull` runs every `config.lake_pull_interval_s`, first after `pull_delay_s`."""
        self.config = config or SchedulerConfig()
        self._outbox = outbox
        self._poll = poll
        self._pull = pull
        self._pull_delay_s = pull_delay_s
        self.watch = watch or ClockWatch(self.config.jump_tolerance_s)
        self._scheduler: AsyncIOScheduler | None = None
        self.runs = {OUTBOX_JOB: 0, POLL_JOB: 0, PULL_JOB: 0}
        self.jumps: list[float] = []
        #: Runs in progress (APScheduler's tasks), so that `aclose` can let them finish.
        self._active: set[asyncio.Task[object]] = set()
        self._closing = False
        self._common: dict[str, object] = {}

    async def _guard(self, name: str, tick: Tick) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._active.add(task)
        try:
            await tick()
        except asyncio.CancelledError:
            if not self._closing:
                raise
            # aclose() cancelled it: not an error (the outbox retries the job next time).
            log.info("background %s run cancelled: closing", name)
        except Exception:  # a bug in one run must not stop the schedule
            log.exception("background %s run failed", name)
        finally:
            self.runs[name] += 1
            if task is not None:
                self._active.discard(task)

    async def _run_outbox(self) -> None:
        await self._guard(OUTBOX_JOB, self._outbox)

    async def _run_poll(self) -> None:
        if self._poll is not None:
            await self._guard(POLL_JOB, self._poll)

    async def _run_pull(self) -> None:
        if self._pull is not None:
            await self._guard(PULL_JOB, self._pull)

    async def _watch(self) -> None:
        jump = self.watch.check()
        if jump is not None:
            log.info("wall clock jumped by %.0f s (sleep or time change): syncing now", jump)
            self.jumps.append(jump)
            self.wake(poll=True)

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start on `loop` (default: the running loop); both jobs run immediately."""
        loop = loop or asyncio.get_running_loop()
        scheduler = AsyncIOScheduler(event_loop=loop, timezone=UTC)
        now = datetime.now(UTC)
        common: dict[str, object] = {
            "coalesce": True,  # after a long sleep, one run, not one per missed interval
            "max_instances": 1,
            "misfire_grace_time": None,  # late is fine, never skip a run
            "replace_existing": True,
        }
        scheduler.add_job(
            self._run_outbox,
            "interval",
            seconds=self.config.outbox_interval_s,
            id=OUTBOX_JOB,
            next_run_time=now,
            **common,
        )
        if self._poll is not None:
            scheduler.add_job(
                self._run_poll,
                "interval",
                seconds=self.config.poll_interval_s,
                id=POLL_JOB,
                next_run_time=now,
                **common,
            )
        scheduler.add_job(
            self._watch, "interval", seconds=self.config.watch_interval_s, id=WATCH_JOB, **common
        )
        self._common = common
        scheduler.start()
        self._scheduler = scheduler
        self.set_pull_interval(self.config.lake_pull_interval_s, self._pull_delay_s)

    def set_pull_interval(self, interval_s: float | None, delay_s: float | None = None) -> None:
        """Run the lake pull every `interval_s` (None: no more), first after `delay_s`.

        Without `delay_s` the next pull is one interval from now. Loop thread only.
        """
        self.config = replace(self.config, lake_pull_interval_s=interval_s)
        scheduler = self._scheduler
        if scheduler is None or self._pull is None:
            return
        if scheduler.get_job(PULL_JOB) is not None:
            scheduler.remove_job(PULL_JOB)
        if not interval_s:
            return
        first = datetime.now(UTC) + timedelta(seconds=interval_s if delay_s is None else delay_s)
        scheduler.add_job(
            self._run_pull, "interval", seconds=interval_s, id=PULL_JOB, next_run_time=first,
            **self._common,
        )  # fmt: skip

    def wake(self, poll: bool = False) -> None:
        """Run the outbox (and the poll) now instead of at the next interval."""
        if self._scheduler is None:
            return
        now = datetime.now(UTC)
        self._scheduler.modify_job(OUTBOX_JOB, next_run_time=now)
        if poll and self._poll is not None:
            self._scheduler.modify_job(POLL_JOB, next_run_time=now)

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def shutdown(self) -> None:
        """Stop at once: a run in progress is cancelled (its job is retried later)."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None

    async def aclose(self, grace_s: float = 5.0) -> None:
        """Start no new run, give the current one `grace_s` to finish, then cancel it."""
        if self._scheduler is None:
            return
        self._closing = True
        self._scheduler.pause()  # no job starts from here on
        for _ in range(2):  # runs APScheduler just created enter `_guard` (and `_active`)
            await asyncio.sleep(0)
        me = asyncio.current_task()
        active = {t for t in self._active if t is not me}
        if active:
            _done, late = await asyncio.wait(active, timeout=grace_s)
            for task in late:
                task.cancel()
            if late:
                await asyncio.gather(*late, return_exceptions=True)
        self.shutdown()
        await asyncio.sleep(0)  # APScheduler's own shutdown runs as a loop callback


def for_strava(
    sync: Engine[Report],
    config: SchedulerConfig | None = None,
    after_run: Callable[[Report], None] | None = None,
) -> SyncScheduler:
    """A scheduler for a `sync.strava.engine.StravaSync`; `after_run(report)` after each run.

    The outbox tick queues finished sessions and runs due jobs; the poll tick also lists the
    owners' new activities for child copies. (The GUI turns `after_run` into a Qt signal.)
    """

    lock = asyncio.Lock()  # one engine: its two ticks take turns (shared settings rows)

    async def outbox() -> None:
        async with lock:
            report = await sync.run_once(poll=False)
        if after_run is not None:
            after_run(report)

    async def poll() -> None:
        async with lock:
            report = await sync.run_once(poll=True)
        if after_run is not None:
            after_run(report)

    return SyncScheduler(outbox, poll, config)


def load_config(settings: Settings | None = None) -> SchedulerConfig:
    """Intervals from the stored settings; unset or 0 means the default."""
    base = SchedulerConfig()
    if settings is None:
        return base
    stored = settings.get_many(
        (st.OUTBOX_INTERVAL_S, st.STRAVA_POLL_INTERVAL_S, st.LAKE_PULL_INTERVAL_H)
    )
    hours = stored[st.LAKE_PULL_INTERVAL_H]
    return SchedulerConfig(
        outbox_interval_s=stored[st.OUTBOX_INTERVAL_S] or base.outbox_interval_s,
        poll_interval_s=stored[st.STRAVA_POLL_INTERVAL_S] or base.poll_interval_s,
        watch_interval_s=base.watch_interval_s,
        jump_tolerance_s=base.jump_tolerance_s,
        lake_pull_interval_s=hours * 3600.0 if hours and hours > 0 else None,
    )
