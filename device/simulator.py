"""A simulated heart-rate strap with a foot pod: plausible HR, RR, cadence, speed; seeded."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass

from app.domain.samples import Sample


@dataclass(frozen=True, slots=True)
class Phase:
    """A block of a workout at a relative effort (0 rest .. 1 maximal)."""

    name: str
    seconds: float
    effort: float


#: Warm-up, 4 x (1 min hard, 1 min easy), cool-down: repeats if the recording is longer.
DEFAULT_WORKOUT: tuple[Phase, ...] = (
    Phase("warm-up", 120, 0.45),
    *[p for _ in range(4) for p in (Phase("interval", 60, 0.9), Phase("recover", 60, 0.5))],
    Phase("cool-down", 120, 0.3),
)

#: Heart rate follows effort with first-order kinetics: faster on the way up than down.
TAU_RISE_S = 25.0
TAU_FALL_S = 45.0


def effort_at(workout: Sequence[Phase], t_s: float) -> float:
    """Effort at `t_s` seconds into the (cyclically repeated) workout."""
    total = sum(p.seconds for p in workout)
    t = t_s % total
    for phase in workout:
        if t < phase.seconds:
            return phase.effort
        t -= phase.seconds
    return workout[-1].effort


class SimulatedStrap:
    """HR strap + running foot pod. Deterministic for a given seed and start time."""

    kind = "simulator"

    def __init__(
        self,
        *,
        seed: int | None = None,
        rate_hz: float = 1.0,
        resting_hr: int = 60,
        max_hr: int = 185,
        workout: Sequence[Phase] = DEFAULT_WORKOUT,
        realtime: bool = True,
        start_ms: int | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if rate_hz <= 0:
            raise ValueError("rate_hz must be positive")
        self.name = "Simulated strap"
        self.rate_hz = rate_hz
        self.resting_hr = resting_hr
        self.max_hr = max_hr
        self.workout = tuple(workout)
        self.realtime = realtime
        self.clock = clock
        self._rng = random.Random(seed)
        self._start_ms = start_ms
        self._hr = float(resting_hr + 10)
        self._beat_phase_ms = 0.0  # time since the last beat, carried between samples
        self._distance = 0.0
        self._steps = 0.0

    def _step(self, t_s: float, dt_s: float) -> tuple[int, tuple[float, ...], float, float]:
        effort = effort_at(self.workout, t_s)
        target = self.resting_hr + effort * 0.95 * (self.max_hr - self.resting_hr)
        tau = TAU_RISE_S if target > self._hr else TAU_FALL_S
        self._hr += (target - self._hr) * (1 - math.exp(-dt_s / tau))
        self._hr += self._rng.gauss(0, 0.4)
        self._hr = min(max(self._hr, self.resting_hr - 5), self.max_hr)
        hr = round(self._hr)
        # RR: beats at 60000/HR with variability that shrinks as effort (HR) rises.
        mean_rr = 60000.0 / self._hr
        sd = max(3.0, 45.0 * (1.0 - (self._hr - self.resting_hr) / (self.max_hr - self.resting_hr)))
        rr: list[float] = []
        self._beat_phase_ms += dt_s * 1000.0
        while True:
            beat = max(250.0, self._rng.gauss(mean_rr, sd))
            if beat > self._beat_phase_ms:
                break
            self._beat_phase_ms -= beat
            rr.append(round(beat, 1))
        if effort >= 0.4:  # running
            cadence = 150 + 35 * effort + self._rng.gauss(0, 1.5)
            speed = 1.5 + 3.5 * effort + self._rng.gauss(0, 0.05)
        elif effort >= 0.25:  # walking
            cadence = 105 + self._rng.gauss(0, 2)
            speed = 1.3 + self._rng.gauss(0, 0.03)
        else:
            cadence, speed = 0.0, 0.0
        return hr, tuple(rr), round(cadence, 1), round(max(speed, 0.0), 3)

    def generate(self, count: int) -> Iterator[Sample]:
        """`count` samples on a simulated clock, without sleeping (tests, benchmarks)."""
        start = self._start_ms if self._start_ms is not None else int(self.clock() * 1000)
        dt = 1.0 / self.rate_hz
        for i in range(count):
            yield self._sample(start + round(i * dt * 1000), i * dt, dt)

    def _sample(self, t_ms: int, t_s: float, dt_s: float) -> Sample:
        hr, rr, cadence, speed = self._step(t_s, dt_s)
        self._distance += speed * dt_s
        self._steps += cadence / 60.0 * dt_s
        return Sample(
            t_ms=t_ms,
            hr=hr,
            rr=rr,
            cadence=cadence,
            speed=speed,
            distance=round(self._distance, 2),
            steps=int(self._steps),
        )

    async def samples(self) -> AsyncIterator[Sample]:
        """Yield forever; in realtime mode paced to the wall clock and stamped with it."""
        if not self.realtime:
            for sample in self.generate(2**62):
                yield sample
                await asyncio.sleep(0)
            return
        dt = 1.0 / self.rate_hz
        t0 = self.clock()
        i = 0
        while True:
            due = t0 + i * dt
            delay = due - self.clock()
            if delay > 0:
                await asyncio.sleep(delay)
            yield self._sample(int(self.clock() * 1000), i * dt, dt)
            i += 1
