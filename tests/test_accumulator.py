"""The streaming accumulator behind summarize(): snapshots, pieces, RR, flat memory."""

from __future__ import annotations

import math
import tracemalloc

from hypothesis import given
from hypothesis import strategies as st

from app.domain.accumulator import RunningRmssd, SummaryAccumulator
from app.domain.hrv import rmssd
from app.domain.profile import Profile, Sex
from app.domain.samples import Sample
from app.domain.summary import Pause, summarize

T0 = 1_764_000_000_000
PROFILE = Profile(birth_year=1990, sex=Sex.MALE, weight_kg=80, resting_hr=60, max_hr=180)


@given(st.lists(st.floats(200.0, 3000.0), max_size=40), st.integers(0, 40))
def test_running_rmssd_equals_the_batch_formula(rr: list[float], cut: int) -> None:
    running = RunningRmssd()
    running.add(rr[:cut])  # delivered in two notifications
    running.add(rr[cut:])
    assert running.count == len(rr)
    assert running.value() == rmssd(rr)


def _run(i: int) -> Sample:
    return Sample(T0 + i * 1000, hr=120 + i % 40, speed=3.0 if i % 50 else 0.0,
                  cadence=170.0, distance=i * 3.0, steps=i * 3)  # fmt: skip


def test_snapshot_leaves_the_running_sums_alone() -> None:
    samples = [_run(i) for i in range(100)]
    acc = SummaryAccumulator(T0, PROFILE, "run", pauses=[Pause(T0 + 20_000, T0 + 30_000)])
    for s in samples[:60]:
        acc.add(s)
    early = acc.snapshot(T0 + 60_000)
    assert acc.snapshot(T0 + 60_000) == early  # reading twice gives the same figures
    for s in samples[60:]:
        acc.add(s)
    end = T0 + 101_000
    want = summarize(samples, T0, end, PROFILE, "run", [Pause(T0 + 20_000, T0 + 30_000)])
    assert acc.snapshot(end) == want
    assert early.moving_s < want.moving_s


def test_pause_and_resume_as_they_happen_equal_known_spans() -> None:
    samples = [_run(i) for i in range(60)]
    live = SummaryAccumulator(T0, PROFILE, "run")
    for s in samples:
        if s.t_ms == T0 + 10_000:
            live.pause(s.t_ms)
        if s.t_ms == T0 + 25_000:
            live.resume(T0 + 25_500)  # a little early: readings settle when the next arrives
        live.add(s)
    live.pause(T0 + 59_000)  # after the last reading, which settles only at the end
    end = T0 + 61_000
    pauses = [Pause(T0 + 10_000, T0 + 25_500), Pause(T0 + 59_000, None)]
    assert live.snapshot(end) == summarize(samples, T0, end, PROFILE, "run", pauses)


def test_memory_stays_flat_over_a_long_session() -> None:
    acc = SummaryAccumulator(T0, PROFILE, "run")
    for i in range(2_000):  # warm up: every attribute exists
        acc.add(_run(i))
        acc.add_rr((800.0, 810.0))
    tracemalloc.start()
    try:
        before = tracemalloc.take_snapshot()
        for i in range(2_000, 38_000):  # another 10 h at 1 Hz
            acc.add(_run(i))
            acc.add_rr((800.0, 810.0))
        grown = sum(d.size_diff for d in tracemalloc.take_snapshot().compare_to(before, "filename"))
    finally:
        tracemalloc.stop()
    assert grown < 4_000, grown  # a few objects, not a list of samples
    s = acc.snapshot(T0 + 38_000_000)
    assert s.sample_count == 38_000 and s.rr_count == 76_000
    assert s.rmssd_ms is not None and math.isclose(s.rmssd_ms, 10.0)
