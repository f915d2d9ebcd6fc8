"""The daily summary maths on numpy lanes (see app.domain.days for the rules).

Every step works on whole arrays: resolving overlapping sources (`fill`), cutting at local
midnights (`split`), integrals, the heart-rate histogram and the energy layers. Per-value
figures (zone, TRIMP, Keytel kcal) are computed once per distinct heart rate. A day's sums
run over its own pieces in time order, so a day's figures do not depend on which other
days were computed with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

import numpy as np
import numpy.typing as npt

from . import energy
from .calendar import day_bounds
from .days import DaySummary, EnergyModel, activity_starts, rank
from .lanes import F64, I64
from .pieces import ACTIVE, DISTANCE, HR, MET, STEPS, Track
from .profile import Profile, effective_max_hr, effective_resting_hr
from .trimp import trimp_increment
from .zones import Zones

_MS_PER_H = 3_600_000.0
_FAR = np.int64(2**62)
LAYERS = ("keytel2005", "met", "met_sport")


@dataclass(frozen=True, slots=True, eq=False)
class Tagged:
    """Sorted, disjoint pieces, each tagged (the index of its track, or an energy layer)."""

    starts: I64
    ends: I64
    values: F64
    tags: I64

    def __len__(self) -> int:
        return len(self.starts)

    def take(self, idx: npt.NDArray[np.intp]) -> Tagged:
        return Tagged(self.starts[idx], self.ends[idx], self.values[idx], self.tags[idx])


_NO_TIMES = np.zeros(0, dtype=np.int64)
_NONE = Tagged(_NO_TIMES, _NO_TIMES, np.zeros(0, dtype=np.float64), _NO_TIMES)


def _concat(parts: Sequence[Tagged]) -> Tagged:
    if not parts:
        return _NONE
    if len(parts) == 1:
        return parts[0]
    return Tagged(
        np.concatenate([p.starts for p in parts]),
        np.concatenate([p.ends for p in parts]),
        np.concatenate([p.values for p in parts]),
        np.concatenate([p.tags for p in parts]),
    )


def _expand(lo: I64, hi: I64) -> tuple[npt.NDArray[np.intp], I64]:
    """For ranges [lo[i], hi[i]): (i repeated per member, the members), empty ranges skipped."""
    counts = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo)), counts)
    first = np.cumsum(counts) - counts
    members = lo[owner] + (np.arange(len(owner)) - first[owner])
    return owner, members


def fill(base: Tagged, extra: Tagged) -> Tagged:
    """`base` plus the parts of `extra` that `base` does not cover (both sorted, disjoint)."""
    if not len(base):
        return extra
    if not len(extra):
        return base
    gap_s = np.concatenate(([-_FAR], base.ends))
    gap_e = np.concatenate((base.starts, [_FAR]))
    real = gap_e > gap_s
    gap_s, gap_e = gap_s[real], gap_e[real]
    first = np.searchsorted(gap_e, extra.starts, side="right")  # gaps ending after the start
    stop = np.searchsorted(gap_s, extra.ends, side="left")  # gaps starting before the end
    owner, gap = _expand(first.astype(np.int64), stop.astype(np.int64))
    if not len(owner):
        return base
    added = Tagged(
        np.maximum(extra.starts[owner], gap_s[gap]),
        np.minimum(extra.ends[owner], gap_e[gap]),
        extra.values[owner],
        extra.tags[owner],
    )
    both = _concat([base, added])
    return both.take(np.argsort(both.starts, kind="stable"))


def resolve(tracks: Sequence[Track], channel: int) -> Tagged:
    """The channel's pieces with exactly one source per instant.

    Tracks whose pieces overlap in time form a cluster; inside a cluster, tracks fill in
    priority order. A lone track (the usual case) is taken as it is.
    """
    spans = sorted(
        (int(ln.starts[0]), int(ln.ends[-1]), i)
        for i, t in enumerate(tracks)
        if len(ln := t.pieces[channel])
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

    def tagged(i: int) -> Tagged:
        ln = tracks[i].pieces[channel]
        return Tagged(ln.starts, ln.ends, ln.values, np.full(len(ln), i, dtype=np.int64))

    out: list[Tagged] = []
    for cluster in clusters:
        merged = _NONE
        for i in sorted(cluster, key=lambda i: rank(tracks[i]), reverse=True):
            merged = fill(merged, tagged(i))
        out.append(merged)
    return _concat(out)


@dataclass(frozen=True, slots=True, eq=False)
class Chunks:
    """Pieces cut at day bounds: `day[i]` is the index of the day piece i falls in."""

    day: npt.NDArray[np.intp]
    starts: I64
    ends: I64
    values: F64
    tags: I64

    def integrals(self, n: int) -> F64:
        """Per day: the sum of value x duration, in time order."""
        dt = (self.ends - self.starts).astype(np.float64, copy=False)
        return np.bincount(self.day, weights=self.values * dt, minlength=n).astype(
            np.float64, copy=False
        )


def split(pieces: Tagged, lo_ms: I64, hi_ms: I64) -> Chunks:
    """The pieces of each day [lo_ms[k], hi_ms[k]), clipped at the day's bounds."""
    lo = np.searchsorted(pieces.ends, lo_ms, side="right").astype(np.int64)
    hi = np.searchsorted(pieces.starts, hi_ms, side="left").astype(np.int64)
    day, idx = _expand(lo, hi)
    return Chunks(
        day,
        np.maximum(pieces.starts[idx], lo_ms[day]),
        np.minimum(pieces.ends[idx], hi_ms[day]),
        pieces.values[idx],
        pieces.tags[idx],
    )


