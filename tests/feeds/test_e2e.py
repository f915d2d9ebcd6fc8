"""End to end: the simulator server, the client and the recorder into a real SQLite file."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from app.domain.samples import Sample
from app.feeds import FeedRecorder, LiveBroadcast, load_cursors, source_key
from app.recorder import Recorder
from app.store import models as m
from app.store.repo import Store
from device.feeds.client import FeedEndpoint, FeedSample
from device.feeds.server import TraceHub, TraceServer
from device.feeds.simulator import TraceSimulator, parse_faults

from .helpers import FAST, TOKEN, run

#: The faults the simulator sends, and the reject category each must be counted under.
REJECTS = {
    "malformed": "bad-json",
    "nan": "non-finite",
    "wrong-type": "wrong-type",
    "out-of-range": "out-of-range",
    "out-of-order": "non-monotonic",
    "huge": "oversize",
}


def stored_rows(store: Store, session_id: int) -> list[tuple[object, ...]]:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT t_ms, hr, cadence, speed, distance, steps, met, received_ms, device_id "
            "FROM samples WHERE session_id = ? ORDER BY id",
            (session_id,),
        ).all()


def stored_rr(store: Store, session_id: int) -> list[tuple[int, float]]:
    with store.engine.connect() as conn:
        return [
            (t, rr)
            for t, rr in conn.exec_driver_sql(
                "SELECT t_ms, rr_ms FROM rr_intervals WHERE session_id = ? ORDER BY id",
                (session_id,),
            ).all()
        ]


def expected_row(s: Sample) -> tuple[object, ...]:
    return (s.t_ms, s.hr, s.cadence, s.speed, s.distance, s.steps, s.met)


def test_twenty_athletes_with_drops_and_malformed_messages_store_exactly_what_was_sent(
    store: Store,
) -> None:
    """20 athletes x 4 Hz x 30 stream-seconds (5x speed) with every fault kind injected."""

    async def main() -> tuple[TraceSimulator, object, FeedRecorder]:
        hub = TraceHub()
        server = TraceServer(hub, TOKEN)
        await server.start()
        sim = TraceSimulator(
            hub,
            athletes=20,
            rate_hz=4,
            seed=42,
            speed=5,
            server=server,
            # Every 2.5 stream-s (0.5 s wall): each reject kind, a duplicate batch, two drops,
            # then three more rejects after the drops (12 faults in 30 s).
            faults=parse_faults(",".join([*REJECTS, "duplicate", "drop", "drop"]), every_s=2.5),
        )
        recorder = FeedRecorder(store, sport="run")
        client = recorder.client(FeedEndpoint(server.url, TOKEN), FAST)
        running = asyncio.create_task(recorder.run(client))
        await hub.wait_subscribers(1)
        await sim.run(30)
        report = await running  # ends when the server says `end`
        await server.close()
        return sim, report, recorder

    sim, report, recorder = run(main(), timeout=90)
    assert sim.sent_count() == 20 * 4 * 30
    assert sim.injected["drop"] >= 2 and report.disconnects >= 2  # type: ignore[attr-defined]
    assert report.ended  # type: ignore[attr-defined]
    # Every reject the simulator delivered is counted under its reason, nothing else is.
    expected_rejects = Counter(
        {reason: sim.delivered[fault] for fault, reason in REJECTS.items() if sim.delivered[fault]}
    )
    assert Counter(report.rejected) == expected_rejects  # type: ignore[attr-defined]
    # Faults sent before the first drop always reach the (subscribed) client.
    assert all(sim.delivered[fault] >= 1 for fault in REJECTS), sim.delivered
    assert sim.delivered["duplicate"] >= 1
    assert report.duplicates == 20 * sim.delivered["duplicate"]  # type: ignore[attr-defined]
    # One session per remote athlete with exactly the samples sent, in order, once each.
    results = {r.remote_athlete: r for r in report.athletes}  # type: ignore[attr-defined]
    assert sorted(results) == sorted(sim.ledger)
    for key, sent in sim.ledger.items():
        result = results[key]
        rows = stored_rows(store, result.session_id)
        assert [r[:7] for r in rows] == [expected_row(s) for s in sent], key
        assert all(r[7] is not None and r[8] is not None for r in rows)  # arrival, device
        assert stored_rr(store, result.session_id) == [(s.t_ms, rr) for s in sent for rr in s.rr]
        info = store.get_session(result.session_id)
        assert info is not None and info.status == "finished" and info.source == "feed"
        assert info.samples == len(sent) and info.avg_hr is not None
    assert report.stored == sim.sent_count()  # type: ignore[attr-defined]
    # Cursors (last device time) and clock offsets are kept per remote athlete.
    cursors = load_cursors(store, report.source)  # type: ignore[attr-defined]
    for athlete in sim.athletes:
        cursor = cursors[athlete.info.key]
        assert cursor.last_measured_ms == sim.ledger[athlete.info.key][-1].t_ms
        assert cursor.athlete_id == results[athlete.info.key].athlete_id
        assert cursor.clock_offset_ms is not None
    # Profiles from the feed reach the local athletes.
    first = store.athlete(results["a01"].athlete_id)
    assert first is not None and first.name.startswith("Sim Athlete 01")
    assert first.profile.weight_kg == sim.athletes[0].info.weight_kg


def test_a_second_run_resumes_from_stored_cursors_without_duplicates(store: Store) -> None:
    """Stop mid-feed (cursor save lost), start again: it resumes exactly where it stopped."""

    async def main() -> tuple[TraceSimulator, list[object]]:
        hub = TraceHub()
        server = TraceServer(hub, TOKEN)
        await server.start()
        sim = TraceSimulator(hub, athletes=3, rate_hz=20, seed=1, speed=1, server=server)
        endpoint = FeedEndpoint(server.url, TOKEN)
        stop = asyncio.Event()
        first = FeedRecorder(store)
        first_run = asyncio.create_task(first.run(first.client(endpoint, FAST), stop=stop))
        await hub.wait_subscribers(1)
        producing = asyncio.create_task(sim.run(3.0))
        await asyncio.sleep(1.0)
        stop.set()  # the operator stops recording; the simulator keeps going
        report1 = await first_run
        # As if the process had been killed before its last cursor save: the stored cursors
        # lag the committed samples by 2 s. The samples themselves say where to resume.
        with store.engine.begin() as conn:
            conn.exec_driver_sql(
                "UPDATE feed_cursors SET last_measured_ms = last_measured_ms - 2000"
            )
        await asyncio.sleep(0.5)
        second = FeedRecorder(store)
        report2 = await second.run(second.client(endpoint, FAST))  # resumes, runs to `end`
        await producing
        await server.close()
        return sim, [report1, report2]

    sim, reports = run(main(), timeout=60)
    per_athlete: dict[str, list[int]] = {k: [] for k in sim.ledger}
    for report in reports:
        assert report.athletes  # type: ignore[attr-defined]
        for r in report.athletes:  # type: ignore[attr-defined]
            per_athlete[r.remote_athlete] += [row[0] for row in stored_rows(store, r.session_id)]
    for key, sent in sim.ledger.items():
        assert per_athlete[key] == [s.t_ms for s in sent], key
    # Both runs map each remote athlete to the same local athlete.
    ids = [{r.remote_athlete: r.athlete_id for r in rep.athletes} for rep in reports]  # type: ignore[attr-defined]
    assert ids[0] == ids[1]
    assert reports[1].duplicates == 0  # type: ignore[attr-defined]


def test_live_broadcast_lets_a_coach_follow_a_recording(store: Store) -> None:
    """An athlete's recording is served on the LAN; a coach's Pulsedeck records it live."""

    async def main() -> tuple[list[Sample], list[tuple[object, ...]], object]:
        athlete = store.ensure_athlete("Runner")
        broadcast = LiveBroadcast("coach-token-of-real-length", host="127.0.0.1")
        await broadcast.start()
        recording = await Recorder(store).start(athlete.id, source="simulator")
        from device.feeds.protocol import RemoteAthlete

        broadcast.attach(recording, "runner", RemoteAthlete("runner", "Runner", None, 70.0))
        coach = FeedRecorder(store, athlete_names={"runner": "Runner (coached)"})
        client = coach.client(FeedEndpoint(broadcast.url, "coach-token-of-real-length"), FAST)
        following = asyncio.create_task(coach.run(client))
        await broadcast.hub.wait_subscribers(1)
        sent = [
            Sample(t_ms=1_764_000_000_000 + i * 1000, hr=120 + i, cadence=170.0) for i in range(25)
        ]
        for s in sent:
            assert recording.submit(s)
            await asyncio.sleep(0)
        await recording.stop()
        await broadcast.close()  # sends `end`
        report = await following
        [result] = report.athletes
        return sent, stored_rows(store, result.session_id), report

    sent, rows, report = run(main())
    assert [(r[0], r[1]) for r in rows] == [(s.t_ms, s.hr) for s in sent]
    with store.orm() as s:
        names = set(s.scalars(select(m.Athlete.name)))
    assert "Runner (coached)" in names
    assert source_key("ws://h:1/api/v1/traces?access_token=x") == "ws://h:1/api/v1/traces"


def test_feed_samples_carry_source_and_arrival_time() -> None:
    """The client keeps device time in t_ms and arrival time in received_ms."""

    async def main() -> list[FeedSample]:
        hub = TraceHub()
        server = TraceServer(hub, TOKEN)
        await server.start()
        sim = TraceSimulator(hub, athletes=1, rate_hz=50, seed=3, speed=1)
        from device.feeds.client import FeedClient

        client = FeedClient(FeedEndpoint(server.url, TOKEN), policy=FAST)
        got: list[FeedSample] = []

        async def consume() -> None:
            async for e in client.events():
                if isinstance(e, FeedSample):
                    got.append(e)

        task = asyncio.create_task(consume())
        await hub.wait_subscribers(1)
        await sim.run(1.0)
        await task
        await server.close()
        return got

    got = run(main())
    assert len(got) == 50
    offset = got[0].sample.received_ms - got[0].sample.t_ms  # type: ignore[operator]
    # The simulated device clock is off by a few seconds; the arrival time is ours.
    assert all(e.sample.source and e.sample.source.endswith("/a01") for e in got)
    assert all(
        abs((e.sample.received_ms - e.sample.t_ms) - offset) < 500  # type: ignore[operator]
        for e in got
    )
