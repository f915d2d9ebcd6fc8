"""Sessions for Strava tests, recorded through the real store."""

from __future__ import annotations

from app.domain.samples import Sample
from app.store.repo import Store


def make_session(
    store: Store,
    start_s: float,
    *,
    title: str | None = None,
    sport: str = "run",
    gps: bool = True,
    n: int = 30,
    seed: int = 0,
) -> int:
    """A finished session of `n` one-second samples (with or without positions)."""
    athlete = store.default_athlete()
    t0 = int(start_s * 1000)
    sid = store.create_session(
        athlete.id, sport=sport, source="simulator", started_ms=t0, title=title
    )
    samples = [
        Sample(
            t_ms=t0 + i * 1000,
            hr=120 + (i + seed) % 40,
            cadence=170.0 if sport == "run" else 85.0,
            speed=3.0,
            distance=3.0 * i,
            lat=(48.1 + seed * 0.01 + i * 1e-4) if gps else None,
            lon=(11.5 + i * 1e-4) if gps else None,
            altitude=500.0 if gps else None,
        )
        for i in range(n)
    ]
    store.insert_samples(sid, samples)
    store.finish_session(sid, t0 + n * 1000)
    return sid
