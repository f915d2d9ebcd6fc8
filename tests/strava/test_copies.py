"""Activities arriving on the owner's Strava from elsewhere are copied to named children."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import LUNA_ID, MAX_ID, OWNER_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402

from sync.outbox import DEAD, DONE  # noqa: E402
from sync.strava.engine import KIND_COPY, copy_external_id  # noqa: E402


def watch_streams(n: int = 20, gps: bool = True) -> dict[str, list]:
    streams = {
        "time": list(range(0, n * 2, 2)),
        "heartrate": [130 + i for i in range(n)],
        "cadence": [86] * n,
        "distance": [5.0 * i for i in range(n)],
        "watts": [200] * n,
    }
    if gps:
        streams["latlng"] = [[47.0 + i * 1e-4, 8.0] for i in range(n)]
        streams["altitude"] = [400.0] * n
    return streams


def test_poll_copies_named_activities_with_streams_and_manual_ones(
    store, emulator, config, clock, family
) -> None:
    start = clock() - 1800
    gps = emulator.add_activity(OWNER_ID, "Evening run with Maxi", start, streams=watch_streams())
    indoor = emulator.add_activity(
        OWNER_ID,
        "Treadmill, luna watching",
        start - 7200,
        sport_type="VirtualRun",
        streams=watch_streams(gps=False),
    )
    manual = emulator.add_activity(
        OWNER_ID, "Walk: Max", start - 9000, sport_type="Walk", manual=True, elapsed=2400
    )
    emulator.add_activity(OWNER_ID, "Maximum intervals", start - 600, streams=watch_streams())
    emulator.add_activity(OWNER_ID, "Old run with Max", start - 30 * 86400, streams=watch_streams())

    async def go(http):
        sync = make_sync(store, http, config, clock)
        r1 = await sync.run_once()
        r2 = await sync.run_once()  # the next poll finds nothing new to copy
        return sync, r1, r2

    sync, r1, r2 = run(go)
    assert r1.polled == 3 and r2.ran == 0
    assert all(j.state == DONE for j in sync.outbox.jobs())
    max_acts = {a["name"]: a for a in emulator.activities_of(MAX_ID)}
    assert set(max_acts) == {"Evening run with Maxi", "Walk: Max"}
    copy = max_acts["Evening run with Maxi"]
    assert copy["external_id"] == copy_external_id(gps)
    # Its streams carry power, which GPX cannot: TCX, as for uploads (GPX only when lossless).
    assert copy["data_type"] == "tcx.gz" and copy["sport_type"] == "Run"
    assert copy["streams"]["watts"] == [200] * 20
    assert copy["start"] == start
    assert copy["streams"]["heartrate"] == watch_streams()["heartrate"]
    assert copy["streams"]["cadence"] == [86] * 20  # per-leg cadence kept as is
    walk = max_acts["Walk: Max"]
    assert walk["manual"] and walk["elapsed_time"] == 2400 and walk["sport_type"] == "Walk"
    (luna,) = emulator.activities_of(LUNA_ID)
    assert luna["data_type"] == "tcx.gz" and luna["sport_type"] == "VirtualRun"
    assert luna["streams"]["watts"] == [200] * 20
    assert luna["external_id"] == copy_external_id(indoor)
    assert manual not in {a["id"] for a in emulator.activities_of(OWNER_ID) if a["manual"] is False}


def test_own_uploads_are_not_copied_twice(store, emulator, config, clock, family) -> None:
    make_session(store, clock(), title="Run with Max")

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        clock.advance(600)
        await sync.run_once()  # the poll now sees the uploaded activity on the owner
        return sync

    sync = run(go)
    assert len(emulator.activities_of(MAX_ID)) == 1
    assert sync.outbox.jobs(kind=KIND_COPY) == []


def test_manual_copy_interrupted_is_parked_not_duplicated(
    store, emulator, config, clock, family
) -> None:
    emulator.add_activity(OWNER_ID, "Hike with Max", clock() - 600, manual=True)
    emulator.inject("POST", r"/activities$", hang_s=3)  # the reply never comes (timeout)

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        clock.advance(3600)
        await sync.run_once()
        return sync

    sync = run(go)
    (job,) = sync.outbox.jobs(kind=KIND_COPY)
    assert job.state == DEAD and job.last_error.startswith("Uncertain")
    assert "check the child's Strava" in job.last_error
    assert len(emulator.activities_of(MAX_ID)) == 0  # the hung request created nothing here


def test_backfill_spans_rate_windows_without_a_single_429(
    store, emulator, config, clock, family
) -> None:
    emulator.set_limits(overall=(40, 100_000), read=(25, 100_000))
    since = clock() - 200 * 86400
    for i in range(45):
        name = "Run with Max" if i % 3 else "Solo run"
        emulator.add_activity(
            OWNER_ID, f"{name} #{i}", since + i * 86400 + 3600, streams=watch_streams(5)
        )
    expected = [f"Run with Max #{i}" for i in range(45) if i % 3]

    async def go(http):
        sync = make_sync(store, http, config, clock)
        sync.start_backfill(family.owner.id, since)
        windows = set()
        for _ in range(200):
            windows.add(int(clock() // 900))
            report = await sync.run_once()
            due = sync.next_due_s()
            if due is None and not report.errors and report.ran == 0:
                break
            clock.advance(max(due or 0, 1.0) if report.ran == 0 else 1.0)
        return sync, windows

    sync, windows = run(go)
    assert emulator.count_429 == 0
    assert len(windows) >= 3  # the work really needed several 15-minute windows
    assert sorted(a["name"] for a in emulator.activities_of(MAX_ID)) == sorted(expected)
    assert all(j.state == DONE for j in sync.outbox.jobs())


def test_source_deleted_before_copy_is_dead_with_reason(
    store, emulator, config, clock, family
) -> None:
    aid = emulator.add_activity(OWNER_ID, "Ride with Max", clock() - 600, streams=watch_streams())

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.poll_all()
        with emulator.lock:
            del emulator.activities[aid]  # the owner deleted it on Strava meanwhile
        await sync.run_once(poll=False)
        return sync

    sync = run(go)
    (job,) = sync.outbox.jobs(kind=KIND_COPY)
    assert job.state == DEAD and job.last_error.startswith("NotFound")
    assert emulator.activities_of(MAX_ID) == []


def test_a_copy_whose_streams_lack_positions_somewhere_goes_as_tcx() -> None:
    # Before: a copy went as GPX when any point had a position, dropping the others (and
    # any power); now the same rule as uploads: GPX only when it loses nothing.
    import xml.etree.ElementTree as ET

    from sync.files.common import Point
    from sync.strava.copies import _file_maker

    t0 = 1_767_000_000.0

    def point(i: int, located: bool, power: int | None = None) -> Point:
        lat, lon = (48.0 + i * 1e-5, 2.0) if located else (None, None)
        return Point(int((t0 + i) * 1000), lat, lon, None, 140, None, None, None, power)

    payload = {"elapsed_time": 30}
    dropout = [point(i, located=i < 10) for i in range(30)]
    content, kind, _, _ = _file_maker(dropout, payload, "Run", t0)
    assert kind == "tcx"
    ns = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}
    assert len(ET.fromstring(content).findall(".//t:Trackpoint", ns)) == 30
    powered = [point(i, located=True, power=200) for i in range(30)]
    assert _file_maker(powered, payload, "Ride", t0)[1] == "tcx"
    located = [point(i, located=True) for i in range(30)]
    assert _file_maker(located, payload, "Run", t0)[1] == "gpx"
