"""Session HRV figures: the artefact rule equals hrv_analysis's, the time-domain and Poincaré
figures equal neurokit2's on the same NN series (tolerance 1e-9 relative; pNN50 after
neurokit2's divisor, the number of intervals instead of the number of differences), and the
Lomb-Scargle band powers recover sinusoids of known amplitude (within 5 %)."""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.hrv_analysis import (
    NEIGHBOURS,
    RR_MAX_MS,
    RR_MIN_MS,
    TOLERANCE,
    analyse,
)
from app.domain.hrv_metrics import (
    Beat,
    lomb_scargle,
    mark_beats,
    poincare,
    spectrum,
    time_domain,
)

rr_value = st.one_of(
    st.floats(500, 1100),
    st.floats(100, 3000),
    st.just(float("nan")),
)


# The rule written out beat by beat, as the method describes it (the reference the vectorised
# implementation must give exactly).
def _reference(rr: Sequence[float], i: int) -> float | None:
    window = [
        x
        for j in range(max(0, i - NEIGHBOURS), min(len(rr), i + NEIGHBOURS + 1))
        if j != i and RR_MIN_MS <= (x := rr[j]) <= RR_MAX_MS
    ]
    return statistics.median(window) if window else None


def _after_premature(rr: Sequence[float], kinds: Sequence[str], i: int) -> bool:
    if i == 0 or kinds[i - 1] != "bad":
        return False
    ref = _reference(rr, i - 1)
    return ref is not None and rr[i - 1] < ref


def _interpolate(rr: Sequence[float], good: Sequence[int], i: int) -> float:
    pos = bisect.bisect_left(good, i)
    before = good[pos - 1] if pos > 0 else None
    after = good[pos] if pos < len(good) else None
    if before is not None and after is not None:
        frac = (i - before) / (after - before)
        return rr[before] + (rr[after] - rr[before]) * frac
    if before is not None:
        return float(rr[before])
    if after is not None:
        return float(rr[after])
    return float("nan")


def reference_correct(rr_ms: Sequence[float]) -> tuple[list[float], int, int, int]:
    kinds: list[str] = []
    for i, x in enumerate(rr_ms):
        if not (math.isfinite(x) and RR_MIN_MS <= x <= RR_MAX_MS):
            kinds.append("range")
            continue
        ref = _reference(rr_ms, i)
        if ref is None or abs(x - ref) <= TOLERANCE * ref:
            kinds.append("ok")
        elif abs(x - 2 * ref) <= TOLERANCE * 2 * ref and not _after_premature(rr_ms, kinds, i):
            kinds.append("missed")
        else:
            kinds.append("bad")
    good = [i for i, k in enumerate(kinds) if k == "ok"]
    out: list[float] = []
    for i, (x, k) in enumerate(zip(rr_ms, kinds, strict=True)):
        if k == "ok":
            out.append(float(x))
        elif k == "missed":
            out.extend((x / 2.0, x / 2.0))
        else:
            out.append(_interpolate(rr_ms, good, i))
    return out, kinds.count("missed"), kinds.count("bad"), kinds.count("range")


@settings(max_examples=300, deadline=None)
@given(st.lists(rr_value, max_size=80))
def test_marks_give_the_beat_by_beat_rule_exactly(rr: list[float]) -> None:
    nn, missed, ectopic, out = reference_correct(rr)
    c = mark_beats(rr)
    np.testing.assert_array_equal(c.nn_ms, np.asarray(nn, dtype=float))
    assert (c.count(Beat.MISSED), c.count(Beat.ECTOPIC), c.count(Beat.OUT_OF_RANGE)) == (
        missed,
        ectopic,
        out,
    )


def test_kinds_and_times_of_marked_beats() -> None:
    rr = [800.0] * 20 + [1600.0] + [800.0] * 10 + [450.0, 1150.0] + [800.0] * 10 + [5000.0]
    rr += [800.0] * 10
    c = mark_beats(rr)
    assert c.kinds[20] == Beat.MISSED and c.kinds[31] == Beat.ECTOPIC
    assert c.kinds[32] == Beat.ECTOPIC  # the compensatory pause is not a missed beat
    assert c.kinds[43] == Beat.OUT_OF_RANGE
    assert len(c.nn_ms) == len(rr) + 1 and c.nn_ms[20] == c.nn_ms[21] == 800.0
    assert c.beat_t_s[20] == pytest.approx(22 * 0.8)  # the split beat ends with its second half
    assert c.nn_artefact.sum() == 5
    assert c.artefact_share == pytest.approx(4 / len(rr))


