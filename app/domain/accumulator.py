"""The session figures as running sums: one set of rules for the live dashboard and the summary.

`summarize()` feeds a whole session through a `SummaryAccumulator`; the live dashboard feeds
samples as they arrive and reads `snapshot(now)`. Both therefore show the same numbers for the
same samples, pauses and end time. Memory is constant in the session length: each channel keeps
only its last reading (it holds until the next one), and RR intervals only the previous beat.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from operator import attrgetter

from . import energy
from .hrv import MAX_SUCCESSIVE_DIFF_MS
from .profile import Profile, effective_max_hr, effective_resting_hr
from .samples import Sample
from .trimp import trimp_increment
from .zones import Zones

#: A reading is held until the next one, but never longer than this: a longer gap is a
#: drop-out (strap off, radio lost) and counts towards neither moving time nor zones.
MAX_HOLD_MS = 5_000
#: Below this speed the athlete is standing still (walking pace is ~1.3 m/s).
STOPPED_SPEED = 0.5


@dataclass(frozen=True, slots=True)
class Pause:
    """A paused span [start_ms, end_ms); end_ms None means paused until the end."""

    start_ms: int
    end_ms: int | None


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """Everything shown for a finished session; None where the channel was never measured."""

    duration_s: float
    moving_s: float
    sample_count: int
    avg_hr: float | None
    max_hr: int | None
    zone_s: tuple[float, float, float, float, float]
    kcal: float | None
    kcal_method: str
    trimp: float | None
    avg_cadence: float | None
    max_cadence: float | None
    avg_power: float | None
    max_power: float | None
    avg_speed: float | None
    max_speed: float | None
    distance_m: float | None
    steps: int | None
    rr_count: int
    rmssd_ms: float | None


def is_moving(s: Sample) -> bool:
    """Speed decides if measured, else cadence; an HR-only reading (gym, desk) counts as active."""
    if s.speed is not None:
        return s.speed >= STOPPED_SPEED
    if s.cadence is not None:
        return s.cadence > 0
    return True


def _held_s(s: Sample, until_ms: int) -> float:
    """Seconds a reading holds: until `until_ms` (next reading or end), capped at MAX_HOLD_MS."""
    return max(0, min(until_ms - s.t_ms, MAX_HOLD_MS)) / 1000.0


@dataclass(slots=True)
class _Totals:
    """The running sums; copied (a few dozen numbers) to read a snapshot without settling."""

    zone_s: list[float] = field(default_factory=lambda: [0.0] * 5)
    trimp: float = 0.0
    kcal_hr: float = 0.0
    kcal_met: float = 0.0
    met_s: float = 0.0
    distance_int: float = 0.0  # integrated speed x held time
    speed_held: int = 0  # unpaused speed readings
    moving_speed: float = 0.0
    moving_cadence: float = 0.0
    moving_any: float = 0.0
    # Over unpaused samples (sums start as int 0, as the built-in sum() does):
    hr_n: int = 0
    hr_sum: float = 0
    hr_max: int | None = None
    cad_n: int = 0
    cad_sum: float = 0
    cad_max: float | None = None
    power_n: int = 0
    power_sum: float = 0
    power_max: float | None = None
    speed_n: int = 0
    speed_sum: float = 0
    speed_max: float | None = None
    distance_n: int = 0
    distance_first: float = 0.0
    distance_last: float = 0.0
    steps_n: int = 0
    steps_first: int = 0
    steps_last: int = 0

    def copy(self) -> _Totals:
        # Positional from one getter: about twice as fast as dataclasses.replace (30 Hz reads).
        new = _Totals(*_totals_values(self))
        new.zone_s = list(self.zone_s)
        return new


_totals_values = attrgetter(*(f.name for f in fields(_Totals)))


@dataclass(slots=True)
class RunningRmssd:
    """`hrv.rmssd` over a stream of RR intervals, keeping only the previous beat."""

    count: int = 0
    _prev: float | None = None
    _diffs: int = 0
    _sum_sq: float = 0

    def add(self, rr_ms: Iterable[float]) -> None:
        """Take the next beats as a strap delivers them, a few per notification."""
        for rr in rr_ms:
            self.count += 1
            if self._prev is not None:
                d = rr - self._prev
                if abs(d) <= MAX_SUCCESSIVE_DIFF_MS:
                    self._diffs += 1
                    self._sum_sq += d * d
            self._prev = rr

    def value(self) -> float | None:
        """RMSSD in ms, or None with fewer than two accepted differences."""
        return math.sqrt(self._sum_sq / self._diffs) if self._diffs >= 2 else None


class SummaryAccumulator:
    """Folds one session's samples, pauses and RR intervals into `SessionSummary` figures.

    Feed events in time order: samples (`add`), RR intervals (`add_rr`, kept apart because the
    store keeps them in their own table), pause spans. Each channel's reading holds until that
    channel's next reading (at most MAX_HOLD_MS); the last one holds until the end given to
    `snapshot`. Whether a reading is paused is decided when it is settled (by its channel's
    next reading or a snapshot), so a pause must be known before the next reading arrives.
    """

    def __init__(
        self,
        started_ms: int,
        profile: Profile,
        sport: str = "other",
        zones: Zones | None = None,
        pauses: Iterable[Pause] = (),
    ) -> None:
        year = datetime.fromtimestamp(started_ms / 1000, UTC).year
        self.started_ms = started_ms
        self.profile = profile
        self.sport = sport
        self.max_hr = effective_max_hr(profile, year)
        self.rest_hr = effective_resting_hr(profile)
        self.zones = zones or Zones.karvonen(self.rest_hr, self.max_hr)
        self._age = profile.age(year)
        self._keytel = (
            profile.weight_kg is not None and self._age is not None and profile.sex is not None
        )
        self._pauses: list[Pause] = list(pauses)
        self._totals = _Totals()
        self._count = 0
        self._any_cadence = False  # any sample, paused or not, measured cadence
        self._latest_ms: int | None = None
        # The reading each channel holds until its next one (None: not yet measured).
        self._last: Sample | None = None
        self._hr: Sample | None = None
        self._met: Sample | None = None
        self._speed: Sample | None = None
        self._cadence: Sample | None = None
        self._rr = RunningRmssd()

    # Feeding --------------------------------------------------------------------------

    @property
    def sample_count(self) -> int:
        """Samples fed so far, paused ones included (as `SessionSummary.sample_count`)."""
        return self._count

    @property
    def latest_ms(self) -> int | None:
        """The newest sample time seen (the sample clock), None before the first sample."""
        return self._latest_ms

    @property
    def paused(self) -> bool:
        """True while a pause is open (started, not yet resumed)."""
        return bool(self._pauses) and self._pauses[-1].end_ms is None

    def pause(self, t_ms: int) -> None:
        """Open a pause at `t_ms`; readings from then on count in duration only."""
        if not self.paused:
            self._pauses.append(Pause(t_ms, None))

    def resume(self, t_ms: int) -> None:
        """Close the open pause at `t_ms`."""
        if self.paused:
            self._pauses[-1] = Pause(self._pauses[-1].start_ms, t_ms)

    def add_rr(self, rr_ms: Iterable[float]) -> None:
        """RR intervals (ms) in beat order, paused or not (as the store keeps them)."""
        self._rr.add(rr_ms)

    def add(self, s: Sample) -> None:
        """Fold one sample: settle each channel's previous reading up to this one."""
        self._count += 1
        t = s.t_ms
        if self._latest_ms is None or t > self._latest_ms:
            self._latest_ms = t
        tot = self._totals
        if self._last is not None:
            self._settle(tot, self._last, t)
        self._last = s
        if s.hr is not None:
            if self._hr is not None:
                self._credit_hr(tot, self._hr, t)
            self._hr = s
        if s.met is not None:
            if self._met is not None:
                self._credit_met(tot, self._met, t)
            self._met = s
        if s.speed is not None:
            if self._speed is not None:
                self._credit_speed(tot, self._speed, t)
            self._speed = s
        if s.cadence is not None:
            self._any_cadence = True
            if self._cadence is not None:
                self._credit_cadence(tot, self._cadence, t)
            self._cadence = s

    def _is_paused(self, t_ms: int) -> bool:
        if not self._pauses:  # the common case, checked per channel per sample
            return False
        for p in self._pauses:
            if p.start_ms <= t_ms and (p.end_ms is None or t_ms < p.end_ms):
                return True
        return False

    def _settle(self, tot: _Totals, s: Sample, until_ms: int) -> None:
        """Averages, extremes, distance and steps of one sample; time if no channel decides."""
        if self._is_paused(s.t_ms):
            return
        tot.moving_any += _held_s(s, until_ms)
        if s.hr is not None:
            h = float(s.hr)
            tot.hr_n += 1
            tot.hr_sum += h
            if tot.hr_max is None or int(h) > tot.hr_max:
                tot.hr_max = int(h)
        if s.cadence:  # zero cadence is coasting, not a reading to average
            tot.cad_n += 1
            tot.cad_sum += s.cadence
            if tot.cad_max is None or s.cadence > tot.cad_max:
                tot.cad_max = s.cadence
        if s.power:
            tot.power_n += 1
            tot.power_sum += s.power
            if tot.power_max is None or s.power > tot.power_max:
                tot.power_max = s.power
        if s.speed is not None:
            tot.speed_n += 1
            tot.speed_sum += s.speed
            if tot.speed_max is None or s.speed > tot.speed_max:
                tot.speed_max = s.speed
        if s.distance is not None:
            if tot.distance_n == 0:
                tot.distance_first = s.distance
            tot.distance_n += 1
            tot.distance_last = s.distance
        if s.steps is not None:
            if tot.steps_n == 0:
                tot.steps_first = s.steps
            tot.steps_n += 1
            tot.steps_last = s.steps

    def _credit_hr(self, tot: _Totals, s: Sample, until_ms: int) -> None:
        if self._is_paused(s.t_ms):
            return
        assert s.hr is not None
        dt_s = _held_s(s, until_ms)
        zone = self.zones.zone_of(s.hr)
        if zone:
            tot.zone_s[zone - 1] += dt_s
        p = self.profile
        tot.trimp += trimp_increment(dt_s / 60.0, s.hr, self.rest_hr, self.max_hr, p.sex)
        if self._keytel:
            assert p.weight_kg is not None and self._age is not None and p.sex
            per_min = energy.keytel_kcal_per_min(s.hr, p.weight_kg, self._age, p.sex)
            tot.kcal_hr += per_min * dt_s / 60.0

    def _credit_met(self, tot: _Totals, s: Sample, until_ms: int) -> None:
        weight = self.profile.weight_kg
        if weight is None or self._is_paused(s.t_ms):
            return
        assert s.met is not None
        dt_s = _held_s(s, until_ms)
        tot.kcal_met += energy.met_kcal(s.met, weight, dt_s)
        tot.met_s += dt_s

    def _credit_speed(self, tot: _Totals, s: Sample, until_ms: int) -> None:
        if self._is_paused(s.t_ms):
            return
        assert s.speed is not None
        dt_s = _held_s(s, until_ms)
        tot.speed_held += 1
        tot.distance_int += s.speed * dt_s
        if s.speed >= STOPPED_SPEED:
            tot.moving_speed += dt_s

    def _credit_cadence(self, tot: _Totals, s: Sample, until_ms: int) -> None:
        if not self._is_paused(s.t_ms) and is_moving(s):
            tot.moving_cadence += _held_s(s, until_ms)

    # Reading --------------------------------------------------------------------------

    def snapshot(self, ended_ms: int) -> SessionSummary:
        """The summary as if the session ended at `ended_ms`; the state is left as it is."""
        tot = self._totals.copy()
        if self._last is not None:
            self._settle(tot, self._last, ended_ms)
        if self._hr is not None:
            self._credit_hr(tot, self._hr, ended_ms)
        if self._met is not None:
            self._credit_met(tot, self._met, ended_ms)
        if self._speed is not None:
            self._credit_speed(tot, self._speed, ended_ms)
        if self._cadence is not None:
            self._credit_cadence(tot, self._cadence, ended_ms)
        return self._summary(tot, ended_ms)

    def _summary(self, tot: _Totals, ended_ms: int) -> SessionSummary:
        if tot.speed_held:
            moving = tot.moving_speed
        elif self._any_cadence:
            moving = tot.moving_cadence
        else:  # HR-only (gym, desk): time not paused counts as active
            moving = tot.moving_any
        weight = self.profile.weight_kg
        kcal: float | None
        if self._keytel and tot.hr_n:
            kcal, method = tot.kcal_hr, "keytel2005"
        elif tot.met_s > 0:
            kcal, method = tot.kcal_met, "met"
        elif weight is not None and moving > 0:
            met = energy.SPORT_MET.get(self.sport, energy.SPORT_MET["other"])
            kcal, method = energy.met_kcal(met, weight, moving), "met_sport"
        else:
            kcal, method = None, "none"
        distance: float | None
        if tot.distance_n >= 2:
            distance = tot.distance_last - tot.distance_first
        elif tot.speed_n:
            distance = tot.distance_int
        else:
            distance = None
        z = tot.zone_s
        return SessionSummary(
            duration_s=max(0, ended_ms - self.started_ms) / 1000.0,
            moving_s=moving,
            sample_count=self._count,
            avg_hr=tot.hr_sum / tot.hr_n if tot.hr_n else None,
            max_hr=tot.hr_max,
            zone_s=(z[0], z[1], z[2], z[3], z[4]),
            kcal=kcal,
            kcal_method=method,
            trimp=tot.trimp if tot.hr_n else None,
            avg_cadence=tot.cad_sum / tot.cad_n if tot.cad_n else None,
            max_cadence=tot.cad_max,
            avg_power=tot.power_sum / tot.power_n if tot.power_n else None,
            max_power=tot.power_max,
            avg_speed=tot.speed_sum / tot.speed_n if tot.speed_n else None,
            max_speed=tot.speed_max,
            distance_m=distance,
            steps=tot.steps_last - tot.steps_first if tot.steps_n >= 2 else None,
            rr_count=self._rr.count,
            rmssd_ms=self._rr.value(),
        )
