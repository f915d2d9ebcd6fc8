"""The team live view's job: record one or more feeds (a session per athlete) and fill a board.

Recording is app.feeds' `record_feed`, unchanged: each remote athlete gets a local athlete and
a session, committed as the CLI's `feeds record` does. This service only adds a listener to
each athlete's Recording (`on_open`) that keeps the latest heart rate on a `TeamBoard`, loads
the athlete's zones and max HR from their profile, and holds the data folder's recording lock
while any feed runs. Sources: a feed URL (another Pulsedeck's live broadcast, a Pulsoid or
HypeRate socket), a stored feed, or simulated athletes served on 127.0.0.1 (the trace
simulator the tests and benchmarks use). Every coroutine runs on the bridge's loop.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from app.domain.team import HeartTarget
from app.feeds import (
    FeedFailed,
    FeedReport,
    FeedStorageFailed,
    OpenedAthlete,
    generate_token,
    record_feed,
    stored_athlete,
    stored_endpoint,
)
from app.instance import AlreadyRunning, InstanceLock
from app.training.daily import load_context
from device.feeds.backoff import BackoffPolicy
from device.feeds.client import FeedEndpoint, FeedStatus
from device.feeds.server import TraceServer
from device.feeds.simulator import serve_simulated

from .team_board import TeamBoard

if TYPE_CHECKING:
    from app.recorder import Recording
    from app.store.repo import Store

log = logging.getLogger(__name__)

#: Simulated athletes the GUI offers, and their rate: a studio class at a strap's 1 Hz.
SIMULATED_ATHLETES = 12
SIMULATED_RATE_HZ = 1.0
MAX_SIMULATED = 60
SIMULATED_LABEL = "Simulated athletes"


class TeamError(Exception):
    """A feed cannot be connected (the message says why, for the user)."""


@dataclass(frozen=True, slots=True)
class FeedSource:
    """A feed to connect: a ws(s):// URL with its token and format, or a stored feed's name."""

    url: str = ""
    token: str = field(default="", repr=False)
    format: str = "pulsedeck"
    stored: str | None = None

    @property
    def label(self) -> str:
        return self.stored or self.url


@dataclass(frozen=True, slots=True)
class SimulatedSource:
    """Synthetic athletes served on 127.0.0.1 with the trace protocol (a demo, a benchmark)."""

    athletes: int = SIMULATED_ATHLETES
    rate_hz: float = SIMULATED_RATE_HZ
    seed: int | None = None
    #: Time factor of the simulated workout (screenshots: athletes past their warm-up).
    speed: float = 1.0

    @property
    def label(self) -> str:
        return SIMULATED_LABEL


TeamSource = FeedSource | SimulatedSource


@dataclass(frozen=True, slots=True)
class TeamStopped:
    """What stopping saved: one session per athlete."""

    sessions: int
    samples: int


@dataclass
class _Running:
    task: asyncio.Task[FeedReport | None]
    stop: asyncio.Event
    simulator: tuple[TraceServer, asyncio.Task[None], asyncio.Event] | None = None


def heart_target(store: Store, athlete_id: int) -> HeartTarget:
    """The athlete's zones (their zone model) and max HR from their profile (worker thread)."""
    ctx = load_context(store, athlete_id)
    return HeartTarget.of(ctx.profile, ctx.zones, datetime.now(UTC).year)


def status_text(status: FeedStatus) -> str:
    """A feed's connection change as the status line shows it."""
    if status.state == "disconnected":
        retry = "" if status.retry_in_s is None else f"; retrying in {status.retry_in_s:.0f} s"
        return f"disconnected ({status.detail}){retry}"
    return status.state


