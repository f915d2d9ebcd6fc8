"""How long Pulsedeck keeps Strava data: the 2026 API policy's short cache, and none after
an unlink or a revocation.

Strava's API policy effective 2026-06-01 allows Strava Data to be cached for a short period
(7 days, `CACHE_S`), and the API agreement requires deleting a user's Strava Data when they
revoke access. What Pulsedeck keeps from Strava is the summary a copy job needs (name, sport,
start, elapsed time, distance of an activity from elsewhere) in `sync_jobs.payload`:

- a finished copy job keeps only ids (`KEEP`);
- an unfinished one keeps its summary for `CACHE_S` after it was listed, then only ids: when it
  runs later, the copy step reads the activity from Strava again and keeps nothing;
- an unlinked account's jobs and ledger rows go with its row (foreign keys cascade), its
  per-account settings with `consent.forget`; a revoked grant (the account needs
  authorizing again) purges the summaries and cursors derived from it at once.

Sessions Pulsedeck recorded are the user's own data and are not touched, nor are the ids in
the ledger (`remote_activities`) that keep uploads exactly-once.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func, or_, select

from app.store import models as m
from app.store.repo import Store
from app.store.settings import STRAVA_BACKFILL, STRAVA_POLL_AFTER, Settings

from ..outbox import DONE
from .enqueue import KIND_COPY

#: The cache period of Strava's API policy (2026-06-01): 7 days.
CACHE_S = 7 * 24 * 3600.0

#: The payload fields of a copy job that are ids, kept after the job finished.
KEEP = frozenset({"source_activity_id", "source_account_id"})


def _ids(payload: dict[str, object] | None) -> dict[str, object]:
    return {k: v for k, v in (payload or {}).items() if k in KEEP}


def purge_expired(store: Store, clock: Callable[[], float] = time.time) -> int:
    """Strip copy jobs to ids once finished or older than the cache; returns how many."""
    oldest_ms = int((clock() - CACHE_S) * 1000)
    n = 0
    with store.orm() as s, s.begin():
        jobs = s.scalars(
            select(m.SyncJob).where(
                m.SyncJob.kind == KIND_COPY,
                or_(m.SyncJob.state == DONE, m.SyncJob.created_ms < oldest_ms),
                # json_type is NULL for a missing key: only jobs that still hold a summary
                func.json_type(m.SyncJob.payload, "$.name").is_not(None),
            )
        ).all()
        for job in jobs:
            payload = job.payload or {}
            if set(payload) <= KEEP:
                continue
            if job.state == DONE or job.created_ms < oldest_ms:
                job.payload = _ids(payload)
                n += 1
    return n


def purge_account(store: Store, account_id: int) -> int:
    """A revoked grant: drop every summary and cursor derived from this account's Strava."""
    n = 0
    with store.orm() as s, s.begin():
        jobs = s.scalars(select(m.SyncJob).where(m.SyncJob.kind == KIND_COPY)).all()
        for job in jobs:
            payload = job.payload or {}
            source = payload.get("source_account_id")
            if job.account_id != account_id and source != account_id:
                continue
            if set(payload) <= KEEP:
                continue
            job.payload = _ids(payload)
            n += 1
    settings = Settings(store)
    settings.set(STRAVA_POLL_AFTER, None, account_id)
    settings.set(STRAVA_BACKFILL, None, account_id)
    return n
