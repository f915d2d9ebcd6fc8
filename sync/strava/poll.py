"""Polling owners' Strava activities and queueing copies for the children named in titles."""

from __future__ import annotations

import logging

from app.store.settings import STRAVA_POLL_AFTER, Settings

from ..errors import SyncError
from .accounts import OWNER, Account, list_accounts, watch_children
from .backfill import backfill_page
from .client import OK
from .context import StravaContext
from .routing import parse_time, route

log = logging.getLogger(__name__)

#: A watch may sync an activity days after it was recorded; each poll looks back this far
#: (one extra page at most) so late arrivals and renamed titles still route to children.
POLL_OVERLAP_S = 3 * 24 * 3600


async def poll(ctx: StravaContext, owner: Account) -> int:
    """List the owner's new activities (after any backfill pages) and queue child copies."""
    children = watch_children(ctx.store, owner.id)
    if not children:
        return 0
    client = ctx.client(owner)
    own = ctx.ledger.activity_ids(owner.id)
    queued = 0
    while (step := await backfill_page(ctx, owner, children, client, own)) is not None:
        queued += step.queued
    settings = Settings(ctx.store)
    cursor = settings.get(STRAVA_POLL_AFTER, owner.id)
    if cursor is None:
        cursor = owner.created_ms / 1000 - ctx.config.first_poll_lookback_s
    after = int(cursor) - POLL_OVERLAP_S
    newest = int(cursor)
    page_no = 1
    while True:
        page = await client.list_activities(after=after, page=page_no)
        queued += route(ctx, owner, children, page, own)
        for act in page:
            started = parse_time(act.get("start_date"))
            if started is not None:
                newest = max(newest, int(started))
        if len(page) < ctx.config.page_size:
            break
        page_no += 1
    settings.set(STRAVA_POLL_AFTER, newest, owner.id)
    return queued


async def poll_all(ctx: StravaContext, errors: list[str] | None = None) -> int:
    """Poll every usable owner; a failing owner is logged (and added to `errors`)."""
    n = 0
    for owner in list_accounts(ctx.store, OWNER):
        if owner.status != OK:
            continue
        try:
            n += await poll(ctx, owner)
        except SyncError as exc:
            log.warning("polling Strava account %s: %s", owner.id, exc)
            if errors is not None:
                errors.append(f"poll account {owner.id}: {exc}")
    return n
