"""A simulated heart-rate strap with a foot pod: plausible HR, RR, cadence, speed; seeded.

With `power_w` it carries a power meter too (a running pod or a crank): watts follow the
workout's effort, `power_w` at full effort, so the live power tiles have something to show.

Outdoors (a `Route`: a GPX file's track or route points, or the built-in `loop_route`) it also
carries a GPS: latitude, longitude and altitude where the simulated distance has got to along
the route, lapping it as often as the workout lasts.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.domain.samples import Sample

#: Mean Earth radius (m), as GPS watches use for distances between fixes.
EARTH_RADIUS_M = 6_371_000.0
#: A route file larger than this is not a route (a day's 1 Hz track is ~10 MB).
MAX_ROUTE_BYTES = 64 * 1024 * 1024
#: Points kept from a route file; more is a recording, not a route.
MAX_ROUTE_POINTS = 200_000
#: The name `--route` takes for the built-in loop.
LOOP = "loop"


class RouteError(ValueError):
    """A route the simulator cannot follow (the message says why, in one line)."""


class RouteNotFound(RouteError):
    """The route file does not exist."""


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class Route:
    """A closed path: (lat, lon, altitude) points and the distance (m) to each from the first.

    The path returns to its first point (an open route gets the straight way back), so a
    workout longer than one lap goes round again.
    """

    points: tuple[tuple[float, float, float | None], ...]
    cumulative: tuple[float, ...]

    @classmethod
    def from_points(cls, points: Sequence[tuple[float, float, float | None]]) -> Route:
        pts = [p for i, p in enumerate(points) if i == 0 or p[:2] != points[i - 1][:2]]
        if len(pts) < 2:
            raise RouteError("a route needs at least two distinct points")
        if pts[-1][:2] != pts[0][:2]:
            pts.append(pts[0])
        cumulative = [0.0]
        for a, b in zip(pts, pts[1:], strict=False):
            cumulative.append(cumulative[-1] + haversine_m(a[0], a[1], b[0], b[1]))
        if cumulative[-1] < 1.0:
            raise RouteError("a route must be at least 1 m long")
        return cls(tuple(pts), tuple(cumulative))

    @property
    def length_m(self) -> float:
        return self.cumulative[-1]

    def at(self, distance_m: float, hint: int = 0) -> tuple[float, float, float | None, int]:
        """(lat, lon, altitude, segment) `distance_m` along the route, lapping it.

        `hint` is the segment of the previous call: the search starts there (the simulator
        only moves forward, so a 10-hour run costs a constant time per sample).
        """
        d = distance_m % self.length_m
        cum = self.cumulative
        i = hint if 0 <= hint < len(cum) - 1 and cum[hint] <= d else 0
        while i < len(cum) - 2 and cum[i + 1] <= d:
            i += 1
        (lat1, lon1, alt1), (lat2, lon2, alt2) = self.points[i], self.points[i + 1]
        span = cum[i + 1] - cum[i]
        f = 0.0 if span <= 0 else (d - cum[i]) / span
        alt = None if alt1 is None or alt2 is None else alt1 + (alt2 - alt1) * f
        return lat1 + (lat2 - lat1) * f, lon1 + (lon2 - lon1) * f, alt, i


def loop_route(
    lat: float = 48.8467, lon: float = 2.3366, length_m: float = 2_000.0, points: int = 120
) -> Route:
    """The built-in loop: an ellipse of `length_m` (default 2 km, around the Jardin du
    Luxembourg) with a gentle 12 m rise and fall, so every GPS channel moves."""
    a, b = 1.0, 0.6  # semi-axes ratio; the perimeter is scaled to length_m below
    perimeter = math.pi * (3 * (a + b) - math.sqrt((3 * a + b) * (a + 3 * b)))  # Ramanujan
    scale = length_m / perimeter
    m_per_deg_lat = math.pi * EARTH_RADIUS_M / 180
    m_per_deg_lon = m_per_deg_lat * math.cos(math.radians(lat))
    pts = []
    for k in range(points):
        t = 2 * math.pi * k / points
        north, east = b * scale * math.sin(t), a * scale * math.cos(t)
        alt = 66.0 + 6.0 * math.sin(t)
        pts.append((lat + north / m_per_deg_lat, lon + east / m_per_deg_lon, round(alt, 1)))
    return Route.from_points(pts)


def read_gpx_route(path: Path) -> Route:
    """The track points (else the route points) of a GPX 1.0/1.1 file, any namespace.

    Parsed by defusedxml (no DTD, no entities) and capped in size, like imported files.
    """
    import xml.etree.ElementTree as ET

    import defusedxml.ElementTree as DET
    from defusedxml import DefusedXmlException

    try:
        if path.stat().st_size > MAX_ROUTE_BYTES:
            raise RouteError(f"{path.name}: over {MAX_ROUTE_BYTES // 2**20} MB, not a route")
        track: list[tuple[float, float, float | None]] = []
        route: list[tuple[float, float, float | None]] = []
        with path.open("rb") as fh:
            for _, el in DET.iterparse(fh, forbid_dtd=True):
                local = el.tag.rsplit("}", 1)[-1]
                if local in ("trkpt", "rtept"):
                    target = track if local == "trkpt" else route
                    target.append(_route_point(el, path.name))
                    if len(target) > MAX_ROUTE_POINTS:
                        raise RouteError(f"{path.name}: over {MAX_ROUTE_POINTS:,} points")
                    el.clear()
                elif local == "gpx" and not el.tag.startswith("{http://www.topografix.com/GPX/"):
                    raise RouteError(f"{path.name}: not a GPX file")
    except (ET.ParseError, DefusedXmlException) as exc:
        raise RouteError(f"{path.name}: not a readable GPX file ({exc})") from None
    except FileNotFoundError:
        raise RouteNotFound(f"{path}: no such file") from None
    except OSError as exc:
        raise RouteError(f"{path.name}: {exc.strerror or exc}") from None
    points = track or route
    if not points:
        raise RouteError(f"{path.name}: no track or route points")
    try:
        return Route.from_points(points)
    except RouteError as exc:
        raise RouteError(f"{path.name}: {exc}") from None


def _route_point(el: object, name: str) -> tuple[float, float, float | None]:
    import xml.etree.ElementTree as ET

    assert isinstance(el, ET.Element)
    try:
        lat, lon = float(el.get("lat", "")), float(el.get("lon", ""))
    except ValueError:
        raise RouteError(f"{name}: a point without a numeric lat/lon") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RouteError(f"{name}: latitude/longitude out of range ({lat}, {lon})")
    alt: float | None = None
    for child in el:
        if child.tag.rsplit("}", 1)[-1] == "ele" and child.text:
            try:
                alt = float(child.text)
            except ValueError:
                raise RouteError(f"{name}: a non-numeric elevation {child.text!r}") from None
            if not math.isfinite(alt):
                alt = None
    return lat, lon, alt


def route_from_option(value: str) -> Route:
    """`--route`: `loop` for the built-in loop, else a GPX file's path."""
    if value == LOOP:
        return loop_route()
    return read_gpx_route(Path(value))


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
    """HR strap + running foot pod (+ GPS along `route`). Deterministic for a seed and start."""

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
        route: Route | None = None,
        power_w: float | None = None,
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
        self.route = route
        self._segment = 0
        self.power_w = power_w
        # Its own generator: a strap without power draws exactly the numbers it always did.
        self._power_rng = random.Random(seed)

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
        distance = round(self._distance, 2)
        lat = lon = altitude = None
        if self.route is not None:
            lat, lon, altitude, self._segment = self.route.at(distance, self._segment)
            lat, lon = round(lat, 7), round(lon, 7)  # ~1 cm, as FIT's semicircles
            altitude = None if altitude is None else round(altitude, 2)
        power = None
        if self.power_w is not None:
            effort = effort_at(self.workout, t_s)
            power = round(max(0.0, self.power_w * effort + self._power_rng.gauss(0, 8)), 1)
        return Sample(
            t_ms=t_ms,
            hr=hr,
            rr=rr,
            cadence=cadence,
            speed=speed,
            distance=distance,
            steps=int(self._steps),
            lat=lat,
            lon=lon,
            altitude=altitude,
            power=power,
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
