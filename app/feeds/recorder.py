"""Record one websocket feed: a session per remote athlete, cursors saved once committed."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from app.domain.samples import MAX_CLOCK_AHEAD_MS
from app.recorder import Recording
from app.store.errors import DatabaseUnavailable
from app.store.repo import Store
from app.store.settings import FEED_MAX_ATHLETES, Settings
from device.feeds.backoff import BackoffPolicy
from device.feeds.client import FeedClient, FeedEndpoint, FeedSample, FeedStatus
from device.feeds.errors import FeedError
from device.feeds.formats import FeedFormat
from device.feeds.protocol import RemoteAthlete

from .admission import MAX_ATHLETES, Admission
from .athlete import LiveAthlete
from .broadcast import LiveBroadcast
from .cursor_saver import CursorSaver
from .cursors import Cursor, committed_heads, known_remotes, load_cursors
from .finish import finish_run, stopped_message
from .report import FeedFailed, FeedReport, FeedStorageFailed
from .sessions import OpenedSession, Remote, apply_profile, display_name, open_sessions
from .storage_watch import StorageWatch
from .urls import check_url, source_key
from .writer import GroupWriter, recording_target

log = logging.getLogger(__name__)

#: A feed recording hands each sample to the shared writer (GroupWriter) as soon as it is
#: accepted, on the loop (`queued_writes`): a remote sample has already spent network time and
#: the target is under 50 ms from server send to commit. The interval only paces retries after
#: the writer refused a batch for a passing reason (locked).
FEED_FLUSH_INTERVAL_S = 0.5


@dataclass(frozen=True, slots=True)
class OpenedAthlete:
    """A remote athlete whose session just opened: what a live view (the team view) shows."""

    remote: str
    #: The remote's own name when the feed gave one, else its key.
    display: str
    athlete_id: int
    athlete_name: str
    session_id: int


#: Called on the loop when a remote athlete's Recording starts (before its first sample).
OpenListener = Callable[[OpenedAthlete, Recording], None]


class FeedRecorder:
    """Drives one FeedClient into Recordings: one session per remote athlete."""

    def __init__(
        self,
        store: Store,
        *,
        writer: GroupWriter | None = None,
        sport: str = "other",
        athlete_names: Mapping[str, str] | None = None,
        broadcast: LiveBroadcast | None = None,
        flush_interval_s: float = FEED_FLUSH_INTERVAL_S,
        on_status: Callable[[FeedStatus], None] | None = None,
        clock: Callable[[], float] = time.time,
        max_athletes: int = MAX_ATHLETES,
        on_open: OpenListener | None = None,
    ) -> None:
        self.store = store
        #: Told of each session as it opens, so a live view can listen to its samples.
        self.on_open = on_open
        #: Commits every recording's samples (and this recorder's other writes), grouped.
        self.writer = writer if writer is not None else GroupWriter(store)
        self.sport = sport
        self.athlete_names = dict(athlete_names or {})
        #: Known and named remote athletes, and new ones up to `max_athletes`.
        self._admission = Admission(max_athletes, self.athlete_names)
        self.broadcast = broadcast
        self.flush_interval_s = flush_interval_s
        self.on_status = on_status
        self.clock = clock
        self.live: dict[str, LiveAthlete] = {}
        self.remote_info: dict[str, RemoteAthlete] = {}
        self._cursors: dict[str, Cursor] = {}
        self._source = ""
        self._label = ""
        self._announced: set[str] = set()
        self._opening: asyncio.Task[None] | None = None
        #: What the last `run` saved, also when it raised a permanent feed failure.
        self.report: FeedReport | None = None
        #: Storage failed for good (disk full, read-only, corrupt): the run stops.
        self._storage = StorageWatch(store, self.writer)
        #: Saves each athlete's resume point once the samples before it are committed.
        self._saver = CursorSaver(store, self.writer, self._storage, self._ceiling_ms)

    @property
    def max_athletes(self) -> int:
        return self._admission.max_athletes

    @property
    def refused_athletes(self) -> int:
        """New remote athletes refused because the feed reached `max_athletes`."""
        return self._admission.refused_athletes

    @property
    def refused_samples(self) -> int:
        return self._admission.refused_samples

    @property
    def storage_failure(self) -> DatabaseUnavailable | None:
        """Why storage failed for good during the last `run` (the run stopped), else None."""
        return self._storage.failure

    def client(
        self,
        endpoint: FeedEndpoint,
        policy: BackoffPolicy | None = None,
        *,
        feed_format: FeedFormat | None = None,
    ) -> FeedClient:
        """A client for `endpoint` that resumes after this database's stored cursors."""
        self._source = self._saver.source = source_key(endpoint.url)
        self._label = urlsplit(endpoint.url).hostname or self._source
        self._cursors = load_cursors(self.store, self._source)
        self._admission.source = self._source
        self._admission.known = known_remotes(self.store, self._source) | set(self._cursors)
        ceiling = self._ceiling_ms()
        cursors: dict[str, int] = {}
        for remote, cursor in self._cursors.items():
            if cursor.last_measured_ms <= ceiling:
                cursors[remote] = cursor.last_measured_ms
            else:  # an older version let a future-dated sample move it: it would hide the rest
                log.warning(
                    "feed %s: athlete %s: ignoring a cursor in the future (%d)",
                    self._source,
                    remote,
                    cursor.last_measured_ms,
                )
        for remote, head in committed_heads(self.store, self._source, ceiling).items():
            cursors[remote] = max(head, cursors.get(remote, head))
        return FeedClient(
            endpoint,
            cursors=cursors,
            policy=policy,
            source_key=self._source,
            feed_format=feed_format,
        )

    def _ceiling_ms(self) -> int:
        """The latest device time a cursor may hold now (the client refuses later samples)."""
        return int(self.clock() * 1000) + MAX_CLOCK_AHEAD_MS

    def _remote(self, key: str) -> Remote:
        """What the session opener needs to know of remote athlete `key`."""
        info = self.remote_info.get(key)
        forced = self.athlete_names.get(key)
        cursor = self._cursors.get(key)
        return Remote(
            key,
            info,
            forced or f"{display_name(key, info)} ({self._label})"[:120],
            cursor.athlete_id if cursor is not None and forced is None else None,
        )

    def _open_sessions(self, remotes: Sequence[str], protocol: str) -> list[OpenedSession]:
        return open_sessions(
            self.store,
            [self._remote(key) for key in remotes],
            source=self._source,
            label=self._label,
            protocol=protocol,
            sport=self.sport,
            started_ms=int(self.clock() * 1000),
        )

    async def _open(self, client: FeedClient, remotes: Sequence[str]) -> None:
        """Start a Recording for each remote athlete (as Recorder.start does, batched)."""
        opened = await asyncio.to_thread(
            self.writer.locked, self._open_sessions, remotes, client.format.name
        )
        for remote, session in zip(remotes, opened, strict=True):
            recording = Recording(
                recording_target(self.writer),
                session.session_id,
                flush_interval_s=self.flush_interval_s,
                clock=self.clock,
                queued_writes=True,
            )
            recording.device_ids[client.source_of(remote)] = session.device_id
            if self.broadcast is not None:
                self.broadcast.attach(recording, remote, self.remote_info.get(remote))
            self.live[remote] = LiveAthlete(
                remote, session.athlete_id, session.athlete_name, recording
            )
            if self.on_open is not None:
                athlete = OpenedAthlete(
                    remote,
                    display_name(remote, self.remote_info.get(remote)),
                    session.athlete_id,
                    session.athlete_name,
                    session.session_id,
                )
                try:
                    self.on_open(athlete, recording)
                except Exception:  # a broken view must not stop recording
                    log.exception("feed %s: live view failed to attach", self._source)
            log.info("feed %s: athlete %s -> session %s", self._source, remote, session.session_id)

    async def _open_announced(self, client: FeedClient) -> None:
        await asyncio.sleep(0)  # the rest of the hello's athletes arrive in this loop turn
        while self._announced:
            batch = sorted(self._announced - set(self.live))
            self._announced.clear()
            if batch:
                await self._open(client, batch)

    async def _live_for(self, client: FeedClient, remote: str) -> LiveAthlete:
        live = self.live.get(remote)
        if live is not None:
            return live
        if self._opening is not None and not self._opening.done():
            await asyncio.shield(self._opening)
            live = self.live.get(remote)
            if live is not None:
                return live
        await self._open(client, [remote])
        return self.live[remote]

    async def _on_athlete(self, client: FeedClient, info: RemoteAthlete) -> None:
        if info.key not in self.live and not self._admission.admit(info.key):
            return
        known = self.remote_info.get(info.key)
        if known is not None:  # a profile update keeps the name it had
            info = RemoteAthlete(
                info.key,
                info.name or known.name,
                info.height_cm if info.height_cm is not None else known.height_cm,
                info.weight_kg if info.weight_kg is not None else known.weight_kg,
            )
        self.remote_info[info.key] = info
        live = self.live.get(info.key)
        if live is not None:
            await asyncio.to_thread(
                self.writer.locked, apply_profile, self.store, live.athlete_id, info
            )
            return
        # Announced athletes get their sessions before their first samples arrive, in one go.
        self._announced.add(info.key)
        if self._opening is None or self._opening.done():
            self._opening = asyncio.create_task(self._open_announced(client))

    async def _consume(self, client: FeedClient) -> None:
        async for event in client.events():
            if isinstance(event, FeedSample):
                if event.athlete not in self.live and not self._admission.admit(event.athlete):
                    self._admission.refused_samples += 1
                    continue
                live = await self._live_for(client, event.athlete)
                if live.recording.submit(event.sample):
                    live.queued += 1
                    live.last_t = event.sample.t_ms
            elif isinstance(event, RemoteAthlete):
                await self._on_athlete(client, event)
            elif isinstance(event, FeedStatus) and self.on_status is not None:
                self.on_status(event)

    async def run(
        self,
        client: FeedClient,
        *,
        duration_s: float | None = None,
        stop: asyncio.Event | None = None,
    ) -> FeedReport:
        """Record until the feed ends, `duration_s` passes or `stop` is set; always save.

        Raises FeedAuthError / FeedUnavailable / FeedConnectionError after saving whatever
        was recorded, so the caller can report a permanent failure.
        """
        failed = self._storage.arm()
        consumer = asyncio.create_task(self._consume(client), name="feed-consumer")
        saver = asyncio.create_task(
            self._saver.run(self.live, client.offsets.all), name="feed-cursors"
        )
        waiters: list[asyncio.Task[Any]] = [consumer, asyncio.create_task(failed.wait())]
        if stop is not None:
            waiters.append(asyncio.create_task(stop.wait()))
        try:
            await asyncio.wait(waiters, timeout=duration_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waiters[1:]:
                task.cancel()
            saver.cancel()
            consumer.cancel()
            results = await asyncio.gather(consumer, saver, return_exceptions=True)
            if self._opening is not None:  # let sessions being created get their Recording
                await asyncio.gather(self._opening, return_exceptions=True)
            error = results[0]
            if isinstance(error, Exception):
                self._storage.check(error)
            self._storage.settle()
            report = self.report = await finish_run(
                self.live.values(),
                client,
                store=self.store,
                writer=self.writer,
                storage=self._storage,
                saver=self._saver,
                refused_athletes=self.refused_athletes,
                refused_samples=self.refused_samples,
            )
        if self.storage_failure is not None:
            message = stopped_message(self.storage_failure, report, self.live.values(), self.writer)
            raise FeedStorageFailed(message, report)
        if isinstance(error, BaseException) and not isinstance(error, asyncio.CancelledError):
            raise error
        return report


def single_athlete(endpoint: FeedEndpoint) -> str | None:
    """The remote athlete of a single-athlete feed (HypeRate id, Pulsoid), else None."""
    return endpoint.remote_id or ("pulsoid" if endpoint.format == "pulsoid" else None)


async def record_feed(
    store: Store,
    endpoint: FeedEndpoint,
    *,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
    sport: str = "other",
    athlete: str | None = None,
    broadcast: LiveBroadcast | None = None,
    policy: BackoffPolicy | None = None,
    on_status: Callable[[FeedStatus], None] | None = None,
    on_open: OpenListener | None = None,
) -> FeedReport:
    """Record one feed into sessions (one per remote athlete) until it ends, `duration_s` or `stop`.

    The one recording job for every face (CLI, app): sessions and cursors are saved whatever
    happens.

    Args:
        athlete: the local athlete a single-athlete feed records into (else one per remote).
        broadcast: a started LiveBroadcast that also serves the samples; the caller closes it.
        policy: reconnect backoff; `max_attempts` bounds how long a dead feed is retried.
        on_status: called on the loop with each connection change (connected, disconnected).
        on_open: called on the loop as each remote athlete's session opens (live views).

    Raises:
        FeedFailed: the feed refused the token, does not exist or stayed unreachable; its
            `error` is the FeedError and its `report` what was saved before.
    """
    check_url(endpoint.url)
    remote = single_athlete(endpoint)
    names = {remote: athlete} if athlete and remote else None
    recorder = FeedRecorder(
        store,
        sport=sport,
        athlete_names=names,
        broadcast=broadcast,
        on_status=on_status,
        max_athletes=Settings(store).get(FEED_MAX_ATHLETES) or MAX_ATHLETES,
        on_open=on_open,
    )
    client = recorder.client(endpoint, policy)
    try:
        return await recorder.run(client, duration_s=duration_s, stop=stop)
    except FeedError as exc:
        assert recorder.report is not None  # run() saves and reports before it re-raises
        raise FeedFailed(exc, recorder.report) from exc
