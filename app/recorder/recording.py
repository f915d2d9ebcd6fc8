"""The asyncio recorder: sources push samples, a batched writer commits them, lifecycle events.

Runs on an asyncio loop that is never the Qt GUI thread. SQLite writes run in a worker thread
(`asyncio.to_thread`) so a slow disk never stalls BLE notifications on the loop. A recording
whose store only queues writes (`queued_writes`: the feeds' shared GroupWriter, which commits
from its own thread) hands each sample over on the loop instead: a thread hop per sample for
50 athletes at 10 Hz cost more CPU than the rest of the feed client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from app.domain.backoff import exponential_backoff
from app.domain.samples import MAX_CLOCK_AHEAD_MS, InvalidSample, Sample, drop_bad_rr, validate
from app.domain.summary import SessionSummary
from app.store.errors import DatabaseUnavailable, StoreError, classify, is_transient
from app.store.repo import STATUS_FINISHED, STATUS_RECOVERED, Store

log = logging.getLogger(__name__)

#: At most this long between a sample's arrival and its commit: the crash-loss bound is
#: this plus one write, comfortably under the 1 s the product promises.
FLUSH_INTERVAL_S = 0.25
#: Commit early when this many samples are waiting (keeps transactions small under bursts).
MAX_BATCH = 5_000
#: Longest wait between retries of a write that failed for a passing reason (locked).
MAX_RETRY_S = 5.0


class RecordingStopped(StoreError):
    """Storage failed for good (disk full, read-only, corrupt): the recording had to stop."""


@dataclass
class RecorderStats:
    """Counters for the status line and for tests; rejected samples are never silent."""

    received: int = 0
    stored: int = 0
    rejected: int = 0
    batches: int = 0
    largest_batch: int = 0
    rejected_rr: int = 0
    #: Samples refused after storage failed (counted, never logged one by one).
    refused: int = 0
    #: Writes that failed and were retried later.
    write_retries: int = 0
    last_error: str | None = None


SampleListener = Callable[[Sample], None]


class Recording:
    """One live session. Call its methods on the loop thread only."""

    def __init__(
        self,
        store: Store,
        session_id: int,
        *,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        max_batch: int = MAX_BATCH,
        clock: Callable[[], float] = time.time,
        queued_writes: bool = False,
    ) -> None:
        self.store = store
        self.session_id = session_id
        #: `store.insert_samples` only queues (never blocks on SQLite): it is called on the
        #: loop as each sample is accepted, not from a worker thread per batch.
        self.queued_writes = queued_writes
        self.flush_interval_s = flush_interval_s
        self.max_batch = max_batch
        self.clock = clock
        self.stats = RecorderStats()
        self.paused = False
        self.listeners: list[SampleListener] = []
        self.last_sample: Sample | None = None
        #: Sample.source -> devices.id, so stored rows say which sensor they came from.
        self.device_ids: dict[str, int] = {}
        self._pending: list[Sample] = []
        self._wake = asyncio.Event()
        self._closing = False
        #: Set once storage failed for good; then no sample is accepted any more.
        self.failure: DatabaseUnavailable | None = None
        self.failed = asyncio.Event()
        self._retry_at = 0.0  # monotonic time before which the writer does not retry
        self._failures = 0  # consecutive failed writes
        #: Batches the samples and commits them from a worker thread; a store that only
        #: queues needs none (a refused hand-over is retried by `_retry` instead).
        self._writer = (
            None
            if queued_writes
            else asyncio.create_task(self._write_loop(), name=f"writer-{session_id}")
        )
        self._retry: asyncio.TimerHandle | None = None
        self._pumps: list[asyncio.Task[None]] = []

    def submit(self, sample: Sample) -> bool:
        """Queue a sample for the writer; returns False (counted, logged) if it is invalid."""
        self.stats.received += 1
        if self.failure is not None:
            self.stats.refused += 1
            return False
        try:
            validate(sample)  # the common case: one pass, nothing to drop
        except InvalidSample as exc:
            sample, dropped = drop_bad_rr(sample)
            try:
                if not dropped:
                    raise
                validate(sample)  # the rest of the sample must still be good
            except InvalidSample:
                self.stats.rejected += 1
                self.stats.last_error = str(exc)
                log.warning("session %s: rejected sample: %s", self.session_id, exc)
                return False
            self.stats.rejected_rr += dropped
            log.warning("session %s: dropped %d out-of-range RR values", self.session_id, dropped)
        pending = self._pending
        pending.append(sample)
        self.last_sample = sample
        if self.queued_writes:
            if self._retry is None:  # else a retry after the backoff hands it over
                self._hand_over()
        elif len(pending) == self.max_batch:  # once per batch: the writer drains all there is
            self._wake.set()
        for listener in self.listeners:
            try:
                listener(sample)
            except Exception:  # a broken view must not stop recording
                log.exception("sample listener failed")
        return True

    def attach(self, source_samples: AsyncIterator[Sample], name: str = "source") -> None:
        """Pump a source into this recording until it ends or the recording stops."""

        async def pump() -> None:
            try:
                async for sample in source_samples:
                    self.submit(sample)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.stats.last_error = f"{name}: {exc}"
                log.exception("source %s failed", name)

        self._pumps.append(asyncio.create_task(pump(), name=f"pump-{name}"))

    async def wait_sources(self) -> None:
        """Until every attached source is exhausted (finite sources, tests)."""
        await asyncio.gather(*self._pumps, return_exceptions=True)

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    async def pause(self) -> None:
        if not self.paused:
            self.paused = True
            await asyncio.to_thread(self.store.add_marker, self.session_id, "pause", self._now_ms())

    async def resume(self) -> None:
        if self.paused:
            self.paused = False
            await asyncio.to_thread(
                self.store.add_marker, self.session_id, "resume", self._now_ms()
            )

    async def lap(self, label: str | None = None) -> None:
        await asyncio.to_thread(
            self.store.add_marker, self.session_id, "lap", self._now_ms(), label
        )

    async def flush(self) -> None:
        """Commit what is pending now (e.g. before reading a gym set's HR back)."""
        await self._flush()

    async def _flush(self) -> None:
        """Commit everything pending, at most `max_batch` samples per transaction."""
        if self.queued_writes:
            self._hand_over()
            return
        while self._pending and self.failure is None:
            batch = self._pending[: self.max_batch]
            del self._pending[: len(batch)]
            try:
                await asyncio.to_thread(
                    self.store.insert_samples, self.session_id, batch, dict(self.device_ids)
                )
            except Exception as exc:
                self._pending[:0] = batch  # nothing of a failed batch was committed
                self._write_failed(exc)
                return
            self._handed(batch)

    def _hand_over(self) -> None:
        """Queue everything pending with a store that only queues (`queued_writes`), here."""
        if not self._pending or self.failure is not None:
            return
        batch, self._pending = self._pending, []
        try:
            self.store.insert_samples(self.session_id, batch, self.device_ids)
        except Exception as exc:
            self._pending[:0] = batch  # refused: nothing of it was queued
            self._write_failed(exc)
            if self.failure is None and not self._closing:  # a passing refusal: retry later
                delay = max(0.0, self._retry_at - time.monotonic())
                self._retry = asyncio.get_running_loop().call_later(delay, self._retried)
            return
        self._handed(batch)

    def _retried(self) -> None:
        self._retry = None
        self._hand_over()

    def _handed(self, batch: list[Sample]) -> None:
        self.stats.stored += len(batch)
        self.stats.batches += 1
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        self._failures, self._retry_at = 0, 0.0

    def storage_failed(self, cause: DatabaseUnavailable) -> None:
        """The store this recording hands samples to failed for good (the feeds' shared
        writer, which logged it): stop as if this recording's own write had failed, so
        `stop` drops an empty session instead of closing it with nothing stored."""
        if self.failure is None:
            self.failure = cause
            self.failed.set()

    def _write_failed(self, exc: BaseException) -> None:
        """A locked database is retried with growing waits; full or corrupt storage stops."""
        cause = classify(exc, self.store.path)
        self.stats.last_error = f"write failed: {cause}"
        if isinstance(cause, DatabaseUnavailable) and not is_transient(exc):
            self.failure = cause
            self.failed.set()
            log.error(
                "session %s: %s; recording stopped with %d samples stored",
                self.session_id, cause, self.stats.stored,
            )  # fmt: skip
            return
        self.stats.write_retries += 1
        self._failures += 1
        attempt = self._failures
        delay = exponential_backoff(
            attempt, base_s=self.flush_interval_s, cap_s=MAX_RETRY_S, jitter=0.2,
            rand=random.random(),
        )  # fmt: skip
        self._retry_at = time.monotonic() + delay
        if attempt & (attempt - 1) == 0:  # 1st, 2nd, 4th, 8th...: a stuck disk is not a flood
            log.warning(
                "session %s: write failed (%d times), retrying in %.1f s: %s",
                self.session_id, attempt, delay, cause,
            )  # fmt: skip

    async def _write_loop(self) -> None:
        while not self._closing and self.failure is None:
            timeout = max(self.flush_interval_s, self._retry_at - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            if time.monotonic() >= self._retry_at:
                await self._flush()

    async def stop(self, status: str = STATUS_FINISHED) -> SessionSummary:
        """Stop sources, commit what is pending, compute and store the summary.

        Raises RecordingStopped (a StoreError) when storage failed: what was committed is
        kept and the session is closed as recovered (or by the next start's recovery).
        """
        for task in self._pumps:
            task.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)
        self._closing = True
        self._wake.set()
        if self._writer is not None:
            await self._writer
        if self._retry is not None:
            self._retry.cancel()
            self._retry = None
        self._retry_at = 0.0
        await self._flush()  # one last try for what a passing lock held back
        if self.failure is not None or self._pending:
            await self._close_after_failure()
        if self.paused:
            await self.resume()
        return await asyncio.to_thread(
            self.store.finish_session, self.session_id, self._end_ms(), status
        )

    def _end_ms(self) -> int:
        """Now, or the newest sample when a sensor's clock runs slightly ahead (as the live
        dashboard counts it), but never past now + MAX_CLOCK_AHEAD_MS."""
        now = self._now_ms()
        last = self.last_sample
        if last is None:
            return now
        return max(now, min(last.t_ms, now + MAX_CLOCK_AHEAD_MS))

    async def _close_after_failure(self) -> None:
        lost = len(self._pending) + self.stats.refused
        cause = self.failure or self.stats.last_error or "the database kept failing"
        try:
            if await asyncio.to_thread(self.store.drop_if_empty, self.session_id):
                closed = "removed (it held no data)"
            else:
                await asyncio.to_thread(
                    self.store.finish_session, self.session_id, self._now_ms(), STATUS_RECOVERED
                )
                closed = "closed as recovered"
        except Exception as exc:  # the same full disk: the next start recovers it
            log.warning("session %s: could not close it now: %s", self.session_id, exc)
            closed = "left for recovery at the next start"
        raise RecordingStopped(
            f"{cause}: recording stopped; {self.stats.stored} samples kept, {lost} not stored; "
            f"session {self.session_id} {closed}"
        ) from self.failure


class Recorder:
    """Starts recordings for athletes; one per athlete at a time."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    async def start(
        self,
        athlete_id: int,
        *,
        sport: str = "run",
        source: str = "simulator",
        title: str | None = None,
        timezone: str | None = None,
        flush_interval_s: float = FLUSH_INTERVAL_S,
        max_batch: int = MAX_BATCH,
    ) -> Recording:
        """Commit a new `recording` session and return its live Recording."""
        session_id = await asyncio.to_thread(
            self.store.create_session,
            athlete_id,
            sport=sport,
            source=source,
            started_ms=int(self.clock() * 1000),
            title=title,
            timezone=timezone,
        )
        log.info("session %s started (%s, %s)", session_id, sport, source)
        return Recording(
            self.store,
            session_id,
            flush_interval_s=flush_interval_s,
            max_batch=max_batch,
            clock=self.clock,
        )
