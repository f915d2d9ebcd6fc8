"""Demo data for screenshots and first looks: simulated athletes, sessions, sets and goals."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

from app.domain.samples import Sample
from app.store import models as m
from app.store.repo import AthleteInfo, Store
from device.simulator import SimulatedStrap

from .services import Services

DAY_MS = 86_400_000
#: The demo dashboard shows a recording this far in: the end of the last hard interval of the
#: simulator's workout, so the screenshot shows a high zone.
DEMO_BACKLOG_S = 535


def fill_demo(store: Store, now_ms: int | None = None) -> None:
    """Three athletes with a few weeks of sessions; does nothing if sessions already exist."""
    if store.list_sessions():
        return
    now = now_ms or int(time.time() * 1000)
    me = store.default_athlete()
    store.update_profile(
        me.id, birth_year=1990, sex="male", weight_kg=74.0, resting_hr=52, max_hr=190,
        timezone=None,
    )  # fmt: skip
    alex = store.ensure_athlete("Alex Martin")
    store.update_profile(alex.id, birth_year=1996, sex="female", weight_kg=61.0, resting_hr=58)
    sam = store.ensure_athlete("Sam Lee (club)")
    store.update_profile(sam.id, read_only=True, remote_ref="lake:sam", weight_kg=80.0)
    plan = [
        (me.id, "run", 1, 14, 45 * 60, "Intervals 4x1'"),
        (me.id, "ride", 2, 10, 70 * 60, "Endurance ride"),
        (me.id, "gym", 4, 18, 40 * 60, "Upper body"),
        (me.id, "run", 6, 7, 35 * 60, None),
        (me.id, "walk", 8, 12, 30 * 60, "Lunch walk"),
        (alex.id, "run", 1, 8, 30 * 60, "Easy run"),
        (alex.id, "run", 3, 8, 50 * 60, "Tempo"),
        (sam.id, "ride", 2, 17, 60 * 60, "Club ride"),
    ]
    for i, (athlete_id, sport, days_ago, hour, seconds, title) in enumerate(plan):
        day = now - days_ago * DAY_MS
        started = day - day % DAY_MS + hour * 3_600_000
        _session(store, athlete_id, sport, started, seconds, title, seed=i)
    with store.orm() as s, s.begin():
        for kind, period, target, zone in (
            ("active_min", "daily", 30, None),
            ("steps", "daily", 8000, None),
            ("sessions", "weekly", 4, None),
            ("zone_min", "weekly", 45, 3),
            ("distance", "weekly", 60, None),
            ("streak", "weekly", 3, None),
        ):
            s.add(
                m.Goal(
                    athlete_id=me.id,
                    kind=kind,
                    period=period,
                    target=target,
                    zone=zone,
                    created_ms=now - 30 * DAY_MS,
                )  # fmt: skip
            )
        for address, name, kind, battery in (
            ("C4:7F:51:0A:11:22", "Polar H10 8A1B2C", "hr", 87),
            ("E1:02:33:44:55:66", "Stryd footpod", "rsc", 64),
        ):
            s.add(
                m.Device(
                    athlete_id=me.id,
                    address=address,
                    name=name,
                    kind=kind,
                    paired=True,
                    battery_pct=battery,
                    last_seen_ms=now - DAY_MS,
                )  # fmt: skip
            )


def _session(
    store: Store,
    athlete_id: int,
    sport: str,
    started: int,
    seconds: int,
    title: str | None,
    seed: int,
) -> int:
    sid = store.create_session(athlete_id, sport=sport, source="simulator", started_ms=started,
                               title=title)  # fmt: skip
    strap = SimulatedStrap(seed=seed, rate_hz=1.0, start_ms=started, realtime=False)
    samples = list(strap.generate(seconds))
    if sport == "ride":
        samples = [
            Sample(s.t_ms, hr=s.hr, rr=s.rr, cadence=round((s.cadence or 0) * 0.55, 1),
                   speed=(s.speed or 0) * 2.2, power=round(120 + (s.hr or 100) * 0.9, 0))
            for s in samples
        ]  # fmt: skip
    elif sport == "gym":
        samples = [Sample(s.t_ms, hr=s.hr, rr=s.rr) for s in samples]
    if seconds > 1200:  # a short drop-out shows as a gap in the chart
        samples = samples[:600] + samples[640:]
    store.insert_samples(sid, samples)
    for lap in range(1, seconds // 600):
        store.add_marker(sid, "lap", started + lap * 600_000)
    if sport == "gym":
        with store.orm() as s, s.begin():
            for i, (name, reps, kg) in enumerate(
                [("Bench press", 8, 70.0), ("Bench press", 8, 72.5), ("Pull-up", 10, None),
                 ("Overhead press", 6, 45.0), ("Barbell row", 10, 60.0)]
            ):  # fmt: skip
                t0 = started + 300_000 + i * 240_000
                window = [x.hr for x in samples if t0 <= x.t_ms <= t0 + 45_000 and x.hr]
                s.add(
                    m.ExerciseSet(
                        session_id=sid,
                        athlete_id=athlete_id,
                        exercise_name=name,
                        reps=reps,
                        weight_kg=kg,
                        rpe=7.5 + i % 3 * 0.5,
                        started_ms=t0,
                        ended_ms=t0 + 45_000,
                        avg_hr=sum(window) / len(window) if window else None,
                        max_hr=max(window) if window else None,
                        hr_recovery=22.0 - i,
                    )  # fmt: skip
                )
    store.finish_session(sid, started + seconds * 1000)
    return sid


class _DemoClock:
    """Runs `lag` seconds behind until the demo source has replayed its backlog."""

    def __init__(self, lag_s: float) -> None:
        self.lag_s = lag_s

    def __call__(self) -> float:
        return time.time() - self.lag_s


class _BacklogStrap:
    """A simulated strap (with power) that first replays `backlog_s` seconds, then runs in real
    time."""

    kind = "simulator"
    key = "default"

    def __init__(self, athlete: AthleteInfo, clock: _DemoClock) -> None:
        self.name = "Simulated strap"
        self.clock = clock
        self.athlete = athlete

    async def samples(self) -> AsyncIterator[Sample]:
        start = int(self.clock() * 1000)
        self.clock.lag_s = 0
        strap = SimulatedStrap(
            seed=7, start_ms=start, realtime=False,
            resting_hr=self.athlete.profile.resting_hr or 60,
            max_hr=self.athlete.profile.max_hr or 185, power_w=320.0,
        )  # fmt: skip
        gen = strap.generate(10**9)
        for sample in gen:
            yield sample
            if sample.t_ms >= time.time() * 1000:
                break
        import asyncio

        while True:
            await asyncio.sleep(1.0)
            yield next(gen)


def demo_services(store: Store, data_dir: Path) -> Services:
    """Services whose recording starts with a replayed backlog (dashboard mid-session)."""
    clock = _DemoClock(DEMO_BACKLOG_S)
    return Services.build(store, data_dir, sources=lambda a: [_BacklogStrap(a, clock)], clock=clock)
