"""Daily summary maths: merge every session of an athlete into local calendar days.

No double counting: for each channel, every instant is taken from exactly one source, the
highest-priority session that measured that channel at that instant (a chest strap over a
feed over an import; ties go to the older session). A second source only fills the gaps the
better one left. Energy is active energy: resting energy (1 MET = 1 kcal per kg per hour) is
subtracted during activities and not counted at all outside them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from . import energy
from .calendar import day_bounds
from .pieces import ACTIVE, DISTANCE, HR, MET, STEPS, Track
from .profile import Profile, Sex, effective_max_hr, effective_resting_hr
from .trimp import trimp_increment
from .zones import Zones

#: Higher wins when two sources measured the same channel at the same instant.
SOURCE_PRIORITY: dict[str, int] = {"ble": 50, "simulator": 40, "feed": 30, "import": 20, "lake": 10}
#: Two sessions overlapping by at least this share of the shorter one are one activity.
SAME_ACTIVITY_OVERLAP = 0.5
KCAL_BASIS = "active energy: resting energy (1 MET) excluded"
_MS_PER_H = 3_600_000.0

RPiece = tuple[int, int, float, int]  # start, end, value, track index


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


def _fill(base: list[RPiece], extra: Sequence[RPiece]) -> list[RPiece]:
    """`base` plus the parts of `extra` that `base` does not cover (both sorted, disjoint)."""
    if not base:
        return list(extra)
    added: list[RPiece] = []
    j, n = 0, len(base)
    for s, e, v, tag in extra:
        while j < n and base[j][1] <= s:
            j += 1
        cur, k = s, j
        while cur < e:
            if k < n and base[k][0] < e:
                if base[k][0] > cur:
                    added.append((cur, base[k][0], v, tag))
                if base[k][1] > cur:
                    cur = base[k][1]
                k += 1
            else:
                added.append((cur, e, v, tag))
                break
    if not added:
        return base
    return sorted(base + added)  # two sorted runs: Timsort merges them in linear time


def resolve(tracks: Sequence[Track], channel: int) -> list[RPiece]:
    """The channel's pieces with exactly one source per instant.

    Tracks whose pieces overlap in time form a cluster; inside a cluster, tracks fill in
    priority order. A lone track (the usual case) is taken as it is.
    """
    spans = sorted(
        (t.pieces[channel][0][0], t.pieces[channel][-1][1], i)
        for i, t in enumerate(tracks)
        if t.pieces[channel]
    )
    clusters: list[list[int]] = []
    reach = 0
    for start, end, i in spans:
        if clusters and start < reach:
            clusters[-1].append(i)
            reach = max(reach, end)
        else:
            clusters.append([i])
            reach = end
    out: list[RPiece] = []
    for cluster in clusters:
        if len(cluster) == 1:
            i = cluster[0]
            out.extend([(s, e, v, i) for s, e, v in tracks[i].pieces[channel]])
            continue
        merged: list[RPiece] = []
        for i in sorted(cluster, key=lambda i: rank(tracks[i]), reverse=True):
            merged = _fill(merged, [(s, e, v, i) for s, e, v in tracks[i].pieces[channel]])
        out.extend(merged)
    return out


def _split(pieces: list[RPiece], starts: Sequence[int], ends: Sequence[int]) -> list[list[RPiece]]:
    """The pieces of each day (sorted, disjoint input), clipped at the day's bounds."""
    piece_starts = [p[0] for p in pieces]
    piece_ends = [p[1] for p in pieces]
    out: list[list[RPiece]] = []
    for lo_ms, hi_ms in zip(starts, ends, strict=True):
        lo = bisect_right(piece_ends, lo_ms)
        hi = bisect_left(piece_starts, hi_ms)
        chunk = pieces[lo:hi]
        if chunk:
            s, e, v, tag = chunk[0]
            if s < lo_ms:
                chunk[0] = (lo_ms, e, v, tag)
            s, e, v, tag = chunk[-1]
            if e > hi_ms:
                chunk[-1] = (s, hi_ms, v, tag)
        out.append(chunk)
    return out


def _integral(chunk: list[RPiece]) -> float:
    return sum([v * (e - s) for s, e, v, _ in chunk])


@dataclass(frozen=True, slots=True)
class EnergyModel:
    """What the kcal maths needs from the profile; `weight_kg` None means no kcal at all."""

    weight_kg: float | None
    age: int | None
    sex: Sex | None

    @property
    def keytel(self) -> bool:
        return self.weight_kg is not None and self.age is not None and self.sex is not None


