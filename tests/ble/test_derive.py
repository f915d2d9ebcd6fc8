"""Rollover-correct cadence, speed and distance; hold-then-zero; backoff and watchdog maths."""

from __future__ import annotations

import struct

import pytest

from device.ble import uuids as U
from device.ble.backoff import ReconnectPolicy, backoff_s, watchdog_remaining_s
from device.ble.decoders import decode_csc, decode_cycling_power
from device.ble.derive import (
    HOLD_S,
    MOD16,
    MOD32,
    RevolutionRate,
    delta16,
    delta32,
    derive_csc,
    derive_power,
    rate_per_minute,
)
from device.ble.samples import SampleBuilder


def crank(revs: int, t: int) -> bytes:
    return struct.pack("<BHH", 0x02, revs % MOD16, t % MOD16)


def wheel(revs: int, t: int) -> bytes:
    return struct.pack("<BIH", 0x01, revs % MOD32, t % MOD16)


def test_deltas_wrap() -> None:
    assert delta16(3, 65534) == 5
    assert delta16(0, 0) == 0
    assert delta32(2, 0xFFFFFFFF) == 3
    assert rate_per_minute(1, 1024, 1024) == 60.0
    assert rate_per_minute(1, 0, 1024) is None


def test_crank_count_and_event_time_rollover_give_the_true_cadence() -> None:
    # 90 rpm: one revolution every 2/3 s = 682.67 ticks; straddle both uint16 wraps.
    prev = decode_csc(crank(65535, 65300))
    cur = decode_csc(crank(65535 + 1, 65300 + 683))
    d = derive_csc(prev, cur)
    assert d.delta_crank_revs == 1 and d.delta_crank_time_raw_1024 == 683
    assert d.cadence_rpm == pytest.approx(60 * 1024 / 683)


def test_wheel_count_rolls_over_at_2_to_the_32() -> None:
    prev = decode_csc(wheel(0xFFFFFFFE, 65000))
    cur = decode_csc(wheel(0xFFFFFFFE + 4, 65000 + 1024))
    d = derive_csc(prev, cur, 2.0)
    assert d.delta_wheel_revs == 4
    assert d.speed_mps == pytest.approx(8.0)
    assert d.distance_delta_m == pytest.approx(8.0)


def test_power_wheel_time_is_in_1_2048_s() -> None:
    def cp(revs: int, t: int) -> bytes:
        return struct.pack("<HhIH", 0x0010, 200, revs, t % MOD16)

    d = derive_power(
        decode_cycling_power(cp(10, 65000)), decode_cycling_power(cp(12, 65000 + 2048)), 2.0
    )
    assert d.delta_wheel_revs == 2 and d.delta_wheel_time_raw == 2048
    assert d.speed_mps == pytest.approx(4.0)  # 2 revs in 1 s, not 2 s
    assert d.as_json()["delta_wheel_time_raw_2048"] == 2048


def test_revolution_rate_holds_then_falls_to_zero() -> None:
    r = RevolutionRate(MOD16, 1024, max_rps=5)
    assert r.update(100, 1000, 0.0) == (None, 0)  # baseline
    rate, revs = r.update(101, 2024, 1.0)
    assert rate == pytest.approx(1.0) and revs == 1
    assert r.update(101, 2024, 1.0 + HOLD_S / 2)[0] == pytest.approx(1.0)  # held
    assert r.update(101, 2024, 1.0 + HOLD_S + 0.1) == (0.0, 0)  # stopped pedalling
    rate, revs = r.update(102, 3048, 6.0)
    assert rate == pytest.approx(1.0) and revs == 1


def test_revolution_rate_rebaselines_on_reset_or_absurd_jump() -> None:
    r = RevolutionRate(MOD16, 1024, max_rps=5)
    r.update(5000, 1000, 0.0)
    assert r.update(10, 2000, 1.0) == (None, 0)  # counter ran backwards: sensor reset
    assert r.update(11, 3024, 2.0)[0] == pytest.approx(1.0)
    assert r.update(5000, 3100, 3.0) == (None, 0)  # thousands of revs in 75 ms: stale baseline
    r.reset()
    assert r.update(1, 1, 4.0) == (None, 0)


def test_revolution_rate_ignores_count_change_without_new_event_time() -> None:
    r = RevolutionRate(MOD16, 1024, max_rps=5)
    r.update(1, 1024, 0.0)
    r.update(2, 2048, 1.0)
    assert r.update(3, 2048, 1.5)[0] == pytest.approx(1.0)  # glitch: keep the last rate


def test_builder_cadence_is_continuous_across_rollover() -> None:
    b = SampleBuilder("CSC")
    t_ms = 1_700_000_000_000
    revs, ticks = 65530, 64000
    cadences = []
    for _ in range(20):  # 80 rpm: 768 ticks per revolution
        s = b.feed(U.CSC_MEASUREMENT, crank(revs, ticks), t_ms)
        if s is not None:
            cadences.append(s.cadence)
        revs, ticks, t_ms = revs + 1, ticks + 768, t_ms + 750
    assert len(cadences) == 19  # the first notification is the baseline
    assert all(c == pytest.approx(80.0) for c in cadences)


def test_builder_distance_survives_a_reconnect_and_never_jumps() -> None:
    b = SampleBuilder("SPD", wheel_circumference_m=2.0)
    t = 1_700_000_000_000
    b.feed(U.CSC_MEASUREMENT, wheel(100, 0), t)
    s = b.feed(U.CSC_MEASUREMENT, wheel(105, 1024), t + 1000)
    assert s is not None and s.distance == 10.0 and s.speed == pytest.approx(10.0)
    b.rebaseline()  # dropped and came back; the sensor kept counting meanwhile
    s = b.feed(U.CSC_MEASUREMENT, wheel(500, 9000), t + 60_000)
    assert s is not None and s.distance == 10.0 and s.speed is None  # no invented distance
    s = b.feed(U.CSC_MEASUREMENT, wheel(502, 10024), t + 61_000)
    assert s is not None and s.distance == 14.0


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(0, 0.0), (1, 0.25), (2, 0.5), (3, 1.0), (7, 15.0), (100, 15.0), (10_000, 15.0)],
)
def test_backoff_is_exponential_and_capped(attempt: int, expected: float) -> None:
    assert backoff_s(attempt, ReconnectPolicy(), rand=1.0) == pytest.approx(expected)


def test_backoff_jitter_stays_within_bounds() -> None:
    policy = ReconnectPolicy(first_backoff_s=1.0, jitter=0.2, max_backoff_s=100)
    assert backoff_s(1, policy, rand=0.0) == pytest.approx(0.8)
    assert backoff_s(1, policy, rand=0.5) == pytest.approx(0.9)
    assert backoff_s(1, policy, rand=0.999999) == pytest.approx(1.0, rel=1e-5)
    assert backoff_s(1, policy, rand=7.0) == pytest.approx(1.0)  # clamped


def test_watchdog_remaining() -> None:
    policy = ReconnectPolicy(watchdog_s=10)
    assert watchdog_remaining_s(100.0, 104.0, policy) == 6.0
    assert watchdog_remaining_s(100.0, 111.0, policy) < 0
