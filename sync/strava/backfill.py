"""Walking an owner's Strava history page by page, queueing child copies; resumable.

The cursor {"after", "page"} is the owner's `STRAVA_BACKFILL` setting and moves after every
page, so a cancel or a 429 keeps it: the next `backfill` or the next poll continues from there.
Starting one (`start_backfill`) is database only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from app.store.repo import Store
from app.store.settings import STRAVA_BACKFILL, Settings

from ..errors import Rejected
from ..progress import CancelCheck, Cancelled
from .accounts import OWNER, Account, watch_children
from .client import StravaClient
from .context import StravaContext
from .routing import parse_time, route

__all__ = [
    "BackfillProgress",
    "backfill",
    "backfill_key",
    "backfill_page",
    "start_backfill",
]


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """How far a backfill walked: pages and activities seen, copies queued, dates covered."""

    since_s: float
    until_s: float
    reached_s: float
    pages: int = 0
    last_page: int = 0
    activities: int = 0
    queued: int = 0
    done: bool = False

    @property
    def days(self) -> tuple[int, int]:
        """(days covered, days in all) for a progress bar (activities come oldest first)."""
        total = max(1, round((self.until_s - self.since_s) / 86400))
        covered = round((min(self.reached_s, self.until_s) - self.since_s) / 86400)
        return max(0, min(total, covered)), total


@dataclass(frozen=True, slots=True)
class BackfillStep:
    """One page walked: its number, what it held, and whether it was the last."""

    page: int
    activities: int
    queued: int
    done: bool
    newest_s: float | None


def backfill_key(account_id: int) -> str:
    """The settings row holding an owner's resumable backfill cursor {"after", "page"}."""
    return STRAVA_BACKFILL.storage_key(account_id)


def start_backfill(store: Store, account_id: int, since_s: float) -> None:
    """Ask the next polls to walk the owner's history from `since_s` (resumable)."""
    Settings(store).set(STRAVA_BACKFILL, {"after": int(since_s), "page": 1}, account_id)


async def backfill_page(
    ctx: StravaContext,
    owner: Account,
    children: list[Account],
    client: StravaClient,
    own: set[str],
) -> BackfillStep | None:
    """Walk one page of the owner's backfill cursor and move the cursor; None: no cursor."""
    settings = Settings(ctx.store)
    cursor = settings.get(STRAVA_BACKFILL, owner.id)
    if cursor is None:
        return None
    page = await client.list_activities(after=cursor["after"], page=cursor["page"])
    queued = route(ctx, owner, children, page, own)
    done = len(page) < ctx.config.page_size
    settings.set(
        STRAVA_BACKFILL, None if done else {**cursor, "page": cursor["page"] + 1}, owner.id
    )
    starts = [s for s in (parse_time(a.get("start_date")) for a in page) if s is not None]
    return BackfillStep(int(cursor["page"]), len(page), queued, done, max(starts, default=None))


async def backfill(
    ctx: StravaContext,
    account_id: int,
    since_s: float | None = None,
    *,
    progress: Callable[[BackfillProgress], None] | None = None,
    cancel: CancelCheck | None = None,
) -> BackfillProgress:
    """Walk an owner's history now, page by page, queueing child copies (the GUI's task).

    With `since_s` equal to a stored cursor's date (or None) it resumes that cursor;
    another date starts again from page 1. A cancel (checked between pages, raising
    `Cancelled`) or a 429 (`RateLimited`) keeps the cursor where it is.
    """
    owner = ctx.usable(account_id)
    if owner.role != OWNER:
        raise Rejected(f"Strava account {account_id} is a child; backfill its owner")
    children = watch_children(ctx.store, owner.id)
    if not children:
        raise Rejected(
            "no child account takes copies of activities from elsewhere: link one with names "
            "and opt it in (`pulsedeck accounts set ID --copy-watch on`)"
        )
    settings = Settings(ctx.store)
    cursor = settings.get(STRAVA_BACKFILL, owner.id)
    if since_s is not None and (cursor is None or int(cursor["after"]) != int(since_s)):
        start_backfill(ctx.store, owner.id, since_s)
        cursor = settings.get(STRAVA_BACKFILL, owner.id)
    if cursor is None:
        raise Rejected("no backfill to resume: choose the date to start from")
    after = float(cursor["after"])
    report = BackfillProgress(after, ctx.clock(), reached_s=after)
    client = ctx.client(owner)
    own = ctx.ledger.activity_ids(owner.id)
    if progress is not None:
        progress(report)
    while True:
        if cancel is not None and cancel():
            raise Cancelled(
                f"stopped after {report.pages} page(s), {report.queued} copies queued; "
                "the background sync continues from the next page, or Backfill again"
            )
        step = await backfill_page(ctx, owner, children, client, own)
        if step is None:
            break
        report = replace(
            report,
            pages=report.pages + 1,
            last_page=step.page,
            activities=report.activities + step.activities,
            queued=report.queued + step.queued,
            reached_s=max(report.reached_s, step.newest_s or report.reached_s),
            done=step.done,
        )
        if progress is not None:
            progress(report)
        if step.done:
            break
    return replace(report, done=True, reached_s=max(report.reached_s, report.until_s))
