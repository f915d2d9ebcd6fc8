"""The session detail: channels with gaps, laps, sets and RR from the store, for the charts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.domain.summary import MAX_HOLD_MS
from app.domain.zones import Zones
from app.store import queries

from .athletes import zone_floors
from .history import sync_states
from .rows import METRIC, Lap, SessionDetail, session_row, set_row

if TYPE_CHECKING:
    import numpy as np

    from app.store.repo import Store

#: The channels charted when the session has at least one value of them.
CHANNELS = ("hr", "cadence", "speed", "power")


def session_detail(store: Store, session_id: int) -> SessionDetail:
    """Load one session for the detail screen; x is seconds since the start."""
    import numpy as np

    info = store.get_session(session_id)
    if info is None:
        raise LookupError(f"no session {session_id}")
    athlete = store.athlete(info.athlete_id)
    if athlete is None:
        raise LookupError(f"no athlete {info.athlete_id}")
    units = queries.athlete_units(store, info.athlete_id) or METRIC
    samples = store.load_samples(session_id)
    t = np.fromiter(((s.t_ms - info.started_ms) / 1000 for s in samples), float, len(samples))
    channels = {}
    for c in CHANNELS:
        y = np.array([np.nan if getattr(s, c) is None else getattr(s, c) for s in samples])
        if len(y) and np.isfinite(y).any():
            channels[c] = y
    rr = queries.rr_intervals(store, session_id)
    t, channels = with_gaps(t, channels, MAX_HOLD_MS / 1000)
    rr_t = np.array([(t_ms - info.started_ms) / 1000 for t_ms, _ in rr], dtype=float)
    rr_ms = np.array([ms for _, ms in rr], dtype=float)
    end_ms = info.ended_ms or (samples[-1].t_ms if samples else info.started_ms)
    laps = lap_rows(store.load_markers(session_id), info.started_ms, end_ms, t, channels)
    sync = sync_states(store, [session_id]).get(session_id, "-")
    floors = zone_floors(store, info.athlete_id)
    hr_t = [s.t_ms for s in samples if s.hr is not None]
    hr_v = [s.hr for s in samples if s.hr is not None]
    pauses = [(p.start_ms, p.end_ms) for p in store.load_pauses(session_id)]
    rest = rest_seconds(hr_t, hr_v, Zones(floors), end_ms, pauses) if hr_t else None
    return SessionDetail(
        row=session_row(info, sync),
        athlete_id=info.athlete_id,
        read_only=athlete.read_only,
        units=units,
        t=t,
        channels=channels,
        zone_s=info.zone_s,
        zone_floors=floors,
        laps=laps,
        sets=tuple(queries.session_sets(store, session_id, set_row)),
        moving_s=info.moving_s,
        max_hr=info.max_hr,
        trimp=info.trimp,
        avg_cadence=info.avg_cadence,
        avg_power=info.avg_power,
        avg_speed=info.avg_speed,
        steps=info.steps,
        rr_count=info.rr_count,
        rmssd_ms=info.rmssd_ms,
        rr_t=rr_t,
        rr_ms=rr_ms,
        rest_s=rest,
        has_positions=any(s.lat is not None and s.lon is not None for s in samples),
        kcal_missing=kcal_missing(athlete.profile) if info.kcal is None else "",
    )


def rest_seconds(
    t_ms: Sequence[int],
    hr: Sequence[int | None],
    zones: Zones,
    end_ms: int,
    pauses: Sequence[tuple[int, int | None]] = (),
) -> float:
    """Seconds with HR below zone 1: each reading holds until the next (at most MAX_HOLD_MS),
    the last until `end_ms`; readings inside a pause count nothing (the zone times' rule)."""
    total = 0.0
    for i, (t, value) in enumerate(zip(t_ms, hr, strict=True)):
        if value is None or zones.zone_of(value) != 0:
            continue
        if any(a <= t and (b is None or t < b) for a, b in pauses):
            continue
        until = t_ms[i + 1] if i + 1 < len(t_ms) else end_ms
        total += max(0, min(until - t, MAX_HOLD_MS)) / 1000.0
    return total


def kcal_missing(profile: object) -> str:
    """Which profile fields kcal needs and the athlete has not set ("" when none is missing)."""
    names = {"weight_kg": "weight", "birth_year": "birth year", "sex": "sex"}
    missing = [label for key, label in names.items() if getattr(profile, key, None) is None]
    return ", ".join(missing)


def with_gaps(
    t: np.ndarray, channels: dict[str, np.ndarray], gap_s: float
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Insert one NaN row after every silence longer than `gap_s`: charts draw it as a gap."""
    import numpy as np

    if len(t) < 2:
        return t, channels
    breaks = np.nonzero(np.diff(t) > gap_s)[0] + 1
    if not len(breaks):
        return t, channels
    t2 = np.insert(t, breaks, t[breaks - 1] + gap_s / 2)
    return t2, {k: np.insert(v.astype(float), breaks, np.nan) for k, v in channels.items()}


def lap_rows(
    markers: Sequence[tuple[str, int, str | None]],
    started_ms: int,
    ended_ms: int,
    t: np.ndarray,
    channels: dict[str, np.ndarray],
) -> tuple[Lap, ...]:
    """Laps from lap markers: [start, marker1), [marker1, marker2) ... [last, end]."""
    import numpy as np

    edges = [started_ms] + [ms for kind, ms, _ in markers if kind == "lap"] + [ended_ms]
    hr = channels.get("hr")
    out = []
    for i, (a, b) in enumerate(zip(edges, edges[1:], strict=False), start=1):
        x0, x1 = (a - started_ms) / 1000, (b - started_ms) / 1000
        avg = None
        if hr is not None and len(t):
            sel = hr[(t >= x0) & (t < x1)]
            sel = sel[np.isfinite(sel)]
            avg = float(sel.mean()) if len(sel) else None
        out.append(Lap(i, x0, max(0.0, x1 - x0), avg))
    return tuple(out)