def _kcal_pieces(
    tracks: Sequence[Track],
    hr: list[RPiece],
    met: list[RPiece],
    active: list[RPiece],
    model: EnergyModel,
) -> list[tuple[list[RPiece], str]]:
    """Active kcal per ms, layered: HR (Keytel) where known, else measured MET, else sport MET.

    The piece tag is the layer: 0 Keytel, 1 MET, 2 sport MET.
    """
    w = model.weight_kg
    if w is None:
        return []
    rest_per_ms = w / _MS_PER_H
    layers: list[tuple[list[RPiece], str]] = []
    if model.keytel:
        assert model.age is not None and model.sex is not None
        cache: dict[float, float] = {}
        out = []
        for s, e, v, _tag in hr:
            k = cache.get(v)
            if k is None:
                gross = energy.keytel_kcal_per_min(v, w, model.age, model.sex) / 60_000.0
                k = cache[v] = max(0.0, gross - rest_per_ms)
            out.append((s, e, k, 0))
        layers.append((out, "keytel2005"))
    layers.append(([(s, e, max(0.0, v - 1.0) * rest_per_ms, 1) for s, e, v, _ in met], "met"))
    sport_out = []
    for s, e, v, tag in active:
        met_value = energy.SPORT_MET.get(tracks[tag].sport, energy.SPORT_MET["other"])
        sport_out.append((s, e, v * max(0.0, met_value - 1.0) * rest_per_ms, 2))
    layers.append((sport_out, "met_sport"))
    return layers


def _activities(tracks: Sequence[Track]) -> list[int]:
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
    if not days:
        return []
    bounds = [day_bounds(d, tz) for d in days]
    starts = [b[0] for b in bounds]
    ends = [b[1] for b in bounds]
    n = len(days)
    year = datetime.fromtimestamp(starts[0] / 1000, UTC).year
    max_hr = effective_max_hr(profile, year)
    rest_hr = effective_resting_hr(profile)
    model = EnergyModel(profile.weight_kg, profile.age(year), profile.sex)

    hr = resolve(tracks, HR)
    met = resolve(tracks, MET)
    active = resolve(tracks, ACTIVE)

    steps = [_integral(c) for c in _split(resolve(tracks, STEPS), starts, ends)]
    dist = [_integral(c) for c in _split(resolve(tracks, DISTANCE), starts, ends)]
    active_ms = [_integral(c) for c in _split(active, starts, ends)]

    hr_ms = [0.0] * n
    hr_sum = [0.0] * n
    hr_max: list[float | None] = [None] * n
    zone_ms = [[0.0] * 5 for _ in range(n)]
    trimp = [0.0] * n
    per_hr: dict[float, tuple[int, float]] = {}
    peaks = any(t.peak_hr is not None for t in tracks)
    for k, chunk in enumerate(_split(hr, starts, ends)):
        if not chunk:
            continue
        histogram: dict[float, int] = {}
        for s, e, v, _ in chunk:
            histogram[v] = histogram.get(v, 0) + (e - s)
        for v, dt in histogram.items():
            hit = per_hr.get(v)
            if hit is None:
                per_ms = trimp_increment(1 / 60_000, v, rest_hr, max_hr, profile.sex)
                hit = per_hr[v] = (zones.zone_of(v), per_ms)
            zone, trimp_per_ms = hit
            hr_ms[k] += dt
            hr_sum[k] += v * dt
            if zone:
                zone_ms[k][zone - 1] += dt
            trimp[k] += trimp_per_ms * dt
        hr_max[k] = max(histogram)
        if peaks:
            hr_max[k] = max((tracks[tag].peak_hr or v) for _, _, v, tag in chunk)

    kcal: list[float | None] = [None] * n
    methods: list[set[str]] = [set() for _ in range(n)]
    layers = _kcal_pieces(tracks, hr, met, active, model)
    if layers:
        merged: list[RPiece] = []
        for pieces, _ in layers:
            merged = _fill(merged, pieces)
        names = ("keytel2005", "met", "met_sport")
        totals = [0.0] * n
        for k, chunk in enumerate(_split(merged, starts, ends)):
            totals[k] = _integral(chunk)
            methods[k] = {names[layer] for _, _, _, layer in chunk}
        kcal = list(totals)

    session_ids: list[list[int]] = [[] for _ in range(n)]
    for t in tracks:
        k = max(0, bisect_right(starts, t.started_ms) - 1)
        while k < n and starts[k] <= t.ended_ms:
            if t.started_ms < ends[k] and (t.ended_ms > starts[k] or t.started_ms >= starts[k]):
                session_ids[k].append(t.session_id)
            k += 1
    sessions = [0] * n
    for start in _activities(tracks):
        k = bisect_right(starts, start) - 1
        if k >= 0 and start < ends[k]:
            sessions[k] += 1

    out = []
    for k, d in enumerate(days):
        z = zone_ms[k]
        peak = hr_max[k]
        out.append(
            DaySummary(
                day=d,
                start_ms=starts[k],
                end_ms=ends[k],
                steps=round(steps[k]),
                distance_m=dist[k],
                active_s=active_ms[k] / 1000.0,
                avg_hr=hr_sum[k] / hr_ms[k] if hr_ms[k] else None,
                max_hr=None if peak is None else round(peak),
                hr_s=hr_ms[k] / 1000.0,
                zone_s=(z[0] / 1000, z[1] / 1000, z[2] / 1000, z[3] / 1000, z[4] / 1000),
                kcal=kcal[k],
                kcal_methods=tuple(sorted(methods[k])),
                trimp=trimp[k],
                sessions=sessions[k],
                session_ids=tuple(sorted(session_ids[k])),
            )
        )
    return out