class TeamService:
    """Records the team's feeds and keeps `board` current; one per window."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        board: TeamBoard | None = None,
        policy: BackoffPolicy | None = None,
        sport: str = "other",
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.board = board or TeamBoard()
        #: Reconnect backoff of every feed (the default retries for as long as the view runs).
        self.policy = policy
        self.sport = sport
        self._feeds: dict[str, _Running] = {}
        self._lock: InstanceLock | None = None
        self._loads: set[asyncio.Task[None]] = set()

    @property
    def running(self) -> bool:
        return bool(self._feeds)

    @property
    def sources(self) -> list[str]:
        """Labels of the connected feeds."""
        return list(self._feeds)

    async def connect(self, source: TeamSource) -> str:
        """Start recording `source` beside the feeds already connected; returns its label."""
        label = source.label
        ended = self._feeds.get(label)
        if ended is not None and ended.task.done():  # it failed or ended: connect it again
            await self._close(self._feeds.pop(label))
        if label in self._feeds:
            raise TeamError(f"{label} is already connected")
        took = self._lock is None  # the lock is kept from the first feed until `stop`
        if took:
            await asyncio.to_thread(self._take_lock)
        if not self._feeds:
            self.board.clear()
        try:
            stop = asyncio.Event()
            simulator = None
            athlete = None
            if isinstance(source, SimulatedSource):
                simulator, endpoint = await self._simulate(source)
            else:
                endpoint, athlete = await asyncio.to_thread(self._endpoint, source)
        except BaseException:
            if took:
                await asyncio.to_thread(self._release_lock)
            raise
        task = asyncio.create_task(self._record(label, endpoint, athlete, stop), name="team-feed")
        self._feeds[label] = _Running(task, stop, simulator)
        self.board.note(label, "connecting")
        return label

    async def stop(self) -> TeamStopped:
        """Stop every feed; each athlete's session is finished and saved."""
        feeds, self._feeds = self._feeds, {}
        for running in feeds.values():
            running.stop.set()
        reports = [await self._close(running) for running in feeds.values()]
        await asyncio.to_thread(self._release_lock)
        done = [r for r in reports if isinstance(r, FeedReport)]
        for label in feeds:
            self.board.note(label, "stopped")
        return TeamStopped(sum(len(r.athletes) for r in done), sum(r.stored for r in done))

    async def _close(self, running: _Running) -> FeedReport | None | BaseException:
        """Wait for a stopped (or ended) feed's report, then stop its simulator if any."""
        running.stop.set()
        [report] = await asyncio.gather(running.task, return_exceptions=True)
        if running.simulator is not None:
            server, sim_task, sim_stop = running.simulator
            sim_stop.set()
            await asyncio.gather(sim_task, return_exceptions=True)
            await server.close()
        return report

    def reload_targets(self) -> None:
        """Read every athlete's zones and max HR again (a profile changed); worker thread."""
        for key, athlete_id in self.board.athlete_ids().items():
            self.board.set_target(key, heart_target(self.store, athlete_id))

    # Internals --------------------------------------------------------------------------

    def _take_lock(self) -> None:
        lock = InstanceLock(self.data_dir)
        try:
            lock.acquire()
        except AlreadyRunning as exc:
            raise TeamError(
                "another recording is running in this data folder (the dashboard, or "
                "`pulsedeck record` / `feeds record`): stop it first"
            ) from exc
        self._lock = lock

    def _release_lock(self) -> None:
        lock, self._lock = self._lock, None
        if lock is not None:
            lock.release()

    def _endpoint(self, source: FeedSource) -> tuple[FeedEndpoint, str | None]:
        """The endpoint (a stored feed's token from the keyring) and its local athlete."""
        if source.stored:
            return stored_endpoint(self.store, source.stored), stored_athlete(
                self.store, source.stored
            )
        if not source.url.strip():
            raise TeamError("enter a feed URL (ws:// or wss://) or pick a stored feed")
        if not source.token:
            raise TeamError("the feed needs its token")
        if source.format == "hyperate":  # one socket per athlete, named by a HypeRate id
            raise TeamError(
                "a HypeRate feed needs the athlete's HypeRate id: record it with "
                "`pulsedeck feeds record URL --format hyperate --remote-id ID`"
            )
        return FeedEndpoint(source.url.strip(), source.token, source.format), None

    async def _simulate(
        self, source: SimulatedSource
    ) -> tuple[tuple[TraceServer, asyncio.Task[None], asyncio.Event], FeedEndpoint]:
        """Serve simulated athletes on 127.0.0.1 (any free port) behind a fresh token."""
        if not 1 <= source.athletes <= MAX_SIMULATED:
            raise TeamError(f"simulate 1 to {MAX_SIMULATED} athletes")
        token = generate_token()
        sim, server = await serve_simulated(
            token,
            athletes=source.athletes,
            rate_hz=source.rate_hz,
            seed=source.seed,
            speed=source.speed,
        )
        sim_stop = asyncio.Event()
        sim_task = asyncio.create_task(sim.run(None, sim_stop), name="team-simulator")
        return (server, sim_task, sim_stop), FeedEndpoint(server.url, token)

    def _opened(self, athlete: OpenedAthlete, recording: Recording) -> None:
        """A session opened (on the loop): a tile, a listener, the athlete's zones."""
        key, board = athlete.session_id, self.board
        board.add(key, athlete.display, athlete.athlete_id)
        recording.listeners.append(lambda sample: board.sample(key, sample))
        task = asyncio.create_task(self._load_target(key, athlete.athlete_id))
        self._loads.add(task)
        task.add_done_callback(self._loads.discard)

    async def _load_target(self, key: int, athlete_id: int) -> None:
        try:
            target = await asyncio.to_thread(heart_target, self.store, athlete_id)
        except Exception:  # the tile shows HR without a zone rather than nothing
            log.exception("team view: no zones for athlete %s", athlete_id)
            return
        self.board.set_target(key, target)

    async def _record(
        self, label: str, endpoint: FeedEndpoint, athlete: str | None, stop: asyncio.Event
    ) -> FeedReport | None:
        def on_status(status: FeedStatus) -> None:
            self.board.note(label, status_text(status))

        try:
            report = await record_feed(
                self.store,
                endpoint,
                stop=stop,
                sport=self.sport,
                athlete=athlete,
                policy=self.policy,
                on_status=on_status,
                on_open=self._opened,
            )
        except (FeedFailed, FeedStorageFailed) as exc:
            self.board.note(label, f"failed: {exc}")
            log.warning("team view: feed %s failed: %s", label, exc)
            return exc.report
        except Exception as exc:
            self.board.note(label, f"failed: {exc}")
            log.exception("team view: feed %s failed", label)
            return None
        if not stop.is_set():
            self.board.note(label, f"ended ({len(report.athletes)} sessions saved)")
        return report
