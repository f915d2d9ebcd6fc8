"""Helpers for the import tests: a simulated recording stored through the Store API."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from app.domain.samples import Sample
from app.store.repo import Store
from device.simulator import SimulatedStrap

START_MS = 1_700_000_000_123


def _recorded_session(store: Store, seconds: int = 600, rate_hz: float = 1.0) -> int:
    """A finished run with RR, positions, power, a lap and a pause, like a live recording."""
    athlete = store.default_athlete()
    sid = store.create_session(athlete.id, sport="run", source="simulator", started_ms=START_MS)
    strap = SimulatedStrap(seed=7, rate_hz=rate_hz, start_ms=START_MS + 250, realtime=False)
    samples: list[Sample] = []
    for i, s in enumerate(strap.generate(int(seconds * rate_hz))):
        samples.append(
            replace(
                s, lat=47.0 + i * 1e-5, lon=8.0 + i * 2e-5, altitude=400 + i % 7, power=200 + i % 50
            )
        )
    store.insert_samples(sid, samples)
    store.add_marker(sid, "lap", START_MS + seconds * 400)
    store.add_marker(sid, "pause", START_MS + seconds * 600)
    store.add_marker(sid, "resume", START_MS + seconds * 650)
    store.finish_session(sid, samples[-1].t_ms + 700)
    return sid


@pytest.fixture
def recorded_session() -> Callable[..., int]:
    return _recorded_session
