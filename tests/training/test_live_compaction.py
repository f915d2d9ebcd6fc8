"""The live goal tracker folds settled time into day totals: same figures, flat memory."""

from __future__ import annotations

import random

import pytest

from app.domain.pieces import PieceBuilder, sample_row
from app.domain.samples import Sample
from app.store.repo import Store
from app.training import live
from app.training.goals import GoalEngine
from app.training.live import GoalTracker

from .helpers import athlete, ms

START = ms(2026, 6, 3, 23, 0)  # an hour before midnight, Paris


def wandering_session(seed: int, n: int) -> list[Sample]:
    """Samples at 1-4 Hz with every channel coming and going, gaps and a counter reset."""
    rng = random.Random(seed)
    out: list[Sample] = []
    t, steps, dist = START, 0.0, 0.0
    for i in range(n):
        t += rng.choice((250, 500, 1000, 1000, 1000)) + (30_000 if rng.random() < 0.004 else 0)
        steps += rng.uniform(0, 3)
        dist += rng.uniform(0, 4)
        if i == n // 2:
            steps = 0.0  # a foot pod reset: no negative delta
        phase = (i // 500) % 4  # strap only, all channels, no HR, MET only
        out.append(
            Sample(
                t_ms=t,
                hr=None if phase in (2, 3) else rng.randint(90, 185),
                cadence=rng.uniform(0, 180) if phase in (1, 2) else None,
                speed=rng.uniform(0, 5) if phase == 1 else None,
                distance=round(dist, 1) if phase == 2 and rng.random() < 0.5 else None,
                steps=int(steps) if phase != 3 else None,
                met=rng.uniform(1, 10) if phase == 3 else None,
            )
        )
    # A last reading on every channel closes what the plain builder still holds (the compacted
    # one settled stale holds early: same pieces, sooner), so both trackers see the same time.
    out.append(Sample(t_ms=t + 1000, hr=120, cadence=80.0, speed=2.0, distance=dist + 5,
                      steps=int(steps) + 1, met=4.0))  # fmt: skip
    return out


def goals(store: Store, a: int) -> GoalEngine:
    """Every summed goal kind, weekly, out of reach (so only the values matter)."""
    e = GoalEngine(store, clock=lambda: START + 3_600_000)
    for kind in ("steps", "distance", "active_min", "kcal", "sessions"):
        e.add(a, kind, "weekly", 10**9)
    for zone in (1, 2, 3, 4, 5):
        e.add(a, "zone_min", "weekly", 10**9, zone=zone)
    return e


def tracker(
    e: GoalEngine, a: int, sid: int, *, compact_at: int, check_every_ms: int = 10**12
) -> GoalTracker:
    """A tracker that checks goals only when asked (the reference one is quadratic)."""
    t = GoalTracker(e, a, session_id=sid, sport="run", started_ms=START,
                    check_every_ms=check_every_ms)  # fmt: skip
    t._compact_at = compact_at  # the threshold as COMPACT_AT sets it, small here
    return t


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_compacted_tracker_matches_the_whole_session_summary(store, monkeypatch, seed) -> None:
    a = athlete(store)
    sid = store.create_session(a, sport="run", source="ble", started_ms=START)
    e = goals(store, a)
    whole = tracker(e, a, sid, compact_at=10**9)  # never compacts: the reference
    monkeypatch.setattr(live, "COMPACT_AT", 50)
    small = tracker(e, a, sid, compact_at=50)
    for s in wandering_session(seed, 6000):  # ~2 h: crosses midnight
        whole.feed(s)
        small.feed(s)
    assert len(whole.progress()) == 10
    assert small._frozen, "the test must exercise compaction"
    assert small._builder.size() < 200
    for w, c in zip(whole.progress(), small.progress(), strict=True):
        assert c.goal.id == w.goal.id
        assert c.value == pytest.approx(w.value, rel=1e-9, abs=1e-6), w.goal.describe()
    days_w, days_c = whole._live_days(), small._live_days()
    assert sorted(days_w) == sorted(days_c) and len(days_w) == 2
    for day, dw in days_w.items():
        dc = days_c[day]
        assert dc.steps == dw.steps and dc.sessions == dw.sessions
        for field in ("distance_m", "active_s", "hr_s", "kcal", "trimp", "avg_hr"):
            assert getattr(dc, field) == pytest.approx(getattr(dw, field), rel=1e-9), field
        assert dc.zone_s == pytest.approx(dw.zone_s, rel=1e-9)
        assert dc.max_hr == dw.max_hr


def test_settle_and_cut_do_not_change_the_pieces() -> None:
    rows = [sample_row(s) for s in wandering_session(7, 3000)]
    plain, settled = PieceBuilder(), PieceBuilder()
    taken: list[list[tuple[int, int, float]]] = [[], [], [], [], []]
    for i, row in enumerate(rows):
        plain.add(row)
        settled.add(row)
        if i % 97 == 0:
            settled.settle(row[0])
            cut = settled.cut_ms()
            assert cut is not None and cut <= row[0]
            for mine, part in zip(taken, settled.take_before(cut), strict=True):
                assert all(e <= cut for _, _, e in [(0, p[1], p[1]) for p in part])
                mine.extend(part)
    for channel, (mine, rest, ref) in enumerate(
        zip(taken, settled.pieces, plain.pieces, strict=True)
    ):
        got = mine + rest
        # Same coverage and integral; only split points (and early-settled holds) differ.
        assert sum(e - s for s, e, _ in got) == sum(e - s for s, e, _ in ref), channel
        assert sum(v * (e - s) for s, e, v in got) == pytest.approx(
            sum(v * (e - s) for s, e, v in ref), rel=1e-12
        )
        assert all(a[1] <= b[0] for a, b in zip(got, got[1:], strict=False)), "overlap"


def test_memory_stays_flat_over_a_long_session(store) -> None:
    a = athlete(store)
    sid = store.create_session(a, sport="run", source="ble", started_ms=START)
    t = tracker(goals(store, a), a, sid, compact_at=live.COMPACT_AT, check_every_ms=60_000)
    sizes = []
    for hour in range(6):
        for i in range(3600):
            step = hour * 3600 + i
            t.feed(Sample(t_ms=START + step * 1000, hr=100 + step % 80, steps=step * 2,
                          speed=3.0, cadence=170.0))  # fmt: skip
        sizes.append(t._builder.size())
    assert max(sizes) <= 2 * live.COMPACT_AT  # bounded, not ~4 pieces per sample
    assert len(t._frozen) <= 2  # one entry per calendar day touched
