"""One recording's lifecycle for every face: start, pause, lap, stop, discard, recover.

The CLI's `record`, the desktop app and the edge box all drive this class, so a session is
opened, fed, marked and closed the same way whichever face started it. Call its coroutines on
one asyncio loop (never the Qt GUI thread); every SQLite call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.domain.summary import SessionSummary
from app.instance import AlreadyRunning, InstanceLock
from app.recorder.bluetooth import BluetoothSensors
from app.recorder.recording import FLUSH_INTERVAL_S, MAX_BATCH, Recording, SampleListener
from app.recorder.sources import Source, session_source
from app.store.repo import AthleteInfo, SessionInfo, Store, now_ms

log = logging.getLogger(__name__)


def _log_connect_failure(task: asyncio.Future[None]) -> None:
    """Say why Bluetooth could not start when no face awaited the connection."""
    if not task.cancelled() and (exc := task.exception()) is not None:
        log.warning("Bluetooth could not start: %s", exc)


class RecordingError(RuntimeError):
    """A recording action the user asked for cannot happen; the message says why."""


@dataclass(frozen=True, slots=True)
class WriterOptions:
    """How the batched writer commits (tests shorten the interval)."""

    flush_interval_s: float = FLUSH_INTERVAL_S
    max_batch: int = MAX_BATCH


@dataclass(frozen=True, slots=True)
class Started:
    """What a face needs once a recording runs: the committed session and its sources."""

    session: SessionInfo
    athlete: AthleteInfo
    sources: tuple[tuple[str, str, str], ...]  # (key, name, kind) per sensor or source


class RecordingController:
    """Starts and ends one recording at a time for a data directory.

    With `data_dir`, it takes that directory's single-writer lock for the length of each
    recording (the desktop app); without, the caller already holds it (the CLI's
    `recording_store`).
    """

    def __init__(
        self,
        store: Store,
        *,
        data_dir: Path | None = None,
        clock: Callable[[], float] = time.time,
        writer: WriterOptions = WriterOptions(),
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.clock = clock
        self.writer = writer
        self.recording: Recording | None = None
        self.bluetooth: BluetoothSensors | None = None
        self._lock: InstanceLock | None = None
        self._connecting: asyncio.Task[None] | None = None
        #: Held by a start or a stop under way, so a second stop (or `close`) waits for it.
        self._lifecycle = asyncio.Lock()
        #: Set by `close`: no recording may start any more (the app is exiting).
        self._closed = False

    # Crash recovery (worker thread) -----------------------------------------------------

    def recover(self) -> list[int]:
        """Close sessions a crash left open, only when no other Pulsedeck holds the data dir."""
        if self.data_dir is None:
            return self.store.recover_sessions()
        lock = InstanceLock(self.data_dir)
        try:
            lock.acquire()
        except AlreadyRunning:
            return []
        try:
            return self.store.recover_sessions()
        finally:
            lock.release()

    # Lifecycle (event loop) -----------------------------------------------------------

    async def start(
        self,
        athlete: AthleteInfo,
        sport: str,
        sources: Sequence[Source] = (),
        *,
        bluetooth: BluetoothSensors | None = None,
        listeners: Sequence[SampleListener] = (),
        title: str | None = None,
    ) -> Started:
        """Commit a `recording` session and attach the sources (Bluetooth connects behind)."""
        if self._closed:
            raise RecordingError("Pulsedeck is closing: no new recording")
        async with self._lifecycle:
            return await self._start(
                athlete, sport, sources, bluetooth=bluetooth, listeners=listeners, title=title
            )

    async def _start(
        self,
        athlete: AthleteInfo,
        sport: str,
        sources: Sequence[Source],
        *,
        bluetooth: BluetoothSensors | None,
        listeners: Sequence[SampleListener],
        title: str | None,
    ) -> Started:
        if self.recording is not None:
            raise RecordingError("a recording is already running")
        if athlete.read_only:
            raise RecordingError(f"{athlete.name} is an imported client: read-only")
        if not sources and bluetooth is None:
            raise RecordingError("nothing to record from")
        lock = await asyncio.to_thread(self._take_lock)
        try:
            if bluetooth is not None:
                await bluetooth.pair()
            kinds = [s.kind for s in sources] + ([bluetooth.kind] if bluetooth else [])
            session_id = await asyncio.to_thread(
                self.store.create_session,
                athlete.id,
                sport=sport,
                source=str(session_source(kinds)),
                started_ms=int(self.clock() * 1000),
                title=title,
                timezone=athlete.timezone,
            )
            session = await asyncio.to_thread(self.store.get_session, session_id)
            assert session is not None
        except BaseException:
            if lock is not None:
                await asyncio.to_thread(lock.release)
            raise
        self._lock = lock
        log.info("session %s started (%s, %s)", session_id, sport, session.source)
        rec = Recording(
            self.store,
            session_id,
            flush_interval_s=self.writer.flush_interval_s,
            max_batch=self.writer.max_batch,
            clock=self.clock,
        )
        rec.listeners.extend(listeners)
        described: list[tuple[str, str, str]] = []
        for src in sources:
            rec.attach(src.samples(), name=src.name)
            described.append((getattr(src, "key", None) or "default", src.name, src.kind))
        if bluetooth is not None:
            bluetooth.bind(rec)
            rec.attach(bluetooth.samples(), name="ble")
            described += bluetooth.described
            self._connecting = asyncio.ensure_future(bluetooth.connect())
            self._connecting.add_done_callback(_log_connect_failure)
        self.recording, self.bluetooth = rec, bluetooth
        return Started(session, athlete, tuple(described))

    async def connected(self) -> None:
        """Until every sensor had its first try; raises BluetoothUnavailable if none can."""
        if self._connecting is not None:
            await asyncio.shield(self._connecting)

    def _take_lock(self) -> InstanceLock | None:
        if self.data_dir is None:
            return None
        lock = InstanceLock(self.data_dir)
        try:
            lock.acquire()
        except AlreadyRunning as exc:
            raise RecordingError(str(exc)) from exc
        return lock

    def require(self) -> Recording:
        """The running recording, or a RecordingError saying nothing is recording."""
        if self.recording is None:
            raise RecordingError("nothing is recording")
        return self.recording

    async def pause(self) -> int:
        """Pause (a `pause` marker); returns the marker's time in ms."""
        await self.require().pause()
        return int(self.clock() * 1000)

    async def resume(self) -> int:
        await self.require().resume()
        return int(self.clock() * 1000)

    async def lap(self) -> int:
        await self.require().lap()
        return int(self.clock() * 1000)

    async def flush(self) -> None:
        """Commit what is pending now (gym sets read the HR of the set from the store)."""
        await self.require().flush()

    async def stop(self, *, discard: bool = False) -> SessionSummary:
        """Stop and save; a discarded session is soft-deleted so History can still undo it.

        A stop that arrives while another is under way waits for it, then finds nothing
        recording (a RecordingError), instead of finishing the same session twice.
        """
        async with self._lifecycle:
            return await self._stop(discard)

    async def close(self) -> SessionSummary | None:
        """On exit: refuse new starts, let a start or stop under way finish, save what runs.

        Returns the summary of a recording it saved, None when nothing was recording.
        """
        self._closed = True
        async with self._lifecycle:
            if self.recording is None:
                return None
            log.info("saving session %s on exit", self.recording.session_id)
            return await self._stop(False)

    async def _stop(self, discard: bool) -> SessionSummary:
        rec = self.require()
        try:
            if self._connecting is not None and not self._connecting.done():
                self._connecting.cancel()
            if self.bluetooth is not None:
                await self.bluetooth.close(rec)
            summary = await rec.stop()
            if discard:
                await asyncio.to_thread(self.store.set_deleted, rec.session_id, now_ms())
            return summary
        finally:
            self.recording, self.bluetooth, self._connecting = None, None, None
            lock, self._lock = self._lock, None
            if lock is not None:
                await asyncio.to_thread(lock.release)