def _energy(
    tracks: Sequence[Track], hr: Tagged, met: Tagged, active: Tagged, model: EnergyModel
) -> Tagged | None:
    """Active kcal per ms, layered: HR (Keytel) where known, else measured MET, else sport MET.

    The tag is the layer (an index into LAYERS). None without a body weight.
    """
    w = model.weight_kg
    if w is None:
        return None
    rest_per_ms = w / _MS_PER_H
    merged = _NONE
    if model.keytel and len(hr):
        assert model.age is not None and model.sex is not None
        uniq, inv = np.unique(hr.values, return_inverse=True)
        per = [
            max(
                0.0, energy.keytel_kcal_per_min(v, w, model.age, model.sex) / 60_000.0 - rest_per_ms
            )
            for v in uniq.tolist()
        ]
        merged = Tagged(hr.starts, hr.ends, np.array(per)[inv], np.zeros(len(hr), dtype=np.int64))
    met_kcal = np.maximum(0.0, met.values - 1.0) * rest_per_ms
    merged = fill(merged, Tagged(met.starts, met.ends, met_kcal, np.ones(len(met), dtype=np.int64)))
    sport = np.array(
        [max(0.0, energy.SPORT_MET.get(t.sport, energy.SPORT_MET["other"]) - 1.0) for t in tracks]
        or [0.0]
    )
    sport_kcal = active.values * sport[active.tags] * rest_per_ms
    layer = np.full(len(active), 2, dtype=np.int64)
    return fill(merged, Tagged(active.starts, active.ends, sport_kcal, layer))


