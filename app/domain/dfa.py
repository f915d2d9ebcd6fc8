"""DFA α1 (short-term scaling exponent) of RR intervals: per window, over a session, and live.

Method (Peng et al. 1995; as Kubios HRV and the α1 exercise literature, Gronwald & Rogers):
  1. The window's NN series (corrected by app.domain.hrv_metrics.mark_beats) is integrated:
     y(k) = Σ (RR_i - mean RR).
  2. For each box size n = 4..16 beats, y is cut into non-overlapping boxes of n beats from
     the window's first beat (a remainder shorter than n is left out); each box's
     least-squares line is removed; F(n) = √(mean squared residual over all boxes).
  3. α1 = slope of log F(n) against log n (least squares over the 13 sizes).
No detrending before step 1 (the box-wise fit is DFA's detrending; Kubios' optional smoothness
priors filter, λ = 500, removes trends far slower than 16 beats and is not applied).

Windows are 2 minutes of NN time, one every 20 s: window k covers (20 k, 20 k + 120] s from
the first beat's start and is reported at its end. Its artefact share is the share of
received beats inside it that the artefact rule corrected; over 5 % is unreliable (Rogers
et al. 2021: α1 shifts measurably from 3-6 % artefacts). Fewer than MIN_BEATS beats: no α1.

Because a box's residuals do not change when a straight line (in beat number) is added to
y, every window's boxes can be cut from one session-wide profile: `alpha1_series` gathers
all boxes of all windows per box size and reduces them at once (a 3-hour session in a few
tens of ms). `Alpha1Tracker` runs the same core on the newest window for the live tile.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .hrv_analysis import NEIGHBOURS
from .hrv_metrics import Beat, Corrected, FloatArray, mark_beats

SCALES: tuple[int, ...] = tuple(range(4, 17))
WINDOW_S, STEP_S = 120.0, 20.0
MAX_ARTEFACT_SHARE = 0.05
#: Four boxes of the largest size: fewer and F(16) rests on too few boxes (Kubios refuses less).
MIN_BEATS = 4 * SCALES[-1]
#: The α1 values at the first (aerobic) and second (anaerobic) ventilatory thresholds.
AEROBIC_ALPHA1, ANAEROBIC_ALPHA1 = 0.75, 0.5

_LOG_N = np.log(np.asarray(SCALES, dtype=np.float64))
_LOG_NC = _LOG_N - _LOG_N.mean()


def alpha1(nn_ms: Sequence[float] | FloatArray) -> float | None:
    """α1 of one NN series (box sizes 4-16 beats); None with fewer than MIN_BEATS beats."""
    x = np.asarray(nn_ms, dtype=np.float64)
    if len(x) < MIN_BEATS or not np.all(np.isfinite(x)):
        return None
    y = np.cumsum(x - x.mean())
    log_f = np.empty(len(SCALES))
    for j, (n, basis) in enumerate(zip(SCALES, _BASES, strict=True)):
        k = len(y) // n
        seg = y[: k * n].reshape(k, n)
        proj = seg @ basis  # the box's mean and slope components (orthonormal basis)
        rss = max(float(np.einsum("ij,ij->", seg, seg) - np.einsum("ij,ij->", proj, proj)), 0.0)
        if rss <= 0.0:
            return None
        log_f[j] = 0.5 * np.log(rss / (k * n))
    slope = float(log_f @ _LOG_NC) / float(_LOG_NC @ _LOG_NC)
    return slope if np.isfinite(slope) else None


def _basis(n: int) -> FloatArray:
    """Orthonormal columns spanning a constant and a line over n points."""
    xc = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
    return np.stack([np.full(n, 1.0 / np.sqrt(n)), xc / np.sqrt(xc @ xc)], axis=1)


_BASES = tuple(_basis(n) for n in SCALES)


def _alpha1_many(
    profile: FloatArray, first: npt.NDArray[np.int64], length: npt.NDArray[np.int64]
) -> FloatArray:
    """α1 of each window [first, first + length) of `profile` (all lengths >= 16)."""
    log_f = np.empty((len(first), len(SCALES)))
    for j, n in enumerate(SCALES):
        boxes = length // n
        total = int(boxes.sum())
        owner = np.repeat(np.arange(len(first)), boxes)
        offset = np.cumsum(boxes) - boxes
        rank = np.arange(total) - offset[owner]
        starts = first[owner] + rank * n
        seg = profile[starts[:, None] + np.arange(n)]
        seg = seg - seg.mean(axis=1, keepdims=True)
        xc = np.arange(n, dtype=np.float64) - (n - 1) / 2.0
        sxy = seg @ xc
        rss = np.maximum((seg * seg).sum(axis=1) - sxy * sxy / float(xc @ xc), 0.0)
        f2 = np.add.reduceat(rss, offset) / (boxes * n)
        with np.errstate(divide="ignore"):
            log_f[:, j] = 0.5 * np.log(f2)
    with np.errstate(invalid="ignore"):
        slope = (log_f @ _LOG_NC) / float(_LOG_NC @ _LOG_NC)
    return np.where(np.isfinite(slope), slope, np.nan)


@dataclass(frozen=True, slots=True)
class Alpha1Window:
    """One 2-minute window: α1 (None if too few beats), its beats and how many were corrected."""

    end_s: float  # window end, seconds from the first beat's start
    alpha1: float | None
    beats: int  # received beats in the window
    artefacts: int
    mean_hr: float | None  # from the window's NN intervals

    @property
    def artefact_share(self) -> float:
        return self.artefacts / self.beats if self.beats else 0.0

    @property
    def reliable(self) -> bool:
        return self.alpha1 is not None and self.artefact_share <= MAX_ARTEFACT_SHARE


def alpha1_series(c: Corrected, *, upto_s: float | None = None) -> list[Alpha1Window]:
    """α1 for every 2-minute window, one every 20 s, of a corrected series (module docstring)."""
    finite = np.isfinite(c.nn_ms)
    if not np.all(finite) or len(c.nn_ms) == 0:
        return []
    last = float(c.nn_t_s[-1]) if upto_s is None else upto_s
    ends = np.arange(WINDOW_S, last + 1e-9, STEP_S)
    if len(ends) == 0:
        return []
    t = c.nn_t_s
    lo = np.searchsorted(t, ends - WINDOW_S, side="right")
    hi = np.searchsorted(t, ends, side="right")
    count = hi - lo
    profile = np.cumsum(c.nn_ms - c.nn_ms.mean())
    ok = count >= MIN_BEATS
    alphas = np.full(len(ends), np.nan)
    if np.any(ok):
        alphas[ok] = _alpha1_many(profile, lo[ok].astype(np.int64), count[ok].astype(np.int64))
    csum = np.concatenate(([0.0], np.cumsum(c.nn_ms)))
    bad_beat = np.concatenate(([0], np.cumsum(c.kinds != Beat.OK)))
    b_lo = np.searchsorted(c.beat_t_s, ends - WINDOW_S, side="right")
    b_hi = np.searchsorted(c.beat_t_s, ends, side="right")
    out = []
    for k, end in enumerate(ends):
        n = int(count[k])
        mean_nn = (csum[hi[k]] - csum[lo[k]]) / n if n else 0.0
        a = alphas[k]
        out.append(
            Alpha1Window(
                float(end),
                None if np.isnan(a) else float(a),
                int(b_hi[k] - b_lo[k]),
                int(bad_beat[b_hi[k]] - bad_beat[b_lo[k]]),
                60_000.0 / mean_nn if mean_nn > 0 else None,
            )
        )
    return out


def alpha1_zone(value: float | None) -> str | None:
    """'aerobic' above 0.75 (below the first threshold), 'threshold' to 0.5, 'anaerobic' below."""
    if value is None:
        return None
    if value > AEROBIC_ALPHA1:
        return "aerobic"
    return "threshold" if value >= ANAEROBIC_ALPHA1 else "anaerobic"


class Alpha1Tracker:
    """Live α1 for a recording: feed RR intervals as they arrive, get each window once due.

    The tracker keeps the received RR; a beat is final once NEIGHBOURS later beats have
    arrived (the artefact rule looks 5 beats ahead) and an accepted beat follows it (an
    artefact is interpolated towards it). Each window step classifies only the beats since
    the last one (with CONTEXT beats before them) and computes α1 of the newest 2 minutes,
    so a step costs the same at minute 5 and hour 5. Windows match `alpha1_series` of the
    whole recording (the tile lags the newest beat by those 5 beats, about 3-5 s).
    """

    CONTEXT = 64  # beats of history re-read when classifying (reference and interpolation)

    def __init__(self) -> None:
        self._rr: list[float] = []
        self._nn: list[float] = []
        self._nn_t: list[float] = []
        self._nn_bad: list[bool] = []
        self._beat_t: list[float] = []
        self._beat_bad: list[bool] = []
        self._final = 0  # received beats finalised
        self._clock = 0.0  # NN time at the end of the last final entry, s
        self._raw_clock = 0.0
        self._next_end = WINDOW_S
        self._due_at: int | None = None
        self.latest: Alpha1Window | None = None

    def add(self, rr_ms: Sequence[float]) -> list[Alpha1Window]:
        """Take newly received RR intervals; return the windows that became due (in order)."""
        for x in rr_ms:
            self._rr.append(float(x))
            if np.isfinite(x) and x > 0:
                self._raw_clock += float(x) / 1000.0
        if self._raw_clock < self._next_end:
            return []
        if self._due_at is None:  # the window's end beat is in: wait for its 5 neighbours
            self._due_at = len(self._rr) + NEIGHBOURS
        if len(self._rr) < self._due_at:
            return []
        self._due_at = None
        self._finalise()
        out = []
        while self._clock >= self._next_end:
            out.append(self._window(self._next_end))
            self._next_end += STEP_S
        if out:
            self.latest = out[-1]
        return out

    def _finalise(self) -> None:
        lo = max(0, self._final - self.CONTEXT)
        c = mark_beats(self._rr[lo:])
        limit = len(self._rr) - NEIGHBOURS  # beats before this have all 5 later neighbours
        ok_final = np.flatnonzero(c.kinds[: limit - lo] == Beat.OK)
        if len(ok_final) == 0:
            return
        limit = lo + int(ok_final[-1]) + 1  # artefacts before it are interpolated towards it
        if limit <= self._final:
            return
        reps = np.where(c.kinds == Beat.MISSED, 2, 1)
        first_entry = np.cumsum(reps) - reps
        a = int(first_entry[self._final - lo])
        b = int(first_entry[limit - 1 - lo] + reps[limit - 1 - lo])
        nn = c.nn_ms[a:b]
        t = self._clock + np.cumsum(nn) / 1000.0
        self._nn.extend(nn.tolist())
        self._nn_t.extend(t.tolist())
        self._nn_bad.extend(c.nn_artefact[a:b].tolist())
        ends = t[np.cumsum(reps[self._final - lo : limit - lo]) - 1]
        self._beat_t.extend(ends.tolist())
        self._beat_bad.extend((c.kinds[self._final - lo : limit - lo] != Beat.OK).tolist())
        self._final = limit
        self._clock = float(t[-1])
        self._raw_clock = self._clock + sum(x for x in self._rr[limit:] if x > 0) / 1000.0

    def _window(self, end: float) -> Alpha1Window:
        lo = bisect.bisect_right(self._nn_t, end - WINDOW_S)
        hi = bisect.bisect_right(self._nn_t, end)
        b_lo = bisect.bisect_right(self._beat_t, end - WINDOW_S)
        b_hi = bisect.bisect_right(self._beat_t, end)
        nn = np.asarray(self._nn[lo:hi])
        mean_nn = float(nn.mean()) if len(nn) else 0.0
        return Alpha1Window(
            end,
            alpha1(nn),
            b_hi - b_lo,
            sum(self._beat_bad[b_lo:b_hi]),
            60_000.0 / mean_nn if mean_nn > 0 else None,
        )


@dataclass(frozen=True, slots=True)
class Threshold:
    """Where the α1 regression line crosses a threshold value, in HR and (if known) power."""

    alpha1: float
    hr: float | None
    power_w: float | None


#: Windows used for the threshold regression: reliable ones with α1 in the ramp's near-linear
#: part (above ~1.25 α1 plateaus at low intensity, below ~0.25 it is noise).
FIT_RANGE = (0.25, 1.25)
MIN_FIT_WINDOWS = 5


def _crossing(xs: Sequence[float], alphas: Sequence[float], level: float) -> float | None:
    """x where the least-squares line of α1 on x equals `level`; None if not falling or outside."""
    if len(xs) < MIN_FIT_WINDOWS:
        return None
    x = np.asarray(xs, dtype=np.float64)
    y = np.asarray(alphas, dtype=np.float64)
    xc = x - x.mean()
    sxx = float(xc @ xc)
    if sxx <= 0:
        return None
    slope = float(xc @ (y - y.mean())) / sxx
    if slope >= 0:
        return None
    at = float(x.mean() + (level - y.mean()) / slope)
    span = float(x.max() - x.min())
    if not x.min() - 0.1 * span <= at <= x.max() + 0.1 * span:  # no far extrapolation
        return None
    return at


def thresholds(
    windows: Sequence[Alpha1Window], power_w: Sequence[float | None] | None = None
) -> tuple[Threshold, Threshold]:
    """Aerobic (α1 0.75) and anaerobic (α1 0.5) thresholds from a ramp's windows.

    Linear regression of α1 on the window's HR (and on its mean power when given, one per
    window), as Rogers et al. 2021 (HRVT1) and 2022 (HRVT2); reliable windows with α1 in
    FIT_RANGE only. Only meaningful for a ramp or step test: on a steady ride the line is flat.
    """
    used = [
        i
        for i, w in enumerate(windows)
        if w.reliable
        and w.alpha1 is not None
        and w.mean_hr is not None
        and FIT_RANGE[0] <= w.alpha1 <= FIT_RANGE[1]
    ]
    hr = [float(windows[i].mean_hr or 0.0) for i in used]
    al = [float(windows[i].alpha1 or 0.0) for i in used]
    pw_idx = [i for i in used if power_w is not None and power_w[i] is not None]
    pw = [float(power_w[i] or 0.0) for i in pw_idx] if power_w is not None else []
    pw_al = [float(windows[i].alpha1 or 0.0) for i in pw_idx]
    out = []
    for level in (AEROBIC_ALPHA1, ANAEROBIC_ALPHA1):
        out.append(Threshold(level, _crossing(hr, al, level), _crossing(pw, pw_al, level)))
    return out[0], out[1]
