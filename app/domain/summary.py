"""Session summary maths: one pure function used on stop, on crash recovery and on import."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from . import energy
from .hrv import rmssd
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


def _paused(t_ms: int, pauses: Sequence[Pause]) -> bool:
    return any(p.start_ms <= t_ms and (p.end_ms is None or t_ms < p.end_ms) for p in pauses)


def _held(
    samples: Sequence[Sample], channel: str | None, ended_ms: int, pauses: Sequence[Pause]
) -> list[tuple[Sample, float]]:
    """(sample, seconds its value holds) for the unpaused samples carrying `channel`.

    Each channel holds until that channel's next reading, so a strap and a foot pod that
    interleave their samples do not cut each other's time short. None = any sample.
    """
    series = [s for s in samples if channel is None or getattr(s, channel) is not None]
    out: list[tuple[Sample, float]] = []
    for i, s in enumerate(series):
        nxt = series[i + 1].t_ms if i + 1 < len(series) else ended_ms
        if not _paused(s.t_ms, pauses):
            out.append((s, max(0, min(nxt - s.t_ms, MAX_HOLD_MS)) / 1000.0))
    return out


def _is_moving(s: Sample) -> bool:
    if s.speed is not None:
        return s.speed >= STOPPED_SPEED
    if s.cadence is not None:
        return s.cadence > 0
    return True  # HR-only (gym, desk): time not paused counts as active


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def summarize(
    samples: Sequence[Sample],
    started_ms: int,
    ended_ms: int,
    profile: Profile,
    sport: str = "other",
    pauses: Sequence[Pause] = (),
    rr_ms: Sequence[float] = (),
    zones: Zones | None = None,
) -> SessionSummary:
    """Summarize time-ordered samples of one session (`zones`: the athlete's; else Karvonen).

    Each channel's value holds until that channel's next reading (at most MAX_HOLD_MS); the
    last one holds until `ended_ms` within the same cap. Paused spans count in duration only.
    Moving time comes from speed if measured, else cadence, else any reading.
    Averages are over unpaused samples; cadence/power averages exclude zeros (coasting).
    """
    year = datetime.fromtimestamp(started_ms / 1000, UTC).year
    max_hr = effective_max_hr(profile, year)
    rest_hr = effective_resting_hr(profile)
    zones = zones or Zones.karvonen(rest_hr, max_hr)
    age = profile.age(year)
    keytel = profile.weight_kg is not None and age is not None and profile.sex is not None

    def held(channel: str | None) -> list[tuple[Sample, float]]:
        return _held(samples, channel, ended_ms, pauses)

    zone_s = [0.0] * 5
    kcal_hr = 0.0
    trimp = 0.0
    for s, dt_s in held("hr"):
        assert s.hr is not None
        zone = zones.zone_of(s.hr)
        if zone:
            zone_s[zone - 1] += dt_s
        trimp += trimp_increment(dt_s / 60.0, s.hr, rest_hr, max_hr, profile.sex)
        if keytel:
            assert profile.weight_kg is not None and age is not None and profile.sex
            per_min = energy.keytel_kcal_per_min(s.hr, profile.weight_kg, age, profile.sex)
            kcal_hr += per_min * dt_s / 60.0

    kcal_met = 0.0
    met_seconds = 0.0
    if profile.weight_kg is not None:
        for s, dt_s in held("met"):
            assert s.met is not None
            kcal_met += energy.met_kcal(s.met, profile.weight_kg, dt_s)
            met_seconds += dt_s

    speed_held = held("speed")
    integrated_distance = sum((s.speed or 0.0) * dt_s for s, dt_s in speed_held)
    if speed_held:
        moving = sum(dt_s for s, dt_s in speed_held if _is_moving(s))
    elif any(s.cadence is not None for s in samples):
        moving = sum(dt_s for s, dt_s in held("cadence") if _is_moving(s))
    else:  # HR-only (gym, desk): time not paused counts as active
        moving = sum(dt_s for _, dt_s in held(None))

    active = [s for s in samples if not _paused(s.t_ms, pauses)]
    hrs = [float(s.hr) for s in active if s.hr is not None]
    cads = [s.cadence for s in active if s.cadence]
    powers = [s.power for s in active if s.power]
    speeds = [s.speed for s in active if s.speed is not None]

    kcal: float | None
    if keytel and hrs:
        kcal, method = kcal_hr, "keytel2005"
    elif met_seconds > 0:
        kcal, method = kcal_met, "met"
    elif profile.weight_kg is not None and moving > 0:
        met = energy.SPORT_MET.get(sport, energy.SPORT_MET["other"])
        kcal, method = energy.met_kcal(met, profile.weight_kg, moving), "met_sport"
    else:
        kcal, method = None, "none"

    distances = [s.distance for s in active if s.distance is not None]
    distance: float | None
    if len(distances) >= 2:
        distance = distances[-1] - distances[0]
    elif speeds:
        distance = integrated_distance
    else:
        distance = None
    steps_values = [s.steps for s in active if s.steps is not None]

    return SessionSummary(
        duration_s=max(0, ended_ms - started_ms) / 1000.0,
        moving_s=moving,
        sample_count=len(samples),
        avg_hr=_mean(hrs),
        max_hr=max((int(h) for h in hrs), default=None),
        zone_s=(zone_s[0], zone_s[1], zone_s[2], zone_s[3], zone_s[4]),
        kcal=kcal,
        kcal_method=method,
        trimp=trimp if hrs else None,
        avg_cadence=_mean(cads),
        max_cadence=max(cads, default=None),
        avg_power=_mean(powers),
        max_power=max(powers, default=None),
        avg_speed=_mean(speeds),
        max_speed=max(speeds, default=None),
        distance_m=distance,
        steps=(steps_values[-1] - steps_values[0]) if len(steps_values) >= 2 else None,
        rr_count=len(rr_ms),
        rmssd_ms=rmssd(rr_ms),
    )
