"""The shared feed writer: every feed recording's samples committed by one thread, grouped."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from app.domain.samples import Sample
from app.store.errors import StoreError, classify
from app.store.repo import INSERT_RR_SQL, INSERT_SAMPLE_SQL, STATUS_FINISHED, Store

log = logging.getLogger(__name__)

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
