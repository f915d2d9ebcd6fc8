"""Run one recording to completion on a fresh asyncio loop (CLI and edge box)."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from dataclasses import dataclass

from app.recorder import Recorder, Recording
from app.store.repo import Store


@dataclass(frozen=True, slots=True)
class RecordOptions:
    athlete: str | None = None
    sport: str = "run"
    duration_s: float | None = None
    simulate: bool = True
    seed: int | None = None
    rate_hz: float = 1.0


def _progress_line(rec: Recording, started: float) -> str:
    last = rec.last_sample
    hr = "-" if last is None or last.hr is None else str(last.hr)
    return f"\r{time.time() - started:6.0f} s  HR {hr:>3}  stored {rec.stats.stored:>6}"


async def record(store: Store, options: RecordOptions, progress: bool = False) -> int:
    """Record until the duration elapses or SIGINT/SIGTERM; always stop and save."""
    from device.simulator import SimulatedStrap

    if options.athlete:
        athlete = store.ensure_athlete(options.athlete)
    else:
        athlete = store.default_athlete()
    recording = await Recorder(store).start(athlete.id, sport=options.sport, source="simulator")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            pass
    strap = SimulatedStrap(
        seed=options.seed,
        rate_hz=options.rate_hz,
        resting_hr=athlete.profile.resting_hr or 60,
        max_hr=athlete.profile.max_hr or 185,
    )
    recording.attach(strap.samples(), name=strap.name)
    started = time.time()
    deadline = None if options.duration_s is None else started + options.duration_s
    try:
        while not stop.is_set():
            timeout = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.time()))
            try:
                await asyncio.wait_for(stop.wait(), timeout)
            except TimeoutError:
                pass
            if progress and sys.stderr.isatty():
                print(_progress_line(recording, started), end="", file=sys.stderr, flush=True)
            if deadline is not None and time.time() >= deadline:
                break
    finally:
        if progress and sys.stderr.isatty():
            print(file=sys.stderr)
        await recording.stop()
    return recording.session_id


def run_recording(store: Store, options: RecordOptions, progress: bool = False) -> int:
    """Blocking wrapper used by the CLI; returns the session id."""
    return asyncio.run(record(store, options, progress))
