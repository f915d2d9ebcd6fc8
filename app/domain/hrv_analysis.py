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


def correct(rr_ms: Sequence[float]) -> tuple[list[float], int, int, int]:
    """(corrected NN series, missed, ectopic, out of range) per the module's method.

    One implementation of the rule: app.domain.hrv_metrics.mark_beats (vectorised; imported
    here lazily because it takes this module's constants).
    """
    from .hrv_metrics import Beat, mark_beats

    marked = mark_beats(rr_ms)
    return (
        [float(x) for x in marked.nn_ms],
        marked.count(Beat.MISSED),
        marked.count(Beat.ECTOPIC),
        marked.count(Beat.OUT_OF_RANGE),
    )


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
