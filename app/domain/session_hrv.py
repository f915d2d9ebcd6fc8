"""One session's HRV report from its stored RR intervals (and power, for the thresholds'
watts): what `pulsedeck hrv` prints and the GUI's session HRV panel draws.

Timing: RR intervals are stored without the instant each beat happened, so the tachogram's
clock is the running sum of the corrected intervals, anchored so that the first interval
ends at the session's first heart-rate sample (the notification that carried it). A
drop-out with no RR at all shifts later windows against the power samples by its length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .dfa import Alpha1Window, Threshold, alpha1_series, thresholds
from .hrv_metrics import (
    Corrected,
    Poincare,
    Spectrum,
    TimeDomain,
    mark_beats,
    poincare,
    spectrum,
    time_domain,
)


@dataclass(frozen=True, slots=True)
class HrvReport:
    corrected: Corrected  # the tachogram: received RR, kinds, NN series and times
    start_ms: int  # wall-clock instant of the tachogram's zero
    time: TimeDomain
    poincare: Poincare | None
    spectrum: Spectrum | None
    windows: list[Alpha1Window]
    window_power_w: list[float | None]  # mean power in each α1 window, if the session has power
    aerobic: Threshold
    anaerobic: Threshold


def window_power(
    windows: Sequence[Alpha1Window], start_ms: int, power: Sequence[tuple[int, float]]
) -> list[float | None]:
    """Mean of the power readings inside each window (None where there are none)."""
    if not power:
        return [None] * len(windows)
    t = np.asarray([p[0] for p in power], dtype=np.float64)
    c = np.concatenate(([0.0], np.cumsum([p[1] for p in power])))
    out: list[float | None] = []
    for w in windows:
        end = start_ms + w.end_s * 1000.0
        lo = int(np.searchsorted(t, end - 120_000.0, side="right"))
        hi = int(np.searchsorted(t, end, side="right"))
        out.append(float((c[hi] - c[lo]) / (hi - lo)) if hi > lo else None)
    return out


def hrv_report(
    rr_ms: Sequence[float], first_hr_ms: int, power: Sequence[tuple[int, float]] = ()
) -> HrvReport:
    """The full report: corrected tachogram, time/frequency/Poincaré, α1 windows, thresholds.

    Args:
        rr_ms: the session's RR intervals in arrival order.
        first_hr_ms: the time of its first heart-rate sample (anchors the tachogram).
        power: (t_ms, watts) readings, for each window's mean power.
    """
    c = mark_beats(rr_ms)
    start_ms = int(first_hr_ms - (c.nn_t_s[0] * 1000.0 if len(c.nn_t_s) else 0.0))
    windows = alpha1_series(c)
    pw = window_power(windows, start_ms, power)
    aerobic, anaerobic = thresholds(windows, pw if power else None)
    return HrvReport(
        corrected=c,
        start_ms=start_ms,
        time=time_domain(c.nn_ms),
        poincare=poincare(c.nn_ms),
        spectrum=spectrum(c.nn_t_s, c.nn_ms),
        windows=windows,
        window_power_w=pw,
        aerobic=aerobic,
        anaerobic=anaerobic,
    )
