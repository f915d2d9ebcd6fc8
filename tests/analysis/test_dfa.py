"""DFA α1 against series of known scaling and against neurokit2 on the same RR.

Known scaling (means of 20 series of 4000 beats): DFA with boxes of 4-16 beats reads white
noise and fGn a little high (H 0.3 -> 0.41, 0.5 -> 0.58, 0.7 -> 0.77, 0.9 -> 0.96: the
small-box bias of DFA1, Kantelhardt et al. 2001; neurokit2 gives the same numbers). So white
noise is 0.5 +/- 0.1, fGn within [H - 0.02, H + 0.13], Brownian noise 1.5 +/- 0.05.
neurokit2: `fractal_dfa(nn, scale=range(4, 17), overlap=False)` is Kubios' non-overlapping
DFA and agrees to 1e-9; its default `overlap=True` differs by up to ~0.07 on a 2-minute
window and its `hrv_nonlinear` uses boxes 4-11: neither is what Kubios reports.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.domain.dfa import (
    MIN_BEATS,
    Alpha1Tracker,
    Alpha1Window,
    alpha1,
    alpha1_series,
    alpha1_zone,
    thresholds,
)
from app.domain.hrv_metrics import mark_beats

from .series import fgn, rr

nk = pytest.importorskip("neurokit2")


def _mean_alpha(make, n: int = 20) -> float:  # type: ignore[no-untyped-def]
    values = [alpha1(make()) for _ in range(n)]
    assert all(v is not None for v in values)
    return float(np.mean(values))  # type: ignore[arg-type]


def test_white_noise_is_about_half() -> None:
    rng = np.random.default_rng(1)
    assert _mean_alpha(lambda: rr(rng.standard_normal(4000))) == pytest.approx(0.5, abs=0.1)


def test_brownian_noise_is_about_one_and_a_half() -> None:
    rng = np.random.default_rng(2)
    a = _mean_alpha(lambda: rr(np.cumsum(rng.standard_normal(4000))))
    assert a == pytest.approx(1.5, abs=0.05)


@pytest.mark.parametrize("hurst", [0.3, 0.5, 0.7, 0.9])
def test_fractional_gaussian_noise_reads_its_hurst_exponent(hurst: float) -> None:
    rng = np.random.default_rng(int(hurst * 100))
    a = _mean_alpha(lambda: rr(fgn(4000, hurst, rng)))
    assert hurst - 0.02 <= a <= hurst + 0.13  # the small-box bias reads high, most at low H


def test_order_of_correlation_is_kept() -> None:
    rng = np.random.default_rng(3)
    values = [_mean_alpha(lambda h=h: rr(fgn(2000, h, rng)), 5) for h in (0.3, 0.6, 0.9)]
    assert values == sorted(values)


@pytest.mark.parametrize("seed", range(6))
def test_alpha1_matches_neurokit2_non_overlapping(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rr(fgn(int(rng.integers(MIN_BEATS, 600)), float(rng.uniform(0.2, 0.95)), rng))
    ref, _ = nk.fractal_dfa(x, scale=range(4, 17), overlap=False)
    assert alpha1(x) == pytest.approx(ref, abs=1e-9)


def test_every_window_matches_neurokit2_on_its_beats() -> None:
    rng = np.random.default_rng(7)
    x = rr(fgn(2500, 0.8, rng), 550.0, 15.0)
    c = mark_beats(x)
    windows = alpha1_series(c)
    assert len(windows) > 10
    for w in windows[::7]:
        sel = (c.nn_t_s > w.end_s - 120) & (c.nn_t_s <= w.end_s)
        ref, _ = nk.fractal_dfa(c.nn_ms[sel], scale=range(4, 17), overlap=False)
        assert w.alpha1 == pytest.approx(ref, abs=1e-9)
        assert w.beats == int(sel.sum())


def test_neurokit2_defaults_are_not_kubios() -> None:
    """The reason the comparison names its options: the defaults give other numbers."""
    rng = np.random.default_rng(8)
    x = rr(fgn(240, 0.7, rng))
    overlap, _ = nk.fractal_dfa(x, scale=range(4, 17))
    short, _ = nk.fractal_dfa(x, scale=range(4, 12), overlap=False)
    ours = alpha1(x)
    assert ours is not None
    assert abs(overlap - ours) > 1e-6 and abs(short - ours) > 1e-6
    assert overlap == pytest.approx(ours, abs=0.1)


def test_too_few_beats_or_constant_rr_give_none() -> None:
    assert alpha1([700.0] * (MIN_BEATS - 1)) is None
    assert alpha1([700.0] * 200) is None


def test_windows_flag_artefacts_over_five_percent() -> None:
    rng = np.random.default_rng(9)
    x = rr(rng.standard_normal(1500), 600.0, 20.0)
    x[300:330:2] *= 0.55  # 15 premature beats (and their neighbours' pauses stay normal)
    windows = alpha1_series(mark_beats(x))
    hit = [w for w in windows if w.artefacts]
    assert hit and all(w.artefact_share > 0.05 and not w.reliable for w in hit)
    clean = [w for w in windows if not w.artefacts]
    assert clean and all(w.reliable for w in clean)
    ends = [w.end_s for w in windows]
    assert ends[0] == 120.0 and np.allclose(np.diff(ends), 20.0)


def test_live_tracker_gives_the_batch_windows() -> None:
    rng = np.random.default_rng(10)
    x = rr(fgn(6000, 0.75, rng), 520.0, 18.0)
    for i in rng.integers(0, len(x), 40):
        x[i] *= rng.choice([2.0, 0.6, 0.1])
    batch = alpha1_series(mark_beats(x))
    tracker = Alpha1Tracker()
    live: list[Alpha1Window] = []
    i = 0
    while i < len(x):
        step = int(rng.integers(1, 4))
        live += tracker.add(x[i : i + step].tolist())
        i += step
    assert len(live) >= len(batch) - 1
    for a, b in zip(batch, live, strict=False):
        assert (a.end_s, a.beats, a.artefacts) == (b.end_s, b.beats, b.artefacts)
        assert b.alpha1 == pytest.approx(a.alpha1, abs=1e-9)
    assert tracker.latest == live[-1]


def test_zone_colours_follow_the_two_thresholds() -> None:
    assert [alpha1_zone(a) for a in (1.0, 0.75, 0.6, 0.5, 0.3, None)] == [
        "aerobic",
        "threshold",
        "threshold",
        "threshold",
        "anaerobic",
        None,
    ]


def test_thresholds_from_a_ramp_are_the_line_crossings() -> None:
    # α1 falls linearly with HR: 1.25 at 100 bpm, 0.25 at 200 bpm; power = 2 x HR.
    windows = [
        Alpha1Window(120.0 + 20 * i, 1.25 - 0.01 * (hr - 100), 200, 0, float(hr))
        for i, hr in enumerate(range(100, 201, 5))
    ]
    power = [2.0 * (w.mean_hr or 0) for w in windows]
    aerobic, anaerobic = thresholds(windows, power)
    assert aerobic.hr == pytest.approx(150.0) and aerobic.power_w == pytest.approx(300.0)
    assert anaerobic.hr == pytest.approx(175.0) and anaerobic.power_w == pytest.approx(350.0)


def test_thresholds_ignore_unreliable_windows_and_flat_lines() -> None:
    steady = [Alpha1Window(120.0 + 20 * i, 0.9, 200, 0, 140.0 + i % 2) for i in range(20)]
    aerobic, _ = thresholds(steady)
    assert aerobic.hr is None  # no fall, no crossing
    noisy = [
        Alpha1Window(120.0 + 20 * i, 1.2 - 0.05 * i, 100, 20, 100.0 + 5 * i) for i in range(20)
    ]
    assert thresholds(noisy)[0].hr is None  # all over 5 % artefacts
