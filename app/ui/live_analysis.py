"""Live DFA α1 and rolling power for the dashboard, fed off the GUI thread; pure Python, no Qt.

The recorder's sample listener calls `feed` on the asyncio loop thread (as it feeds the goals),
so a window step's α1 (app.domain.dfa.Alpha1Tracker) never runs on the GUI thread. Each feed
publishes a frozen `LiveAnalysisView`; the dashboard reads the newest one with `view()` when it
repaints, and only displays it.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from enum import StrEnum

from app.domain.dfa import WINDOW_S, Alpha1Tracker, Alpha1Window, alpha1_zone
from app.domain.power import LIVE_WINDOWS_S, RollingPower
from app.domain.samples import Sample


class Alpha1State(StrEnum):
    """What the α1 tile shows."""

    NO_RR = "no_rr"  # the sensor sends no RR intervals: no tile
    WARMING_UP = "warming_up"  # less than the first 2-minute window
    UNRELIABLE = "unreliable"  # the newest window has over 5 % artefacts (or too few beats)
    AEROBIC = "aerobic"  # α1 above 0.75
    THRESHOLD = "threshold"  # between the two thresholds (0.75 to 0.5)
    ANAEROBIC = "anaerobic"  # α1 below 0.5


@dataclass(frozen=True, slots=True)
class LiveAnalysisView:
    """A snapshot for the dashboard's α1 and power tiles."""

    rr_count: int = 0
    #: RR time received so far (s): the first window is due at WINDOW_S.
    rr_s: float = 0.0
    #: The newest completed 2-minute window (one every 20 s).
    window: Alpha1Window | None = None
    power_3s: float | None = None
    power_30s: float | None = None
    lap_avg_w: float | None = None
    #: The average of the lap closed last (None before the first lap mark).
    last_lap_avg_w: float | None = None

    @property
    def alpha1_state(self) -> Alpha1State:
        if self.rr_count == 0:
            return Alpha1State.NO_RR
        w = self.window
        if w is None:
            return Alpha1State.WARMING_UP
        zone = alpha1_zone(w.alpha1)
        if not w.reliable or zone is None:  # a reliable window has an α1, so a zone
            return Alpha1State.UNRELIABLE
        return Alpha1State(zone)

    @property
    def warmup_left_s(self) -> float:
        """Seconds of RR still needed before the first α1."""
        return max(0.0, WINDOW_S - self.rr_s)

    @property
    def has_power(self) -> bool:
        return self.power_3s is not None


class LiveAnalysis:
    """One recording's live α1 and power: `feed`/`lap` on the loop thread, `view` anywhere."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tracker = Alpha1Tracker()
        self._power = RollingPower()
        self._rr_count = 0
        self._rr_s = 0.0
        self._last_lap: float | None = None
        self._view = LiveAnalysisView()

    def feed(self, sample: Sample) -> None:
        """A sample as the recorder accepted it (the listener); cheap unless a window is due."""
        if not sample.rr and sample.power is None:
            return
        with self._lock:
            if sample.rr:
                self._tracker.add(sample.rr)
                self._rr_count += len(sample.rr)
                self._rr_s += sum(x for x in sample.rr if math.isfinite(x) and x > 0) / 1000.0
            if sample.power is not None:
                self._power.add(sample.t_ms, float(sample.power))
            self._publish()

    def lap(self) -> None:
        """A lap was marked: readings from now on average into the next lap."""
        with self._lock:
            self._last_lap = self._power.lap()
            self._publish()

    def _publish(self) -> None:
        short, long_ = LIVE_WINDOWS_S
        power = self._power
        self._view = LiveAnalysisView(
            rr_count=self._rr_count,
            rr_s=self._rr_s,
            window=self._tracker.latest,
            power_3s=power.mean(short),
            power_30s=power.mean(long_),
            lap_avg_w=power.lap_mean(),
            last_lap_avg_w=self._last_lap,
        )

    def view(self) -> LiveAnalysisView:
        """The newest snapshot (one attribute read: no lock needed on the GUI thread)."""
        return self._view
