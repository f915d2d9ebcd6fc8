"""Power analytics against hand-computed rides: constant power, and one interval ride."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.domain.load import normalized_power
from app.domain.power import (
    LIVE_WINDOWS_S,
    CurvePoint,
    RollingPower,
    best_curve,
    mean_max_curve,
    power_grid,
    rolling_mean,
    summarize_power,
    w_prime_balance,
)

T0 = 1_800_000_000_000


def ride(*blocks: tuple[int, float]) -> list[tuple[int, float]]:
    """1-Hz readings: (seconds, watts) blocks back to back."""
    out, t = [], T0
    for seconds, watts in blocks:
        for _ in range(seconds):
            out.append((t, watts))
            t += 1000
    return out


def test_constant_power_hour() -> None:
    s = summarize_power(ride((3600, 200.0)), ftp_w=250.0)
    assert s is not None
    assert (s.avg_w, s.max_w, s.np_w) == (200.0, 200.0, 200.0)
    assert s.vi == 1.0
    assert s.intensity == pytest.approx(0.8)
    assert s.tss == pytest.approx(64.0)  # 1 h x 0.8^2 x 100
    assert [p.watts for p in s.curve] == [200.0] * len(s.curve)
    assert s.curve[-1].duration_s == 3600


def test_interval_ride_by_hand() -> None:
    # 20 min at 300 W, then 20 min at 100 W; FTP 250 W.
    points = ride((1200, 300.0), (1200, 100.0))
    # NP by hand: 30-s rolling means end at seconds 30..2400 (2371 of them): 1171 at 300 W,
    # 29 across the change (k seconds of 100 W: 300 - 20k/3), 1171 at 100 W.
    fourth = 1171 * 300.0**4 + sum((300 - 20 * k / 3) ** 4 for k in range(1, 30)) + 1171 * 100.0**4
    np_hand = (fourth / 2371) ** 0.25
    s = summarize_power(points, ftp_w=250.0)
    assert s is not None
    assert s.np_w == pytest.approx(np_hand, rel=1e-12)
    assert s.np_w == pytest.approx(252.72, abs=0.01)
    assert s.avg_w == 200.0
    assert s.vi == pytest.approx(np_hand / 200.0)
    assert s.intensity == pytest.approx(np_hand / 250.0)
    assert s.tss == pytest.approx(40 / 60 * (np_hand / 250.0) ** 2 * 100)
    curve = {p.duration_s: p.watts for p in s.curve}
    assert curve[1] == curve[1200] == 300.0
    assert curve[1800] == pytest.approx((1200 * 300 + 600 * 100) / 1800)
    assert 3600 not in curve  # the ride is 40 minutes


def test_tss_uses_the_session_span_when_given() -> None:
    s = summarize_power(ride((1800, 250.0)), ftp_w=250.0, duration_s=3600.0)
    assert s is not None and s.tss == pytest.approx(100.0)


def test_grid_holds_readings_like_normalized_power() -> None:
    points = [(T0, 100.0), (T0 + 3000, 200.0), (T0 + 20_000, 300.0)]
    grid = power_grid(points)
    assert grid.tolist() == [100.0] * 3 + [200.0] * 5 + [300.0]  # gap over 5 s left out
    assert normalized_power(points) == pytest.approx(float(grid.mean()))  # < 30 s: the mean


def test_rolling_means() -> None:
    grid = np.asarray([0.0, 30.0, 60.0, 90.0, 120.0])
    assert rolling_mean(grid, 3).tolist() == [0.0, 15.0, 30.0, 60.0, 90.0]
    assert rolling_mean(np.full(100, 250.0), 30).tolist() == [250.0] * 100


def test_w_prime_balance_by_hand() -> None:
    # CP 250 W, W' 20 kJ: 5 min at 300 W spends 50 J/s; then 100 W recovers the deficit
    # by (CP - P) / W' = 0.75 % a second.
    grid = power_grid(ride((300, 300.0), (60, 100.0)))
    bal = w_prime_balance(grid, 250.0, 20_000.0)
    assert bal[299] == pytest.approx(5_000.0)
    assert bal[-1] == pytest.approx(20_000.0 - 15_000.0 * (1 - 150 / 20_000) ** 60)
    s = summarize_power(ride((300, 300.0), (60, 100.0)), cp_w=250.0, w_prime_j=20_000.0)
    assert s is not None and s.w_bal_min_j == pytest.approx(5_000.0)
    with pytest.raises(ValueError):
        w_prime_balance(grid, 0.0, 20_000.0)


def test_season_best_takes_each_duration_from_its_best_session() -> None:
    sprint = mean_max_curve(power_grid(ride((10, 900.0), (600, 150.0))))
    steady = mean_max_curve(power_grid(ride((1200, 280.0))))
    best = {p.duration_s: p for p in best_curve([(1, sprint), (2, steady)])}
    assert best[5] == CurvePoint(5, 900.0, 1)
    assert best[600] == CurvePoint(600, 280.0, 2)
    assert best[1200].session_id == 2 and math.isclose(best[1200].watts, 280.0)


def test_no_power_no_summary() -> None:
    assert summarize_power([]) is None


def _jittered(n: int, seed: int) -> list[tuple[int, float]]:
    """Readings 0.3-7 s apart (drop-outs beyond the hold included), zeros for coasting."""
    rng = np.random.default_rng(seed)
    t, out = T0, []
    for _ in range(n):
        t += int(rng.choice([1000, 1000, 1000, 300, 1700, 2400, 7000]))
        out.append((t, 0.0 if rng.random() < 0.05 else float(rng.normal(230, 60))))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rolling_power_equals_the_batch_functions_after_every_reading(seed: int) -> None:
    points = _jittered(400, seed)
    live = RollingPower()
    assert live.mean(3) is None and live.lap_mean() is None
    for k, (t, w) in enumerate(points, 1):
        live.add(t, w)
        grid = power_grid(points[:k])
        for seconds in LIVE_WINDOWS_S:
            assert live.mean(seconds) == pytest.approx(rolling_mean(grid, seconds)[-1], rel=1e-12)
        assert live.lap_mean() == pytest.approx(float(grid.mean()), rel=1e-12)


def test_rolling_power_laps_average_their_own_readings() -> None:
    points = _jittered(300, 4)
    cuts = (0, 70, 180, 300)
    live = RollingPower()
    closed = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a:
            closed.append(live.lap())
            assert live.lap_mean() is None  # a new lap before its first reading
        for t, w in points[a:b]:
            live.add(t, w)
        assert live.lap_mean() == pytest.approx(float(power_grid(points[a:b]).mean()))
        # The rolling means run across laps: the whole ride's grid.
        grid = power_grid(points[:b])
        assert live.mean(30) == pytest.approx(rolling_mean(grid, 30)[-1])
    assert closed == [
        pytest.approx(float(power_grid(points[a:b]).mean()))
        for a, b in zip(cuts[:2], cuts[1:3], strict=False)
    ]
    with pytest.raises(ValueError):
        live.mean(31)
