"""The Strava panel's backfill: its start day as a cursor, the long task, what it says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate

from sync.errors import RateLimited

if TYPE_CHECKING:  # the engine module loads httpx: not on the GUI thread
    from app.services.strava import StravaService
    from sync.strava.engine import BackfillProgress

#: A long task's work (app.ui.tasks): given progress and cancel, run on a worker thread.
BackfillWork = Callable[[Callable[..., None], Callable[[], bool]], "BackfillProgress"]


def utc_midnight(date: QDate) -> float:
    """The start of `date` in UTC, in epoch seconds (the same day gives the same cursor)."""
    return datetime(date.year(), date.month(), date.day(), tzinfo=UTC).timestamp()


def backfill_label(p: BackfillProgress) -> str:
    return f"page {p.pages} · {p.activities:,} activities · {p.queued:,} copies queued"


def backfill_work(strava: StravaService, owner_id: int, since_s: float) -> BackfillWork:
    """Walk the owner's Strava from `since_s`, its days walked as the task's progress."""

    def work(progress: Callable[..., None], cancel: Callable[[], bool]) -> BackfillProgress:
        def report(p: BackfillProgress) -> None:
            done, total = p.days
            progress(done, total, backfill_label(p))

        return strava.backfill(owner_id, since_s, progress=report, cancel=cancel)

    return work


def backfill_done_text(day: str, p: BackfillProgress) -> str:
    """The outcome line: the copies are only queued, the background sync sends them."""
    return (
        f"Backfill from {day} done: {p.activities:,} activities walked, "
        f"{p.queued:,} copies queued; they are sent in the background."
    )


def backfill_failed_text(exc: BaseException) -> str:
    """A rate limit is a pause, not a failure: the cursor is kept and the sync resumes it."""
    if isinstance(exc, RateLimited):
        wait = f" in about {exc.retry_after_s / 60:.0f} min" if exc.retry_after_s else ""
        return (
            "Backfill paused: Strava's rate limit is reached. It resumes where it "
            f"stopped{wait} with the background sync (or press Backfill again later)."
        )
    return f"Backfill failed: {exc}"
