"""Daily summary maths: merge every session of an athlete into local calendar days.

No double counting: for each channel, every instant is taken from exactly one source, the
highest-priority session that measured that channel at that instant (a chest strap over a
feed over an import; ties go to the older session). A second source only fills the gaps the
better one left. Energy is active energy: resting energy (1 MET = 1 kcal per kg per hour) is
subtracted during activities and not counted at all outside them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, tzinfo

from .pieces import Track
from .profile import Profile, Sex
from .zones import Zones

#: Higher wins when two sources measured the same channel at the same instant.
SOURCE_PRIORITY: dict[str, int] = {"ble": 50, "simulator": 40, "feed": 30, "import": 20, "lake": 10}
#: Two sessions overlapping by at least this share of the shorter one are one activity.
SAME_ACTIVITY_OVERLAP = 0.5
KCAL_BASIS = "active energy: resting energy (1 MET) excluded"


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One athlete's local calendar day; distances in metres, times in seconds."""

    day: date
    start_ms: int
    end_ms: int
    steps: int
    distance_m: float
    active_s: float
    avg_hr: float | None
    max_hr: int | None
    hr_s: float
    zone_s: tuple[float, float, float, float, float]
    kcal: float | None
    kcal_methods: tuple[str, ...]
    trimp: float
    sessions: int
    session_ids: tuple[int, ...]

    @property
    def active_min(self) -> float:
        return self.active_s / 60.0


def combine(a: DaySummary, b: DaySummary) -> DaySummary:
    """One day's summary of two disjoint stretches of time (the live tracker's halves)."""
    hr_s = a.hr_s + b.hr_s
    avg = None
    if hr_s:
        avg = ((a.avg_hr or 0.0) * a.hr_s + (b.avg_hr or 0.0) * b.hr_s) / hr_s
    peaks = [x for x in (a.max_hr, b.max_hr) if x is not None]
    kcals = [x for x in (a.kcal, b.kcal) if x is not None]
    return DaySummary(
        day=a.day,
        start_ms=a.start_ms,
        end_ms=a.end_ms,
        steps=a.steps + b.steps,
        distance_m=a.distance_m + b.distance_m,
        active_s=a.active_s + b.active_s,
        avg_hr=avg,
        max_hr=max(peaks) if peaks else None,
        hr_s=hr_s,
        zone_s=tuple(x + y for x, y in zip(a.zone_s, b.zone_s, strict=True)),  # type: ignore[arg-type]
        kcal=sum(kcals) if kcals else None,
        kcal_methods=tuple(sorted(set(a.kcal_methods) | set(b.kcal_methods))),
        trimp=a.trimp + b.trimp,
        sessions=a.sessions + b.sessions,
        session_ids=tuple(sorted(set(a.session_ids) | set(b.session_ids))),
    )


def rank(track: Track) -> tuple[int, int]:
    """Sort key: source priority, then the older session."""
    return (SOURCE_PRIORITY.get(track.source, 0), -track.session_id)


@dataclass(frozen=True, slots=True)
class EnergyModel:
    """What the kcal maths needs from the profile; `weight_kg` None means no kcal at all."""

    weight_kg: float | None
    age: int | None
    sex: Sex | None

    @property
    def keytel(self) -> bool:
        return self.weight_kg is not None and self.age is not None and self.sex is not None


def activity_starts(tracks: Sequence[Track]) -> list[int]:
    """Start of each activity: sessions overlapping enough (see _same_activity) are one."""
    groups: list[tuple[list[Track], int]] = []  # members, latest end
    recent: list[int] = []  # groups that can still overlap what comes next
    for t in sorted(tracks, key=lambda t: (t.started_ms, t.session_id)):
        recent = [g for g in recent if groups[g][1] >= t.started_ms]
        for g in recent:
            members, reach = groups[g]
            if any(_same_activity(t, o) for o in members):
                members.append(t)
                groups[g] = (members, max(reach, t.ended_ms))
                break
        else:
            groups.append(([t], t.ended_ms))
            recent.append(len(groups) - 1)
    return [min(t.started_ms for t in members) for members, _ in groups]


def _same_activity(a: Track, b: Track) -> bool:
    overlap = min(a.ended_ms, b.ended_ms) - max(a.started_ms, b.started_ms)
    shorter = min(a.ended_ms - a.started_ms, b.ended_ms - b.started_ms)
    if shorter <= 0:
        return a.started_ms == b.started_ms
    return overlap >= SAME_ACTIVITY_OVERLAP * shorter


def summarize_days(
    tracks: Sequence[Track],
    days: Sequence[date],
    tz: tzinfo,
    profile: Profile,
    zones: Zones,
) -> list[DaySummary]:
    """One DaySummary per entry of `days` (sorted, distinct) from every overlapping track."""
    from .day_lanes import summarize  # numpy: loaded when days are computed, not at start-up

    return summarize(tracks, days, tz, profile, zones)
