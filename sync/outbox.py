"""The outbox: durable background jobs, exactly-once in effect.

A job is enqueued once per `dedupe_key` (enqueue is idempotent), claimed with a lease (a
worker killed mid-job leaves a lease that expires, so the job is picked up again; at once when
no other worker of the data dir is alive, see sync.workers), and ends
`done` or `dead`. Handlers must be idempotent on their side too (Strava `external_id`, S3
object keys per session) because a crash between the remote effect and `complete` replays
the job once. Retry or dead is decided from the exception type (see sync.errors).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update

from app.domain.backoff import exponential_backoff
from app.store import models as m
from app.store.repo import Store

from . import workers
from .errors import Permanent, RateLimited, Retryable

log = logging.getLogger(__name__)

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"

#: First retry after ~30 s, doubling, capped at 6 h: Strava's 15-min windows and long
#: outages both resolve without hammering the server.
BACKOFF_BASE_S = 30.0
BACKOFF_CAP_S = 6 * 3600.0
#: Unexpected exceptions (bugs, not classified errors) get this many tries, then go dead.
MAX_UNCLASSIFIED_ATTEMPTS = 5
#: Transient failures (5xx, timeouts) get this many tries (~2 days with the backoff above),
#: then the job is parked dead with its last error for the user to see and retry. Rate
#: limiting is not the job's fault and does not count as an attempt.
MAX_RETRYABLE_ATTEMPTS = 12
#: A claimed job not completed within this long is assumed to belong to a dead worker.
DEFAULT_LEASE_S = 600.0


def backoff_s(attempt: int, rng: random.Random | None = None) -> float:
    """Delay before retry number `attempt` (1-based): exponential, capped, full jitter on half."""
    return exponential_backoff(
        max(attempt, 1),
        base_s=BACKOFF_BASE_S,
        cap_s=BACKOFF_CAP_S,
        jitter=0.5,
        rand=(rng or random).random(),
    )


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    kind: str
    dedupe_key: str
    session_id: int | None
    account_id: int | None
    payload: dict[str, Any]
    state: str
    attempts: int
    next_attempt_ms: int
    last_error: str | None
    result: dict[str, Any] | None


def _job(row: m.SyncJob) -> Job:
    return Job(
        row.id,
        row.kind,
        row.dedupe_key,
        row.session_id,
        row.account_id,
        dict(row.payload or {}),
        row.state,
        row.attempts,
        row.next_attempt_ms,
        row.last_error,
        row.result,
    )


class Outbox:
    """Durable job queue in the `sync_jobs` table."""

    def __init__(
        self,
        store: Store,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.rng = rng or random.Random()
        self._joined = False  # this process counts as a worker from the first claim

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def enqueue(
        self,
        kind: str,
        dedupe_key: str,
        *,
        session_id: int | None = None,
        account_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> int:
        """Add a job unless one with `dedupe_key` exists; returns the job id either way."""
        now = self._now_ms()
        stmt = (
            insert(m.SyncJob)
            .values(
                kind=kind,
                dedupe_key=dedupe_key,
                session_id=session_id,
                account_id=account_id,
                payload=payload or {},
                state=PENDING,
                attempts=0,
                next_attempt_ms=0,
                created_ms=now,
                updated_ms=now,
            )
            .prefix_with("OR IGNORE")
        )
        with self.store.engine.begin() as conn:
            conn.execute(stmt)
            job_id = conn.execute(
                select(m.SyncJob.id).where(m.SyncJob.dedupe_key == dedupe_key)
            ).scalar_one()
        return int(job_id)

    def _join_workers(self) -> None:
        """Count this process among the data dir's workers (see sync.workers); when it is the
        only one alive, jobs left running by a killed worker are due now, not at lease end."""
        if self._joined or self.store.path is None:
            return
        workers.join(self.store.path.parent, self._release_dead_workers_jobs)
        self._joined = True

    def _release_dead_workers_jobs(self) -> None:
        with self.store.engine.begin() as conn:
            n = conn.execute(
                update(m.SyncJob).where(m.SyncJob.state == RUNNING).values(lease_until_ms=0)
            ).rowcount
        if n:
            log.info("%d job(s) left running by a stopped sync worker run again now", n)

    def claim(
        self, kinds: Iterable[str] | None = None, lease_s: float = DEFAULT_LEASE_S
    ) -> Job | None:
        """Take the oldest due job (or one whose worker died) and lease it to this worker."""
        self._join_workers()
        now = self._now_ms()
        due = (m.SyncJob.state == PENDING) & (m.SyncJob.next_attempt_ms <= now)
        orphaned = (m.SyncJob.state == RUNNING) & (m.SyncJob.lease_until_ms < now)
        kinds = list(kinds) if kinds is not None else None
        for _ in range(5):  # another worker may win the race; try the next candidate
            with self.store.engine.begin() as conn:
                q = select(m.SyncJob.id).where(due | orphaned)
                if kinds is not None:
                    q = q.where(m.SyncJob.kind.in_(kinds))
                job_id = conn.execute(q.order_by(m.SyncJob.id).limit(1)).scalar()
                if job_id is None:
                    return None
                taken = conn.execute(
                    update(m.SyncJob)
                    .where(m.SyncJob.id == job_id, due | orphaned)
                    .values(
                        state=RUNNING,
                        lease_until_ms=now + int(lease_s * 1000),
                        attempts=m.SyncJob.attempts + 1,
                        updated_ms=now,
                    )
                ).rowcount
            if taken == 1:
                return self.get(job_id)
        return None

    def get(self, job_id: int) -> Job:
        with self.store.orm() as s:
            row = s.get(m.SyncJob, job_id)
            if row is None:
                raise LookupError(f"no job {job_id}")
            return _job(row)

    def complete(self, job_id: int, result: dict[str, Any] | None = None) -> None:
        self._set(job_id, state=DONE, result=result, last_error=None, lease_until_ms=None)

    def fail(self, job_id: int, exc: BaseException) -> Job:
        """Record a failure: Retryable -> pending with backoff; Permanent -> dead."""
        job = self.get(job_id)
        message = f"{type(exc).__name__}: {exc}"[:2000]
        attempts = job.attempts
        if isinstance(exc, Permanent):
            state, delay = DEAD, 0.0
        elif isinstance(exc, RateLimited):
            state, attempts = PENDING, max(0, job.attempts - 1)
            delay = exc.retry_after_s if exc.retry_after_s is not None else BACKOFF_BASE_S
        elif isinstance(exc, Retryable) and job.attempts >= MAX_RETRYABLE_ATTEMPTS:
            state, delay = DEAD, 0.0
        elif isinstance(exc, Retryable):
            state = PENDING
            delay = (
                exc.retry_after_s
                if exc.retry_after_s is not None
                else backoff_s(job.attempts, self.rng)
            )
        elif job.attempts >= MAX_UNCLASSIFIED_ATTEMPTS:
            state, delay = DEAD, 0.0
        else:
            state, delay = PENDING, backoff_s(job.attempts, self.rng)
        level = logging.INFO if isinstance(exc, RateLimited) else logging.WARNING
        log.log(level, "job %s (%s) failed, %s: %s", job.id, job.kind, state, message)
        self._set(
            job_id,
            state=state,
            attempts=attempts,
            last_error=message,
            next_attempt_ms=self._now_ms() + int(delay * 1000),
            lease_until_ms=None,
        )
        return self.get(job_id)

    def retry(self, job_id: int) -> None:
        """User asked to try a dead job again now (with a fresh attempt count)."""
        self.get(job_id)  # LookupError for an unknown id
        self._set(job_id, state=PENDING, attempts=0, next_attempt_ms=0, lease_until_ms=None)

    def retry_dead(self, kinds: Iterable[str] | None = None) -> int:
        """Every dead job (of `kinds`) pending again now; returns how many."""
        wanted = set(kinds) if kinds is not None else None
        n = 0
        for job in self.jobs(state=DEAD):
            if wanted is None or job.kind in wanted:
                self.retry(job.id)
                n += 1
        return n

    def _set(self, job_id: int, **values: object) -> None:
        values["updated_ms"] = self._now_ms()
        with self.store.engine.begin() as conn:
            conn.execute(update(m.SyncJob).where(m.SyncJob.id == job_id).values(**values))

    def jobs(self, state: str | None = None, kind: str | None = None) -> list[Job]:
        q = select(m.SyncJob).order_by(m.SyncJob.id)
        if state is not None:
            q = q.where(m.SyncJob.state == state)
        if kind is not None:
            q = q.where(m.SyncJob.kind == kind)
        with self.store.orm() as s:
            return [_job(r) for r in s.scalars(q)]

    def counts(self) -> dict[str, int]:
        with self.store.orm() as s:
            rows = s.execute(select(m.SyncJob.state, func.count()).group_by(m.SyncJob.state)).all()
        return {state: n for state, n in rows}


Handler = Callable[[Job], Awaitable[dict[str, Any] | None]]


async def drain(
    outbox: Outbox,
    handlers: dict[str, Handler],
    max_jobs: int | None = None,
    stop_on: tuple[type[BaseException], ...] = (),
) -> int:
    """Run due jobs of the given kinds until none is due; returns how many ran.

    A failure of a type in `stop_on` (e.g. RateLimited: the other jobs would only meet the
    same limit) ends this run after recording it.
    """
    ran = 0
    while max_jobs is None or ran < max_jobs:
        job = await asyncio.to_thread(outbox.claim, handlers.keys())
        if job is None:
            return ran
        ran += 1
        try:
            result = await handlers[job.kind](job)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # classified by type in fail()
            await asyncio.to_thread(outbox.fail, job.id, exc)
            if isinstance(exc, stop_on):
                return ran
        else:
            await asyncio.to_thread(outbox.complete, job.id, result)
    return ran
