"""Every GPX/TCX temperature variant a reader meets is kept (issue 19): names, prefixes, water."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.store.repo import Store
from sync.imports import Outcome, import_paths

TPX1 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v1"
TPX2 = "http://www.garmin.com/xmlschemas/TrackPointExtension/v2"
GPXX = "http://www.garmin.com/xmlschemas/GpxExtensions/v3"
GPXDATA = "http://www.cluetrust.com/XML/GPXDATA/1/0"

GPX11 = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1" {ns}>
<trk><trkseg>{points}</trkseg></trk></gpx>"""
PT11 = (
    '<trkpt lat="48.{i:04d}" lon="2.3"><time>2025-06-01T08:00:{i:02d}Z</time>'
    "<extensions>{ext}</extensions></trkpt>"
)


def _gpx11(ns: str, ext: str, values: list[str]) -> str:
    points = "".join(PT11.format(i=i, ext=ext.format(v=v)) for i, v in enumerate(values))
    return GPX11.format(ns=ns, points=points)


def _import_one(store: Store, path: Path) -> list[float | None]:
    [result] = import_paths(store, store.default_athlete().id, [path]).results
    assert result.outcome is Outcome.IMPORTED, result.reason
    assert result.session_id is not None
    return [s.temperature for s in store.load_samples(result.session_id)]


VALUES = ["12.5", "13", "-1.5"]
KEPT = [12.5, 13.0, -1.5]


@pytest.mark.parametrize(
    ("ns", "ext"),
    [
        # Garmin Connect: TrackPointExtension v1 under the ns3 prefix.
        (f'xmlns:ns3="{TPX1}"', "<ns3:TrackPointExtension><ns3:atemp>{v}</ns3:atemp>"
         "<ns3:hr>120</ns3:hr></ns3:TrackPointExtension>"),
        # TrackPointExtension v2 (newer Garmin devices, Wahoo's GPX).
        (f'xmlns:gpxtpx="{TPX2}"', "<gpxtpx:TrackPointExtension><gpxtpx:atemp>{v}</gpxtpx:atemp>"
         "<gpxtpx:hr>120</gpxtpx:hr></gpxtpx:TrackPointExtension>"),
        # GpxExtensions v3 (older Garmin handhelds): Temperature.
        (f'xmlns:gpxx="{GPXX}"', "<gpxx:TrackPointExtension><gpxx:Temperature>{v}"
         "</gpxx:Temperature></gpxx:TrackPointExtension>"),
        # ClueTrust gpxdata (some converters and older apps): temp.
        (f'xmlns:gpxdata="{GPXDATA}"', "<gpxdata:hr>120</gpxdata:hr>"
         "<gpxdata:temp>{v}</gpxdata:temp>"),
        # Water temperature only (a swim): taken as the point's temperature.
        (f'xmlns:gpxtpx="{TPX2}"', "<gpxtpx:TrackPointExtension><gpxtpx:wtemp>{v}</gpxtpx:wtemp>"
         "</gpxtpx:TrackPointExtension>"),
        # Both: the air temperature wins, whichever comes first in the file.
        (f'xmlns:gpxtpx="{TPX1}"', "<gpxtpx:TrackPointExtension><gpxtpx:atemp>{v}</gpxtpx:atemp>"
         "<gpxtpx:wtemp>4</gpxtpx:wtemp></gpxtpx:TrackPointExtension>"),
        (f'xmlns:gpxtpx="{TPX1}"', "<gpxtpx:TrackPointExtension><gpxtpx:wtemp>4</gpxtpx:wtemp>"
         "<gpxtpx:atemp>{v}</gpxtpx:atemp></gpxtpx:TrackPointExtension>"),
    ],
    ids=["tpx1-ns3", "tpx2", "gpxx-v3", "gpxdata", "wtemp-only", "atemp-then-wtemp",
         "wtemp-then-atemp"],
)  # fmt: skip
def test_gpx_11_temperature_variants(store: Store, tmp_path: Path, ns: str, ext: str) -> None:
    path = tmp_path / "t.gpx"
    path.write_text(_gpx11(ns, ext, VALUES))
    assert _import_one(store, path) == KEPT


