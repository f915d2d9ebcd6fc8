"""A training history on a real store for the trends tests, benchmark and screenshots.

`fill_history(store, weeks)`: an athlete training 3-5 times a week (run, ride, strength) with
1 Hz samples (HR always, power on rides, RR on some), a morning HRV reading most days (body
metrics), a weighing twice a week, squat / bench sets on strength days and a streak goal.
Deterministic for a seed. `hrv_session(store, ...)`: one ride with RR (artefacts included).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

import numpy as np

from app.domain.samples import Sample
from app.store.repo import Store

from .series import fgn, rr

DAY_MS = 86_400_000


def _ms(d: date, hour: float) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000 + hour * 3.6e6)


def _samples(
    t0: int, minutes: int, hr_mean: float, rng: np.random.Generator, *, power: bool, hz: float
) -> list[Sample]:
    n = int(minutes * 60 * hz)
    step = int(1000 / hz)
    drift = np.linspace(-8, 8, n) + rng.normal(0, 2, n)
    out = []
    for i in range(n):
        hr = int(hr_mean + drift[i] + 10 * math.sin(i / (300 * hz)))
        out.append(
            Sample(
                t_ms=t0 + i * step,
                hr=hr,
                power=float(max(0, 150 + (hr - 120) * 3)) if power else None,
                speed=3.0 if not power else 8.0,
            )
        )
    return out


def fill_history(
    store: Store, weeks: int = 12, *, end: date | None = None, hz: float = 0.2, seed: int = 7,
    name: str = "Me",
) -> int:  # fmt: skip
    """`weeks` of training ending on `end` (default today, UTC); returns the athlete id."""
    from app.training.body import add_metric
    from app.training.goals import GoalEngine
    from app.training.strength import log_set

    rng = np.random.default_rng(seed)
    a = store.ensure_athlete(name, is_self=True)
    store.update_profile(a.id, birth_year=1988, sex="male", weight_kg=74.0, resting_hr=50,
                         max_hr=188)  # fmt: skip
    end = end or datetime.now(UTC).date()
    first = end - timedelta(weeks=weeks) + timedelta(days=1)
    weight = 76.0
    squat = 80.0
    for i in range((end - first).days + 1):
        d = first + timedelta(days=i)
        fitness = i / max(1, (end - first).days)
        if rng.random() < 0.85:
            rmssd = float(np.exp(rng.normal(4.0 + 0.2 * fitness, 0.15)))
            add_metric(store, a.id, "rmssd", round(rmssd, 1), _ms(d, 6.5), "manual")
            add_metric(store, a.id, "resting_hr", round(52 - 4 * fitness + rng.normal(0, 1.5)),
                       _ms(d, 6.5), "manual")  # fmt: skip
        if d.weekday() in (0, 4):
            weight -= rng.normal(0.06, 0.15)
            add_metric(store, a.id, "weight_kg", round(weight, 1), _ms(d, 7), "manual")
        kind = {0: "run", 2: "ride", 3: "strength", 5: "ride", 6: "run"}.get(d.weekday())
        if kind is None or rng.random() < 0.2:
            continue
        start = _ms(d, 17.5)
        minutes = int(rng.integers(30, 50) if kind != "ride" else rng.integers(60, 120))
        sid = store.create_session(a.id, sport=kind, source="ble", started_ms=start)
        hr_mean = {"run": 148, "ride": 135, "strength": 110}[kind]
        samples = _samples(start, minutes, hr_mean, rng, power=kind == "ride", hz=hz)
        store.insert_samples(sid, samples)
        store.finish_session(sid, samples[-1].t_ms + 1000)
        if kind == "strength":
            squat += rng.normal(0.4, 0.8)
            for k, (ex, w) in enumerate((("Back squat", squat), ("Bench press", squat * 0.75))):
                reps = int(rng.integers(3, 8))
                log_set(store, a.id, ex, reps, round(w / 2.5) * 2.5, start + 60_000 * (5 + k),
                        session_id=sid)  # fmt: skip
    GoalEngine(store).add(a.id, "streak", "weekly", 8)
    return a.id


def hrv_session(
    store: Store, athlete_id: int, t0: int, *, beats: int = 3000, artefacts: int = 6,
    with_rr: bool = True, seed: int = 0,
) -> int:  # fmt: skip
    """A ride with one notification a second carrying that second's RR (fGn α ≈ 0.8)."""
    rng = np.random.default_rng(seed)
    x = rr(fgn(beats, 0.8, rng), 560.0, 25.0)
    # a ramp: the RR shortens (HR rises) and α1 falls towards the end
    x = x * np.linspace(1.15, 0.8, beats)
    x[: beats // 3] = rr(fgn(beats // 3, 0.95, rng), 640.0, 30.0)
    for i in rng.integers(200, beats - 200, artefacts):
        x[i] *= 2.0
    x[beats // 2 : beats // 2 + 90 : 3] *= 0.55  # a burst of ectopics: an unreliable window
    sid = store.create_session(athlete_id, sport="ride", source="ble", started_ms=t0)
    samples, t, i = [], t0, 0
    while i < beats:
        group, total = [], 0.0
        while i < beats and total < 1000:
            group.append(float(x[i]))
            total += x[i]
            i += 1
        hr = int(60_000 / float(np.mean(group)))
        samples.append(Sample(t_ms=t, hr=hr, power=float(hr * 2 - 50),
                              rr=tuple(group) if with_rr else ()))  # fmt: skip
        t += 1000
    store.insert_samples(sid, samples)
    store.finish_session(sid, t)
    return sid
