"""Session HRV the way Kubios reports it: marked artefacts, time, frequency and Poincaré figures.

Artefacts: `mark_beats` is app.domain.hrv_analysis's rule (Lipponen & Tarvainen 2019,
simplified: 300-2000 ms range, median of 5 neighbours each side, missed beats split, others
interpolated) in numpy, for whole sessions (hrv_analysis.correct takes ~0.2 s for 3 hours);
tests/analysis proves it gives the same series and counts as `hrv_analysis.correct`. RMSSD is
app.domain.hrv.rmssd; SDNN and mean NN follow hrv_analysis.analyse; pNN50, SDSD, SD1/SD2 and
the spectrum are added here.

Spectrum: Lomb-Scargle periodogram on the unevenly spaced NN series (no resampling, so no
interpolation filter on HF), over consecutive 5-minute segments (a shorter recording of at
least 2 minutes is one segment), each linearly detrended, then averaged. Bands (Task Force
1996): VLF 0.0033-0.04 Hz, LF 0.04-0.15 Hz, HF 0.15-0.4 Hz; powers in ms².
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from .hrv import rmssd
from .hrv_analysis import NEIGHBOURS, RR_MAX_MS, RR_MIN_MS, TOLERANCE

FloatArray = npt.NDArray[np.float64]

LF_BAND, HF_BAND, VLF_BAND = (0.04, 0.15), (0.15, 0.40), (0.0033, 0.04)
SEGMENT_S = 300.0
#: LF needs at least a few of its slowest cycles (0.04 Hz = 25 s): Task Force's 2-minute floor.
MIN_SEGMENT_S = 120.0
#: Frequency grid step of the periodogram, Hz (half a 5-minute segment's resolution).
DF_HZ = 1.0 / 600.0


class Beat(IntEnum):
    """What the artefact rule made of one received RR interval."""

    OK = 0
    MISSED = 1  # about twice the local rhythm: split into two equal intervals
    ECTOPIC = 2  # more than 20 % off the local rhythm: interpolated
    OUT_OF_RANGE = 3  # outside 300-2000 ms (or not a number): interpolated


@dataclass(frozen=True, slots=True)
class Corrected:
    """An RR series after correction, with what happened to each received beat.

    `kinds[i]` is received beat i's `Beat`; `nn_ms` is the corrected series (a missed beat
    becomes two entries); `nn_t_s[j]` the end of NN interval j in seconds from the first
    beat's start; `nn_artefact[j]` whether entry j was corrected; `beat_t_s[i]` the time of
    received beat i (the end of its last NN entry).
    """

    rr_ms: FloatArray
    kinds: npt.NDArray[np.int8]
    nn_ms: FloatArray
    nn_t_s: FloatArray
    nn_artefact: npt.NDArray[np.bool_]
    beat_t_s: FloatArray

    def count(self, kind: Beat) -> int:
        return int(np.count_nonzero(self.kinds == kind))

    @property
    def artefact_share(self) -> float:
        n = len(self.kinds)
        return float(np.count_nonzero(self.kinds != Beat.OK)) / n if n else 0.0


def _references(x: FloatArray, valid: npt.NDArray[np.bool_]) -> FloatArray:
    """Median of the in-range RRs among up to NEIGHBOURS on each side (NaN when none)."""
    n = len(x)
    pad = np.full(n + 2 * NEIGHBOURS, np.nan)
    pad[NEIGHBOURS : NEIGHBOURS + n] = np.where(valid, x, np.nan)
    win = np.lib.stride_tricks.sliding_window_view(pad, 2 * NEIGHBOURS + 1).copy()
    win[:, NEIGHBOURS] = np.nan  # the beat itself is left out
    win.sort(axis=1)  # NaN sorts last
    k = np.count_nonzero(~np.isnan(win), axis=1)
    rows = np.arange(n)
    lo = win[rows, np.maximum(k - 1, 0) // 2]
    hi = win[rows, np.maximum(k, 0) // 2]
    ref = (lo + hi) / 2.0
    ref[k == 0] = np.nan
    return np.asarray(ref, dtype=np.float64)


def mark_beats(rr_ms: Sequence[float] | FloatArray) -> Corrected:
    """Classify and correct every RR interval (hrv_analysis's rule, vectorised)."""
    x = np.asarray(rr_ms, dtype=np.float64)
    n = len(x)
    finite = np.isfinite(x)
    valid = finite & (x >= RR_MIN_MS) & (x <= RR_MAX_MS)
    ref = _references(x, valid) if n else np.zeros(0)
    has_ref = ~np.isnan(ref)
    with np.errstate(invalid="ignore"):
        ok = valid & (~has_ref | (np.abs(x - ref) <= TOLERANCE * ref))
        candidate = valid & ~ok & (np.abs(x - 2 * ref) <= TOLERANCE * 2 * ref)
        premature = valid & ~ok & has_ref & (x < ref)  # never a missed candidate (< 0.8 ref)
    after_premature = np.zeros(n, dtype=bool)
    after_premature[1:] = premature[:-1]
    missed = candidate & ~after_premature
    kinds = np.full(n, Beat.ECTOPIC, dtype=np.int8)
    kinds[ok] = Beat.OK
    kinds[missed] = Beat.MISSED
    kinds[~valid] = Beat.OUT_OF_RANGE

    value = x.copy()
    fix = ~ok & ~missed
    good = np.flatnonzero(ok)
    if np.any(fix):
        idx = np.flatnonzero(fix)
        if len(good) == 0:
            value[idx] = np.nan
        else:
            pos = np.searchsorted(good, idx, side="left")
            before = good[np.maximum(pos - 1, 0)]
            after = good[np.minimum(pos, len(good) - 1)]
            inner = (pos > 0) & (pos < len(good))
            frac = (idx - before) / np.where(inner, after - before, 1)
            interp = x[before] + (x[after] - x[before]) * frac
            value[idx] = np.where(inner, interp, np.where(pos == 0, x[after], x[before]))
    reps = np.where(missed, 2, 1)
    nn = np.repeat(np.where(missed, value / 2.0, value), reps)
    flags = np.repeat(kinds != Beat.OK, reps)
    t = np.cumsum(np.nan_to_num(nn)) / 1000.0
    last_entry = np.cumsum(reps) - 1
    return Corrected(x, kinds, nn, t, flags, t[last_entry] if n else np.zeros(0))


@dataclass(frozen=True, slots=True)
class TimeDomain:
    mean_rr_ms: float | None
    sdnn_ms: float | None
    rmssd_ms: float | None
    sdsd_ms: float | None
    pnn50: float | None  # percent of successive differences > 50 ms
    mean_hr: float | None


def time_domain(nn_ms: FloatArray) -> TimeDomain:
    """Mean RR, SDNN, RMSSD, SDSD and pNN50 of a corrected NN series.

    RMSSD is app.domain.hrv.rmssd; mean and SDNN (n - 1) are hrv_analysis.analyse's
    definitions in numpy (tests/analysis checks they agree with it on the raw RR).
    """
    nn = nn_ms[np.isfinite(nn_ms)]
    if len(nn) < 3:
        return TimeDomain(None, None, None, None, None, None)
    diffs = np.diff(nn)
    mean = float(nn.mean())
    big = float(np.count_nonzero(np.abs(diffs) > 50.0))
    return TimeDomain(
        mean_rr_ms=mean,
        sdnn_ms=float(np.std(nn, ddof=1)),
        rmssd_ms=rmssd(nn.tolist()),
        sdsd_ms=float(np.std(diffs, ddof=1)),
        pnn50=100.0 * big / len(diffs),
        mean_hr=60_000.0 / mean if mean > 0 else None,
    )


@dataclass(frozen=True, slots=True)
class Poincare:
    """SD1 (beat-to-beat, across the identity line) and SD2 (along it), ms (Brennan 2001)."""

    sd1_ms: float
    sd2_ms: float

    @property
    def ratio(self) -> float | None:
        return self.sd1_ms / self.sd2_ms if self.sd2_ms else None


def poincare(nn_ms: FloatArray) -> Poincare | None:
    """SD1 = std((RRn - RRn+1)/√2), SD2 = std((RRn + RRn+1)/√2), sample SDs; None if < 3."""
    nn = nn_ms[np.isfinite(nn_ms)]
    if len(nn) < 3:
        return None
    a, b = nn[:-1], nn[1:]
    sd1 = float(np.std((a - b) / math.sqrt(2.0), ddof=1))
    sd2 = float(np.std((a + b) / math.sqrt(2.0), ddof=1))
    return Poincare(sd1, sd2)


@dataclass(frozen=True, slots=True)
class Spectrum:
    """Band powers (ms²) of the averaged Lomb-Scargle periodogram, with the PSD for plots."""

    vlf_ms2: float
    lf_ms2: float
    hf_ms2: float
    segments: int
    freqs_hz: FloatArray
    psd_ms2_hz: FloatArray

    @property
    def lf_hf(self) -> float | None:
        return self.lf_ms2 / self.hf_ms2 if self.hf_ms2 > 0 else None

    @property
    def lf_nu(self) -> float | None:
        total = self.lf_ms2 + self.hf_ms2
        return 100.0 * self.lf_ms2 / total if total > 0 else None

    @property
    def hf_nu(self) -> float | None:
        total = self.lf_ms2 + self.hf_ms2
        return 100.0 * self.hf_ms2 / total if total > 0 else None


def frequency_grid() -> FloatArray:
    """The periodogram's frequencies: DF_HZ steps up to the top of HF."""
    return np.arange(DF_HZ, HF_BAND[1] + DF_HZ / 2, DF_HZ)


def lomb_scargle(t_s: FloatArray, x: FloatArray, freqs_hz: FloatArray) -> FloatArray:
    """One-sided PSD (units² / Hz) of x sampled at times t: classic Lomb-Scargle, scaled
    so that a sinusoid of amplitude A integrates to A²/2 (2 P(f) T / N)."""
    n = len(x)
    span = float(t_s[-1] - t_s[0]) if n > 1 else 0.0
    if n < 3 or span <= 0:
        return np.zeros_like(freqs_hz)
    y = x - x.mean()
    wt = (2.0 * np.pi * freqs_hz)[:, None] * (t_s - t_s[0])[None, :]
    cw, sw = np.cos(wt), np.sin(wt)  # the only trigonometry: the rest is algebra on these
    two_wtau = np.arctan2(2.0 * (sw * cw).sum(axis=1), (cw * cw - sw * sw).sum(axis=1))
    ct, st = np.cos(two_wtau / 2.0)[:, None], np.sin(two_wtau / 2.0)[:, None]
    c = cw * ct + sw * st  # cos(w (t - tau))
    s = sw * ct - cw * st  # sin(w (t - tau))
    yc, ys = c @ y, s @ y
    cc, ss = (c * c).sum(axis=1), (s * s).sum(axis=1)
    p = 0.5 * (yc * yc / cc + ys * ys / ss)
    return np.asarray(2.0 * p * (span * n / (n - 1)) / n, dtype=np.float64)


def _detrend(t: FloatArray, x: FloatArray) -> FloatArray:
    tc = t - t.mean()
    denom = float(tc @ tc)
    slope = float(tc @ (x - x.mean())) / denom if denom > 0 else 0.0
    return np.asarray(x - x.mean() - slope * tc, dtype=np.float64)


def _band(freqs: FloatArray, psd: FloatArray, band: tuple[float, float]) -> float:
    sel = (freqs > band[0]) & (freqs <= band[1])
    return float(psd[sel].sum() * DF_HZ)


def spectrum(nn_t_s: FloatArray, nn_ms: FloatArray) -> Spectrum | None:
    """LF/HF from 5-minute Lomb-Scargle segments (see module docstring); None under 2 min."""
    keep = np.isfinite(nn_ms)
    t, x = nn_t_s[keep], nn_ms[keep]
    if len(t) < 3 or t[-1] - t[0] < MIN_SEGMENT_S:
        return None
    freqs = frequency_grid()
    edges = np.arange(t[0], t[-1], SEGMENT_S)
    psds = []
    for start in edges:
        sel = (t >= start) & (t < start + SEGMENT_S)
        ts, xs = t[sel], x[sel]
        if len(ts) < 3 or ts[-1] - ts[0] < MIN_SEGMENT_S:
            continue
        psds.append(lomb_scargle(ts, _detrend(ts, xs), freqs))
    if not psds:
        return None
    psd = np.mean(psds, axis=0)
    return Spectrum(
        _band(freqs, psd, VLF_BAND),
        _band(freqs, psd, LF_BAND),
        _band(freqs, psd, HF_BAND),
        len(psds),
        freqs,
        psd,
    )
