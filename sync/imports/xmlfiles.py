"""GPX 1.0/1.1 and TCX v2 readers: streamed through a hardened parser.

Hardening (defusedxml over expat): a DTD is refused outright (no activity file needs one, and
entity bombs and external entities both need it), so are entities and external references;
the input is capped at MAX_FILE_BYTES and MAX_POINTS, and each point is dropped from the tree
once read, so memory stays flat however long the file. Namespaces are matched by URI, never
by prefix (`gpxtpx:`, `ns3:`, `tpx:` all work); extension values by local name (hr,
heartrate, bpm; cad, cadence, RunCadence; power, watts, PowerInWatts; speed; temperature:
atemp, temp, Temperature, else wtemp), in GPX and TCX alike.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import datetime

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException, DTDForbidden, EntitiesForbidden

from app.domain.samples import Sample

from .model import (
    MAX_FILE_BYTES,
    Activity,
    ByteStream,
    CorruptFile,
    UnsafeFile,
    UnsupportedFile,
)
from .points import STEP_CADENCE_SPORTS, PointChecker, number

GPX_NS = {"http://www.topografix.com/GPX/1/0", "http://www.topografix.com/GPX/1/1"}
TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"

_HR = {"hr", "heartrate", "heart_rate", "bpm", "heartratebpm"}
_CAD = {"cad", "cadence", "runcadence"}
_POWER = {"power", "watts", "powerinwatts"}
#: Air temperature (°C): TrackPointExtension v1/v2 `atemp`, GpxExtensions v3 `Temperature`,
#: ClueTrust gpxdata `temp`, and the plain names some apps write.
_TEMP = {"atemp", "temp", "temperature"}
#: Water temperature (TrackPointExtension `wtemp`): the point's temperature when it has no air
#: temperature (a swim), as a watch's FIT record holds what its sensor reads, in water or not.
_WTEMP = "wtemp"
#: How a refusal names a value whose key is not plain English.
_SAYS = {"hr": "heart rate", _WTEMP: "water temperature"}

#: GPX <type> (free text; Strava wrote numbers once) -> Pulsedeck sport.
GPX_SPORTS = {
    "running": "run", "run": "run", "9": "run", "trail_running": "trail_run",
    "cycling": "ride", "biking": "ride", "ride": "ride", "1": "ride",
    "walking": "walk", "walk": "walk", "10": "walk", "hiking": "hike", "hike": "hike",
    "11": "hike", "swimming": "swim", "swim": "swim", "rowing": "row",
}  # fmt: skip
TCX_SPORTS = {"running": "run", "biking": "ride"}


class Capped:
    """A file object that refuses to deliver more than `limit` bytes (a decompression bomb)."""

    def __init__(self, fh: ByteStream, limit: int = MAX_FILE_BYTES) -> None:
        self.fh = fh
        self.left = limit

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n if n is not None and n >= 0 else 1 << 16)
        self.left -= len(data)
        if self.left < 0:
            raise UnsafeFile(f"larger than {MAX_FILE_BYTES // 2**20} MB: not read")
        return data


def _local(tag: str) -> tuple[str, str]:
    """(namespace, local name) of a `{ns}name` tag."""
    if tag[:1] == "{":
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return "", tag


def _time(text: str | None, where: str) -> int | None:
    if not text:
        return None
    value = text.strip()
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        from .model import InvalidActivity

        raise InvalidActivity(f"{where}: time {value[:40]!r} is not an ISO 8601 time") from None
    if dt.tzinfo is None:  # GPX and TCX times are UTC; a missing zone means UTC too
        from datetime import UTC

        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def _events(fh: ByteStream) -> Iterator[tuple[str, ET.Element]]:
    try:
        yield from DET.iterparse(Capped(fh), events=("start", "end"), forbid_dtd=True)
    except DTDForbidden:
        raise UnsafeFile(
            "has a DTD (used for entity bombs and external entities): refused"
        ) from None
    except EntitiesForbidden:
        raise UnsafeFile("declares XML entities (an entity bomb?): refused") from None
    except DefusedXmlException as exc:
        raise UnsafeFile(f"unsafe XML ({type(exc).__name__}): refused") from None
    except ET.ParseError as exc:
        raise CorruptFile(f"malformed XML: {exc}") from None


def read_xml(fh: ByteStream, cancel: Callable[[], None] | None = None) -> Activity:
    """A GPX or TCX activity (the root element decides); ImportRefused with the reason."""
    events = _events(fh)
    try:
        kind, root = next(events)
    except StopIteration:
        raise CorruptFile("empty XML document") from None
    ns, name = _local(root.tag)
    if name == "gpx" and ns in GPX_NS:
        return _gpx(events, root, cancel)
    if name == "TrainingCenterDatabase" and ns == TCX_NS:
        return _tcx(events, root, cancel)
    if name in ("gpx", "TrainingCenterDatabase"):
        raise UnsupportedFile(
            f"<{name}> in namespace {ns or '(none)'!r}: not GPX 1.0/1.1 or TCX v2"
        )
    raise UnsupportedFile(f"XML with root <{name}>: not a GPX or TCX activity")


def _values(point: ET.Element, where: str) -> dict[str, float | None]:
    """hr / cadence / power / speed / temperature under a point (extensions by local name)."""
    out: dict[str, float | None] = {}
    for el in point.iter():
        _ns, name = _local(el.tag)
        low = name.lower()
        key = (
            "hr" if low in _HR else "cadence" if low in _CAD else "power" if low in _POWER
            else "speed" if low == "speed" else "temperature" if low in _TEMP
            else _WTEMP if low == _WTEMP else None
        )  # fmt: skip
        if key is None or key in out:
            continue
        text = el.text
        if low == "heartratebpm":  # TCX wraps the value: <HeartRateBpm><Value>
            text = next((c.text for c in el if _local(c.tag)[1] == "Value"), None)
        out[key] = number(text, _SAYS.get(key, key), where)
    return out


def _temperature(values: dict[str, float | None]) -> float | None:
    """Air temperature, else water temperature, of one point (°C)."""
    air = values.get("temperature")
    return air if air is not None else values.get(_WTEMP)


def _drop(parent: ET.Element | None, elem: ET.Element) -> None:
    elem.clear()
    if parent is not None and len(parent) and parent[-1] is elem:
        del parent[-1]


def _gpx(
    events: Iterator[tuple[str, ET.Element]],
    root: ET.Element,
    cancel: Callable[[], None] | None,
) -> Activity:
    checker = PointChecker()
    title = sport = None
    stack: list[ET.Element] = [root]
    skipped = 0
    for event, el in events:
        if event == "start":
            stack.append(el)
            continue
        stack.pop()
        ns, name = _local(el.tag)
        if ns not in GPX_NS:
            continue
        if name == "trkpt":
            where = f"track point {checker.count + 1}"
            lat = number(el.get("lat"), "latitude", where)
            lon = number(el.get("lon"), "longitude", where)
            t_ms = alt = None
            for child in el:
                cns, cname = _local(child.tag)
                if cname == "time" and cns in GPX_NS:
                    t_ms = _time(child.text, where)
                elif cname == "ele" and cns in GPX_NS:
                    alt = number(child.text, "elevation", where)
            if t_ms is None:
                skipped += 1
            else:
                v = _values(el, where)
                hr = v.get("hr")
                checker.add(
                    Sample(
                        t_ms,
                        hr=None if hr is None or hr <= 0 else int(round(hr)),
                        cadence=v.get("cadence"),
                        speed=v.get("speed"),
                        power=v.get("power"),
                        lat=lat,
                        lon=lon,
                        altitude=alt,
                        temperature=_temperature(v),
                    ),
                    "track point",
                )
                if cancel is not None and checker.count % 8192 == 0:
                    cancel()
            _drop(stack[-1] if stack else None, el)
        elif name == "name" and len(stack) >= 2 and _local(stack[-1].tag)[1] == "trk":
            title = title or (el.text or "").strip() or None
        elif name == "type" and len(stack) >= 2 and _local(stack[-1].tag)[1] == "trk":
            sport = sport or GPX_SPORTS.get((el.text or "").strip().lower())
    samples = checker.samples
    if sport in STEP_CADENCE_SPORTS:
        samples = [s if s.cadence is None else _cadence(s, 2) for s in samples]
    creator = root.get("creator")
    return Activity(
        format="gpx",
        samples=samples,
        sport=sport,
        title=title,
        device=creator.strip() if creator else None,
        notes=f"{skipped} track point(s) without a time left out" if skipped else None,
    )


def _cadence(s: Sample, factor: float) -> Sample:
    from dataclasses import replace

    assert s.cadence is not None
    return replace(s, cadence=s.cadence * factor)


def _tcx(
    events: Iterator[tuple[str, ET.Element]],
    root: ET.Element,
    cancel: Callable[[], None] | None,
) -> Activity:
    checker = PointChecker()
    sport = device = notes = None
    laps: list[int] = []
    stack: list[ET.Element] = [root]
    run_cadence: set[int] = set()  # indexes of samples whose cadence is per leg (RunCadence)
    for event, el in events:
        if event == "start":
            stack.append(el)
            ns, name = _local(el.tag)
            if ns == TCX_NS and name == "Activity" and sport is None:
                sport = TCX_SPORTS.get((el.get("Sport") or "").lower())
            elif ns == TCX_NS and name == "Lap":
                t = _time(el.get("StartTime"), f"lap {len(laps) + 1}")
                if t is not None:
                    laps.append(t)
            continue
        stack.pop()
        ns, name = _local(el.tag)
        if ns != TCX_NS:
            continue
        if name == "Trackpoint":
            where = f"trackpoint {checker.count + 1}"
            t_ms = lat = lon = alt = dist = None
            for child in el:
                cname = _local(child.tag)[1]
                if cname == "Time":
                    t_ms = _time(child.text, where)
                elif cname == "Position":
                    for c in child:
                        pname = _local(c.tag)[1]
                        if pname == "LatitudeDegrees":
                            lat = number(c.text, "latitude", where)
                        elif pname == "LongitudeDegrees":
                            lon = number(c.text, "longitude", where)
                elif cname == "AltitudeMeters":
                    alt = number(child.text, "altitude", where)
                elif cname == "DistanceMeters":
                    dist = number(child.text, "distance", where)
            if t_ms is not None:
                v = _values(el, where)
                hr = v.get("hr")
                if any(_local(e.tag)[1] == "RunCadence" for e in el.iter()):
                    run_cadence.add(len(checker.samples))
                checker.add(
                    Sample(
                        t_ms,
                        hr=None if hr is None or hr <= 0 else int(round(hr)),
                        cadence=v.get("cadence"),
                        speed=v.get("speed"),
                        power=v.get("power"),
                        distance=dist,
                        lat=lat,
                        lon=lon,
                        altitude=alt,
                        temperature=_temperature(v),
                    ),
                    "trackpoint",
                )
                if cancel is not None and checker.count % 8192 == 0:
                    cancel()
            _drop(stack[-1] if stack else None, el)
        elif name == "Name" and stack and _local(stack[-1].tag)[1] == "Creator":
            device = device or (el.text or "").strip() or None
        elif name == "Notes" and stack and _local(stack[-1].tag)[1] == "Activity":
            notes = (el.text or "").strip() or None
    samples = checker.samples
    if sport in STEP_CADENCE_SPORTS or run_cadence:
        samples = [
            _cadence(s, 2) if s.cadence is not None and (i in run_cadence) else s
            for i, s in enumerate(samples)
        ]
    start = samples[0].t_ms if samples else 0
    return Activity(
        format="tcx",
        samples=samples,
        laps=sorted(t for t in set(laps) if t > start),
        sport=sport,
        device=device,
        title=notes,
    )
