"""The background sync: one object that keeps the outbox moving for the app or the edge box.

`BackgroundSync` owns an HTTP client, a `StravaSync` and a `SyncScheduler` on the running
asyncio loop. Every outbox tick queues finished sessions (Strava and, when configured, the
data lake) and runs the due jobs; the poll tick also lists the owners' new Strava activities.
The GUI runs it on the bridge's loop, `pulsedeck sync run --forever` on its own. With no
linked account and no lake nothing is sent anywhere: both engines only read the database.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace

import httpx
from sqlalchemy import func, select

from app.store import models as m
from app.store.repo import Store
from app.store.settings import Settings
from sync.outbox import DONE, Handler, Outbox, drain
from sync.progress import Cancelled, CancelToken
from sync.scheduler import SchedulerConfig, SyncScheduler, load_config
from sync.strava.config import StravaConfig, stored_config
from sync.strava.engine import KIND_COPY, KIND_UPLOAD, StravaSync

log = logging.getLogger(__name__)

#: Environment variable that turns it off whatever the setting says (tests, kiosks).
ENV_DISABLE = "PULSEDECK_NO_BACKGROUND_SYNC"
#: How long `aclose` lets a run in progress finish before cancelling it (the outbox retries).
CLOSE_GRACE_S = 5.0
REPORTS_KEPT = 50


def enabled(setting: object, env: Mapping[str, str] | None = None) -> bool:
    """Whether the GUI starts the background sync: the env wins, then the setting (default on)."""
    env = os.environ if env is None else env
    if env.get(ENV_DISABLE, "").strip().lower() not in ("", "0", "false", "no", "off"):
        return False
    if setting is None:
        return True
    if isinstance(setting, str):
        return setting.strip().lower() not in ("0", "false", "no", "off")
    return bool(setting)


def lake_handlers(store: Store, outbox: Outbox) -> dict[str, Handler]:
    """The lake's outbox handlers, after queueing new sessions; {} when no lake is configured.

    Shared by `pulsedeck sync run` and the background sync so both push the same way.
    """
    from sync.lake.push import KIND as LAKE_KIND
    from sync.lake.push import enqueue_configured, make_handler

    if enqueue_configured(store, outbox) is None:  # no lake configured: nothing to push
        return {}
    return {LAKE_KIND: make_handler(store)}


@dataclass(frozen=True, slots=True)
class BackgroundReport:
    """What one background run did; `done` counts jobs finished in it, by kind."""

    poll: bool
    enqueued: int = 0
    polled: int = 0
    ran: int = 0
    lake_ran: int = 0
    errors: tuple[str, ...] = ()
    done: Mapping[str, int] = field(default_factory=dict)
    #: Sessions a scheduled lake pull imported, updated or removed (clients' data changed).
    pulled: int = 0

    @property
    def did_something(self) -> bool:
        return bool(
            self.enqueued or self.polled or self.ran or self.lake_ran or self.errors or self.pulled
        )

    @property
    def uploaded(self) -> int:
        """Sessions that reached Strava in this run (uploads and child copies)."""
        return self.done.get(KIND_UPLOAD, 0) + self.done.get(KIND_COPY, 0)

    @property
    def pushed(self) -> int:
        from sync.lake.push import KIND as LAKE_KIND

        return self.done.get(LAKE_KIND, 0)


def _done_since(store: Store, since_ms: int) -> dict[str, int]:
    with store.orm() as s:
        rows = s.execute(
            select(m.SyncJob.kind, func.count())
            .where(m.SyncJob.state == DONE, m.SyncJob.updated_ms >= since_ms)
            .group_by(m.SyncJob.kind)
        ).all()
    return {kind: int(n) for kind, n in rows}


AfterRun = Callable[[BackgroundReport], None]
#: A scheduled lake pull (blocking, in a worker thread) given a cancel check (set on close):
#: sessions changed, None if skipped.
LakePull = Callable[[CancelToken], int | None]


def first_pull_delay_s(last_ms: int | None, interval_s: float, now_s: float) -> float:
    """Seconds until the next scheduled pull: at once when overdue or never pulled."""
    if last_ms is None:
        return 0.0
    return max(0.0, last_ms / 1000 + interval_s - now_s)


class BackgroundSync:
    """Strava and the lake on a schedule, on the running loop; `wake()` for "now, please".

    Construct it anywhere (it reads the settings: do it off a GUI thread), then `start()` on
    the loop and `await aclose()` on the same loop before the loop stops. `after_run(report)`
    is called on the loop after every run.
    """

    def __init__(
        self,
        store: Store,
        *,
        after_run: AfterRun | None = None,
        config: StravaConfig | None = None,
        schedule: SchedulerConfig | None = None,
        poll: bool = True,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        lake_pull: LakePull | None = None,
    ) -> None:
        """`lake_pull` runs every `schedule.lake_pull_interval_s` (the coach's clients)."""
        settings = Settings(store)
        self.store = store
        self.after_run = after_run
        self.config = config or stored_config(settings)
        self.schedule = schedule or load_config(settings)
        self.clock = clock
        self._sleep = sleep
        self._poll = poll
        self.lake_pull = lake_pull
        #: Set by `aclose`: a scheduled pull in its worker thread stops at its next check.
        self._closing = CancelToken()
        #: Seconds to the first scheduled pull (worked out here, off the loop: a DB read).
        self._pull_delay_s = 0.0
        if lake_pull is not None and self.schedule.lake_pull_interval_s:
            self._pull_delay_s = self.pull_delay(self.schedule.lake_pull_interval_s)
        self.http: httpx.AsyncClient | None = None
        self.sync: StravaSync | None = None
        self.scheduler: SyncScheduler | None = None
        self.outbox = Outbox(store, clock=clock)
        #: Runs never overlap (the outbox tick and the poll tick share one engine).
        self._lock: asyncio.Lock | None = None
        #: The latest runs' reports (bounded: a box syncing for months must not grow it).
        self.reports: deque[BackgroundReport] = deque(maxlen=REPORTS_KEPT)

    # Lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the schedule on the running loop; the first run starts at once."""
        if self.scheduler is not None:
            return
        self._lock = asyncio.Lock()
        self.http = httpx.AsyncClient()
        self.sync = StravaSync(
            self.store, self.http, self.config, clock=self.clock, sleep=self._sleep,
            outbox=self.outbox,
        )  # fmt: skip
        self.scheduler = SyncScheduler(
            self._outbox_tick, self._poll_tick if self._poll else None, self.schedule,
            pull=self._pull_tick if self.lake_pull is not None else None,
            pull_delay_s=self._pull_delay_s,
        )  # fmt: skip
        self.scheduler.start()

    def pull_delay(self, interval_s: float) -> float:
        """Seconds to the next pull from the newest last-pull time (a DB read: not on a GUI)."""
        from sync.lake.pull import last_pulls

        last = max(last_pulls(self.store).values(), default=None)
        return first_pull_delay_s(last, interval_s, self.clock())

    def set_pull_interval(self, interval_s: float | None, delay_s: float | None = None) -> None:
        """A new schedule for the lake pull (None: off); call it on the loop's thread."""
        self.schedule = replace(self.schedule, lake_pull_interval_s=interval_s)
        if self.scheduler is not None:
            self.scheduler.set_pull_interval(interval_s, delay_s)

    @property
    def running(self) -> bool:
        return self.scheduler is not None and self.scheduler.running

    def wake(self, poll: bool = False) -> None:
        """Run the outbox (and the poll) now; call it on the loop's thread."""
        if self.scheduler is not None:
            self.scheduler.wake(poll=poll)

    async def aclose(self, grace_s: float = CLOSE_GRACE_S) -> None:
        """Stop the schedule (a run in progress gets `grace_s`), then close the HTTP client."""
        self._closing.cancel()
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is not None:
            await scheduler.aclose(grace_s)
        http, self.http = self.http, None
        if http is not None:
            await http.aclose()

    # Runs --------------------------------------------------------------------------------

    async def _outbox_tick(self) -> None:
        await self.run(poll=False)

    async def _poll_tick(self) -> None:
        await self.run(poll=True)

    async def _pull_tick(self) -> None:
        """The scheduled lake pull, in a worker thread; a failure is reported, not raised."""
        pull = self.lake_pull
        if pull is None:
            return
        errors: tuple[str, ...] = ()
        changed: int | None = 0
        try:
            changed = await asyncio.to_thread(pull, self._closing)
        except Cancelled:
            return  # closing: what was imported is kept
        except Exception as exc:  # offline, lake gone: the next interval tries again
            log.warning("scheduled lake pull failed: %s", exc)
            errors = (f"data lake pull: {exc}",)
        report = BackgroundReport(poll=False, errors=errors, pulled=changed or 0)
        self.reports.append(report)
        if self.after_run is not None:
            self.after_run(report)

    async def run(self, *, poll: bool) -> BackgroundReport:
        """One run: queue and send Strava jobs (and poll), then the lake's; report it."""
        assert self.sync is not None and self._lock is not None, "start() first"
        async with self._lock:
            report = await self._run(self.sync, poll)
        self.reports.append(report)
        if report.did_something:
            log.info(
                "background sync: queued %d, copies found %d, ran %d (lake %d), errors %d",
                report.enqueued, report.polled, report.ran, report.lake_ran, len(report.errors),
            )  # fmt: skip
        if self.after_run is not None:
            self.after_run(report)
        return report

    async def _run(self, sync: StravaSync, poll: bool) -> BackgroundReport:
        started_ms = int(self.clock() * 1000)
        errors: list[str] = []
        enqueued = polled = ran = lake_ran = 0
        # Strava and the lake are independent: a failure of one never holds the other back.
        try:
            strava = await sync.run_once(poll=poll)
        except Exception as exc:  # logged and reported; the schedule goes on
            log.exception("background Strava run failed")
            errors.append(f"Strava: {exc}")
        else:
            enqueued, polled, ran = strava.enqueued, strava.polled, strava.ran
            errors += strava.errors
        try:
            handlers = await asyncio.to_thread(lake_handlers, self.store, self.outbox)
            if handlers:
                lake_ran = await drain(self.outbox, handlers)
        except Exception as exc:  # logged and reported; the schedule goes on
            log.exception("background lake push failed")
            errors.append(f"data lake: {exc}")
        done: dict[str, int] = {}
        if ran or lake_ran:
            done = await asyncio.to_thread(_done_since, self.store, started_ms)
        return BackgroundReport(poll, enqueued, polled, ran, lake_ran, tuple(errors), done)


__all__ = [
    "ENV_DISABLE",
    "BackgroundReport",
    "BackgroundSync",
    "enabled",
    "lake_handlers",
]
