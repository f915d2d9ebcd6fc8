"""GPX 1.1 + Garmin TrackPointExtension v1 (atemp, hr, cad): what Strava reads for GPS sessions."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import gpxpy.gpx

from app.domain.samples import Sample
from app.domain.validation import printable
from app.store.repo import SessionInfo

from .common import Point, has_positions, merge_points, utc

__all__ = [
    "CREATOR", "TPX_NS", "GpxLoss", "gpx_loss", "has_positions", "points_to_gpx",
    "session_to_gpx",
]  # fmt: skip

TPX_NS = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
CREATOR = "Pulsedeck"

#: Strava maps the GPX <type> of a track to its activity type; Pulsedeck sport -> Strava type
#: (free text in GPX: the names Strava's own exports use; "other" where none fits).
GPX_TYPE = {
    "run": "running",
    "trail_run": "running",
    "virtual_run": "running",
    "ride": "cycling",
    "virtual_ride": "cycling",
    "walk": "walking",
    "hike": "hiking",
    "swim": "swimming",
    "row": "rowing",
}

_SCHEMA_LOCATIONS = [
    "http://www.topografix.com/GPX/1/1",
    "http://www.topografix.com/GPX/1/1/gpx.xsd",
    TPX_NS,
    "http://www.garmin.com/xmlschemas/TrackPointExtensionv1.xsd",
]


@dataclass(frozen=True, slots=True)
class GpxLoss:
    """What a GPX file of these points cannot hold (a track point needs lat/lon; no power)."""

    points: int  # merged points in the session
    left_out: int  # of them, without a position: not in the file, their HR and cadence neither
    power: int  # located points whose power reading GPX has no field for

    @property
    def lossless(self) -> bool:
        """GPX keeps every reading: some point is located, none is left out, none has power."""
        return self.points > 0 and not self.left_out and not self.power

    def message(self) -> str | None:
        """One line for the user, or None when GPX keeps everything."""
        lost = []
        if self.left_out:
            lost.append(
                f"left out {self.left_out:,} of {self.points:,} points (no position: their HR and "
                "cadence too)"
            )
        if self.power:
            lost.append(f"dropped power from {self.power:,} points (GPX has no power field)")
        if not lost:
            return None
        return f"GPX {' and '.join(lost)}; TCX or FIT keep every reading"


def gpx_loss(points: Sequence[Point]) -> GpxLoss:
    """Count what `points_to_gpx` leaves out of these points."""
    located = [p for p in points if p.lat is not None and p.lon is not None]
    return GpxLoss(
        len(points), len(points) - len(located), sum(1 for p in located if p.power is not None)
    )


def _celsius(value: float) -> str:
    """°C as xsd:double text: whole degrees without ".0" (as Garmin and Strava write them)."""
    return str(int(value)) if value.is_integer() else repr(value)


def _extension(point: Point) -> ET.Element | None:
    if point.hr is None and point.cadence is None and point.temperature is None:
        return None
    tpe = ET.Element(f"{{{TPX_NS}}}TrackPointExtension")
    # Schema order inside TrackPointExtension: atemp, wtemp, depth, hr, cad.
    if point.temperature is not None:
        ET.SubElement(tpe, f"{{{TPX_NS}}}atemp").text = _celsius(point.temperature)
    if point.hr is not None:
        ET.SubElement(tpe, f"{{{TPX_NS}}}hr").text = str(point.hr)
    if point.cadence is not None:
        ET.SubElement(tpe, f"{{{TPX_NS}}}cad").text = str(point.cadence)
    return tpe


def points_to_gpx(points: Sequence[Point], *, name: str, sport: str) -> str:
    """GPX text for already merged points; points without a position are left out."""
    gpx = gpxpy.gpx.GPX()
    gpx.creator = CREATOR
    gpx.nsmap["gpxtpx"] = TPX_NS
    gpx.schema_locations = list(_SCHEMA_LOCATIONS)
    located = [p for p in points if p.lat is not None and p.lon is not None]
    if not located:
        raise ValueError("GPX needs positions; this session has none (use TCX)")
    gpx.time = utc(located[0].t_ms)
    track = gpxpy.gpx.GPXTrack(name=name)
    track.type = GPX_TYPE.get(sport, "other")  # type: ignore[assignment]  # gpxpy: `= None`
    segment = gpxpy.gpx.GPXTrackSegment()
    for p in located:
        tp = gpxpy.gpx.GPXTrackPoint(
            latitude=p.lat, longitude=p.lon, elevation=p.altitude, time=utc(p.t_ms)
        )
        ext = _extension(p)
        if ext is not None:
            tp.extensions.append(ext)
        segment.points.append(tp)
    track.segments.append(segment)
    gpx.tracks.append(track)
    return gpx.to_xml(version="1.1")


def session_to_gpx(
    session: SessionInfo,
    samples: list[Sample],
    on_loss: Callable[[GpxLoss], None] | None = None,
) -> str:
    """The session as GPX 1.1 text; raises ValueError when no sample has a position.

    Points without a position cannot be GPX track points: the track is written without them
    (a GPS drop-out must not block the route) and `on_loss` is told how many there were.
    """
    if not has_positions(samples):
        raise ValueError(f"session {session.id} has no positions; GPX needs lat/lon (use TCX)")
    # Stored text may hold what XML cannot (a title from an older version, a lake, a feed).
    name = (
        printable(session.title or "") or f"{session.sport.replace('_', ' ').title()} (Pulsedeck)"
    )
    points = merge_points(samples, session.sport)
    if on_loss is not None:
        on_loss(gpx_loss(points))
    return points_to_gpx(points, name=name, sport=session.sport)
