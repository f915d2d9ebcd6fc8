"""The daily summary maths as it was before numpy (lists of tuples), kept as a test oracle:
app.domain.day_lanes must give the same figures (within 1e-9 relative) on random tracks."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from app.domain import energy
from app.domain.calendar import day_bounds
from app.domain.days import DaySummary, EnergyModel, activity_starts, rank
from app.domain.pieces import ACTIVE, DISTANCE, HR, MET, STEPS, Piece, Track
from app.domain.profile import Profile, effective_max_hr, effective_resting_hr
from app.domain.trimp import trimp_increment
from app.domain.zones import Zones

_MS_PER_H = 3_600_000.0
RPiece = tuple[int, int, float, int]  # start, end, value, track index


@dataclass(frozen=True, slots=True)
class ListTrack:
    """A Track whose pieces are lists of tuples (as every Track was)."""

    session_id: int
    source: str
    sport: str
    started_ms: int
    ended_ms: int
    pieces: tuple[list[Piece], ...]
    peak_hr: float | None = None


def as_lists(t: Track) -> ListTrack:
    lists = tuple(lane.pieces() for lane in t.pieces)
    return ListTrack(t.session_id, t.source, t.sport, t.started_ms, t.ended_ms, lists, t.peak_hr)


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


def _resolve(tracks: Sequence[ListTrack], channel: int) -> list[RPiece]:
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
        for i in sorted(cluster, key=lambda i: rank(tracks[i]), reverse=True):  # type: ignore[arg-type]
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


def _kcal_pieces(
    tracks: Sequence[ListTrack],
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


def summarize_days(
    tracks: Sequence[ListTrack],
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

    hr = _resolve(tracks, HR)
    met = _resolve(tracks, MET)
    active = _resolve(tracks, ACTIVE)

    steps = [_integral(c) for c in _split(_resolve(tracks, STEPS), starts, ends)]
    dist = [_integral(c) for c in _split(_resolve(tracks, DISTANCE), starts, ends)]
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
    for start in activity_starts(tracks):  # type: ignore[arg-type]
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
