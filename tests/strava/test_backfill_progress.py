"""`StravaSync.backfill`: the GUI's walk of an owner's history, with progress and Cancel.

Against the emulator (a real HTTP server on 127.0.0.1) with page_size 10.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import OWNER_ID, make_sync, run  # noqa: E402

from app.store.settings import STRAVA_BACKFILL, Settings  # noqa: E402
from sync.errors import RateLimited, Rejected  # noqa: E402
from sync.progress import Cancelled, CancelToken  # noqa: E402
from sync.strava.backfill import BackfillProgress  # noqa: E402
from sync.strava.enqueue import KIND_COPY  # noqa: E402

LIST = ("GET", "/api/v3/athlete/activities")


def _history(emulator, clock, n: int = 25) -> tuple[float, list[str]]:
    """`n` daily activities from 100 days ago; every other one names Max."""
    since = clock() - 100 * 86400
    for i in range(n):
        name = f"Walk with Max #{i}" if i % 2 else f"Solo #{i}"
        emulator.add_activity(OWNER_ID, name, since + i * 86400 + 3600, manual=True)
    return since, [f"Walk with Max #{i}" for i in range(n) if i % 2]


def _list_requests(emulator) -> int:
    return sum(1 for m, p in emulator.requests if m == LIST[0] and p.endswith(LIST[1]))


def _copies(sync) -> list[str]:
    return sorted(j.payload["name"] for j in sync.outbox.jobs(kind=KIND_COPY))


def test_progress_counts_pages_activities_and_copies(
    store, emulator, config, clock, family
) -> None:
    since, expected = _history(emulator, clock)
    seen: list[BackfillProgress] = []

    async def go(http):
        sync = make_sync(store, http, config, clock)
        final = await sync.backfill(family.owner.id, since, progress=seen.append)
        return sync, final

    sync, final = run(go)
    assert [p.pages for p in seen] == [0, 1, 2, 3]
    assert [p.activities for p in seen] == [0, 10, 20, 25]
    assert seen[-1].queued == final.queued == len(expected) == 12
    assert [p.last_page for p in seen[1:]] == [1, 2, 3]
    # The bar moves forward through the days the walked activities cover.
    days = [p.days for p in seen]
    assert days[0] == (0, 100) and days[1][0] < days[2][0] < days[3][0] <= 100
    assert final.done and final.days == (100, 100)
    assert _copies(sync) == sorted(expected)
    assert Settings(store).get(STRAVA_BACKFILL, family.owner.id) is None  # walked to the end


def test_cancel_between_pages_keeps_the_cursor_and_resumes(
    store, emulator, config, clock, family
) -> None:
    since, expected = _history(emulator, clock)
    token = CancelToken()

    def cancel_after_first_page(p: BackfillProgress) -> None:
        if p.pages == 1:
            token.cancel()  # as the Cancel button does, from another thread

    async def first(http):
        sync = make_sync(store, http, config, clock)
        with pytest.raises(Cancelled, match="stopped after 1 page"):
            await sync.backfill(
                family.owner.id, since, progress=cancel_after_first_page, cancel=token
            )
        return sync

    sync = run(first)
    assert _list_requests(emulator) == 1  # no page after the cancel
    assert Settings(store).get(STRAVA_BACKFILL, family.owner.id) == {"after": int(since), "page": 2}
    assert _copies(sync) == sorted(expected[:5])  # page 1 held activities 0..9

    async def resume(http):
        sync = make_sync(store, http, config, clock)
        return sync, await sync.backfill(family.owner.id, since)

    sync, final = run(resume)
    assert _list_requests(emulator) == 3  # pages 2 and 3 only: page 1 is not walked again
    assert final.pages == 2 and final.activities == 15 and final.done
    assert _copies(sync) == sorted(expected)  # each copy queued once


def test_a_new_date_starts_again_and_none_resumes(store, emulator, config, clock, family) -> None:
    since, _ = _history(emulator, clock)

    async def go(http):
        sync = make_sync(store, http, config, clock)
        with pytest.raises(Rejected, match="no backfill to resume"):
            await sync.backfill(family.owner.id)
        sync.start_backfill(family.owner.id, since - 86400)  # e.g. queued by the CLI
        Settings(store).set(STRAVA_BACKFILL, {"after": int(since), "page": 3}, family.owner.id)
        resumed = await sync.backfill(family.owner.id)  # no date: continue the cursor
        restarted = await sync.backfill(family.owner.id, since + 10 * 86400)
        return resumed, restarted

    resumed, restarted = run(go)
    assert (resumed.pages, resumed.activities) == (1, 5)
    assert (restarted.pages, restarted.activities) == (2, 15)  # days 10..24 from page 1


def test_rate_limit_ends_the_walk_and_keeps_the_cursor(
    store, emulator, config, clock, family
) -> None:
    since, _ = _history(emulator, clock)
    emulator.set_limits(overall=(2, 100_000), read=(2, 100_000))

    async def go(http):
        sync = make_sync(store, http, config, clock)
        with pytest.raises(RateLimited) as err:
            await sync.backfill(family.owner.id, since)
        return sync, err.value

    sync, exc = run(go)
    assert exc.retry_after_s and exc.retry_after_s > 0
    cursor = Settings(store).get(STRAVA_BACKFILL, family.owner.id)
    assert cursor is not None and cursor["page"] >= 2  # the walked pages count
    assert emulator.count_429 <= 1


def test_only_an_owner_with_named_children_backfills(
    store, emulator, config, clock, family
) -> None:
    async def go(http):
        sync = make_sync(store, http, config, clock)
        with pytest.raises(Rejected, match="is a child"):
            await sync.backfill(family.max.id, clock() - 86400)

    run(go)
    assert emulator.requests == []
