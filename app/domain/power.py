"""Power analytics of one session and across sessions: NP, IF, TSS, VI, the mean-maximal power
curve, W′ balance and rolling 3 s / 30 s power.

Normalized power and TSS are app.domain.load's (`normalized_power`, `power_tss`: one
definition for load and analysis). Everything else runs on the same 1-s grid NP uses: each
reading holds until the next, at most POWER_HOLD_S seconds; a longer gap (a drop-out or an
auto-pause) is left out, so the grid is riding time. Zeros (coasting) count everywhere.
  IF   = NP / FTP;   VI = NP / average power (average over the grid, zeros included)
  MMP  = for each duration d, the highest mean of d consecutive grid seconds
  W′bal (Skiba et al. 2015, the differential form of Froncioni and Clarke, as GoldenCheetah):
         above CP, W′bal -= (P - CP) per second; below it, W′bal += (CP - P)(W′ - W′bal)/W′.
`RollingPower` keeps the live dashboard's 3 s / 30 s power and lap average on that same grid,
one reading at a time (constant cost per reading, however long the recording).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .load import NP_WINDOW_S, POWER_HOLD_S, normalized_power, power_tss

FloatArray = npt.NDArray[np.float64]

#: Durations of the mean-maximal power curve, seconds (1 s to 60 min).
CURVE_S: tuple[int, ...] = (
    1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 360, 480, 600, 720, 900,
    1200, 1500, 1800, 2400, 3000, 3600,
)  # fmt: skip


def power_grid(points: Sequence[tuple[int, float]]) -> FloatArray:
    """(t_ms, watts) readings in time order on a 1-s grid, as normalized_power holds them."""
    if not points:
        return np.zeros(0)
    t = np.asarray([p[0] for p in points], dtype=np.float64)
    w = np.asarray([p[1] for p in points], dtype=np.float64)
    gaps = np.append(np.diff(t), 1000.0)
    hold = np.clip(np.round(gaps / 1000.0), 1, POWER_HOLD_S).astype(np.int64)
    return np.repeat(w, hold)


def rolling_mean(grid: FloatArray, seconds: int) -> FloatArray:
    """Trailing mean over `seconds` (shorter at the start), one value per grid second."""
    if len(grid) == 0:
        return grid
    c = np.concatenate(([0.0], np.cumsum(grid)))
    i = np.arange(1, len(grid) + 1)
    lo = np.maximum(i - seconds, 0)
    return np.asarray((c[i] - c[lo]) / (i - lo), dtype=np.float64)


#: The live dashboard's rolling powers, seconds.
LIVE_WINDOWS_S: tuple[int, int] = (3, 30)


class RollingPower:
    """Live rolling power and lap average, equal to the batch functions on the readings so far.

    `mean(n)` is `rolling_mean(power_grid(points), n)[-1]` and `lap_mean()` is
    `power_grid(lap_points).mean()`: a reading's hold is settled when the next one arrives,
    the newest reading holds one second (as `power_grid` holds the last one). A lap's last
    reading holds one second in that lap; the rolling means run across laps.
    """

    def __init__(self, longest_s: int = max(LIVE_WINDOWS_S)) -> None:
        self._recent: deque[float] = deque(maxlen=longest_s)  # settled grid seconds
        self._longest = longest_s
        self._last: tuple[int, float] | None = None
        self._last_in_lap = False
        self._lap_sum = 0.0
        self._lap_n = 0

    def add(self, t_ms: int, watts: float) -> None:
        """Take the next reading (time order)."""
        if self._last is not None:
            t0, w0 = self._last
            hold = min(max(round((t_ms - t0) / 1000), 1), POWER_HOLD_S)
            self._recent.extend([w0] * min(hold, self._longest))
            if self._last_in_lap:
                self._lap_sum += w0 * hold
                self._lap_n += hold
        self._last, self._last_in_lap = (t_ms, watts), True

    def mean(self, seconds: int) -> float | None:
        """Trailing mean over `seconds` grid seconds (fewer at the start); None before a reading."""
        if self._last is None:
            return None
        if not 1 <= seconds <= self._longest:
            raise ValueError(f"seconds must be 1-{self._longest}")
        n = min(seconds - 1, len(self._recent))
        total = self._last[1]
        for i in range(1, n + 1):
            total += self._recent[-i]
        return total / (n + 1)

    def lap_mean(self) -> float | None:
        """Average power of the current lap so far; None before its first reading."""
        total, n = self._lap_sum, self._lap_n
        if self._last is not None and self._last_in_lap:
            total, n = total + self._last[1], n + 1
        return total / n if n else None

    def lap(self) -> float | None:
        """Close the current lap and start the next; returns the closed lap's average."""
        closed = self.lap_mean()
        self._lap_sum, self._lap_n, self._last_in_lap = 0.0, 0, False
        return closed


