"""What the live dashboard shows, accumulated from arriving samples; pure Python, no Qt.

Fed on the GUI thread in batches by the bridge. The figures come from the same
`SummaryAccumulator` that `summarize()` runs on stop, so they do not jump when Stop is pressed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain.accumulator import MAX_HOLD_MS, SessionSummary, SummaryAccumulator
from app.domain.profile import Profile
from app.domain.samples import Sample
from app.domain.zones import Zones

if TYPE_CHECKING:
    import numpy as np

#: Chart channels kept as arrays (seconds since start on x); NaN marks a gap.
CHART_CHANNELS: tuple[str, ...] = ("hr", "cadence", "speed", "power")
#: A sensor silent for longer than this is shown as "reconnecting..."; the chart breaks too.
STALE_AFTER_MS = MAX_HOLD_MS
#: Silent this long and the sensor is shown as lost.
LOST_AFTER_MS = 30_000

IDLE, RECORDING, PAUSED = "idle", "recording", "paused"
NAN = float("nan")


@dataclass(frozen=True, slots=True)
class SensorStatus:
    """One source's connection as the dashboard shows it."""

    key: str
    name: str
    kind: str
    state: str  # connected | reconnecting | lost
    rssi: int | None = None
    battery_pct: int | None = None
    last_seen_ms: int | None = None


@dataclass(frozen=True, slots=True)
class LiveView:
    """A snapshot of the live session for the dashboard, the tray and the goals screen."""

    state: str = IDLE
    session_id: int | None = None
    hr: int | None = None
    zone: int = 0
    cadence: float | None = None
    speed: float | None = None
    power: float | None = None
    elapsed_s: float = 0.0  # the saved duration: pauses included
    moving_s: float = 0.0
    kcal: float | None = None
    lap_no: int = 1
    lap_s: float = 0.0
    zone_s: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    #: Time with HR below zone 1 (rest), by the same hold rule as the zone times.
    rest_s: float = 0.0
    #: Where laps 2, 3… began, in seconds since the start (the chart's lap marks).
    lap_starts_s: tuple[float, ...] = ()
    distance_m: float | None = None
    steps: int | None = None
    samples: int = 0
    sensors: tuple[SensorStatus, ...] = ()
    #: What would be saved if the recording stopped now (avg/max HR, TRIMP, RMSSD ...).
    summary: SessionSummary | None = None


class _Series:
    """An append-only float array with amortised growth (no per-sample reallocation)."""

    def __init__(self, capacity: int = 4096) -> None:
        import numpy as np  # loaded with the first recording, not at start-up

        self._np = np
        self._data = np.empty(capacity, dtype=np.float64)
        self.n = 0

    def append(self, value: float) -> None:
        if self.n == len(self._data):
            grown = self._np.empty(len(self._data) * 2, dtype=self._np.float64)
            grown[: self.n] = self._data[: self.n]
            self._data = grown
        self._data[self.n] = value
        self.n += 1

    def view(self) -> np.ndarray:
        return self._data[: self.n]


@dataclass
class _SourceState:
    name: str
    kind: str
    last_ms: int
    rssi: int | None = None
    battery_pct: int | None = None


