"""HRV from RR intervals with artefact correction: RMSSD (via app.domain.hrv) and SDNN.

Method (after Kubios' threshold correction, Lipponen & Tarvainen 2019, simplified):
  1. Out of range: an RR outside 300-2000 ms (200-30 bpm) is an artefact.
  2. Reference: the median of up to 5 RRs on each side of the beat (the beat itself left out).
  3. Missed beat: an RR within 20 % of twice the reference is a beat the sensor missed; it is
     split into two equal intervals (unless it follows a premature beat: then it is that
     beat's compensatory pause, handled as in 4).
  4. Ectopic or noise: any other RR more than 20 % from the reference (a premature beat and
     its compensatory pause both are) is replaced by linear interpolation between the nearest
     accepted neighbours (or the reference at the ends).
The corrected series keeps its timing, so successive differences stay meaningful. RMSSD is
the domain's rmssd() of that series; SDNN is the sample standard deviation (n - 1) of it.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from .hrv import rmssd

RR_MIN_MS, RR_MAX_MS = 300.0, 2000.0
TOLERANCE = 0.20
NEIGHBOURS = 5
#: Above this share of corrected beats the figures describe the correction, not the heart.
MAX_ARTEFACT_SHARE = 0.20
MIN_BEATS = 30


@dataclass(frozen=True, slots=True)
class HrvResult:
    """One RR series' figures with the corrections behind them, so a caller can judge trust."""

    rmssd_ms: float | None
    sdnn_ms: float | None
    mean_nn_ms: float | None
    beats: int  # RR intervals received
    nn: int  # intervals after correction
    missed: int
    ectopic: int
    out_of_range: int

    @property
    def artefact_share(self) -> float:
        return (self.missed + self.ectopic + self.out_of_range) / self.beats if self.beats else 0.0

    @property
    def reliable(self) -> bool:
        """Enough beats and few enough corrections for the figures to mean something."""
        return self.beats >= MIN_BEATS and self.artefact_share <= MAX_ARTEFACT_SHARE

    @property
    def mean_hr(self) -> float | None:
        return None if not self.mean_nn_ms else 60_000.0 / self.mean_nn_ms


def _reference(rr: Sequence[float], i: int) -> float | None:
    window = [
        x
        for j in range(max(0, i - NEIGHBOURS), min(len(rr), i + NEIGHBOURS + 1))
        if j != i and RR_MIN_MS <= (x := rr[j]) <= RR_MAX_MS
    ]
    return statistics.median(window) if window else None


def correct(rr_ms: Sequence[float]) -> tuple[list[float], int, int, int]:
    """(corrected NN series, missed, ectopic, out of range) per the module's method."""
    kinds: list[str] = []  # "ok", "missed", "bad" (ectopic or noise), "range"
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
    return (
        out,
        kinds.count("missed"),
        kinds.count("bad"),
        kinds.count("range"),
    )


def _after_premature(rr: Sequence[float], kinds: Sequence[str], i: int) -> bool:
    """A long RR right after a short flagged one is a compensatory pause, not a missed beat."""
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


def analyse(rr_ms: Sequence[float]) -> HrvResult:
    """RMSSD and SDNN of an RR series after artefact correction."""
    nn, missed, ectopic, bad_range = correct(rr_ms)
    nn = [x for x in nn if math.isfinite(x)]
    sdnn = statistics.stdev(nn) if len(nn) >= 3 else None
    return HrvResult(
        rmssd_ms=rmssd(nn) if len(nn) >= 3 else None,
        sdnn_ms=sdnn,
        mean_nn_ms=statistics.fmean(nn) if nn else None,
        beats=len(rr_ms),
        nn=len(nn),
        missed=missed,
        ectopic=ectopic,
        out_of_range=bad_range,
    )
