"""Synthetic athletes for the trace server: plausible HR, RR, cadence, steps, MET; faults on demand.

Deterministic for a seed and start time: sample values depend only on (seed, athlete, tick),
never on wall-clock timing. The ledger records every canonical sample published, so a test
can compare what a client stored with what was sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from app.domain.samples import Sample
from device.simulator import DEFAULT_WORKOUT, Phase, SimulatedStrap

from .protocol import PROTOCOL_VERSION, RemoteAthlete, encode_control
from .server import TraceHub, TraceServer

log = logging.getLogger(__name__)

#: Fault kinds `--faults` accepts, and what a client should do with each.
FAULTS: dict[str, str] = {
    "drop": "abort every connection without a close frame (client reconnects and resumes)",
    "malformed": "send broken JSON (client rejects: bad-json)",
    "nan": "send a sample with a NaN heart rate (client rejects: non-finite)",
    "wrong-type": "send a heart rate as a string (client rejects: wrong-type)",
    "out-of-range": "send a heart rate of 400 bpm (client rejects: out-of-range)",
    "duplicate": "resend the last batch (client drops each sample as a duplicate)",
    "out-of-order": "send a stale sample older than the last one (client rejects: non-monotonic)",
    "huge": "send a message larger than the client's cap (client rejects: oversize)",
}
#: Default size of a `huge` message: over the client's 256 KiB cap, under its 1 MiB hard limit.
HUGE_BYTES = 512 * 1024


class FaultSpecError(ValueError):
    """A `--faults` list that names an unknown fault or a bad time."""


@dataclass(frozen=True, slots=True)
class FaultPlan:
    """Periodic faults (round-robin, one every `every_s` stream seconds) and timed ones."""

    periodic: tuple[str, ...] = ()
    every_s: float = 5.0
    timed: tuple[tuple[float, str], ...] = ()


def parse_faults(spec: str, every_s: float = 5.0) -> FaultPlan:
    """Parse `drop,malformed,huge@12.5`: plain names repeat every `every_s`, `@T` fires once."""
    if every_s <= 0:
        raise FaultSpecError("the fault interval must be positive")
    periodic: list[str] = []
    timed: list[tuple[float, str]] = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, at = item.partition("@")
        if name not in FAULTS:
            raise FaultSpecError(f"unknown fault {name!r}; choose from {', '.join(FAULTS)}")
        if at:
            try:
                seconds = float(at)
            except ValueError:
                raise FaultSpecError(f"bad fault time in {item!r}") from None
            if seconds < 0:
                raise FaultSpecError(f"negative fault time in {item!r}")
            timed.append((seconds, name))
        else:
            periodic.append(name)
    return FaultPlan(tuple(periodic), every_s, tuple(sorted(timed)))


def met_for(speed: float | None, cadence: float | None) -> float:
    """ACSM metabolic equations: running above 140 steps/min, walking when moving, else rest."""
    v = (speed or 0.0) * 60.0  # m/min
    if cadence and cadence >= 140:
        return round((3.5 + 0.2 * v) / 3.5, 2)
    if v > 0:
        return round((3.5 + 0.1 * v) / 3.5, 2)
    return 1.0


@dataclass(frozen=True, slots=True)
class SyntheticAthlete:
    """One simulated athlete: its descriptor, heart profile and device clock offset."""

    info: RemoteAthlete
    resting_hr: int
    max_hr: int
    clock_offset_ms: int
    workout: tuple[Phase, ...]


def make_athletes(count: int, seed: int) -> list[SyntheticAthlete]:
    """`count` plausible, distinct athletes derived from `seed` alone."""
    out = []
    for i in range(count):
        rng = random.Random(f"pulsedeck-athlete:{seed}:{i}")
        scale = rng.uniform(0.7, 1.3)
        workout = tuple(replace(p, seconds=p.seconds * scale) for p in DEFAULT_WORKOUT)
        out.append(
            SyntheticAthlete(
                info=RemoteAthlete(
                    key=f"a{i + 1:02d}",
                    name=f"Sim Athlete {i + 1:02d}",
                    height_cm=round(rng.uniform(155, 200), 1),
                    weight_kg=round(rng.uniform(50, 95), 1),
                ),
                resting_hr=rng.randint(45, 70),
                max_hr=rng.randint(170, 200),
                clock_offset_ms=rng.randint(-3000, 3000),
                workout=workout,
            )
        )
    return out


class TraceSimulator:
    """Publishes N athletes' samples into a hub at `rate_hz`, injecting faults as planned."""

    def __init__(
        self,
        hub: TraceHub,
        *,
        athletes: int = 4,
        rate_hz: float = 1.0,
        seed: int | None = None,
        start_ms: int | None = None,
        speed: float = 1.0,
        faults: FaultPlan | None = None,
        server: TraceServer | None = None,
        huge_bytes: int = HUGE_BYTES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if athletes < 1:
            raise ValueError("at least one athlete")
        if rate_hz <= 0 or speed <= 0:
            raise ValueError("rate and speed must be positive")
        self.hub = hub
        self.server = server
        self.rate_hz = rate_hz
        self.speed = speed
        self.seed = seed if seed is not None else random.randrange(2**31)
        self.start_ms = start_ms if start_ms is not None else int(clock() * 1000)
        self.faults = faults or FaultPlan()
        self.huge_bytes = huge_bytes
        self.clock = clock
        self.athletes = make_athletes(athletes, self.seed)
        self._streams: list[Iterator[Sample]] = [
            SimulatedStrap(
                seed=f"pulsedeck-strap:{self.seed}:{i}",  # type: ignore[arg-type]
                rate_hz=rate_hz,
                resting_hr=a.resting_hr,
                max_hr=a.max_hr,
                workout=a.workout,
                realtime=False,
                start_ms=self.start_ms + a.clock_offset_ms,
            ).generate(2**62)
            for i, a in enumerate(self.athletes)
        ]
        self.ticks = 0
        #: Every canonical sample published, per athlete key (what a client must end up with).
        self.ledger: dict[str, list[Sample]] = {a.info.key: [] for a in self.athletes}
        #: Faults injected, and how many live clients each reached (a fault sent while no
        #: client is connected reaches nobody).
        self.injected: Counter[str] = Counter()
        self.delivered: Counter[str] = Counter()
        #: Server clock (epoch s) at which each tick was published: latency figures.
        self.published_at: list[float] = []
        self._last_batch: str | None = None
        self._next_periodic = 0
        self._timed = list(self.faults.timed)
        for a in self.athletes:
            hub.describe(a.info)

    def tick(self) -> list[tuple[str, Sample]]:
        """The next tick's sample for every athlete (deterministic; no I/O)."""
        out = []
        for athlete, stream in zip(self.athletes, self._streams, strict=True):
            s = next(stream)
            out.append((athlete.info.key, replace(s, met=met_for(s.speed, s.cadence))))
        self.ticks += 1
        return out

    def stream_seconds(self) -> float:
        return self.ticks / self.rate_hz

    def publish_tick(self) -> None:
        samples = self.tick()
        for key, sample in samples:
            self.ledger[key].append(sample)
        self._last_batch = self.hub.publish(samples)
        self.published_at.append(self.clock())
        self._faults_due()

    def _faults_due(self) -> None:
        t = self.stream_seconds()
        plan = self.faults
        if plan.periodic:
            while t >= (self._next_periodic + 1) * plan.every_s:
                name = plan.periodic[self._next_periodic % len(plan.periodic)]
                self._next_periodic += 1
                self.inject(name)
        while self._timed and self._timed[0][0] <= t:
            self.inject(self._timed.pop(0)[1])

    def inject(self, name: str) -> None:
        """Inject one fault now (also callable directly by tests and demos)."""
        if name not in FAULTS:
            raise FaultSpecError(f"unknown fault {name!r}")
        self.injected[name] += 1
        reached = self.hub.subscribers
        key = self.athletes[0].info.key
        history = self.ledger[key]
        last_t = history[-1].t_ms if history else self.start_ms
        bad = {"v": PROTOCOL_VERSION, "type": "sample", "athlete": key, "measured_at": last_t + 1}
        if name == "drop":
            if self.server is None:
                log.warning("fault drop: no server to drop connections on")
                return
            reached = self.server.drop_connections()
        elif name == "malformed":
            self.hub.inject('{"v":1,"type":"samples","samples":[{"athlete":"' + key + '",')
        elif name == "nan":
            self.hub.inject(json.dumps({**bad, "heart_rate": float("nan")}))  # emits NaN
        elif name == "wrong-type":
            self.hub.inject(json.dumps({**bad, "heart_rate": "142"}))
        elif name == "out-of-range":
            self.hub.inject(json.dumps({**bad, "heart_rate": 400}))
        elif name == "duplicate":
            if self._last_batch is None:
                reached = 0
            else:
                self.hub.inject(self._last_batch)
        elif name == "out-of-order":
            if len(history) < 3:
                reached = 0
            else:
                # Halfway between two grid points: never equal to a real sample's time.
                stale = last_t - round(1.5 * 1000 / self.rate_hz)
                self.hub.inject(json.dumps({**bad, "measured_at": stale, "heart_rate": 99}))
        elif name == "huge":
            pad = "x" * self.huge_bytes
            self.hub.inject(encode_control("samples", samples=[], pad=pad))
        self.delivered[name] += reached
        log.info("fault %s injected (%d clients)", name, reached)

    async def run(self, duration_s: float | None = None, stop: asyncio.Event | None = None) -> None:
        """Publish in (scaled) real time until `duration_s` stream seconds or `stop`; then end."""
        period = 1.0 / (self.rate_hz * self.speed)
        total = None if duration_s is None else round(duration_s * self.rate_hz)
        t0 = self.clock()
        try:
            while total is None or self.ticks < total:
                if stop is not None and stop.is_set():
                    break
                delay = t0 + self.ticks * period - self.clock()
                if delay > 0:
                    if stop is None:
                        await asyncio.sleep(delay)
                    else:
                        try:
                            await asyncio.wait_for(stop.wait(), delay)
                            break
                        except TimeoutError:
                            pass
                self.publish_tick()
        finally:
            self.hub.end()

    def sent_count(self) -> int:
        return sum(len(v) for v in self.ledger.values())


async def serve_simulated(
    token: str,
    *,
    athletes: int,
    rate_hz: float,
    seed: int | None = None,
    speed: float = 1.0,
    faults: FaultPlan | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> tuple[TraceSimulator, TraceServer]:
    """Start a trace server with simulated athletes behind `token` (`simulate`, team view).

    The caller runs the simulator and closes the server (clients connect to its `url`).
    """
    hub = TraceHub()
    server = TraceServer(hub, token, host=host, port=port, name="pulsedeck-simulate")
    await server.start()
    simulator = TraceSimulator(
        hub,
        athletes=athletes,
        rate_hz=rate_hz,
        seed=seed,
        speed=speed,
        faults=faults,
        server=server,
    )
    return simulator, server
