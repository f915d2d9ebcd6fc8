"""The shared feed writer: every feed recording's samples committed by one thread, grouped.

A feed records one session per remote athlete, so a 50-athlete feed would otherwise run 50
writers whose transactions fight over SQLite's single write lock (SQLite's busy handler sleeps
while it waits) and cost one transaction per sample. `GroupWriter` holds the Store and commits
everything handed to it within GROUP_WINDOW_S in one transaction, from one thread. It is not a
Store: callers use its few operations explicitly, and any other write goes through `locked`.

A write that fails for a passing reason (locked) is retried with growing waits and thinned
logs; one that fails for good (disk full, read-only, corrupt) stops the writer at once: it
logs one line, refuses every later batch with that error (each Recording then stops) and
tells its owner through `on_failure`, so the feed recording ends instead of spinning.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

from sqlalchemy import Engine

from app.domain.backoff import exponential_backoff
from app.domain.samples import Sample
from app.domain.summary import SessionSummary
from app.store.errors import DatabaseUnavailable, StoreError, classify, is_transient
from app.store.repo import INSERT_RR_SQL, INSERT_SAMPLE_SQL, STATUS_FINISHED, Store

log = logging.getLogger(__name__)

#: The shared writer commits at most this long after a batch was handed to it: it gathers
#: every feed recording's samples of that window into one transaction.
GROUP_WINDOW_S = 0.005
#: After a failed transaction the writer keeps the rows and retries after this long, doubling
#: up to MAX_RETRY_S while the failures last (a lock held by another program passes).
RETRY_S = 0.5
MAX_RETRY_S = 5.0
#: A session is finished only once its rows are committed; a database that stays broken
#: this long fails the stop (the samples stay in memory, the session is recovered later).
FINISH_WAIT_S = 30.0

Row = tuple[object, ...]
RrRow = tuple[int, int, float]
#: Commits sample and RR rows in one transaction (a parameter so tests can inject failures).
WriteRows = Callable[[Engine, Sequence[Row], Sequence[RrRow]], None]
T = TypeVar("T")


def write_rows(engine: Engine, rows: Sequence[Row], rr_rows: Sequence[RrRow]) -> None:
    """Insert sample and RR rows of any number of sessions in one transaction."""
    with engine.begin() as conn:
        conn.exec_driver_sql(INSERT_SAMPLE_SQL, list(rows))
        if rr_rows:
            conn.exec_driver_sql(INSERT_RR_SQL, list(rr_rows))


@dataclass(frozen=True, slots=True)
class _Batch:
    session_id: int
    rows: list[Row]
    rr_rows: list[RrRow]


class SessionWriter(Protocol):
    """The writes a `Recording` makes: what GroupWriter offers in a Store's place."""

    def insert_samples(
        self,
        session_id: int,
        samples: Sequence[Sample],
        device_ids: Mapping[str, int] | None = None,
    ) -> None: ...

    def add_marker(
        self, session_id: int, kind: str, t_ms: int, label: str | None = None
    ) -> None: ...

    def finish_session(
        self, session_id: int, ended_ms: int, status: str = STATUS_FINISHED
    ) -> SessionSummary: ...


def recording_target(writer: SessionWriter) -> Store:
    """`writer` typed as Recording's `store`: Recording only calls SessionWriter's methods."""
    return cast(Store, writer)


