"""Record websocket feeds: one session per remote athlete, resume cursors, live LAN broadcast.

The device layer (`device.feeds`) yields validated samples; this service maps each remote
athlete to a local athlete and a Recording, persists the resume cursor and clock offset in
`feed_cursors` only once the samples before it are committed, and stores feed tokens in the
OS keyring (never in SQLite). It can also serve live samples with the same protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session as OrmSession

from app.domain.samples import Sample
from app.domain.summary import SessionSummary
from app.recorder import Recording
from app.secrets import delete_secret, get_secret, set_secret
from app.store import models as m
from app.store.errors import StoreError, classify
from app.store.repo import (
    INSERT_RR_SQL,
    INSERT_SAMPLE_SQL,
    STATUS_FINISHED,
    STATUS_RECORDING,
    Store,
    now_ms,
)
from device.feeds.backoff import BackoffPolicy
from device.feeds.client import FeedClient, FeedEndpoint, FeedSample, FeedStatus
from device.feeds.formats import FORMATS, redact_url
from device.feeds.protocol import Gap, RemoteAthlete
from device.feeds.server import TraceHub, TraceServer

log = logging.getLogger(__name__)

#: A feed recording hands each sample to the shared writer (GroupCommitStore) as soon as it
#: is queued (the recorder's `max_batch` of 1 wakes its writer): a remote sample has already
#: spent network time and the target is under 50 ms from server send to commit. Samples
#: queued while a hand-over is in flight go in the next one. The interval is the idle fallback.
FEED_MAX_BATCH = 1
FEED_FLUSH_INTERVAL_S = 0.5
#: How often committed cursors are written to `feed_cursors` (a crash replays at most this).
CURSOR_SAVE_S = 1.0
#: On close, clients get this long to read what is queued and the `end` message.
END_DRAIN_S = 2.0
#: Query parameters that carry credentials: never stored in a feed URL.
SECRET_PARAMS = {"access_token", "token", "api_key", "key"}
_SOURCE_MAX = 200


class FeedConfigError(ValueError):
    """A feed definition the user must fix (bad URL, unknown format, missing token)."""


def source_key(url: str) -> str:
    """The stable, token-free key of a feed in `feed_cursors.source` and Sample.source."""
    key = redact_url(url)
    if len(key) > _SOURCE_MAX:
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        key = key[: _SOURCE_MAX - 17] + "#" + digest
    return key


def check_url(url: str) -> None:
    """Refuse URLs that are not websockets or that carry a credential in their query."""
    parts = urlsplit(url)
    if parts.scheme not in ("ws", "wss") or not parts.hostname:
        raise FeedConfigError(
            f"a feed URL must be ws:// or wss://host/..., got {redact_url(url)!r}"
        )
    if parts.username or parts.password:
        raise FeedConfigError("put the token in --token, not in the URL")
    if any(k.lower() in SECRET_PARAMS for k, _ in parse_qsl(parts.query)):
        raise FeedConfigError("put the token in --token, not in the URL query")


# Group commit ----------------------------------------------------------------------------

#: The shared writer commits at most this long after a batch was handed to it: it gathers
#: every feed recording's samples of that window into one transaction.
GROUP_WINDOW_S = 0.005
#: After a failed transaction the writer keeps the rows and retries after this long.
RETRY_S = 0.5
#: A session is finished only once its rows are committed; a database that stays broken
#: this long fails the stop (the samples stay in memory, the session is recovered later).
FINISH_WAIT_S = 30.0


class GroupCommitStore(Store):
    """The same database, with every feed recording's samples written by one shared writer.

    A feed records one session per remote athlete, so a 50-athlete feed would otherwise run
    50 writers whose transactions fight over SQLite's single write lock (SQLite's busy handler
    sleeps while it waits) and cost one transaction per sample. Here `insert_samples` hands
    the rows to one writer thread that commits everything handed over within GROUP_WINDOW_S in
    one transaction. Rows stay in memory until committed, exactly like a Recording's pending
    samples: a failed transaction is retried, never dropped. `finish_session` first waits until
    that session's rows are committed, so summaries and `committed()` only count stored rows.
    Other writes made through this store take the same lock, so they never contend either.
    """

    def __init__(self, store: Store) -> None:
        super().__init__(store.engine, store.path)
        self._db_lock = threading.RLock()  # exclusive() may wrap the locked methods
        self._cond = threading.Condition()
        self._rows: list[tuple[object, ...]] = []
        self._rr_rows: list[tuple[int, int, float]] = []
        self._handed: dict[int, int] = {}
        self._committed: dict[int, int] = {}
        self._error: BaseException | None = None
        self._closing = False
        self._thread: threading.Thread | None = None
        self.transactions = 0

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the write lock for a write that is not a sample batch."""
        with self._db_lock:
            yield

    def insert_samples(
        self,
        session_id: int,
        samples: Sequence[Sample],
        device_ids: Mapping[str, int] | None = None,
    ) -> None:
        """Hand a batch to the shared writer; raises (keeping nothing) while writes fail."""
        ids = device_ids or {}
        rows = [smp.row(session_id, ids.get(smp.source or "")) for smp in samples]
        rr_rows = [(session_id, smp.t_ms, rr) for smp in samples for rr in smp.rr]
        with self._cond:
            if self._error is not None:
                raise self._error  # the Recording keeps its samples and retries
            if self._closing:
                raise RuntimeError("the feed writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="feed-writer", daemon=True)
                self._thread.start()
            self._rows.extend(rows)
            self._rr_rows.extend(rr_rows)
            self._handed[session_id] = self._handed.get(session_id, 0) + len(rows)
            self._cond.notify_all()

    def committed(self, session_id: int) -> int:
        """Rows of `session_id` committed so far."""
        with self._cond:
            return self._committed.get(session_id, 0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._rows and not self._closing:
                    self._cond.wait()
                if not self._rows and self._closing:
                    return
            time.sleep(GROUP_WINDOW_S)  # let the other recordings' batches join
            with self._cond:
                rows, self._rows = self._rows, []
                rr_rows, self._rr_rows = self._rr_rows, []
            try:
                with self._db_lock:
                    self._write(rows, rr_rows)
            except Exception as exc:
                log.error("feed writer: commit failed, will retry: %s", exc)
                with self._cond:
                    self._rows[:0] = rows
                    self._rr_rows[:0] = rr_rows
                    self._error = exc
                    self._cond.notify_all()
                    if self._closing:
                        log.error("feed writer: %d samples could not be stored", len(rows))
                        return
                    self._cond.wait(RETRY_S)
                continue
            with self._cond:
                self._error = None
                for row in rows:
                    sid = int(row[0])  # type: ignore[call-overload]
                    self._committed[sid] = self._committed.get(sid, 0) + 1
                self._cond.notify_all()

    def _write(
        self, rows: Sequence[tuple[object, ...]], rr_rows: Sequence[tuple[int, int, float]]
    ) -> None:
        with self.engine.begin() as conn:
            conn.exec_driver_sql(INSERT_SAMPLE_SQL, list(rows))
            if rr_rows:
                conn.exec_driver_sql(INSERT_RR_SQL, list(rr_rows))
        self.transactions += 1

    def wait_committed(self, session_id: int, timeout: float | None = None) -> None:
        """Until every row handed over for `session_id` is committed (or the writer fails)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._committed.get(session_id, 0) < self._handed.get(session_id, 0):
                if self._thread is None or not self._thread.is_alive():
                    raise RuntimeError(f"samples of session {session_id} not stored: {self._error}")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    cause = classify(self._error, self.path) if self._error else None
                    if isinstance(cause, StoreError):
                        raise cause  # disk full, locked, corrupt: the user must act
                    raise TimeoutError(f"samples of session {session_id} not stored in time")
                self._cond.wait(remaining)

    def close_writer(self) -> None:
        """Commit what is queued and stop the writer thread (idempotent)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def create_session(self, athlete_id: int, **kwargs: Any) -> int:
        with self._db_lock:
            return super().create_session(athlete_id, **kwargs)

    def finish_session(self, session_id: int, ended_ms: int, status: str = STATUS_FINISHED):  # type: ignore[no-untyped-def]
        self.wait_committed(session_id, FINISH_WAIT_S)
        with self._db_lock:
            return super().finish_session(session_id, ended_ms, status)

    def add_marker(self, session_id: int, kind: str, t_ms: int, label: str | None = None) -> None:
        with self._db_lock:
            super().add_marker(session_id, kind, t_ms, label)

    def ensure_athlete(self, name: str, *, is_self: bool = False):  # type: ignore[no-untyped-def]
        with self._db_lock:
            return super().ensure_athlete(name, is_self=is_self)

    def update_profile(self, athlete_id: int, **fields: object):  # type: ignore[no-untyped-def]
        with self._db_lock:
            return super().update_profile(athlete_id, **fields)


# Cursors ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Cursor:
    remote_athlete: str
    athlete_id: int | None
    last_measured_ms: int
    clock_offset_ms: int | None


def load_cursors(store: Store, source: str) -> dict[str, Cursor]:
    """Stored resume points of one feed, per remote athlete."""
    with store.orm() as s:
        rows = s.scalars(select(m.FeedCursor).where(m.FeedCursor.source == source)).all()
        return {
            r.remote_athlete: Cursor(
                r.remote_athlete, r.athlete_id, r.last_measured_ms, r.clock_offset_ms
            )
            for r in rows
        }


def _device_prefix(source: str) -> str:
    return f"feed:{hashlib.sha256(source.encode()).hexdigest()[:10]}:"


#: Recent feed sessions per athlete searched for samples newer than the stored cursor.
HEAD_SESSIONS = 3


def committed_heads(store: Store, source: str) -> dict[str, int]:
    """Newest stored device time per remote athlete of this feed, read from the samples.

    The cursor row is saved about once a second; after a crash the samples may be ahead of
    it. Resuming after max(cursor, head) keeps a killed process from storing anything twice.
    """
    heads: dict[str, int] = {}
    with store.orm() as s:
        devices = s.execute(
            select(m.Device.id, m.Device.athlete_id, m.Device.info).where(
                m.Device.kind == "feed", m.Device.address.startswith(_device_prefix(source))
            )
        ).all()
        for device_id, athlete_id, info in devices:
            remote = (info or {}).get("remote_athlete")
            if not isinstance(remote, str):
                continue
            sessions = s.scalars(
                select(m.Session.id)
                .where(m.Session.athlete_id == athlete_id, m.Session.source == "feed")
                .order_by(m.Session.started_ms.desc(), m.Session.id.desc())
                .limit(HEAD_SESSIONS)
            ).all()
            for session_id in sessions:
                newest = s.execute(
                    select(func.max(m.SampleRow.t_ms)).where(
                        m.SampleRow.session_id == session_id, m.SampleRow.device_id == device_id
                    )
                ).scalar()
                if newest is not None and newest > heads.get(remote, 0):
                    heads[remote] = newest
    return heads


def save_cursor(store: Store, source: str, cursor: Cursor) -> None:
    """Upsert one cursor; it only ever moves forward."""
    with store.orm() as s, s.begin():
        row = s.scalar(
            select(m.FeedCursor).where(
                m.FeedCursor.source == source,
                m.FeedCursor.remote_athlete == cursor.remote_athlete,
            )
        )
        if row is None:
            s.add(
                m.FeedCursor(
                    source=source,
                    remote_athlete=cursor.remote_athlete,
                    athlete_id=cursor.athlete_id,
                    last_measured_ms=cursor.last_measured_ms,
                    clock_offset_ms=cursor.clock_offset_ms,
                )
            )
            return
        row.last_measured_ms = max(row.last_measured_ms, cursor.last_measured_ms)
        if cursor.athlete_id is not None:
            row.athlete_id = cursor.athlete_id
        if cursor.clock_offset_ms is not None:
            row.clock_offset_ms = cursor.clock_offset_ms


def discard_session(store: Store, session_id: int) -> None:
    """Soft-delete a session that never received a sample (an athlete that stayed silent)."""
    with store.orm() as s, s.begin():
        row = s.get(m.Session, session_id)
        if row is not None and row.deleted_ms is None:
            row.deleted_ms = int(time.time() * 1000)


# Stored feeds (token in the keyring) -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: int
    name: str
    protocol: str
    url: str
    athlete_id: int | None
    enabled: bool
    has_token: bool


def _keyring_key(name: str) -> str:
    return f"feed:{name}"


def add_feed(
    store: Store, name: str, url: str, protocol: str, token: str, athlete_id: int | None = None
) -> FeedInfo:
    """Create or update a stored feed; the token goes to the OS keyring only."""
    check_url(url)
    if protocol not in FORMATS:
        raise FeedConfigError(f"unknown format {protocol!r}; choose from {', '.join(FORMATS)}")
    if not token:
        raise FeedConfigError("a feed needs a token")
    key = _keyring_key(name)
    set_secret(key, token)
    with store.orm() as s, s.begin():
        row = s.scalar(select(m.Feed).where(m.Feed.name == name))
        if row is None:
            row = m.Feed(name=name, protocol=protocol, url=url)
            s.add(row)
        row.protocol, row.url, row.athlete_id, row.keyring_key = protocol, url, athlete_id, key
        row.enabled = True
        s.flush()
        return FeedInfo(row.id, name, protocol, url, athlete_id, True, True)


def list_feeds(store: Store) -> list[FeedInfo]:
    with store.orm() as s:
        rows = s.scalars(select(m.Feed).order_by(m.Feed.name)).all()
        return [
            FeedInfo(r.id, r.name, r.protocol, r.url, r.athlete_id, r.enabled, bool(r.keyring_key))
            for r in rows
        ]


def remove_feed(store: Store, name: str) -> bool:
    """Forget a feed and its keyring token; False if there was none."""
    with store.orm() as s, s.begin():
        row = s.scalar(select(m.Feed).where(m.Feed.name == name))
        if row is None:
            return False
        key = row.keyring_key
        s.delete(row)
    if key:
        delete_secret(key)
    return True


def stored_endpoint(store: Store, name: str, remote_id: str | None = None) -> FeedEndpoint:
    """The endpoint of a stored feed with its token from the keyring."""
    with store.orm() as s:
        row = s.scalar(select(m.Feed).where(m.Feed.name == name))
        if row is None:
            raise LookupError(f"no feed named {name!r}")
        url, protocol, key = row.url, row.protocol, row.keyring_key
    token = get_secret(key) if key else None
    if not token:
        raise FeedConfigError(f"feed {name!r} has no token in the keyring; add it again")
    return FeedEndpoint(url, token, protocol, remote_id)


# Live broadcast --------------------------------------------------------------------------


class LiveBroadcast:
    """Serve live samples of local recordings with the trace protocol (opt-in, token required)."""

    def __init__(self, token: str, *, host: str = "0.0.0.0", port: int = 0) -> None:
        self.hub = TraceHub()
        self.server = TraceServer(self.hub, token, host=host, port=port, name="pulsedeck-live")
        self._pending: list[tuple[str, Sample]] = []
        self._scheduled = False

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> None:
        await self.server.start()

    async def close(self) -> None:
        """Tell every client the stream ended (so they do not reconnect), then stop serving."""
        self.hub.end()
        try:
            await asyncio.wait_for(self.hub.wait_idle(), END_DRAIN_S)
        except TimeoutError:
            log.warning("live broadcast: %d clients did not take `end`", self.hub.subscribers)
        await self.server.close()

    def attach(self, recording: Recording, key: str, athlete: RemoteAthlete | None = None) -> None:
        """Publish every sample `recording` accepts as athlete `key`."""
        self.hub.describe(athlete or RemoteAthlete(key))
        recording.listeners.append(lambda sample: self.publish(key, sample))

    def publish(self, key: str, sample: Sample) -> None:
        """Queue one sample; samples of one loop iteration go out as one batch."""
        self._pending.append((key, sample))
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        self.hub.publish(batch)


# Recording a feed ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AthleteResult:
    remote_athlete: str
    athlete_id: int
    athlete_name: str
    session_id: int
    summary: SessionSummary | None


@dataclass(frozen=True, slots=True)
class FeedReport:
    """What one `record` run did: sessions per remote athlete and every counter."""

    source: str
    athletes: tuple[AthleteResult, ...]
    accepted: int
    stored: int
    duplicates: int
    rejected: Mapping[str, int]
    no_reading: int
    connects: int
    disconnects: int
    gaps: tuple[Gap, ...]
    ended: bool
    last_error: str | None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


@dataclass
class _Live:
    remote: str
    athlete_id: int
    athlete_name: str
    recording: Recording
    queued: int = 0
    last_t: int | None = None
    #: (samples queued, cursor) snapshots waiting for the writer to commit that many.
    snapshots: list[tuple[int, int]] = field(default_factory=list)
    saved_t: int | None = None


class FeedRecorder:
    """Drives one FeedClient into Recordings: one session per remote athlete."""

    def __init__(
        self,
        store: Store,
        *,
        sport: str = "other",
        athlete_names: Mapping[str, str] | None = None,
        broadcast: LiveBroadcast | None = None,
        flush_interval_s: float = FEED_FLUSH_INTERVAL_S,
        on_status: Callable[[FeedStatus], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store if isinstance(store, GroupCommitStore) else GroupCommitStore(store)
        self.sport = sport
        self.athlete_names = dict(athlete_names or {})
        self.broadcast = broadcast
        self.flush_interval_s = flush_interval_s
        self.on_status = on_status
        self.clock = clock
        self.live: dict[str, _Live] = {}
        self.remote_info: dict[str, RemoteAthlete] = {}
        self._cursors: dict[str, Cursor] = {}
        self._source = ""
        self._label = ""
        self._announced: set[str] = set()
        self._opening: asyncio.Task[None] | None = None

    def client(
        self,
        endpoint: FeedEndpoint,
        policy: BackoffPolicy | None = None,
        **options: object,
    ) -> FeedClient:
        """A client for `endpoint` that resumes after this database's stored cursors."""
        self._source = source_key(endpoint.url)
        self._label = urlsplit(endpoint.url).hostname or self._source
        self._cursors = load_cursors(self.store, self._source)
        cursors = {k: c.last_measured_ms for k, c in self._cursors.items()}
        for remote, head in committed_heads(self.store, self._source).items():
            cursors[remote] = max(head, cursors.get(remote, head))
        return FeedClient(
            endpoint,
            cursors=cursors,
            policy=policy,
            source_key=self._source,
            **options,  # type: ignore[arg-type]
        )

    def _locked(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run a write under the group-commit lock (called in a worker thread)."""
        with self.store.exclusive():
            return fn(*args)

    def _local_name(self, remote: str) -> str:
        if remote in self.athlete_names:
            return self.athlete_names[remote]
        info = self.remote_info.get(remote)
        display = info.name if info is not None and info.name else remote
        return f"{display} ({self._label})"[:120]

    def _apply_profile(self, athlete_id: int, info: RemoteAthlete) -> None:
        fields = {
            k: v
            for k, v in (("height_cm", info.height_cm), ("weight_kg", info.weight_kg))
            if v is not None
        }
        if fields:
            self.store.update_profile(athlete_id, **fields)

    def _display(self, remote: str) -> str:
        info = self.remote_info.get(remote)
        return info.name if info is not None and info.name else remote

    def _athlete_row(self, s: OrmSession, remote: str) -> m.Athlete:
        """The local athlete of `remote`: as mapped before, as named, or created."""
        if remote not in self.athlete_names:
            known = self._cursors.get(remote)
            if known is not None and known.athlete_id is not None:
                row = s.get(m.Athlete, known.athlete_id)
                if row is not None:
                    return row
        name = self._local_name(remote)
        row = s.scalar(select(m.Athlete).where(m.Athlete.name == name))
        if row is None:
            row = m.Athlete(name=name, is_self=False, read_only=False, created_ms=now_ms())
            s.add(row)
        info = self.remote_info.get(remote)
        if info is not None:
            if info.height_cm is not None:
                row.height_cm = info.height_cm
            if info.weight_kg is not None:
                row.weight_kg = info.weight_kg
        return row

    def _prepare_many(
        self, remotes: Sequence[str], protocol: str
    ) -> list[tuple[int, str, int, int]]:
        """Athlete, feed device and `recording` session per remote athlete: one transaction."""
        out: list[tuple[int, str, int, int]] = []
        started_ms = int(self.clock() * 1000)
        prefix = _device_prefix(self._source)
        with self.store.exclusive(), self.store.orm() as s, s.begin():
            for remote in remotes:
                athlete = self._athlete_row(s, remote)
                s.flush()
                address = f"{prefix}{remote}"[:64]
                device = s.scalar(
                    select(m.Device).where(
                        m.Device.athlete_id == athlete.id, m.Device.address == address
                    )
                )
                if device is None:
                    device = m.Device(athlete_id=athlete.id, address=address, kind="feed")
                    s.add(device)
                device.name = self._display(remote)
                device.info = {"feed": self._source, "protocol": protocol, "remote_athlete": remote}
                device.last_seen_ms = started_ms
                session = m.Session(
                    uid=str(uuid.uuid4()),
                    athlete_id=athlete.id,
                    sport=self.sport,
                    source="feed",
                    status=STATUS_RECORDING,
                    started_ms=started_ms,
                    title=f"{self._display(remote)} via {self._label}"[:200],
                )
                s.add(session)
                s.flush()
                out.append((athlete.id, athlete.name, device.id, session.id))
        return out

    async def _open(self, client: FeedClient, remotes: Sequence[str]) -> None:
        """Start a Recording for each remote athlete (as Recorder.start does, batched)."""
        prepared = await asyncio.to_thread(self._prepare_many, remotes, client.format.name)
        for remote, (athlete_id, name, device_id, session_id) in zip(
            remotes, prepared, strict=True
        ):
            recording = Recording(
                self.store,
                session_id,
                flush_interval_s=self.flush_interval_s,
                max_batch=FEED_MAX_BATCH,
                clock=self.clock,
            )
            recording.device_ids[client.source_of(remote)] = device_id
            if self.broadcast is not None:
                self.broadcast.attach(recording, remote, self.remote_info.get(remote))
            self.live[remote] = _Live(remote, athlete_id, name, recording)
            log.info("feed %s: athlete %s -> session %s", self._source, remote, session_id)

    async def _open_announced(self, client: FeedClient) -> None:
        await asyncio.sleep(0)  # the rest of the hello's athletes arrive in this loop turn
        while self._announced:
            batch = sorted(self._announced - set(self.live))
            self._announced.clear()
            if batch:
                await self._open(client, batch)

    async def _live_for(self, client: FeedClient, remote: str) -> _Live:
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
            await asyncio.to_thread(self._locked, self._apply_profile, live.athlete_id, info)
            return
        # Announced athletes get their sessions before their first samples arrive, in one go.
        self._announced.add(info.key)
        if self._opening is None or self._opening.done():
            self._opening = asyncio.create_task(self._open_announced(client))

    async def _consume(self, client: FeedClient) -> None:
        async for event in client.events():
            if isinstance(event, FeedSample):
                live = await self._live_for(client, event.athlete)
                if live.recording.submit(event.sample):
                    live.queued += 1
                    live.last_t = event.sample.t_ms
            elif isinstance(event, RemoteAthlete):
                await self._on_athlete(client, event)
            elif isinstance(event, FeedStatus) and self.on_status is not None:
                self.on_status(event)

    def _committed_cursors(self, client: FeedClient) -> list[Cursor]:
        """Cursors whose samples are all committed; takes a new snapshot for the next round."""
        out = []
        offsets = client.offsets.all()
        for live in self.live.values():
            stored = self.store.committed(live.recording.session_id)
            ready = [t for n, t in live.snapshots if n <= stored]
            live.snapshots = [(n, t) for n, t in live.snapshots if n > stored]
            if live.last_t is not None:
                live.snapshots.append((live.queued, live.last_t))
            if ready and ready[-1] != live.saved_t:
                live.saved_t = ready[-1]
                out.append(
                    Cursor(live.remote, live.athlete_id, ready[-1], offsets.get(live.remote))
                )
        return out

    async def _save_cursors(self, cursors: list[Cursor]) -> None:
        for cursor in cursors:
            try:
                await asyncio.to_thread(self._locked, save_cursor, self.store, self._source, cursor)
            except Exception as exc:  # the samples are safe; only the resume point lags
                log.error("feed %s: could not save cursor: %s", self._source, exc)

    async def _cursor_loop(self, client: FeedClient) -> None:
        while True:
            await asyncio.sleep(CURSOR_SAVE_S)
            await self._save_cursors(self._committed_cursors(client))

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
        consumer = asyncio.create_task(self._consume(client), name="feed-consumer")
        saver = asyncio.create_task(self._cursor_loop(client), name="feed-cursors")
        waiters: list[asyncio.Task[Any]] = [consumer]
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
            report = await self._finish(client)
        error = results[0]
        if isinstance(error, BaseException) and not isinstance(error, asyncio.CancelledError):
            raise error
        return report

    async def _finish(self, client: FeedClient) -> FeedReport:
        try:
            return await self._finish_recordings(client)
        finally:
            await asyncio.to_thread(self.store.close_writer)

    async def _finish_recordings(self, client: FeedClient) -> FeedReport:
        results = []
        stored = 0
        offsets = client.offsets.all()
        for live in self.live.values():
            summary = await live.recording.stop()
            if live.recording.stats.received == 0:
                # Announced but silent: no session to show for it.
                await asyncio.to_thread(
                    self._locked, discard_session, self.store, live.recording.session_id
                )
                continue
            stored += live.recording.stats.stored
            if live.last_t is not None:
                cursor = Cursor(live.remote, live.athlete_id, live.last_t, offsets.get(live.remote))
                await self._save_cursors([cursor])
            results.append(
                AthleteResult(
                    live.remote,
                    live.athlete_id,
                    live.athlete_name,
                    live.recording.session_id,
                    summary,
                )
            )
        stats = client.stats
        return FeedReport(
            source=self._source,
            athletes=tuple(results),
            accepted=stats.accepted,
            stored=stored,
            duplicates=stats.duplicates,
            rejected=dict(stats.rejected),
            no_reading=stats.no_reading,
            connects=stats.connects,
            disconnects=stats.disconnects,
            gaps=tuple(stats.gaps),
            ended=client.ended,
            last_error=stats.last_error,
        )


async def record_feed(
    store: Store,
    endpoint: FeedEndpoint,
    *,
    duration_s: float | None = None,
    stop: asyncio.Event | None = None,
    sport: str = "other",
    athlete_names: Mapping[str, str] | None = None,
    broadcast: LiveBroadcast | None = None,
    policy: BackoffPolicy | None = None,
    on_status: Callable[[FeedStatus], None] | None = None,
) -> FeedReport:
    """Record one feed into sessions (one per remote athlete) and return the report."""
    check_url(endpoint.url)
    recorder = FeedRecorder(
        store, sport=sport, athlete_names=athlete_names, broadcast=broadcast, on_status=on_status
    )
    client = recorder.client(endpoint, policy)
    return await recorder.run(client, duration_s=duration_s, stop=stop)
