"""Sessions with every channel, made through the real Store API."""

from __future__ import annotations

from app.domain.samples import Sample
from app.store.repo import Store

T0 = 1_718_000_000_000  # 2024-06-10T06:13:20Z


def record_session(
    store: Store,
    athlete: str = "Me",
    started_ms: int = T0,
    n: int = 120,
    *,
    seed: int = 0,
    gps: bool = True,
    laps: int = 1,
    is_self: bool = True,
) -> int:
    """A finished session with every channel, RR intervals, laps and a strength set."""
    from sqlalchemy import select

    from app.store import models as m

    a = store.ensure_athlete(athlete, is_self=is_self)
    sid = store.create_session(
        a.id,
        sport="run",
        source="simulator",
        started_ms=started_ms,
        title=f"run {seed}",
        timezone="Europe/Paris",
    )
    samples = []
    for i in range(n):
        samples.append(
            Sample(
                t_ms=started_ms + i * 1000,
                hr=110 + (i * 7 + seed) % 60,
                cadence=160.0 + (i % 5) * 0.5,
                speed=3.0 + (i % 10) / 10,
                power=None if i % 4 == 0 else 200.0 + i % 13,
                distance=3.1 * i,
                lat=(48.85 + i * 1e-5) if gps else None,
                lon=(2.35 + i * 1e-5) if gps else None,
                altitude=35.0 + (i % 7) * 0.25 if gps else None,
                steps=i * 3,
                met=8.5,
                temperature=None if i % 6 == 5 else 14.5 + (i % 9) * 0.25,
                rr=(60000 / (110 + (i * 7 + seed) % 60),),
                received_ms=started_ms + i * 1000 + 40 if i % 2 else None,
                source="strap" if i % 3 else None,
            )
        )
    with store.orm() as s, s.begin():
        dev = s.scalar(
            select(m.Device).where(m.Device.athlete_id == a.id, m.Device.address == "AA:BB")
        )
        if dev is None:
            dev = m.Device(athlete_id=a.id, address="AA:BB", kind="hr", name="strap")
            s.add(dev)
            s.flush()
        device_id = dev.id
    store.insert_samples(sid, samples, {"strap": device_id})
    for k in range(laps):
        store.add_marker(sid, "lap", started_ms + (k + 1) * n * 1000 // (laps + 1), f"lap {k + 1}")
    with store.orm() as s, s.begin():
        s.add(
            m.ExerciseSet(
                session_id=sid,
                athlete_id=a.id,
                exercise_name="Squat",
                reps=5,
                weight_kg=100.0,
                rpe=8.0,
                started_ms=started_ms + 5000,
                ended_ms=started_ms + 35000,
                avg_hr=130.5,
                max_hr=150,
                hr_recovery=22.0,
                e1rm_kg=116.7,
                is_pr=True,
            )
        )
    store.finish_session(sid, started_ms + (n - 1) * 1000)
    return sid
