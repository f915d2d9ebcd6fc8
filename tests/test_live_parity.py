"""Live figures at stop equal the saved summary: one set of rules (issue 15, "one core").

No Qt needed: LiveSession is plain Python, so this runs in the headless job too.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.profile import Profile, Sex
from app.domain.samples import Sample
from app.domain.summary import MAX_HOLD_MS, Pause, SessionSummary, summarize
from app.domain.zones import Zones
from app.ui.live import LiveSession, LiveView

pytest.importorskip("numpy")  # the live chart arrays

T0 = 1_764_000_000_000
FULL = Profile(birth_year=1988, sex=Sex.FEMALE, weight_kg=61.0, resting_hr=52, max_hr=188)
WEIGHT_ONLY = Profile(weight_kg=75.0)  # no sex/age: kcal from the sport's MET over moving time
PROFILES = (FULL, WEIGHT_ONLY, Profile())


def _close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def _assert_live_equals_saved(view: LiveView, saved: SessionSummary) -> None:
    assert _close(view.elapsed_s, saved.duration_s), (view.elapsed_s, saved.duration_s)
    assert _close(view.moving_s, saved.moving_s), (view.moving_s, saved.moving_s)
    assert _close(view.kcal, saved.kcal), (view.kcal, saved.kcal)
    for got, want in zip(view.zone_s, saved.zone_s, strict=True):
        assert _close(got, want), (view.zone_s, saved.zone_s)
    assert _close(view.distance_m, saved.distance_m), (view.distance_m, saved.distance_m)
    assert view.steps == saved.steps
    assert view.samples == saved.sample_count
    assert view.summary == saved  # every other figure (avg/max HR, TRIMP, RMSSD ...) too


def test_strap_and_foot_pod_standing_still_half_the_session() -> None:
    # Reported: the dashboard showed 450 s moving / 91.9 kcal, the saved session 300 s / 61.3.
    strap = [Sample(T0 + i * 1000, hr=140, source="strap") for i in range(600)]
    pod = [
        Sample(T0 + i * 1000 + 500, speed=3.0 if i < 300 else 0.0,
               cadence=170.0 if i < 300 else 0.0, source="pod")
        for i in range(600)
    ]  # fmt: skip
    samples = sorted(strap + pod, key=lambda s: s.t_ms)
    end = T0 + 600_000
    live = LiveSession(WEIGHT_ONLY, T0, sport="run")
    for i in range(0, len(samples), 5):
        live.add(samples[i : i + 5])
    view = live.view(end)
    saved = summarize(samples, T0, end, WEIGHT_ONLY, "run")
    assert saved.moving_s == pytest.approx(300.0)
    assert saved.kcal == pytest.approx(9.8 * 75.0 * 300 / 3600)  # 61.25
    _assert_live_equals_saved(view, saved)


@dataclass
class Session:
    """A merged multi-source stream with pauses, as the recorder would store it."""

    samples: list[Sample]
    pauses: list[Pause]
    end_ms: int
    profile: Profile
    zones: Zones | None
    batches: list[int]


GAPS = st.sampled_from([250, 1000, 1000, 1000, 1000, 990, 1010, MAX_HOLD_MS + 1, 12_000])


@st.composite
def sessions(draw: st.DrawFn) -> Session:
    samples: list[Sample] = []
    t = T0 + draw(st.integers(0, 1500))
    for _ in range(draw(st.integers(0, 40))):  # chest strap: HR + RR
        t += draw(GAPS)
        rr = tuple(draw(st.lists(st.floats(300.0, 1500.0), max_size=3)))
        samples.append(Sample(t, hr=draw(st.integers(40, 200)), rr=rr, source="strap"))
    t, distance, steps = T0 + draw(st.integers(0, 1500)), 0.0, 0
    for _ in range(draw(st.integers(0, 40))):  # foot pod: speed, cadence, steps, distance
        t += draw(GAPS)
        speed = draw(st.sampled_from([0.0, 0.0, 0.3, 2.5, 3.4]))
        distance += speed
        steps += draw(st.integers(0, 3))
        samples.append(Sample(t, speed=speed, cadence=0.0 if speed < 0.5 else 172.0,
                              distance=round(distance, 2) if draw(st.booleans()) else None,
                              steps=steps, source="pod"))  # fmt: skip
    t = T0 + draw(st.integers(0, 1500))
    for _ in range(draw(st.integers(0, 25))):  # power meter, some with crank cadence
        t += draw(GAPS)
        power = draw(st.sampled_from([0.0, 180.0, 321.5]))
        cadence = draw(st.sampled_from([None, 0.0, 88.0]))
        samples.append(Sample(t, power=power, cadence=cadence, source="pm"))
    if draw(st.booleans()):  # a feed with measured MET now and then
        t = T0 + draw(st.integers(0, 20_000))
        samples.append(Sample(t, met=draw(st.sampled_from([3.5, 9.0])), source="feed"))
    samples.sort(key=lambda s: s.t_ms)  # stable: the store's ORDER BY t_ms, id
    last = max((s.t_ms for s in samples), default=T0)
    edges = sorted(draw(st.lists(st.integers(T0, last + 2000), max_size=4, unique=True)))
    pauses = [Pause(edges[i], edges[i + 1] if i + 1 < len(edges) else None)
              for i in range(0, len(edges), 2)]  # fmt: skip
    batches = draw(st.lists(st.integers(1, 9), min_size=1, max_size=5))
    return Session(
        samples=samples,
        pauses=pauses,
        end_ms=last + draw(st.integers(0, 9000)),
        profile=draw(st.sampled_from(PROFILES)),
        zones=draw(st.sampled_from([None, Zones((100.0, 120.0, 140.0, 160.0, 175.0))])),
        batches=batches,
    )


def _replay(s: Session, on_batch: Callable[[LiveSession, int], None] | None = None) -> LiveSession:
    """Feed the stream as the GUI does: uneven batches, pause/resume at their instants."""
    live = LiveSession(s.profile, T0, sport="run", zones_override=s.zones)
    marks = sorted([(p.start_ms, "pause") for p in s.pauses]
                   + [(p.end_ms, "resume") for p in s.pauses if p.end_ms is not None])  # fmt: skip
    pending: list[Sample] = []
    i = 0

    def flush() -> None:
        if pending:
            live.add(list(pending))
            newest = max(p.t_ms for p in pending)
            pending.clear()
            if on_batch is not None:
                on_batch(live, newest)

    for sample in s.samples:
        while marks and marks[0][0] <= sample.t_ms:
            flush()
            t, kind = marks.pop(0)
            live.pause(t) if kind == "pause" else live.resume(t)
        pending.append(sample)
        if len(pending) >= s.batches[i % len(s.batches)]:
            i += 1
            flush()
    flush()
    for t, kind in marks:  # pauses after the last sample
        live.pause(t) if kind == "pause" else live.resume(t)
    return live


@settings(max_examples=200, deadline=None)
@given(sessions())
def test_live_figures_at_stop_equal_the_saved_summary(s: Session) -> None:
    live = _replay(s)
    view = live.view(s.end_ms)
    saved = summarize(
        s.samples, T0, s.end_ms, s.profile, "run", s.pauses,
        [rr for smp in s.samples for rr in smp.rr], s.zones,
    )  # fmt: skip
    _assert_live_equals_saved(view, saved)


@settings(max_examples=150, deadline=None)
@given(sessions(), st.lists(st.integers(-1500, 9000), min_size=1, max_size=8))
def test_live_moving_never_exceeds_elapsed(s: Session, offsets: list[int]) -> None:
    # The wall clock may lag the sample clock (the demo strap runs up to 1 s ahead).
    def check(live: LiveSession, newest: int) -> None:
        for off in offsets:
            view = live.view(max(T0, newest + off))
            assert view.moving_s <= view.elapsed_s + 1e-9, (view.moving_s, view.elapsed_s)

    _replay(s, on_batch=check)