class GroupWriter:
    """Holds a Store; commits every feed recording's samples from one thread, grouped.

    Rows stay in memory until committed, exactly like a Recording's pending samples: a failed
    transaction is retried, never dropped. `finish_session` first waits until that session's
    rows are committed, so summaries and `committed()` only count stored rows. Every write made
    through the writer takes one lock, so the feed's own writes never contend for SQLite.
    """

    def __init__(
        self,
        store: Store,
        *,
        write: WriteRows = write_rows,
        window_s: float = GROUP_WINDOW_S,
        retry_s: float = RETRY_S,
    ) -> None:
        self.store = store
        self.transactions = 0
        self._write = write
        self._window_s = window_s
        self._retry_s = retry_s
        self._db_lock = threading.RLock()  # a locked write may call add_marker and co.
        self._cond = threading.Condition()
        self._batches: list[_Batch] = []
        self._handed: dict[int, int] = {}
        self._committed: dict[int, int] = {}
        self._error: BaseException | None = None
        #: Set once storage failed for good (disk full, read-only, corrupt): nothing more is
        #: written, every later batch is refused with it.
        self.failure: DatabaseUnavailable | None = None
        #: Called (from the writer thread) once `failure` is set.
        self.on_failure: Callable[[], None] | None = None
        #: Rows handed over but never committed because storage failed.
        self.lost = 0
        self._failures = 0
        self._closing = False
        self._thread: threading.Thread | None = None

    @property
    def path(self) -> object:
        """The database file, for error messages (as `Store.path`)."""
        return self.store.path

    def locked(self, fn: Callable[..., T], *args: object) -> T:
        """Run a write that is not a sample batch (`fn(*args)`) under the writer's lock."""
        with self._db_lock:
            return fn(*args)

    def insert_samples(
        self,
        session_id: int,
        samples: Sequence[Sample],
        device_ids: Mapping[str, int] | None = None,
    ) -> None:
        """Hand a batch to the shared writer; raises (keeping nothing) while writes fail."""
        ids = device_ids or {}
        batch = _Batch(
            session_id,
            [smp.row(session_id, ids.get(smp.source or "")) for smp in samples],
            [(session_id, smp.t_ms, rr) for smp in samples for rr in smp.rr],
        )
        with self._cond:
            if self.failure is not None:
                raise self.failure  # the Recording stops and counts what it could not store
            if self._error is not None:
                raise self._error  # the Recording keeps its samples and retries
            if self._closing:
                raise RuntimeError("the feed writer is closed")
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="feed-writer", daemon=True)
                self._thread.start()
            self._batches.append(batch)
            self._handed[session_id] = self._handed.get(session_id, 0) + len(batch.rows)
            if len(self._batches) == 1:  # only an idle writer waits for batches: wake it once
                self._cond.notify_all()

    def drop_if_empty(self, session_id: int) -> bool:
        """Delete a session that holds no data, under the writer's lock (`Store.drop_if_empty`)."""
        with self._db_lock:
            return self.store.drop_if_empty(session_id)

    def add_marker(self, session_id: int, kind: str, t_ms: int, label: str | None = None) -> None:
        """Store a pause/resume/lap marker under the writer's lock."""
        with self._db_lock:
            self.store.add_marker(session_id, kind, t_ms, label)

    def finish_session(
        self, session_id: int, ended_ms: int, status: str = STATUS_FINISHED
    ) -> SessionSummary:
        """Summarise and close the session once every row handed over for it is committed.

        After a permanent failure nothing more will be committed: the summary covers the rows
        that were.
        """
        if self.failure is None:
            self.wait_committed(session_id, FINISH_WAIT_S)
        with self._db_lock:
            return self.store.finish_session(session_id, ended_ms, status)

    def committed(self, session_id: int) -> int:
        """Rows of `session_id` committed so far."""
        with self._cond:
            return self._committed.get(session_id, 0)

    def wait_committed(self, session_id: int, timeout: float | None = None) -> None:
        """Until every row handed over for `session_id` is committed (or the writer fails)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._committed.get(session_id, 0) < self._handed.get(session_id, 0):
                if self.failure is not None:
                    raise self.failure
                if self._thread is None or not self._thread.is_alive():
                    raise RuntimeError(f"samples of session {session_id} not stored: {self._error}")
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    cause = classify(self._error, self.store.path) if self._error else None
                    if isinstance(cause, StoreError):
                        raise cause  # disk full, locked, corrupt: the user must act
                    raise TimeoutError(f"samples of session {session_id} not stored in time")
                self._cond.wait(remaining)

    def close(self) -> None:
        """Commit what is queued and stop the writer thread (idempotent)."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._batches and not self._closing:
                    self._cond.wait()
                if not self._batches and self._closing:
                    return
            time.sleep(self._window_s)  # let the other recordings' batches join
            with self._cond:
                batches, self._batches = self._batches, []
            rows = [row for b in batches for row in b.rows]
            rr_rows = [rr for b in batches for rr in b.rr_rows]
            try:
                with self._db_lock:
                    self._write(self.store.engine, rows, rr_rows)
                    self.transactions += 1
            except Exception as exc:
                if not self._write_failed(exc, batches, len(rows)):
                    return
                continue
            with self._cond:
                self._error = None
                self._failures = 0
                for b in batches:
                    self._committed[b.session_id] = self._committed.get(b.session_id, 0) + len(
                        b.rows
                    )
                self._cond.notify_all()

    def _write_failed(self, exc: Exception, batches: list[_Batch], rows: int) -> bool:
        """Keep the rows for a retry after a passing failure (True); stop for good (False)."""
        cause = classify(exc, self.store.path)
        if isinstance(cause, DatabaseUnavailable) and not is_transient(exc):
            with self._cond:
                self.failure = cause
                self._error = cause
                self.lost += rows + sum(len(b.rows) for b in self._batches)
                self._batches.clear()
                self._cond.notify_all()
            log.error("feed writer: %s; no more samples are stored", cause)
            if self.on_failure is not None:
                self.on_failure()
            return False
        with self._cond:
            self._batches[:0] = batches
            self._error = exc
            self._failures += 1
            attempt = self._failures
            self._cond.notify_all()
            if self._closing:
                log.error("feed writer: %d samples could not be stored: %s", rows, cause)
                return False
            delay = exponential_backoff(
                attempt, base_s=self._retry_s, cap_s=MAX_RETRY_S, jitter=0.2, rand=random.random()
            )
            if attempt & (attempt - 1) == 0:  # 1st, 2nd, 4th, 8th...: a stuck disk is no flood
                log.warning(
                    "feed writer: commit failed (%d times), retrying in %.1f s: %s",
                    attempt,
                    delay,
                    _short(cause),
                )
            self._cond.wait(delay)
        return True


def _short(exc: BaseException) -> str:
    """The first line of an error: SQLAlchemy appends the statement and every parameter."""
    text = str(exc)
    return text.split("\n", 1)[0][:200]
