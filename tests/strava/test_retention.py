"""Strava data kept no longer than the policy's cache (issue 17 #8), and child consent (#9)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import MAX_ID, OWNER_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402
from test_copies import watch_streams  # noqa: E402

from app.store.settings import STRAVA_POLL_AFTER, Settings  # noqa: E402
from sync.outbox import DONE, PENDING  # noqa: E402
from sync.strava.accounts import unlink  # noqa: E402
from sync.strava.consent import consent, set_copy_watch  # noqa: E402
from sync.strava.enqueue import KIND_COPY  # noqa: E402
from sync.strava.retention import CACHE_S, KEEP, purge_expired  # noqa: E402

NAME = "Secret lake loop with Max"


def _db_bytes(store) -> bytes:
    store.engine.dispose()
    return b"".join(p.read_bytes() for p in Path(store.path).parent.glob("pulsedeck.db*"))


def _copy_jobs(sync):
    return [j for j in sync.outbox.jobs() if j.kind == KIND_COPY]


def test_a_finished_copy_keeps_only_ids(store, emulator, config, clock, family) -> None:
    emulator.add_activity(
        OWNER_ID, NAME, clock() - 1800, sport_type="Hike", streams=watch_streams()
    )

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(go)
    (job,) = _copy_jobs(sync)
    assert job.state == DONE and set(job.payload) == KEEP
    assert [a["name"] for a in emulator.activities_of(MAX_ID)] == [NAME]
    assert NAME.encode() not in _db_bytes(store)


def test_an_unfinished_copy_forgets_the_summary_after_the_cache_and_reads_it_again(
    store, emulator, config, clock, family
) -> None:
    emulator.add_activity(
        OWNER_ID, NAME, clock() - 1800, sport_type="Hike", streams=watch_streams()
    )
    emulator.inject("POST", r"/uploads$", status=503, times=1)

    async def first(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(first)
    (job,) = _copy_jobs(sync)
    assert job.state == PENDING and job.payload["name"] == NAME  # cached while it waits
    clock.advance(CACHE_S + 60)
    assert purge_expired(store, clock) == 1
    (job,) = _copy_jobs(sync)
    assert set(job.payload) == KEEP

    async def later(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once(poll=False)
        return sync

    sync = run(later)
    assert [j.state for j in _copy_jobs(sync)] == [DONE]
    (copy,) = emulator.activities_of(MAX_ID)
    assert (copy["name"], copy["sport_type"]) == (NAME, "Hike")  # read again from Strava
    assert NAME.encode() not in _db_bytes(store)


def test_a_revoked_owner_leaves_no_strava_data(store, emulator, config, clock, family) -> None:
    emulator.add_activity(OWNER_ID, NAME, clock() - 1800, streams=watch_streams())
    emulator.inject("POST", r"/uploads$", status=503, times=1)
    run(lambda http: make_sync(store, http, config, clock).run_once())
    assert NAME.encode() in _db_bytes(store)  # a pending job's cache
    emulator.revoke_all(OWNER_ID)  # the user revoked Pulsedeck on strava.com
    clock.advance(7 * 3600)
    run(lambda http: make_sync(store, http, config, clock).run_once())
    assert NAME.encode() not in _db_bytes(store)
    assert Settings(store).get(STRAVA_POLL_AFTER, family.owner.id) is None


def test_unlink_purges_everything_derived_from_the_account(
    store, emulator, config, clock, family
) -> None:
    emulator.add_activity(OWNER_ID, NAME, clock() - 1800, streams=watch_streams())
    emulator.inject("POST", r"/uploads$", status=503, times=1)
    run(lambda http: make_sync(store, http, config, clock).run_once())
    run(lambda http: unlink(store, http, config, family.owner.id, clock=clock))
    from sync.outbox import Outbox

    assert Outbox(store).jobs() == []
    assert NAME.encode() not in _db_bytes(store)
    assert Settings(store).owners(STRAVA_POLL_AFTER) == {}
    assert consent(store, family.max.id).controlled_ms is None


def test_watch_copies_are_opt_in_per_child(store, emulator, config, clock, family) -> None:
    set_copy_watch(store, family.max.id, False)
    emulator.add_activity(OWNER_ID, "Watch run with Max", clock() - 1800, streams=watch_streams())
    make_session(store, clock() - 600, title="Pulsedeck run with Max")

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    run(go)
    assert [a["name"] for a in emulator.activities_of(MAX_ID)] == ["Pulsedeck run with Max"]
    set_copy_watch(store, family.max.id, True)
    run(go)
    assert sorted(a["name"] for a in emulator.activities_of(MAX_ID)) == [
        "Pulsedeck run with Max",
        "Watch run with Max",
    ]
    assert consent(store, family.max.id).controlled_ms is not None
