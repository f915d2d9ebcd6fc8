"""Summary maths against values computed by hand from the published formulas."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.energy import keytel_kcal_per_min, met_kcal
from app.domain.hrv import rmssd
from app.domain.profile import Profile, Sex, effective_max_hr
from app.domain.samples import InvalidSample, Sample, validate
from app.domain.summary import Pause, summarize
from app.domain.trimp import trimp_increment
from app.domain.zones import Zones

T0 = int(datetime(2026, 1, 1, 8, 0, tzinfo=UTC).timestamp() * 1000)
PROFILE = Profile(birth_year=1990, sex=Sex.MALE, weight_kg=80, resting_hr=60, max_hr=180)


def test_karvonen_zone_floors() -> None:
    # reserve 120 bpm: floors at 60 + 0.5*120 = 120, 132, 144, 156, 168
    zones = Zones.karvonen(60, 180)
    assert zones.floors_bpm == pytest.approx((120, 132, 144, 156, 168))
    assert [zones.zone_of(h) for h in (119, 120, 131.9, 132, 150, 167, 168, 200)] == [
        0,
        1,
        1,
        2,
        3,
        4,
        5,
        5,
    ]


def test_tanaka_max_hr_when_not_entered() -> None:
    # 208 - 0.7 * 36 = 182.8 -> 183
    assert effective_max_hr(Profile(birth_year=1990), 2026) == 183


def test_keytel_male_and_female() -> None:
    # male: (-55.0969 + 0.6309*150 + 0.1988*80 + 0.2017*36) / 4.184 = 62.7033/4.184
    assert keytel_kcal_per_min(150, 80, 36, Sex.MALE) == pytest.approx(62.7033 / 4.184, abs=1e-4)
    # female: (-20.4022 + 0.4472*150 - 0.1263*60 + 0.074*30) / 4.184 = 41.3198/4.184
    assert keytel_kcal_per_min(150, 60, 30, Sex.FEMALE) == pytest.approx(41.3198 / 4.184, abs=1e-4)
    assert keytel_kcal_per_min(40, 50, 20, Sex.MALE) == 0.0  # never negative


def test_met_kcal() -> None:
    assert met_kcal(8.0, 70, 1800) == pytest.approx(280.0)  # 8 MET x 70 kg x 0.5 h


def test_banister_trimp() -> None:
    # 30 min at HRr 0.5 (120 bpm with rest 60 / max 180): 30 * 0.5 * 0.64 * e^0.96
    assert trimp_increment(30, 120, 60, 180, Sex.MALE) == pytest.approx(30 * 0.32 * math.e**0.96)
    assert trimp_increment(30, 120, 60, 180, Sex.FEMALE) == pytest.approx(
        30 * 0.5 * 0.86 * math.e ** (1.67 * 0.5)
    )


def test_rmssd_by_hand_with_artefact_removed() -> None:
    # diffs 20, -10, 30 -> sqrt((400 + 100 + 900) / 3); the 600 ms jump is an artefact
    assert rmssd([800, 820, 810, 840]) == pytest.approx(math.sqrt(1400 / 3))
    assert rmssd([800, 820, 810, 840, 1440]) == pytest.approx(math.sqrt(1400 / 3))
    assert rmssd([800, 810]) is None


def _s(sec: float, **kw: float) -> Sample:
    return Sample(t_ms=T0 + int(sec * 1000), **kw)  # type: ignore[arg-type]


def test_summary_of_four_hr_samples() -> None:
    samples = [_s(0, hr=120), _s(1, hr=150), _s(2, hr=170), _s(3, hr=100)]
    s = summarize(samples, T0, T0 + 4000, PROFILE)
    assert s.duration_s == 4.0
    assert s.moving_s == 4.0  # HR-only: every unpaused second is active
    assert s.avg_hr == 135.0  # (120 + 150 + 170 + 100) / 4
    assert s.max_hr == 170
    assert s.zone_s == (1.0, 0.0, 1.0, 0.0, 1.0)  # 120 -> Z1, 150 -> Z3, 170 -> Z5, 100 -> none
    # Keytel per second = kcal/min / 60, age 36 in 2026, weight 80
    const = -55.0969 + 0.1988 * 80 + 0.2017 * 36
    expected = sum((const + 0.6309 * hr) / 4.184 / 60 for hr in (120, 150, 170, 100))
    assert s.kcal == pytest.approx(expected)
    assert s.kcal_method == "keytel2005"
    hrr = [(hr - 60) / 120 for hr in (120, 150, 170, 100)]
    assert s.trimp == pytest.approx(sum(x * 0.64 * math.exp(1.92 * x) / 60 for x in hrr))


def test_pause_excludes_samples_and_gap_is_capped() -> None:
    samples = [
        _s(0, hr=120, speed=3.0),
        _s(1, hr=180, speed=3.0),
        _s(2, hr=120, speed=3.0),
        _s(20, hr=120, speed=3.0),
    ]
    s = summarize(samples, T0, T0 + 21000, PROFILE, pauses=[Pause(T0 + 1000, T0 + 2000)])
    # sample at 1 s is paused; 2 s holds 5 s (gap cap), 0 s holds 1 s, 20 s holds 1 s
    assert s.moving_s == pytest.approx(7.0)
    assert s.max_hr == 120
    assert s.avg_speed == 3.0
    assert s.distance_m == pytest.approx(21.0)  # integrated speed x held time
    assert s.duration_s == 21.0


def test_cumulative_distance_and_cadence_without_zeros() -> None:
    samples = [
        _s(0, cadence=0, distance=100.0, steps=10),
        _s(1, cadence=170, distance=103.0),
        _s(2, cadence=180, distance=106.5, steps=16),
    ]
    s = summarize(samples, T0, T0 + 3000, Profile())
    assert s.distance_m == pytest.approx(6.5)
    assert s.avg_cadence == 175.0 and s.max_cadence == 180
    assert s.steps == 6
    assert s.moving_s == 2.0  # cadence 0 without speed = standing
    assert s.kcal is None and s.kcal_method == "none"  # no weight known


def test_met_fallback_when_profile_incomplete() -> None:
    samples = [_s(0, hr=120), _s(1, hr=130)]
    s = summarize(samples, T0, T0 + 2000, Profile(weight_kg=70), sport="run")
    assert s.kcal_method == "met_sport"
    assert s.kcal == pytest.approx(9.8 * 70 * 2 / 3600)


@pytest.mark.parametrize(
    "bad",
    [
        Sample(t_ms=T0, hr=300),
        Sample(t_ms=T0, speed=float("nan")),
        Sample(t_ms=T0, power=float("inf")),
        Sample(t_ms=T0, hr=True),  # type: ignore[arg-type]
        Sample(t_ms=T0, rr=(50.0,)),
        Sample(t_ms=T0, rr=(float("nan"),)),
        Sample(t_ms=T0, rr=("800",)),  # type: ignore[arg-type]
        Sample(t_ms=T0, cadence="90"),  # type: ignore[arg-type]
        Sample(t_ms=T0, lat=-90.5),
        Sample(t_ms=0, hr=80),
    ],
)
def test_validate_rejects_impossible_values(bad: Sample) -> None:
    with pytest.raises(InvalidSample):
        validate(bad)


def test_validate_takes_every_kind_of_real_number() -> None:
    import numpy as np

    ok = Sample(t_ms=T0, hr=np.float64(120.0), cadence=90, speed=0.0, lat=-90.0, lon=180.0,
                rr=(200.0, 3000))  # fmt: skip
    assert validate(ok) is ok


def test_bad_rr_values_are_dropped_alone() -> None:
    from app.domain.samples import drop_bad_rr

    kept, dropped = drop_bad_rr(Sample(t_ms=T0, hr=70, rr=(800.0, "x", float("nan"), 5000.0, 900)))  # type: ignore[arg-type]
    assert (kept.rr, kept.hr, dropped) == ((800.0, 900), 70, 3)


def test_interleaved_sensors_hold_their_own_channel() -> None:
    # A strap (HR) and a foot pod (cadence, speed) notify half a second apart.
    strap = [_s(t, hr=150) for t in (0, 1, 2, 3)]
    pod = [_s(t + 0.5, cadence=170, speed=3.0) for t in (0, 1, 2, 3)]
    samples = sorted(strap + pod, key=lambda s: s.t_ms)
    s = summarize(samples, T0, T0 + 4000, PROFILE)
    assert s.zone_s == (0.0, 0.0, 4.0, 0.0, 0.0)  # HR 150 held 4 s, not 4 x 0.5 s
    assert s.moving_s == pytest.approx(3.5)  # from the pod's speed: 0.5 s .. 4 s
    assert s.distance_m == pytest.approx(10.5)
    const = -55.0969 + 0.1988 * 80 + 0.2017 * 36
    assert s.kcal == pytest.approx((const + 0.6309 * 150) / 4.184 / 60 * 4)


def test_athlete_zones_reads_what_the_store_holds() -> None:
    from app.domain.profile import Profile
    from app.domain.zones import athlete_zones

    p = Profile(resting_hr=60, max_hr=180)
    karvonen = (120, 132, 144, 156, 168)
    assert athlete_zones(p, "karvonen", None, 2026) == (Zones(karvonen), None)
    assert athlete_zones(p, "percent_max", None, 2026)[0].floors_bpm == pytest.approx(
        (90, 108, 126, 144, 162)
    )
    assert athlete_zones(p, "custom", [100, 110, 120, 130, 140], 2026)[0].floors_bpm == (
        100,
        110,
        120,
        130,
        140,
    )
    assert athlete_zones(p, "custom", "[100, 110, 120, 130, 140]", 2026)[0].floors_bpm[0] == 100
    for bad in ("not json", "[1, 2]", [140, 130, 120, 110, 100], {"a": 1}, ["x"] * 5):
        zones, problem = athlete_zones(p, "custom", bad, 2026)
        assert zones.floors_bpm == pytest.approx(karvonen), bad
        assert problem and "Karvonen" in problem, bad


_ANY_VALUE = st.one_of(
    st.none(),
    st.integers(-3000, 20_000_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=2),
)


@settings(max_examples=400, deadline=None)
@given(
    t_ms=st.integers(-5, 10**13),
    values=st.lists(_ANY_VALUE, min_size=11, max_size=11),  # one per RANGES channel
    rr=st.lists(
        st.one_of(st.floats(allow_nan=True), st.integers(0, 5000), st.text(max_size=1)), max_size=4
    ),
)
def test_validate_fast_path_agrees_with_the_full_check(t_ms, values, rr) -> None:
    """validate()'s straight pass accepts exactly what the channel-by-channel check accepts."""
    from app.domain.samples import RANGES, checked

    sample = Sample(t_ms, rr=tuple(rr), **dict(zip(RANGES, values, strict=True)))

    def outcome(check) -> str:
        try:
            check(sample)
        except InvalidSample as exc:
            return f"invalid: {exc}"
        return "ok"

    assert outcome(validate) == outcome(checked)
