"""What the live dashboard shows, accumulated from arriving samples; pure Python, no Qt.

Fed on the GUI thread in batches by the bridge; the same hold rule as the stored summary
(`app.domain.summary.MAX_HOLD_MS`) so live zone times match what is saved on stop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from app.domain import energy
from app.domain.profile import Profile, effective_max_hr, effective_resting_hr
from app.domain.samples import Sample
from app.domain.summary import MAX_HOLD_MS, STOPPED_SPEED
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
    elapsed_s: float = 0.0
    moving_s: float = 0.0
    kcal: float | None = None
    lap_no: int = 1
    lap_s: float = 0.0
    zone_s: tuple[float, float, float, float, float] = (0.0, 0.0, 0.0, 0.0, 0.0)
    distance_m: float = 0.0
    steps: int = 0
    samples: int = 0
    sensors: tuple[SensorStatus, ...] = ()


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
    """Accumulates one recording's samples; call `add` with batches, `view(now)` to read."""

    profile: Profile
    started_ms: int
    sport: str = "run"
    session_id: int | None = None
    state: str = RECORDING
    #: The athlete's zones (their zone model); Karvonen from the profile when not given.
    zones_override: Zones | None = None
    _zones: Zones = field(init=False)
    _max_hr: int = field(init=False)
    _rest_hr: int = field(init=False)

    def __post_init__(self) -> None:
        year = datetime.fromtimestamp(self.started_ms / 1000, UTC).year
        self._max_hr = effective_max_hr(self.profile, year)
        self._rest_hr = effective_resting_hr(self.profile)
        self._zones = self.zones_override or Zones.karvonen(self._rest_hr, self._max_hr)
        self._age = self.profile.age(year)
        self._t = _Series()
        self._y = {c: _Series() for c in CHART_CHANNELS}
        self._last: dict[str, float] = {}
        self._last_t_ms: int | None = None
        self._hr_prev: tuple[int, int] | None = None  # (t_ms, hr) held until the next HR
        self._move_prev: tuple[int, bool] | None = None
        self._zone_s = [0.0] * 5
        self._moving_s = 0.0
        self._kcal = 0.0
        self._distance0: float | None = None
        self._distance = 0.0
        self._steps0: int | None = None
        self._steps = 0
        self._count = 0
        self._paused_since: int | None = None
        self._paused_total_ms = 0
        self._lap_start_ms = self.started_ms
        self._laps = 1
        self._sources: dict[str, _SourceState] = {}

    # Feeding --------------------------------------------------------------------------

    @property
    def zones(self) -> Zones:
        return self._zones

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

    def _paused_at(self, t_ms: int) -> bool:
        return self._paused_since is not None and t_ms >= self._paused_since

    def add(self, samples: Sequence[Sample]) -> None:
        """Fold a batch of samples (in arrival order) into the totals and chart arrays."""
        for s in samples:
            self._add_one(s)

    def _add_one(self, s: Sample) -> None:
        self._count += 1
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
        paused = self._paused_at(s.t_ms)
        if s.hr is not None:
            if self._hr_prev is not None:
                self._credit_hr(*self._hr_prev, s.t_ms)
            self._hr_prev = (s.t_ms, s.hr)
        if s.speed is not None or s.cadence is not None or s.hr is not None:
            moving = (
                s.speed >= STOPPED_SPEED
                if s.speed is not None
                else (s.cadence > 0 if s.cadence is not None else True)
            )
            if self._move_prev is not None:
                t0, was_moving = self._move_prev
                dt = max(0, min(s.t_ms - t0, MAX_HOLD_MS)) / 1000.0
                if was_moving and not self._paused_at(t0):
                    self._moving_s += dt
                    self._credit_sport_kcal(dt)
            self._move_prev = (s.t_ms, moving)
        if s.distance is not None and not paused:
            if self._distance0 is None:
                self._distance0 = s.distance
            self._distance = s.distance - self._distance0
        if s.steps is not None and not paused:
            if self._steps0 is None:
                self._steps0 = s.steps
            self._steps = s.steps - self._steps0

    def _keytel(self) -> bool:
        p = self.profile
        return p.weight_kg is not None and self._age is not None and p.sex is not None

    def _credit_hr(self, t0: int, hr: int, t1: int) -> None:
        if self._paused_at(t0):
            return
        dt = max(0, min(t1 - t0, MAX_HOLD_MS)) / 1000.0
        zone = self._zones.zone_of(hr)
        if zone:
            self._zone_s[zone - 1] += dt
        if self._keytel():
            p = self.profile
            assert p.weight_kg is not None and self._age is not None and p.sex is not None
            self._kcal += energy.keytel_kcal_per_min(hr, p.weight_kg, self._age, p.sex) * dt / 60

    def _credit_sport_kcal(self, dt: float) -> None:
        if not self._keytel() and self.profile.weight_kg is not None:
            met = energy.SPORT_MET.get(self.sport, energy.SPORT_MET["other"])
            self._kcal += energy.met_kcal(met, self.profile.weight_kg, dt)

    def pause(self, t_ms: int) -> None:
        if self._paused_since is None:
            self._paused_since = t_ms
            self.state = PAUSED

    def resume(self, t_ms: int) -> None:
        if self._paused_since is not None:
            self._paused_total_ms += max(0, t_ms - self._paused_since)
            self._paused_since = None
            self.state = RECORDING

    def lap(self, t_ms: int) -> None:
        self._lap_start_ms = t_ms
        self._laps += 1

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
        """The dashboard snapshot at `now_ms`; the last HR counts in its zone up to now."""
        zone_s = list(self._zone_s)
        kcal = self._kcal
        if self._hr_prev is not None and self.state == RECORDING:
            t0, hr = self._hr_prev
            dt = max(0, min(now_ms - t0, MAX_HOLD_MS)) / 1000.0
            zone = self._zones.zone_of(hr)
            if zone:
                zone_s[zone - 1] += dt
        hr = int(self._last["hr"]) if "hr" in self._last else None
        paused_ms = self._paused_total_ms + (
            now_ms - self._paused_since if self._paused_since is not None else 0
        )
        has_kcal = self._keytel() or self.profile.weight_kg is not None
        return LiveView(
            state=self.state,
            session_id=self.session_id,
            hr=hr,
            zone=self._zones.zone_of(hr) if hr is not None else 0,
            cadence=self._last.get("cadence"),
            speed=self._last.get("speed"),
            power=self._last.get("power"),
            elapsed_s=max(0, now_ms - self.started_ms - paused_ms) / 1000.0,
            moving_s=self._moving_s,
            kcal=kcal if has_kcal else None,
            lap_no=self._laps,
            lap_s=max(0, now_ms - self._lap_start_ms) / 1000.0,
            zone_s=(zone_s[0], zone_s[1], zone_s[2], zone_s[3], zone_s[4]),
            distance_m=self._distance,
            steps=self._steps,
            samples=self._count,
            sensors=self._sensor_states(now_ms),
        )