def _neurokit_rr(n: int, seed: int) -> np.ndarray:  # type: ignore[type-arg]
    rng = np.random.default_rng(seed)
    return np.round(800 + 40 * np.sin(np.arange(n) / 5) + 25 * rng.standard_normal(n))


@pytest.mark.parametrize("seed", range(3))
def test_time_domain_and_poincare_match_neurokit2(seed: int) -> None:
    nk = pytest.importorskip("neurokit2")
    nn = _neurokit_rr(400, seed)
    peaks = np.concatenate(([0], np.cumsum(nn))).astype(int)  # 1000 Hz sample indices
    ref_t = nk.hrv_time(peaks, sampling_rate=1000).iloc[0]
    ref_p = nk.hrv_nonlinear(peaks, sampling_rate=1000).iloc[0]
    t = time_domain(nn)
    p = poincare(nn)
    assert p is not None
    rel = 1e-9
    assert t.mean_rr_ms == pytest.approx(ref_t["HRV_MeanNN"], rel=rel)
    assert t.sdnn_ms == pytest.approx(ref_t["HRV_SDNN"], rel=rel)
    assert t.rmssd_ms == pytest.approx(ref_t["HRV_RMSSD"], rel=rel)
    assert t.sdsd_ms == pytest.approx(ref_t["HRV_SDSD"], rel=rel)
    assert t.pnn50 * (len(nn) - 1) / len(nn) == pytest.approx(ref_t["HRV_pNN50"], rel=rel)
    assert p.sd1_ms == pytest.approx(ref_p["HRV_SD1"], rel=rel)
    assert p.sd2_ms == pytest.approx(ref_p["HRV_SD2"], rel=rel)


def test_time_domain_agrees_with_hrv_analysis_on_raw_rr() -> None:
    rng = np.random.default_rng(4)
    rr = 700 + 30 * rng.standard_normal(600)
    rr[[50, 200, 401]] *= 2.0
    rr[[120, 300]] *= 0.6
    ref = analyse(rr.tolist())
    t = time_domain(mark_beats(rr).nn_ms)
    assert t.mean_rr_ms == pytest.approx(ref.mean_nn_ms, rel=1e-12)
    assert t.sdnn_ms == pytest.approx(ref.sdnn_ms, rel=1e-9)
    assert t.rmssd_ms == pytest.approx(ref.rmssd_ms, rel=1e-12)


def test_lomb_scargle_equals_the_periodogram_on_an_even_grid() -> None:
    rng = np.random.default_rng(5)
    n, fs = 256, 4.0
    t = np.arange(n) / fs
    x = rng.standard_normal(n)
    x -= x.mean()
    k = np.arange(1, n // 2)
    freqs = k * fs / n
    expected = 2 * np.abs(np.fft.fft(x)[k]) ** 2 / (n * fs)  # one-sided PSD
    np.testing.assert_allclose(lomb_scargle(t, x, freqs), expected, rtol=1e-9)


def test_band_powers_recover_known_sinusoids() -> None:
    # RR modulated at 0.1 Hz (LF, 30 ms) and 0.25 Hz (HF, 20 ms): powers A^2/2 = 450 and 200.
    rr, t = [], 0.0
    while t < 600:
        x = 850 + 30 * math.sin(2 * math.pi * 0.1 * t) + 20 * math.sin(2 * math.pi * 0.25 * t)
        rr.append(x)
        t += x / 1000
    c = mark_beats(rr)
    s = spectrum(c.nn_t_s, c.nn_ms)
    assert s is not None and s.segments == 2
    assert s.lf_ms2 == pytest.approx(450, rel=0.05)
    assert s.hf_ms2 == pytest.approx(200, rel=0.05)
    assert s.lf_hf == pytest.approx(2.25, rel=0.05)
    assert s.vlf_ms2 < 10


def test_short_recordings_have_no_spectrum() -> None:
    c = mark_beats([800.0] * 100)  # 80 s
    assert spectrum(c.nn_t_s, c.nn_ms) is None
