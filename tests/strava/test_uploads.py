"""Uploads of Pulsedeck sessions through the outbox to the Strava emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import LUNA_ID, MAX_ID, OWNER_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402

from sync.outbox import DEAD, DONE  # noqa: E402
from sync.strava.engine import KIND_UPLOAD, external_id  # noqa: E402


def test_gps_session_uploads_once_as_gpx_and_gets_its_sport(
    store, emulator, config, clock, family
) -> None:
    sid = make_session(store, clock(), title="Morning run", sport="run")

    async def go(http):
        sync = make_sync(store, http, config, clock)
        report = await sync.run_once()
        again = await sync.run_once()  # nothing left to do, nothing re-sent
        return sync, report, again

    sync, report, again = run(go)
    assert report.enqueued == 1 and report.ran == 1 and again.ran == 0
    acts = emulator.activities_of(OWNER_ID)
    assert len(acts) == 1
    act = acts[0]
    session = store.get_session(sid)
    assert act["external_id"] == external_id(session.uid)
    assert act["data_type"] == "gpx.gz"
    assert act["sport_type"] == "Run"
    assert act["streams"]["heartrate"][:3] == [120, 121, 122]
    assert set(act["streams"]["cadence"]) == {85}  # 170 steps/min is 85 per leg
    job = sync.outbox.jobs(kind=KIND_UPLOAD)[0]
    assert job.state == DONE and job.result == {"activity_id": str(act["id"]), "duplicate": False}
    assert sync.remote_for_session(sid)[0]["state"] == "ready"
    # No child is named in the title, so no copy anywhere.
    assert emulator.activities_of(MAX_ID) == [] and emulator.activities_of(LUNA_ID) == []


def test_indoor_session_uploads_as_tcx_and_sport_is_set(
    store, emulator, config, clock, family
) -> None:
    make_session(store, clock(), title="Gym", sport="strength", gps=False)
    run(lambda http: make_sync(store, http, config, clock).run_once())
    (act,) = emulator.activities_of(OWNER_ID)
    assert act["data_type"] == "tcx.gz"
    assert act["trainer"] is True
    assert act["sport_type"] == "WeightTraining"  # PUT /activities/{id} after processing


def test_child_named_in_title_gets_a_copy_whole_words_only(
    store, emulator, config, clock, family
) -> None:
    make_session(store, clock(), title="Trail run with max and LUNA", seed=1)
    make_session(store, clock() + 100, title="Maximum effort", seed=2)

    run(lambda http: make_sync(store, http, config, clock).run_once())
    assert len(emulator.activities_of(OWNER_ID)) == 2
    assert [a["name"] for a in emulator.activities_of(MAX_ID)] == ["Trail run with max and LUNA"]
    assert len(emulator.activities_of(LUNA_ID)) == 1


def test_processing_error_is_dead_with_reason_and_shown_per_session(
    store, emulator, config, clock, family
) -> None:
    sid = make_session(store, clock(), title="Run")
    emulator.fail_processing.add(external_id(store.get_session(sid).uid))

    def go(http):
        return make_sync(store, http, config, clock)

    async def main(http):
        sync = go(http)
        await sync.run_once()
        return sync

    sync = run(main)
    (job,) = sync.outbox.jobs(kind=KIND_UPLOAD)
    assert job.state == DEAD
    assert "Improperly formatted data" in job.last_error
    assert sync.remote_for_session(sid)[0]["state"] == "error"
    assert emulator.activities_of(OWNER_ID) == []
    # The user fixes things and retries: the same external id goes up again and succeeds.
    emulator.fail_processing.clear()

    async def retry(http):
        sync = go(http)
        sync.outbox.retry(job.id)
        await sync.run_once()
        return sync

    sync = run(retry)
    assert sync.outbox.get(job.id).state == DONE
    assert len(emulator.activities_of(OWNER_ID)) == 1


def test_slow_processing_polls_with_backoff_then_resumes_same_upload(
    store, emulator, config, clock, family
) -> None:
    make_session(store, clock(), title="Run")
    emulator.polls_to_ready = 50  # longer than the poll budget of one job run

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(go)
    (job,) = sync.outbox.jobs(kind=KIND_UPLOAD)
    assert job.state == "pending" and "still processing" in job.last_error
    delays = clock.slept
    assert delays[:4] == [1.0, 2.0, 4.0, 8.0] and max(delays) == 8.0
    uploads_before = len(emulator.uploads)
    emulator.polls_to_ready = 0
    clock.advance(60)
    run(go)
    assert len(emulator.uploads) == uploads_before  # polled the same upload, no second POST
    assert len(emulator.activities_of(OWNER_ID)) == 1


def test_server_errors_retry_with_backoff(store, emulator, config, clock, family) -> None:
    make_session(store, clock(), title="Run")
    emulator.inject("POST", r"/uploads$", status=503, times=2)

    async def go(http):
        sync = make_sync(store, http, config, clock)
        for _ in range(3):
            await sync.run_once(poll=False)
            clock.advance(3600)
        return sync

    sync = run(go)
    (job,) = sync.outbox.jobs(kind=KIND_UPLOAD)
    assert job.state == DONE and job.attempts == 3
    assert len(emulator.activities_of(OWNER_ID)) == 1


def test_gps_lost_early_goes_as_tcx_keeping_every_reading(
    store, emulator, config, clock, family
) -> None:
    from app.domain.samples import Sample

    athlete = store.default_athlete()
    t0 = int(clock() * 1000)
    sid = store.create_session(
        athlete.id, sport="run", source="ble", started_ms=t0, title="Tunnel run"
    )
    store.insert_samples(
        sid,
        [
            Sample(
                t_ms=t0 + i * 1000,
                hr=130 + i % 20,
                lat=1.0 + i * 1e-5 if i < 5 else None,
                lon=2.0 if i < 5 else None,
            )
            for i in range(40)
        ],
    )
    store.finish_session(sid, t0 + 40_000)
    run(lambda http: make_sync(store, http, config, clock).run_once())
    (act,) = emulator.activities_of(OWNER_ID)
    assert act["data_type"] == "tcx.gz"
    assert len(act["streams"]["heartrate"]) == 40


@pytest.mark.parametrize(("gps", "kind"), [(True, "gpx"), (False, "tcx")])
def test_an_hour_uploads_gzipped_20x_smaller(store, emulator, config, clock, family, gps, kind):
    from sync.strava.context import StravaContext
    from sync.strava.upload import build_file

    sid = make_session(store, clock(), title="Long run", n=3600, gps=gps)
    run(lambda http: make_sync(store, http, config, clock).run_once(poll=False))
    ((data_type, sent),) = emulator.upload_sizes
    ctx = StravaContext(store, config, None, None)  # type: ignore[arg-type]
    plain = len(build_file(ctx, sid)[0])
    assert data_type == f"{kind}.gz"
    assert plain / sent >= 20, (plain, sent)