@dataclass(frozen=True, slots=True)
class CurvePoint:
    duration_s: int
    watts: float
    session_id: int | None = None  # which session holds it, in a season-best curve


def mean_max_curve(grid: FloatArray, durations: Iterable[int] = CURVE_S) -> list[CurvePoint]:
    """Best average power for each duration the grid is long enough for."""
    c = np.concatenate(([0.0], np.cumsum(grid)))
    out = []
    for d in durations:
        if d <= len(grid):
            out.append(CurvePoint(d, float(np.max(c[d:] - c[:-d]) / d)))
    return out


def best_curve(curves: Iterable[tuple[int, Sequence[CurvePoint]]]) -> list[CurvePoint]:
    """The best of several sessions' curves per duration ((session id, curve) pairs)."""
    best: dict[int, CurvePoint] = {}
    for sid, curve in curves:
        for p in curve:
            if p.duration_s not in best or p.watts > best[p.duration_s].watts:
                best[p.duration_s] = CurvePoint(p.duration_s, p.watts, sid)
    return [best[d] for d in sorted(best)]


def w_prime_balance(grid: FloatArray, cp_w: float, w_prime_j: float) -> FloatArray:
    """W′ balance (J) after each grid second (module docstring); starts full."""
    if cp_w <= 0 or w_prime_j <= 0:
        raise ValueError("CP and W′ must be positive")
    out = np.empty(len(grid))
    bal = w_prime_j
    for i, p in enumerate(grid.tolist()):
        if p > cp_w:
            bal -= p - cp_w
        else:
            bal += (cp_w - p) * (w_prime_j - bal) / w_prime_j
        out[i] = bal
    return out


@dataclass(frozen=True, slots=True)
class PowerSummary:
    """One session's power figures; IF and TSS need an FTP, W′ figures need CP and W′."""

    seconds: int  # riding time on the grid
    avg_w: float
    max_w: float
    np_w: float
    intensity: float | None
    tss: float | None
    vi: float | None
    curve: list[CurvePoint]
    w_bal_min_j: float | None
    ftp_w: float | None


def summarize_power(
    points: Sequence[tuple[int, float]],
    ftp_w: float | None = None,
    cp_w: float | None = None,
    w_prime_j: float | None = None,
    duration_s: float | None = None,
) -> PowerSummary | None:
    """NP, IF, TSS, VI, curve and lowest W′ balance of (t_ms, watts) readings; None if none.

    TSS counts `duration_s` (pass the session's span, as the training load does, so both
    report the same TSS), else the grid's riding time.
    """
    grid = power_grid(points)
    np_w = normalized_power(points) if points else None
    if len(grid) == 0 or np_w is None:
        return None
    avg = float(grid.mean())
    intensity = np_w / ftp_w if ftp_w else None
    span = float(len(grid)) if duration_s is None else duration_s
    tss = power_tss(span, np_w, ftp_w) if ftp_w else None
    w_min = None
    if cp_w and w_prime_j:
        w_min = float(w_prime_balance(grid, cp_w, w_prime_j).min())
    return PowerSummary(
        seconds=len(grid),
        avg_w=avg,
        max_w=float(grid.max()),
        np_w=float(np_w),
        intensity=intensity,
        tss=tss,
        vi=np_w / avg if avg > 0 else None,
        curve=mean_max_curve(grid),
        w_bal_min_j=w_min,
        ftp_w=ftp_w,
    )


__all__ = [
    "CURVE_S",
    "NP_WINDOW_S",
    "CurvePoint",
    "LIVE_WINDOWS_S",
    "PowerSummary",
    "RollingPower",
    "best_curve",
    "mean_max_curve",
    "normalized_power",
    "power_grid",
    "power_tss",
    "rolling_mean",
    "summarize_power",
    "w_prime_balance",
]