def summarize(
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
    lo_ms, hi_ms = np.array(starts, dtype=np.int64), np.array(ends, dtype=np.int64)
    n = len(days)
    year = datetime.fromtimestamp(starts[0] / 1000, UTC).year
    max_hr = effective_max_hr(profile, year)
    rest_hr = effective_resting_hr(profile)
    model = EnergyModel(profile.weight_kg, profile.age(year), profile.sex)

    hr = resolve(tracks, HR)
    active = resolve(tracks, ACTIVE)
    steps = split(resolve(tracks, STEPS), lo_ms, hi_ms).integrals(n).tolist()
    dist = split(resolve(tracks, DISTANCE), lo_ms, hi_ms).integrals(n).tolist()
    active_ms = split(active, lo_ms, hi_ms).integrals(n).tolist()

    hr_ms = [0.0] * n
    hr_sum = [0.0] * n
    hr_max: list[float | None] = [None] * n
    zone_ms = np.zeros((n, 5))
    trimp = [0.0] * n
    c = split(hr, lo_ms, hi_ms)
    if len(c.day):
        uniq, inv = np.unique(c.values, return_inverse=True)
        u = len(uniq)
        # Durations per (day, heart rate): exact integers, then one product per pair.
        keys, pair = np.unique(c.day * u + inv, return_inverse=True)
        pair_ms = np.bincount(pair, weights=(c.ends - c.starts).astype(np.float64))
        pair_day, pair_hr = keys // u, keys % u
        values = uniq[pair_hr]
        zone_of = np.array([zones.zone_of(v) for v in uniq.tolist()], dtype=np.int64)
        per_ms = np.array(
            [trimp_increment(1 / 60_000, v, rest_hr, max_hr, profile.sex) for v in uniq.tolist()]
        )
        hr_ms = np.bincount(pair_day, weights=pair_ms, minlength=n).tolist()
        hr_sum = np.bincount(pair_day, weights=values * pair_ms, minlength=n).tolist()
        trimp = np.bincount(pair_day, weights=per_ms[pair_hr] * pair_ms, minlength=n).tolist()
        zone = zone_of[pair_hr]
        z = zone > 0
        zone_ms = (
            np.bincount(pair_day[z] * 5 + zone[z] - 1, weights=pair_ms[z], minlength=5 * n)
            .reshape(n, 5)
            .astype(np.float64, copy=False)
        )
        peak = np.full(n, -np.inf)
        if any(t.peak_hr for t in tracks):
            stored = np.array([t.peak_hr or np.nan for t in tracks])[c.tags]
            np.maximum.at(peak, c.day, np.where(np.isnan(stored), c.values, stored))
        else:
            np.maximum.at(peak, pair_day, values)
        hr_max = [None if p == -np.inf else p for p in peak.tolist()]

    kcal: list[float | None] = [None] * n
    methods: list[tuple[str, ...]] = [()] * n
    layers = _energy(tracks, hr, resolve(tracks, MET), active, model)
    if layers is not None:
        kc = split(layers, lo_ms, hi_ms)
        kcal = list(kc.integrals(n).tolist())
        used = np.bincount(kc.day * 3 + kc.tags, minlength=3 * n).reshape(n, 3) > 0
        methods = [tuple(sorted(LAYERS[j] for j in np.flatnonzero(row))) for row in used]

    session_ids: list[list[int]] = [[] for _ in range(n)]
    for t in tracks:
        k0 = max(0, int(np.searchsorted(lo_ms, t.started_ms, side="right")) - 1)
        while k0 < n and starts[k0] <= t.ended_ms:
            if t.started_ms < ends[k0] and (t.ended_ms > starts[k0] or t.started_ms >= starts[k0]):
                session_ids[k0].append(t.session_id)
            k0 += 1
    sessions = [0] * n
    for start in activity_starts(tracks):
        k0 = int(np.searchsorted(lo_ms, start, side="right")) - 1
        if k0 >= 0 and start < ends[k0]:
            sessions[k0] += 1

    zs = (zone_ms / 1000).tolist()
    out = []
    for k, d in enumerate(days):
        top = hr_max[k]
        out.append(
            DaySummary(
                day=d,
                start_ms=starts[k],
                end_ms=ends[k],
                steps=round(steps[k]),
                distance_m=dist[k],
                active_s=active_ms[k] / 1000.0,
                avg_hr=hr_sum[k] / hr_ms[k] if hr_ms[k] else None,
                max_hr=None if top is None else round(top),
                hr_s=hr_ms[k] / 1000.0,
                zone_s=(zs[k][0], zs[k][1], zs[k][2], zs[k][3], zs[k][4]),
                kcal=kcal[k],
                kcal_methods=methods[k],
                trimp=trimp[k],
                sessions=sessions[k],
                session_ids=tuple(sorted(session_ids[k])),
            )
        )
    return out
