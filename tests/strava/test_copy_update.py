"""Issue 17 #1: a copy or upload is done only once Strava confirmed its name and sport type."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import MAX_ID, OWNER_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402
from test_copies import watch_streams  # noqa: E402

from sync.outbox import DONE, PENDING  # noqa: E402
from sync.strava.engine import KIND_COPY, KIND_UPLOAD  # noqa: E402
from sync.strava.enqueue import copy_external_id  # noqa: E402
from sync.strava.ledger import LedgerState, LedgerStore  # noqa: E402


def _puts(emulator, activity_id: int) -> int:
    return sum(1 for m, p in emulator.requests if m == "PUT" and p.endswith(f"/{activity_id}"))


def _posts(emulator) -> int:
    return sum(1 for m, p in emulator.requests if m == "POST" and p.endswith("/uploads"))


def test_copy_put_failing_once_is_sent_again_and_the_sport_is_right(
    store, emulator, config, clock, family
) -> None:
    source = emulator.add_activity(
        OWNER_ID, "Trail run with Max", clock() - 1800, sport_type="TrailRun",
        streams=watch_streams(),
    )  # fmt: skip
    emulator.inject("PUT", r"/activities/\d+$", status=500, times=1)

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        first = sync.outbox.jobs(kind=KIND_COPY)
        row = LedgerStore(store).open(family.max.id, copy_external_id(source))
        assert row.state is LedgerState.UPDATING  # the copy exists, its PUT is not confirmed
        clock.advance(3600)  # past the retry's backoff
        await sync.run_once(poll=False)
        return sync, first

    sync, first = run(go)
    (failed,) = first
    assert failed.state == PENDING and failed.last_error.startswith("ServerError")
    (job,) = sync.outbox.jobs(kind=KIND_COPY)
    assert job.state == DONE
    (copy,) = emulator.activities_of(MAX_ID)  # one copy: the retry did not upload again
    assert copy["sport_type"] == "TrailRun" and copy["name"] == "Trail run with Max"
    assert _puts(emulator, copy["id"]) == 2  # the failed PUT, then the retry's
    assert _posts(emulator) == 1
    assert LedgerStore(store).open(family.max.id, copy_external_id(source)).state == "ready"


def test_upload_put_failing_once_is_sent_again(store, emulator, config, clock, family) -> None:
    sid = make_session(store, clock(), title="Squats", sport="strength", gps=False)
    emulator.inject("PUT", r"/activities/\d+$", status=500, times=1)

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        states = [r["state"] for r in sync.remote_for_session(sid)]
        clock.advance(3600)
        await sync.run_once(poll=False)
        return sync, states

    sync, states = run(go)
    assert states == ["updating"]
    (job,) = sync.outbox.jobs(kind=KIND_UPLOAD)
    assert job.state == DONE
    (act,) = emulator.activities_of(OWNER_ID)
    assert act["sport_type"] == "WeightTraining"
    assert _puts(emulator, act["id"]) == 2 and _posts(emulator) == 1
    assert [r["state"] for r in sync.remote_for_session(sid)] == ["ready"]
