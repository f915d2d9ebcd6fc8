"""TCX (Garmin Training Center v2) for sessions without positions: indoor, gym, treadmill."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from app.domain.accumulator import Pause
from app.domain.samples import Sample
from app.domain.validation import printable
from app.store.repo import SessionInfo

from .common import (
    STEP_CADENCE_SPORTS,
    Point,
    has_positions,
    iso,
    lap_bounds,
    lap_distances,
    merge_points,
    paused_ms,
)

__all__ = ["session_to_tcx", "has_positions", "points_to_tcx", "TCX_NS", "AX_NS"]

TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"

#: TCX knows only Running, Biking and Other (walks and hikes are Other, not Running);
#: Strava refines the type afterwards (PUT /activities/{id}).
TCX_SPORT = {
    "run": "Running",
    "trail_run": "Running",
    "virtual_run": "Running",
    "ride": "Biking",
    "virtual_ride": "Biking",
}

ET.register_namespace("", TCX_NS)
ET.register_namespace("ax2", AX_NS)


def _t(name: str) -> str:
    return f"{{{TCX_NS}}}{name}"


def _a(name: str) -> str:
    return f"{{{AX_NS}}}{name}"


def _sub(parent: ET.Element, name: str, text: str | None = None) -> ET.Element:
    el = ET.SubElement(parent, _t(name))
    if text is not None:
        el.text = text
    return el


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".") if value != int(value) else f"{value:.1f}"


def _trackpoint(track: ET.Element, p: Point, run: bool) -> None:
    # Schema order: Time, Position, AltitudeMeters, DistanceMeters, HeartRateBpm, Cadence,
    # SensorState, Extensions.
    tp = _sub(track, "Trackpoint")
    _sub(tp, "Time", iso(p.t_ms))
    if p.lat is not None and p.lon is not None:
        pos = _sub(tp, "Position")
        _sub(pos, "LatitudeDegrees", repr(p.lat))
        _sub(pos, "LongitudeDegrees", repr(p.lon))
    if p.altitude is not None:
        _sub(tp, "AltitudeMeters", _num(p.altitude))
    if p.distance is not None:
        _sub(tp, "DistanceMeters", _num(p.distance))
    if p.hr is not None:
        _sub(_sub(tp, "HeartRateBpm"), "Value", str(p.hr))
    if p.cadence is not None and not run:
        _sub(tp, "Cadence", str(p.cadence))
    run_cadence = p.cadence if run else None
    if p.speed is not None or run_cadence is not None or p.power is not None:
        tpx = ET.SubElement(_sub(tp, "Extensions"), _a("TPX"))
        if p.speed is not None:
            ET.SubElement(tpx, _a("Speed")).text = _num(p.speed)
        if run_cadence is not None:
            ET.SubElement(tpx, _a("RunCadence")).text = str(run_cadence)
        if p.power is not None:
            ET.SubElement(tpx, _a("Watts")).text = str(p.power)


def _lap(
    activity: ET.Element,
    start_ms: int,
    timer_s: float,
    distance: float,
    points: Sequence[Point],
    kcal: float,
    run: bool,
) -> None:
    lap = _sub(activity, "Lap")
    lap.set("StartTime", iso(start_ms))
    _sub(lap, "TotalTimeSeconds", _num(max(0.0, timer_s)))  # timer time: pauses excluded
    _sub(lap, "DistanceMeters", _num(max(0.0, distance)))
    speeds = [p.speed for p in points if p.speed is not None]
    if speeds:
        _sub(lap, "MaximumSpeed", _num(max(speeds)))
    _sub(lap, "Calories", str(max(0, min(int(round(kcal)), 65535))))
    hrs = [p.hr for p in points if p.hr is not None]
    if hrs:
        _sub(_sub(lap, "AverageHeartRateBpm"), "Value", str(round(sum(hrs) / len(hrs))))
        _sub(_sub(lap, "MaximumHeartRateBpm"), "Value", str(max(hrs)))
    _sub(lap, "Intensity", "Active")
    cads = [p.cadence for p in points if p.cadence is not None]
    if cads and not run:
        _sub(lap, "Cadence", str(round(sum(cads) / len(cads))))
    _sub(lap, "TriggerMethod", "Manual")
    if points:
        track = _sub(lap, "Track")
        for p in points:
            _trackpoint(track, p, run)


def points_to_tcx(
    points: Sequence[Point],
    *,
    sport: str,
    started_ms: int,
    ended_ms: int,
    kcal: float | None = None,
    laps: Sequence[int] = (),
    notes: str | None = None,
    pauses: Sequence[Pause] = (),
) -> str:
    """TCX text; `laps` are lap start times (ms) after the session start, from lap markers.

    A lap's TotalTimeSeconds leaves out its paused time, and lap distances add up to the
    session's (app.domain.summary.lap_distances, also without a distance channel); `kcal`
    None writes 0 (the schema requires Calories).
    """
    run = sport in STEP_CADENCE_SPORTS
    ended_ms = max(ended_ms, started_ms, points[-1].t_ms if points else started_ms)
    bounds = lap_bounds(started_ms, ended_ms, laps)
    distances = lap_distances(points, bounds, pauses)
    root = ET.Element(_t("TrainingCenterDatabase"))
    root.set(f"{{{_XSI}}}schemaLocation", f"{TCX_NS} {TCX_NS.replace('/v2', 'v2.xsd')}")
    activity = _sub(_sub(root, "Activities"), "Activity")
    activity.set("Sport", TCX_SPORT.get(sport, "Other"))
    _sub(activity, "Id", iso(started_ms))
    total_s = max(1, ended_ms - started_ms)
    for i, (start, end) in enumerate(zip(bounds, bounds[1:], strict=False)):
        last = i == len(bounds) - 2
        inside = [p for p in points if start <= p.t_ms < end or (last and p.t_ms >= end)]
        if i == 0:
            inside = [p for p in points if p.t_ms < start] + inside
        share = (kcal or 0.0) * (end - start) / total_s
        timer_s = (end - start - paused_ms(start, end, pauses)) / 1000
        distance = distances[i] if distances is not None else 0.0
        _lap(activity, start, timer_s, distance, inside, share, run)
    if notes and printable(notes):  # stored text may hold what XML cannot
        _sub(activity, "Notes", printable(notes))
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def session_to_tcx(
    session: SessionInfo,
    samples: list[Sample],
    laps: Sequence[int] = (),
    pauses: Sequence[Pause] = (),
) -> str:
    """The session as TCX text (works with or without positions; HR, cadence, distance)."""
    points = merge_points(samples, session.sport)
    ended = session.ended_ms or (points[-1].t_ms if points else session.started_ms)
    return points_to_tcx(
        points,
        sport=session.sport,
        started_ms=session.started_ms,
        ended_ms=ended,
        kcal=session.kcal,
        laps=laps,
        notes=session.title,
        pauses=pauses,
    )