def test_gpx_10_temperature_beside_the_point(store: Store, tmp_path: Path) -> None:
    """GPX 1.0 has no <extensions>: foreign elements sit in the trkpt itself."""
    points = "".join(
        f'<trkpt lat="48.{i:04d}" lon="2.3"><time>2025-06-01T08:00:{i:02d}Z</time>'
        f"<gpxdata:temp>{v}</gpxdata:temp></trkpt>"
        for i, v in enumerate(VALUES)
    )
    path = tmp_path / "t10.gpx"
    path.write_text(
        '<?xml version="1.0"?><gpx version="1.0" creator="t" '
        f'xmlns="http://www.topografix.com/GPX/1/0" xmlns:gpxdata="{GPXDATA}">'
        f"<trk><trkseg>{points}</trkseg></trk></gpx>"
    )
    assert _import_one(store, path) == KEPT


TCX = """<?xml version="1.0" encoding="UTF-8"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
 xmlns:ns3="http://www.garmin.com/xmlschemas/ActivityExtension/v2" {ns}>
<Activities><Activity Sport="Biking"><Id>2025-06-01T08:00:00Z</Id>
<Lap StartTime="2025-06-01T08:00:00Z"><TotalTimeSeconds>3</TotalTimeSeconds>
<DistanceMeters>20</DistanceMeters><Calories>0</Calories><Intensity>Active</Intensity>
<TriggerMethod>Manual</TriggerMethod><Track>{points}</Track></Lap></Activity></Activities>
</TrainingCenterDatabase>"""
TCX_PT = (
    "<Trackpoint><Time>2025-06-01T08:00:{i:02d}Z</Time><HeartRateBpm><Value>130</Value>"
    "</HeartRateBpm><Extensions><ns3:TPX><ns3:Watts>200</ns3:Watts></ns3:TPX>{ext}"
    "</Extensions></Trackpoint>"
)


def _tcx(ns: str, ext: str, values: list[str]) -> str:
    points = "".join(TCX_PT.format(i=i, ext=ext.format(v=v)) for i, v in enumerate(values))
    return TCX.format(ns=ns, points=points)


def test_tcx_keeps_a_temperature_an_extension_carries(store: Store, tmp_path: Path) -> None:
    """No TCX schema has temperature; a converter's own extension element that names it is kept
    (TCX <Extensions> take any foreign element), as the GPX reader keeps it."""
    ext = "<x:Temperature>{v}</x:Temperature>"
    path = tmp_path / "t.tcx"
    path.write_text(_tcx('xmlns:x="http://example.com/vendor-extension/v1"', ext, VALUES))
    assert _import_one(store, path) == KEPT
    [session] = store.list_sessions()
    assert [s.power for s in store.load_samples(session.id)] == [200.0] * 3


def test_garmin_tcx_has_no_temperature(store: Store, shared_reference: Path) -> None:
    path = shared_reference / "formats" / "samples" / "tcx"
    temps = _import_one(store, path / "edge1000_outdoor_bike_gps_hr_cad_watts.tcx")
    assert len(temps) == 72 and set(temps) == {None}


def test_a_water_temperature_that_is_not_a_number_is_named(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad.gpx"
    ext = "<gpxtpx:TrackPointExtension><gpxtpx:wtemp>{v}</gpxtpx:wtemp>"
    ext += "</gpxtpx:TrackPointExtension>"
    path.write_text(_gpx11(f'xmlns:gpxtpx="{TPX2}"', ext, ["12", "warm", "13"]))
    [result] = import_paths(store, store.default_athlete().id, [path]).results
    assert result.outcome is Outcome.REFUSED
    assert result.reason is not None and "water temperature 'warm' is not a number" in result.reason
    assert store.list_sessions() == []
