"""GPX and TCX writers: schema-valid (against the shared XSDs), values kept, units right."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import gpxpy
import pytest

from app.domain.samples import Sample
from app.store.repo import SessionInfo
from sync.files import has_positions, session_to_gpx, session_to_tcx
from sync.files.gpx import TPX_NS
from sync.files.tcx import AX_NS, TCX_NS

T0 = 1_767_000_000_000  # 2025-12-29, a fixed instant

SESSION = SessionInfo(
    id=7,
    uid="0f8fad5b-d9cb-469f-a165-70867728950e",
    athlete_id=1,
    athlete="Me",
    sport="ride",
    title="Evening ride with Max",
    source="ble",
    status="finished",
    started_ms=T0,
    ended_ms=T0 + 60_000,
    timezone="UTC",
    samples=60,
    duration_s=60.0,
    moving_s=60.0,
    avg_hr=140.0,
    max_hr=150,
    zone_s=(None,) * 5,
    kcal=12.4,
    kcal_method="hr",
    trimp=None,
    avg_cadence=90.0,
    max_cadence=95.0,
    avg_power=None,
    avg_speed=8.0,
    distance_m=480.0,
    steps=None,
    rr_count=None,
    rmssd_ms=None,
)


def _outdoor(n: int = 60) -> list[Sample]:
    out = []
    for i in range(n):
        out.append(
            Sample(
                t_ms=T0 + i * 1000,
                lat=48.85 + i * 1e-4,
                lon=2.35 + i * 1e-4,
                altitude=35.0 + i * 0.1,
                speed=8.0,
                distance=8.0 * i,
            )
        )
        # A separate HR strap sample, slightly offset, as two sensors would deliver.
        out.append(Sample(t_ms=T0 + i * 1000 + 200, hr=120 + i % 30, cadence=88.6 + i % 5))
    return out


def _indoor(n: int = 60) -> list[Sample]:
    return [
        Sample(
            t_ms=T0 + i * 1000,
            hr=110 + i,
            cadence=170.0,
            speed=3.0,
            distance=3.0 * i,
            power=200.0 + i,
        )
        for i in range(n)
    ]


@pytest.fixture(scope="module")
def schemas() -> dict[str, object]:
    etree = pytest.importorskip("lxml.etree", reason="lxml validates against the XSDs")
    ref = Path(__file__).resolve().parents[3] / "shared" / "reference" / "formats"
    if not (ref / "gpx.xsd").is_file():
        pytest.skip("shared/reference/formats is not present")

    def load(imports: list[tuple[str, str]]) -> object:
        body = "".join(
            f'<xsd:import namespace="{ns}" schemaLocation="{(ref / loc).as_uri()}"/>'
            for ns, loc in imports
        )
        wrapper = f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</xsd:schema>'
        return etree.XMLSchema(etree.fromstring(wrapper.encode(), base_url=ref.as_uri() + "/"))

    return {
        "gpx": load(
            [
                ("http://www.topografix.com/GPX/1/1", "gpx.xsd"),
                (TPX_NS, "TrackPointExtensionv1.xsd"),
            ]
        ),
        "tcx": load([(TCX_NS, "TrainingCenterDatabasev2.xsd"), (AX_NS, "ActivityExtensionv2.xsd")]),
    }


def _assert_valid(schema: object, text: str) -> None:
    from lxml import etree

    doc = etree.fromstring(text.encode())
    assert schema.validate(doc), schema.error_log  # type: ignore[attr-defined]


def test_has_positions() -> None:
    assert has_positions(_outdoor(2))
    assert not has_positions(_indoor(2))
    assert not has_positions([Sample(t_ms=T0, lat=1.0)])  # half a position is none
    assert not has_positions([])


def test_gpx_is_schema_valid_and_keeps_hr_and_cadence(schemas: dict[str, object]) -> None:
    text = session_to_gpx(SESSION, _outdoor())
    _assert_valid(schemas["gpx"], text)
    gpx = gpxpy.parse(text)
    points = gpx.tracks[0].segments[0].points
    assert len(points) == 60
    assert gpx.tracks[0].name == "Evening ride with Max"
    assert gpx.version == "1.1"
    # The strap reading 200 ms later is carried to the next GPS fix, not lost.
    assert points[0].extensions == []  # no HR yet at the very first fix
    hrs = [p.extensions[0].find(f"{{{TPX_NS}}}hr") for p in points[1:]]
    cads = [p.extensions[0].find(f"{{{TPX_NS}}}cad") for p in points[1:]]
    assert [int(h.text) for h in hrs[:3]] == [120, 121, 122]
    assert int(cads[0].text) == 89  # bike cadence is written as measured (rounded)
    assert points[5].time.timestamp() * 1000 == T0 + 5000
    assert 'xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"' in text


def test_gpx_running_cadence_is_per_leg(schemas: dict[str, object]) -> None:
    run = replace(SESSION, sport="run")
    samples = [
        Sample(t_ms=T0 + i * 1000, lat=1.0 + i * 1e-5, lon=2.0, hr=150, cadence=172.0)
        for i in range(5)
    ]
    text = session_to_gpx(run, samples)
    _assert_valid(schemas["gpx"], text)
    root = ET.fromstring(text)
    assert {c.text for c in root.iter(f"{{{TPX_NS}}}cad")} == {"86"}


def test_gpx_without_positions_raises() -> None:
    with pytest.raises(ValueError, match="no positions"):
        session_to_gpx(SESSION, _indoor())
    with pytest.raises(ValueError):
        session_to_gpx(SESSION, [])


def test_gpx_clamps_out_of_schema_values(schemas: dict[str, object]) -> None:
    samples = [
        Sample(t_ms=T0, lat=1.0, lon=2.0, hr=0, cadence=300.0),
        Sample(t_ms=T0 + 1000, lat=1.0, lon=2.0, hr=251, cadence=0.0),
    ]
    _assert_valid(schemas["gpx"], session_to_gpx(SESSION, samples))


def test_tcx_is_schema_valid_with_laps_and_extensions(schemas: dict[str, object]) -> None:
    indoor = replace(SESSION, sport="run", title=None)
    text = session_to_tcx(indoor, _indoor(), laps=[T0 + 20_000, T0 + 40_000])
    _assert_valid(schemas["tcx"], text)
    root = ET.fromstring(text)
    ns = {"t": TCX_NS, "x": AX_NS}
    assert root.find("t:Activities/t:Activity", ns).get("Sport") == "Running"
    laps = root.findall("t:Activities/t:Activity/t:Lap", ns)
    assert [len(lap.findall(".//t:Trackpoint", ns)) for lap in laps] == [20, 20, 20]
    assert laps[1].get("StartTime") == "2025-12-29T09:20:20.000Z"
    assert [float(lap.find("t:TotalTimeSeconds", ns).text) for lap in laps] == [20.0] * 3
    hrs = [int(v.text) for v in root.iterfind(".//t:Trackpoint/t:HeartRateBpm/t:Value", ns)]
    assert hrs == [110 + i for i in range(60)]
    assert {e.text for e in root.iterfind(".//x:RunCadence", ns)} == {"85"}
    assert root.findall(".//t:Trackpoint/t:Cadence", ns) == []  # bike-only element
    watts = [int(e.text) for e in root.iterfind(".//x:Watts", ns)]
    assert watts[:2] == [200, 201]
    # From the last reading of lap 2 (117 m) to the last one (177 m): laps add up.
    assert float(laps[2].find("t:DistanceMeters", ns).text) == pytest.approx(60.0)
    calories = sum(int(lap.find("t:Calories", ns).text) for lap in laps)
    assert calories == pytest.approx(12, abs=1)


def test_tcx_bike_uses_cadence_element_and_positions(schemas: dict[str, object]) -> None:
    text = session_to_tcx(SESSION, _outdoor(10))
    _assert_valid(schemas["tcx"], text)
    root = ET.fromstring(text)
    ns = {"t": TCX_NS}
    assert root.find(".//t:Activity", ns).get("Sport") == "Biking"
    assert root.find(".//t:Trackpoint/t:Position/t:LatitudeDegrees", ns) is not None
    assert root.find(".//t:Trackpoint/t:Cadence", ns) is not None
    assert root.find(".//t:Activity/t:Notes", ns).text == "Evening ride with Max"


def test_tcx_of_an_empty_session_is_still_valid(schemas: dict[str, object]) -> None:
    gym = replace(SESSION, sport="strength", ended_ms=None, kcal=None)
    text = session_to_tcx(gym, [])
    _assert_valid(schemas["tcx"], text)
    assert 'Sport="Other"' in text


def test_reference_samples_still_validate(schemas: dict[str, object]) -> None:
    """Canary: the wrapper-schema approach accepts the real files the SOURCES.md lists."""
    ref = Path(__file__).resolve().parents[3] / "shared" / "reference" / "formats" / "samples"
    _assert_valid(schemas["gpx"], (ref / "gpx" / "strava_export_run_hr_cad.gpx").read_text())
    tcx = (ref / "tcx" / "fr310xt_velodrome_bike_nogps_hr_cad_watts.tcx").read_text()
    _assert_valid(schemas["tcx"], tcx)


def test_gpx_writes_atemp_where_a_point_has_a_temperature(schemas: dict[str, object]) -> None:
    """atemp first in TrackPointExtension (schema order), alone when there is no HR or cadence."""
    temps = [21.0, 21.5, -3.25, None, None, None, None, None, None, None]
    samples = [
        Sample(t_ms=T0 + i * 1000, lat=1.0 + i * 1e-5, lon=2.0, temperature=t,
               hr=None if i < 2 else 140)
        for i, t in enumerate(temps)
    ]  # fmt: skip
    text = session_to_gpx(SESSION, samples)
    _assert_valid(schemas["gpx"], text)
    points = ET.fromstring(text).findall(".//{http://www.topografix.com/GPX/1/1}trkpt")
    ext = [p.find(f".//{{{TPX_NS}}}TrackPointExtension") for p in points]
    assert [e[0].tag.split("}")[1] for e in ext] == ["atemp"] * 8 + ["hr"] * 2
    assert [e.findtext(f"{{{TPX_NS}}}atemp") for e in ext[:3]] == ["21", "21.5", "-3.25"]
    assert len(ext[0]) == 1  # temperature only: an extension all the same
    # The last reading is carried to fixes up to CARRY_MS (5 s) later, then left out.
    assert [e.findtext(f"{{{TPX_NS}}}atemp") for e in ext[3:]] == ["-3.25"] * 5 + [None] * 2


def test_gpx_temperature_round_trips_through_an_import(
    store, schemas: dict[str, object], tmp_path: Path
) -> None:
    from sync.exports.session import export_session
    from sync.imports import Outcome, import_paths

    temps = [18.0, 18.4, 18.8, 19.1, 35.5, -0.5] * 10
    me = store.default_athlete()
    sid = store.create_session(me.id, sport="ride", source="simulator", started_ms=T0)
    store.insert_samples(sid, [
        Sample(T0 + i * 1000, hr=130, lat=48.0 + i * 1e-5, lon=2.0, temperature=t)
        for i, t in enumerate(temps)
    ])  # fmt: skip
    store.finish_session(sid, T0 + len(temps) * 1000)
    path = export_session(store, sid, "gpx", tmp_path / "ride.gpx")
    _assert_valid(schemas["gpx"], path.read_text())
    fresh = type(store).open(tmp_path / "fresh")
    try:
        [result] = import_paths(fresh, fresh.default_athlete().id, [path]).results
        assert result.outcome is Outcome.IMPORTED, result.reason
        assert [s.temperature for s in fresh.load_samples(result.session_id)] == temps
    finally:
        fresh.close()
