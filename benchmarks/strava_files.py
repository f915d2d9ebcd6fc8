"""Activity file writers: our GPX/TCX against the raw libraries doing the same work, same run.

    python benchmarks/strava_files.py [--hours 2] [--repeat 3]

A session of `--hours` at 1 Hz with positions, HR, cadence, speed, distance (as a GPS watch
plus strap deliver it). "Ours" is `sync.files.session_to_gpx` / `session_to_tcx` (merge,
carry-forward, unit conversion, schema order); "raw GPX" is gpxpy filling the same points and
extensions directly; "raw TCX" is ElementTree writing the same trackpoint elements without
merging or laps.
Figures are the best of `--repeat` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import gpxpy.gpx  # noqa: E402

from app.domain.samples import Sample  # noqa: E402
from app.store.repo import SessionInfo  # noqa: E402
from sync.files import session_to_gpx, session_to_tcx  # noqa: E402

T0 = 1_767_000_000_000
TPX = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
TCX = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"


def samples(n: int) -> list[Sample]:
    return [
        Sample(
            t_ms=T0 + i * 1000,
            lat=48.0 + i * 1e-5,
            lon=11.0 + i * 1e-5,
            altitude=500.0,
            hr=120 + i % 50,
            cadence=170.0,
            speed=3.0,
            distance=3.0 * i,
        )
        for i in range(n)
    ]


def session(n: int) -> SessionInfo:
    return SessionInfo(
        id=1,
        uid="bench",
        athlete_id=1,
        athlete="Me",
        sport="run",
        title="Bench",
        source="bench",
        status="finished",
        started_ms=T0,
        ended_ms=T0 + n * 1000,
        timezone=None,
        samples=n,
        duration_s=n,
        moving_s=n,
        avg_hr=None,
        max_hr=None,
        zone_s=(None,) * 5,
        kcal=100.0,
        kcal_method=None,
        trimp=None,
        avg_cadence=None,
        max_cadence=None,
        avg_power=None,
        avg_speed=None,
        distance_m=None,
        steps=None,
        rr_count=None,
        rmssd_ms=None,
    )


def raw_gpx(data: list[Sample]) -> str:
    gpx = gpxpy.gpx.GPX()
    gpx.nsmap["gpxtpx"] = TPX
    seg = gpxpy.gpx.GPXTrackSegment()
    for s in data:
        p = gpxpy.gpx.GPXTrackPoint(
            s.lat, s.lon, elevation=s.altitude, time=datetime.fromtimestamp(s.t_ms / 1000, UTC)
        )
        ext = ET.Element(f"{{{TPX}}}TrackPointExtension")
        ET.SubElement(ext, f"{{{TPX}}}hr").text = str(s.hr)
        ET.SubElement(ext, f"{{{TPX}}}cad").text = str(int(s.cadence / 2))
        p.extensions.append(ext)
        seg.points.append(p)
    trk = gpxpy.gpx.GPXTrack()
    trk.segments.append(seg)
    gpx.tracks.append(trk)
    return gpx.to_xml(version="1.1")


def raw_tcx(data: list[Sample]) -> str:
    """The same trackpoint content as ours, written directly (no merge, no laps, no checks)."""
    ax = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
    root = ET.Element(f"{{{TCX}}}TrainingCenterDatabase")
    track = ET.SubElement(root, f"{{{TCX}}}Track")
    for s in data:
        tp = ET.SubElement(track, f"{{{TCX}}}Trackpoint")
        ET.SubElement(tp, f"{{{TCX}}}Time").text = datetime.fromtimestamp(
            s.t_ms / 1000, UTC
        ).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        pos = ET.SubElement(tp, f"{{{TCX}}}Position")
        ET.SubElement(pos, f"{{{TCX}}}LatitudeDegrees").text = repr(s.lat)
        ET.SubElement(pos, f"{{{TCX}}}LongitudeDegrees").text = repr(s.lon)
        ET.SubElement(tp, f"{{{TCX}}}AltitudeMeters").text = str(s.altitude)
        ET.SubElement(tp, f"{{{TCX}}}DistanceMeters").text = str(s.distance)
        hr = ET.SubElement(tp, f"{{{TCX}}}HeartRateBpm")
        ET.SubElement(hr, f"{{{TCX}}}Value").text = str(s.hr)
        tpx = ET.SubElement(ET.SubElement(tp, f"{{{TCX}}}Extensions"), f"{{{ax}}}TPX")
        ET.SubElement(tpx, f"{{{ax}}}Speed").text = str(s.speed)
        ET.SubElement(tpx, f"{{{ax}}}RunCadence").text = str(int(s.cadence / 2))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode")


def best(fn, repeat: int) -> tuple[float, int]:  # noqa: ANN001
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(fn())
        times.append(time.perf_counter() - start)
    return min(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    n = int(args.hours * 3600)
    data, info = samples(n), session(n)
    rows = [
        ("GPX ours", *best(lambda: session_to_gpx(info, data), args.repeat)),
        ("GPX raw gpxpy", *best(lambda: raw_gpx(data), args.repeat)),
        ("TCX ours", *best(lambda: session_to_tcx(info, data), args.repeat)),
        ("TCX raw ElementTree", *best(lambda: raw_tcx(data), args.repeat)),
    ]
    print(f"{n} samples ({args.hours:g} h at 1 Hz)")
    for name, seconds, size in rows:
        print(
            f"  {name:22} {seconds * 1000:8.1f} ms  {n / seconds:10.0f} points/s  "
            f"{size / 1e6:6.2f} MB"
        )
    print(
        f"  ratio GPX ours/raw: {rows[0][1] / rows[1][1]:.2f}x   "
        f"TCX ours/raw: {rows[2][1] / rows[3][1]:.2f}x"
    )


if __name__ == "__main__":
    main()
