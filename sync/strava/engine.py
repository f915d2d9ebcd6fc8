"""`StravaSync`: the one object callers hold for Strava; each step lives in its own module.

    enqueue.py   which accounts a session goes to; outbox jobs (database only)
    upload.py    a session's file posted once, polled, linked; its sport type set
    copies.py    an owner's activity copied to a child (file from streams, or manual)
    edits.py     a session renamed (or its sport changed) after upload: the activity follows
    routing.py   which child gets which owner activity
    poll.py      the owners' new activities -> copy jobs
    backfill.py  an owner's history, page by page, resumable
    ledger.py    the exactly-once ledger and its allowed state transitions
    budgets.py   one rate budget per application for the whole process

Without an HTTP client (`http=None`) a `StravaSync` still reads the ledger, queues jobs and
reports status; only the steps that talk to Strava need one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.store.repo import Store

from ..errors import RateLimited
from ..outbox import Handler, Job, Outbox, drain
from ..progress import CancelCheck
from . import backfill as _backfill
from . import copies as _copies
from . import edits as _edits
from . import poll as _poll
from . import upload as _upload
from .accounts import Account
from .backfill import BackfillProgress, backfill_key, start_backfill
from .budgets import BudgetRegistry, process_budgets, rate_usage, save_rate_usage
from .client import StravaClient
from .config import StravaConfig
from .context import Sleep, StravaContext
from .enqueue import (
    EXTERNAL_PREFIX,
    KIND_COPY,
    KIND_UPDATE,
    KIND_UPLOAD,
    UploadQueue,
    copy_external_id,
    external_id,
)
from .ledger import Ledger, LedgerState, LedgerStore
from .poll import POLL_OVERLAP_S
from .ratelimit import RateBudget
from .retention import purge_expired
from .routing import parse_time
from .upload import DUPLICATE_RE, SPORT_TYPE

__all__ = [
    "DUPLICATE_RE",
    "EXTERNAL_PREFIX",
    "KIND_COPY",
    "KIND_UPDATE",
    "KIND_UPLOAD",
    "POLL_OVERLAP_S",
    "SPORT_TYPE",
    "BackfillProgress",
    "Ledger",
    "LedgerState",
    "RunReport",
    "StravaSync",
    "backfill_key",
    "copy_external_id",
    "external_id",
    "parse_time",
]


@dataclass(slots=True)
class RunReport:
    """What one `run_once` did (the CLI prints it)."""

    enqueued: int = 0
    polled: int = 0
    ran: int = 0
    errors: list[str] = field(default_factory=list)


class StravaSync:
    """All linked Strava accounts of one store; budgets come from the process's registry.

    Pass `budgets` only to isolate one (a test); every other caller shares
    `process_budgets()`, so the background sync, the Settings panel and the CLI in one
    process spend one budget per Strava application.
    """

    def __init__(
        self,
        store: Store,
        http: httpx.AsyncClient | None = None,
        config: StravaConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        outbox: Outbox | None = None,
        budgets: BudgetRegistry | None = None,
    ) -> None:
        self.store = store
        self.http = http
        self.config = config or StravaConfig.load()
        self.clock = clock
        self.sleep = sleep
        self.outbox = outbox or Outbox(store, clock=clock)
        self.ledger = LedgerStore(store, clock)
        self.queue = UploadQueue(store, self.outbox, clock)
        self.ctx = StravaContext(
            store,
            self.config,
            self.outbox,
            self.ledger,
            http,
            clock,
            sleep,
            budgets or process_budgets(),
        )

    # Plumbing ------------------------------------------------------------------------------

    def budget(self, client_id: str = "") -> RateBudget:
        """Strava counts per application, so accounts of one app share one budget."""
        return self.ctx.budget(client_id)

    def budgets(self) -> dict[str, RateBudget]:
        """The budgets of every application seen at this config's API host."""
        return self.ctx.budgets.at(self.config.api_url)

    def client(self, account: Account) -> StravaClient:
        return self.ctx.client(account)

    def handlers(self) -> dict[str, Handler]:
        return {
            KIND_UPLOAD: self.handle_upload,
            KIND_COPY: self.handle_copy,
            KIND_UPDATE: self.handle_update,
        }

    async def handle_upload(self, job: Job) -> dict[str, Any]:
        """Upload a Pulsedeck session to one account (owner or child)."""
        return await _upload.handle_upload(self.ctx, job)

    async def handle_copy(self, job: Job) -> dict[str, Any]:
        """Copy an activity of the owner to a child (GPX/TCX from streams, or manual)."""
        return await _copies.handle_copy(self.ctx, job)

    async def handle_update(self, job: Job) -> dict[str, Any]:
        """Send a session's new title and sport type to its activity on one account."""
        return await _edits.handle_update(self.ctx, job)

    # Database only -------------------------------------------------------------------------

    def session_changed(self, session_id: int) -> tuple[list[int], list[int]]:
        """A session was renamed or its sport changed: (update jobs, new child upload jobs)."""
        return self.queue.changed(session_id)

    def remote_for_session(self, session_id: int) -> list[dict[str, Any]]:
        """What exists remotely for a session, per account (for `strava status`)."""
        return [
            {
                "account_id": r.account_id,
                "state": r.state.value,
                "activity_id": r.activity_id,
                "upload_id": r.upload_id,
                "error": r.error,
            }
            for r in self.ledger.for_session(session_id)
        ]

    def enqueue_session(self, session_id: int) -> list[int]:
        """Jobs for one session now, whenever it was recorded (`pulsedeck strava upload`)."""
        return self.queue.session(session_id)

    def enqueue_finished(self) -> int:
        """Jobs for finished sessions recorded since the target account was linked."""
        return self.queue.finished()

    def start_backfill(self, account_id: int, since_s: float) -> None:
        """Ask the next polls to walk the owner's history from `since_s` (resumable)."""
        start_backfill(self.store, account_id, since_s)

    def next_due_s(self) -> float | None:
        """Seconds until the next pending job of ours is due (None: nothing pending)."""
        return self.queue.next_due_s()

    def save_rate_usage(self) -> None:
        """Keep the last rate-limit usage seen, for `sync status` in another process."""
        save_rate_usage(self.store, self.budgets())

    def rate_usage(self) -> dict[str, Any]:
        """What `save_rate_usage` stored, per application."""
        return rate_usage(self.store)

    # Talking to Strava ---------------------------------------------------------------------

    async def backfill(
        self,
        account_id: int,
        since_s: float | None = None,
        *,
        progress: Callable[[BackfillProgress], None] | None = None,
        cancel: CancelCheck | None = None,
    ) -> BackfillProgress:
        """Walk an owner's history now, queueing child copies (see sync.strava.backfill)."""
        return await _backfill.backfill(
            self.ctx, account_id, since_s, progress=progress, cancel=cancel
        )

    async def poll(self, owner: Account) -> int:
        """List the owner's new activities (and any backfill) and queue child copies."""
        return await _poll.poll(self.ctx, owner)

    async def poll_all(self, report: RunReport | None = None) -> int:
        return await _poll.poll_all(self.ctx, None if report is None else report.errors)

    async def run_once(self, *, poll: bool = True, max_jobs: int | None = None) -> RunReport:
        """Queue finished sessions, poll owners, then run every due job."""
        report = RunReport()
        report.enqueued = await asyncio.to_thread(self.enqueue_finished)
        if poll:
            report.polled = await self.poll_all(report)
        report.ran = await drain(
            self.outbox, self.handlers(), max_jobs=max_jobs, stop_on=(RateLimited,)
        )
        await asyncio.to_thread(self.save_rate_usage)
        await asyncio.to_thread(purge_expired, self.store, self.clock)
        return report
