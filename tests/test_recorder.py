"""The recorder: batched commits, rejected samples counted, lifecycle markers, summary on stop."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest

from app.domain.samples import Sample
from app.recorder import Recorder
from app.store.repo import Store
from device.simulator import SimulatedStrap


class FakeClock:
    """Test clock: recorder timestamps (start, markers, stop) follow it, not the wall."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


async def _committed(store: Store, sid: int) -> int:
    return len(await asyncio.to_thread(store.load_samples, sid))


def test_writer_commits_within_the_flush_interval(store: Store) -> None:
    async def main() -> None:
        a = store.default_athlete()
        rec = await Recorder(store).start(a.id, flush_interval_s=0.2)
        for s in SimulatedStrap(seed=3, realtime=False, start_ms=1_000_000).generate(50):
            rec.submit(s)
        await asyncio.sleep(0.6)  # > 2 flush intervals: must be on disk without stop()
        assert await _committed(store, rec.session_id) == 50
        assert rec.stats.batches >= 1
        await rec.stop()

    asyncio.run(main())


def test_large_bursts_commit_early_in_bounded_transactions(store: Store) -> None:
    async def main() -> None:
        a = store.default_athlete()
        rec = await Recorder(store).start(a.id, flush_interval_s=30, max_batch=100)
        for s in SimulatedStrap(seed=3, realtime=False, start_ms=1_000_000).generate(1000):
            rec.submit(s)  # a burst: 1000 pending before the writer runs once
        # Long before the 30 s interval, the size trigger has committed the bulk.
        for _ in range(200):
            if await _committed(store, rec.session_id) >= 900:
                break
            await asyncio.sleep(0.01)
        assert await _committed(store, rec.session_id) >= 900
        summary = await rec.stop()
        assert summary.sample_count == 1000
        # never more rows than max_batch per transaction: the burst was split
        assert rec.stats.largest_batch == 100 and rec.stats.batches == 10

    asyncio.run(main())


def test_invalid_samples_are_counted_and_logged(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    async def main() -> None:
        a = store.default_athlete()
        rec = await Recorder(store).start(a.id)
        assert rec.submit(Sample(t_ms=1_700_000_000_000, hr=80))
        assert not rec.submit(Sample(t_ms=1_700_000_001_000, hr=400))
        assert not rec.submit(Sample(t_ms=1_700_000_002_000, speed=float("nan")))
        # one glitched RR value costs only itself, not the HR reading
        assert rec.submit(Sample(t_ms=1_700_000_003_000, hr=81, rr=(700.0, 20.0)))
        await rec.stop()
        assert rec.stats.rejected == 2 and rec.stats.stored == 2 and rec.stats.rejected_rr == 1
        assert store.load_rr(rec.session_id) == [700.0]

    with caplog.at_level(logging.WARNING):
        asyncio.run(main())
    assert sum("rejected sample" in r.message for r in caplog.records) == 2
    assert sum("out-of-range RR" in r.message for r in caplog.records) == 1


def test_pause_lap_stop_lifecycle(store: Store) -> None:
    clock = FakeClock(1_800_000_000.0)

    async def main() -> None:
        a = store.default_athlete()
        rec = await Recorder(store, clock=clock).start(a.id, sport="run")
        start = int(clock.t * 1000)
        for i in range(30):  # 1 Hz, moving; seconds 10..19 paused
            if i == 10:
                clock.t = 1_800_000_010.0
                await rec.pause()
            if i == 20:
                clock.t = 1_800_000_020.0
                await rec.resume()
                await rec.lap("km 1")
            rec.submit(Sample(t_ms=start + i * 1000, hr=120, speed=3.0))
        clock.t = 1_800_000_030.0
        summary = await rec.stop()
        assert summary.duration_s == 30.0
        assert summary.moving_s == 20.0
        kinds = [k for k, _, _ in store.load_markers(rec.session_id)]
        assert kinds == ["pause", "resume", "lap"]
        info = store.get_session(rec.session_id)
        assert info is not None and info.status == "finished" and info.samples == 30

    asyncio.run(main())


def test_source_failure_does_not_stop_the_session(store: Store) -> None:
    async def broken():  # noqa: ANN202
        yield Sample(t_ms=1_700_000_000_000, hr=90)
        raise ConnectionError("strap vanished")

    async def main() -> None:
        a = store.default_athlete()
        rec = await Recorder(store).start(a.id)
        rec.attach(broken(), name="strap")
        await rec.wait_sources()
        summary = await rec.stop()
        assert summary.sample_count == 1
        assert "strap vanished" in (rec.stats.last_error or "")

    asyncio.run(main())


def test_simulator_is_deterministic_and_physiological() -> None:
    a = list(SimulatedStrap(seed=7, realtime=False, start_ms=0).generate(900))
    b = list(SimulatedStrap(seed=7, realtime=False, start_ms=0).generate(900))
    assert a == b
    assert a != list(SimulatedStrap(seed=8, realtime=False, start_ms=0).generate(900))
    hrs = [s.hr for s in a if s.hr is not None]
    assert 60 <= min(hrs) and max(hrs) <= 185
    assert max(hrs[380:420]) > max(hrs[:60]) + 30  # intervals raise HR well above warm-up
    # RR intervals agree with HR: mean RR over a minute ~ 60000 / mean HR (within 8 %)
    window = a[300:360]
    rr = [x for s in window for x in s.rr]
    mean_hr = sum(s.hr for s in window if s.hr) / len(window)
    assert abs(sum(rr) / len(rr) - 60000 / mean_hr) / (60000 / mean_hr) < 0.08
    # about one beat per beat: the count of RR intervals matches HR x time
    assert abs(len(rr) - mean_hr) <= 0.08 * mean_hr
    cadences = [s.cadence for s in a[130:190] if s.cadence]
    assert all(150 <= c <= 190 for c in cadences)


def test_simulated_power_follows_effort_and_leaves_the_strap_unchanged() -> None:
    plain = list(SimulatedStrap(seed=7, realtime=False, start_ms=0).generate(600))
    powered = list(SimulatedStrap(seed=7, realtime=False, start_ms=0, power_w=300).generate(600))
    assert all(s.power is None for s in plain)
    # The same strap, HR, RR and all, with a power reading added to each sample.
    assert [replace(s, power=None) for s in powered] == plain
    watts = [s.power for s in powered]
    assert all(w is not None and w >= 0 for w in watts)
    warm_up, interval = watts[30:110], watts[130:170]  # effort 0.45, then 0.9 (DEFAULT_WORKOUT)
    assert 100 < sum(warm_up) / 80 < 170 and 240 < sum(interval) / 40 < 300  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("ahead_ms", "ends_at"),
    [(800, 800), (30 * 24 * 3600 * 1000, 5 * 60_000)],  # a strap just ahead; a clock gone wild
)
def test_a_session_ends_at_its_newest_plausible_sample(
    store: Store, ahead_ms: int, ends_at: int
) -> None:
    """The saved duration equals the dashboard's elapsed, which counts to the newest sample."""
    t0 = 1_764_000_000.0
    clock = FakeClock(t0)

    async def run() -> int:
        rec = await Recorder(store, clock=clock).start(store.default_athlete().id)
        clock.t = t0 + 60
        for i in range(60):
            rec.submit(Sample(t_ms=int(t0 * 1000) + i * 1000, hr=120))
        rec.submit(Sample(t_ms=int((t0 + 60) * 1000) + ahead_ms, hr=121))
        await rec.stop()
        return rec.session_id

    sid = asyncio.run(run())
    info = store.get_session(sid)
    assert info is not None and info.ended_ms == int((t0 + 60) * 1000) + ends_at