@dataclass
class LiveSession:
    """Accumulates one recording's samples; call `add` with batches, `view(now)` to read.

    Clock rule: `view(now)` is the summary as if stopped at max(now, newest sample time), so
    elapsed and moving time run on one clock (the sample clock, advanced by the wall clock
    between samples) and moving time never exceeds elapsed. Samples, pauses and resumes must
    arrive in time order (a pause before the samples it covers), as the recorder emits them.
    """

    profile: Profile
    started_ms: int
    sport: str = "run"
    session_id: int | None = None
    state: str = RECORDING
    #: The athlete's zones (their zone model); Karvonen from the profile when not given.
    zones_override: Zones | None = None
    _acc: SummaryAccumulator = field(init=False)

    def __post_init__(self) -> None:
        self._acc = SummaryAccumulator(
            self.started_ms, self.profile, self.sport, self.zones_override
        )
        self._t = _Series()
        self._y = {c: _Series() for c in CHART_CHANNELS}
        self._last: dict[str, float] = {}
        self._last_t_ms: int | None = None
        self._lap_start_ms = self.started_ms
        self._laps = 1
        self._lap_starts: list[float] = []
        # Below zone 1: the previous HR reading (time, below?, paused?) and the settled total.
        self._hr_prev: tuple[int, bool, bool] | None = None
        self._rest_s = 0.0
        self._sources: dict[str, _SourceState] = {}

    # Feeding --------------------------------------------------------------------------

    @property
    def zones(self) -> Zones:
        return self._acc.zones

    def register_source(self, key: str, name: str, kind: str, now_ms: int) -> None:
        """Show a sensor before its first sample arrives."""
        self._sources.setdefault(key, _SourceState(name, kind, now_ms))

    def update_source(
        self, key: str, *, rssi: int | None = None, battery: int | None = None
    ) -> None:
        """Signal strength or battery reported by a sensor (status events, not samples)."""
        src = self._sources.get(key)
        if src is not None:
            if rssi is not None:
                src.rssi = rssi
            if battery is not None:
                src.battery_pct = battery

    def add(self, samples: Sequence[Sample]) -> None:
        """Fold a batch of samples (in arrival order) into the totals and chart arrays."""
        for s in samples:
            self._add_one(s)

    def _add_one(self, s: Sample) -> None:
        key = s.source or "default"
        src = self._sources.get(key)
        if src is None:
            self._sources[key] = _SourceState(key, "sensor", s.t_ms)
        else:
            src.last_ms = max(src.last_ms, s.t_ms)
        # Chart: a silent stretch longer than the hold becomes a NaN break (a visible gap).
        x = (s.t_ms - self.started_ms) / 1000.0
        if self._last_t_ms is not None and s.t_ms - self._last_t_ms > MAX_HOLD_MS:
            self._t.append((self._last_t_ms - self.started_ms) / 1000.0 + 0.001)
            for c in CHART_CHANNELS:
                self._y[c].append(NAN)
        self._last_t_ms = s.t_ms if self._last_t_ms is None else max(self._last_t_ms, s.t_ms)
        self._t.append(x)
        for c in CHART_CHANNELS:
            value = getattr(s, c)
            if value is not None:
                self._last[c] = float(value)
            self._y[c].append(NAN if value is None else float(value))
        if s.hr is not None:
            self._hr_prev = self._settle_rest(s.t_ms, (s.t_ms, self._below(s.hr), self._paused()))
        self._acc.add(s)
        if s.rr:
            self._acc.add_rr(s.rr)

    def _below(self, hr: float) -> bool:
        return self.zones.zone_of(int(hr)) == 0

    def _paused(self) -> bool:
        return self.state == PAUSED

    def _settle_rest(self, until_ms: int, new: tuple[int, bool, bool]) -> tuple[int, bool, bool]:
        """Credit the previous HR reading's hold (≤ MAX_HOLD_MS) to rest if it was below Z1."""
        prev = self._hr_prev
        if prev is not None and prev[1] and not prev[2]:
            self._rest_s += max(0, min(until_ms - prev[0], MAX_HOLD_MS)) / 1000.0
        return new

    def rest_until(self, end_ms: int) -> float:
        """Seconds below zone 1 if the recording ended at `end_ms`."""
        prev = self._hr_prev
        if prev is None or not prev[1] or prev[2]:
            return self._rest_s
        return self._rest_s + max(0, min(end_ms - prev[0], MAX_HOLD_MS)) / 1000.0

    def pause(self, t_ms: int) -> None:
        if self.state != PAUSED:
            self._acc.pause(t_ms)
            self.state = PAUSED

    def resume(self, t_ms: int) -> None:
        if self.state == PAUSED:
            self._acc.resume(t_ms)
            self.state = RECORDING

    def lap(self, t_ms: int) -> None:
        self._lap_start_ms = t_ms
        self._laps += 1
        self._lap_starts.append((t_ms - self.started_ms) / 1000.0)

    # Reading --------------------------------------------------------------------------

    def series(self, channel: str) -> tuple[np.ndarray, np.ndarray]:
        """x (s since start) and y arrays for a chart channel; views, not copies."""
        return self._t.view(), self._y[channel].view()

    def has_channel(self, channel: str) -> bool:
        return channel in self._last

    def _sensor_states(self, now_ms: int) -> tuple[SensorStatus, ...]:
        out = []
        for key, src in self._sources.items():
            silent = now_ms - src.last_ms
            state = (
                "connected"
                if silent <= STALE_AFTER_MS
                else ("reconnecting" if silent <= LOST_AFTER_MS else "lost")
            )
            out.append(
                SensorStatus(key, src.name, src.kind, state, src.rssi, src.battery_pct, src.last_ms)
            )
        return tuple(out)

    def view(self, now_ms: int) -> LiveView:
        """The dashboard at `now_ms`: the summary as if stopped then (see the clock rule)."""
        latest = self._acc.latest_ms
        end = now_ms if latest is None else max(now_ms, latest)
        summary = self._acc.snapshot(end)
        hr = int(self._last["hr"]) if "hr" in self._last else None
        return LiveView(
            state=self.state,
            session_id=self.session_id,
            hr=hr,
            zone=self.zones.zone_of(hr) if hr is not None else 0,
            cadence=self._last.get("cadence"),
            speed=self._last.get("speed"),
            power=self._last.get("power"),
            elapsed_s=summary.duration_s,
            moving_s=summary.moving_s,
            kcal=summary.kcal,
            lap_no=self._laps,
            lap_s=max(0, end - self._lap_start_ms) / 1000.0,
            zone_s=summary.zone_s,
            rest_s=self.rest_until(end),
            lap_starts_s=tuple(self._lap_starts),
            distance_m=summary.distance_m,
            steps=summary.steps,
            samples=summary.sample_count,
            sensors=self._sensor_states(now_ms),
            summary=summary,
        )
