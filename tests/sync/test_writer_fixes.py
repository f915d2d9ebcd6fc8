"""Issue 19 #5: what the GPX, TCX, FIT and CSV writers got wrong, one test per finding."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import gpxpy
import pytest

from app.domain.samples import Sample
from app.store.repo import Store
from sync.exports.session import export_session
from sync.files.tcx import AX_NS, TCX_NS
from sync.strava.context import StravaContext
from sync.strava.upload import build_file

T0 = 1_767_000_000_000
NS = {"t": TCX_NS, "x": AX_NS}


def _session(
    store: Store,
    samples: list[Sample],
    *,
    sport: str = "run",
    laps: tuple[int, ...] = (),
    pauses: tuple[tuple[int, int], ...] = (),
) -> int:
    me = store.default_athlete()
    sid = store.create_session(me.id, sport=sport, source="simulator", started_ms=T0)
    store.insert_samples(sid, samples)
    for t in laps:
        store.add_marker(sid, "lap", t, None)
    for start, end in pauses:
        store.add_marker(sid, "pause", start, None)
        store.add_marker(sid, "resume", end, None)
    store.finish_session(sid, samples[-1].t_ms + 1000)
    return sid


def _gps_dropout(n: int = 900, located: int = 360) -> list[Sample]:
    """A run whose GPS gave up after `located` seconds; the strap and foot pod went on."""
    return [
        Sample(
            t_ms=T0 + i * 1000,
            hr=140 + i % 20,
            cadence=170.0,
            speed=3.1,
            distance=round(3.1 * i, 2),
            lat=48.85 + i * 1e-5 if i < located else None,
            lon=2.35 + i * 1e-5 if i < located else None,
        )
        for i in range(n)
    ]


def _ctx(store: Store) -> StravaContext:
    return StravaContext(store, None, None, None)  # type: ignore[arg-type]


def test_an_upload_with_points_lacking_a_position_goes_as_tcx_keeping_them_all(store) -> None:
    # Before: GPX was chosen when half the points had a position, and kept 360 of 900.
    sid = _session(store, _gps_dropout())
    content, data_type, inferred, trainer = build_file(_ctx(store), sid)
    assert data_type == "tcx" and inferred == "Run"
    assert not trainer  # it has positions: an outdoor run, not a trainer
    root = ET.fromstring(content)
    assert len(root.findall(".//t:Trackpoint", NS)) == 900
    assert len(root.findall(".//t:Trackpoint/t:Position", NS)) == 360


def test_an_upload_with_power_goes_as_tcx_which_carries_it(store) -> None:
    samples = [
        Sample(t_ms=T0 + i * 1000, hr=130, power=210.0, lat=48.0 + i * 1e-5, lon=2.0)
        for i in range(60)
    ]
    sid = _session(store, samples, sport="ride")
    content, data_type, _, _ = build_file(_ctx(store), sid)
    assert data_type == "tcx"
    assert {e.text for e in ET.fromstring(content).iterfind(".//x:Watts", NS)} == {"210"}


def test_a_fully_located_upload_without_power_is_still_gpx(store) -> None:
    sid = _session(store, _gps_dropout(120, located=120))
    content, data_type, inferred, trainer = build_file(_ctx(store), sid)
    assert (data_type, inferred, trainer) == ("gpx", "Run", False)
    assert len(gpxpy.parse(content.decode()).tracks[0].segments[0].points) == 120


def _lap_sums(store: Store, sid: int, tmp_path: Path) -> tuple[list[float], list[float]]:
    root = ET.parse(export_session(store, sid, "tcx", tmp_path / "s.tcx")).getroot()
    laps = root.findall(".//t:Lap", NS)
    return (
        [float(lap.find("t:DistanceMeters", NS).text) for lap in laps],
        [float(lap.find("t:TotalTimeSeconds", NS).text) for lap in laps],
    )


def _fit_laps(store: Store, sid: int, tmp_path: Path) -> list[dict[str, float]]:
    fitdecode = pytest.importorskip("fitdecode")
    path = export_session(store, sid, "fit", tmp_path / "s.fit")
    laps = []
    with fitdecode.FitReader(str(path)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "lap":
                laps.append(
                    {
                        "distance": frame.get_value("total_distance"),
                        "timer": frame.get_value("total_timer_time"),
                        "elapsed": frame.get_value("total_elapsed_time"),
                    }
                )
    return laps


def test_lap_distances_add_up_to_the_session_distance(store, tmp_path) -> None:
    # Before: each lap was max - min of its own points, losing the step between laps
    # (6142.75 of 6158.14 m in the finding; here 3 laps lose 2 steps of ~3 m).
    samples = [
        Sample(t_ms=T0 + i * 1000, hr=150, speed=3.0, distance=round(3.07 * i, 2))
        for i in range(600)
    ]
    sid = _session(store, samples, laps=(T0 + 200_000, T0 + 400_000))
    session = store.get_session(sid)
    distances, _ = _lap_sums(store, sid, tmp_path)
    assert len(distances) == 3
    assert sum(distances) == pytest.approx(session.distance_m, abs=0.01)
    assert distances[0] == pytest.approx(3.07 * 199, abs=0.01)  # to the last reading before
    fit = _fit_laps(store, sid, tmp_path)
    assert sum(lap["distance"] for lap in fit) == pytest.approx(session.distance_m, abs=0.05)


def test_lap_times_leave_pauses_out(store, tmp_path) -> None:
    # Before: TotalTimeSeconds was the lap's wall-clock span, pauses included.
    samples = [Sample(t_ms=T0 + i * 1000, hr=150, speed=3.0, distance=3.0 * i) for i in range(600)]
    sid = _session(
        store,
        samples,
        laps=(T0 + 300_000,),
        pauses=((T0 + 100_000, T0 + 160_000), (T0 + 500_000, T0 + 530_000)),
    )
    session = store.get_session(sid)
    distances, times = _lap_sums(store, sid, tmp_path)
    assert times == [240.0, 270.0]  # 300 s each: 60 s, then 30 s paused
    # Distance covered while paused is not the laps' either: they still match the summary.
    assert sum(distances) == pytest.approx(session.distance_m, abs=0.01)
    fit = _fit_laps(store, sid, tmp_path)
    assert [lap["timer"] for lap in fit] == [240.0, 270.0]
    assert [lap["elapsed"] for lap in fit] == [300.0, 300.0]


@pytest.mark.parametrize(
    ("sport", "tcx", "gpx", "fit"),
    [
        ("run", "Running", "running", "running"),
        ("trail_run", "Running", "running", "running"),
        ("ride", "Biking", "cycling", "cycling"),
        ("walk", "Other", "walking", "walking"),
        ("hike", "Other", "hiking", "hiking"),
        ("yoga", "Other", "other", "generic"),
    ],
)
def test_each_format_gets_its_own_sport_name(store, tmp_path, sport, tcx, gpx, fit) -> None:
    # Before: walk and hike were written to TCX as "Running".
    samples = [Sample(t_ms=T0 + i * 1000, hr=120, lat=48.0 + i * 1e-5, lon=2.0) for i in range(10)]
    sid = _session(store, samples, sport=sport)
    root = ET.parse(export_session(store, sid, "tcx", tmp_path / "s.tcx")).getroot()
    assert root.find(".//t:Activity", NS).get("Sport") == tcx
    track = gpxpy.parse(export_session(store, sid, "gpx", tmp_path / "s.gpx").read_text())
    assert track.tracks[0].type == gpx
    fitdecode = pytest.importorskip("fitdecode")
    with fitdecode.FitReader(str(export_session(store, sid, "fit", tmp_path / "s.fit"))) as r:
        sports = [
            f.get_value("sport")
            for f in r
            if isinstance(f, fitdecode.FitDataMessage) and f.name == "session"
        ]
    assert sports == [fit]


def test_session_csv_header_names_the_units(store, tmp_path) -> None:
    # Before: "hr,cadence,speed,..." with no unit anywhere in the file.
    sid = _session(store, _gps_dropout(5, located=5))
    text = export_session(store, sid, "csv", tmp_path / "s.csv").read_text(encoding="utf-8")
    header = next(csv.reader(io.StringIO(text)))
    assert header == [
        "time_utc", "t_ms", "hr_bpm", "cadence_per_min", "speed_m_s", "power_w", "distance_m",
        "lat_deg", "lon_deg", "altitude_m", "steps", "met", "temperature_c", "rr_ms",
        "received_ms",
    ]  # fmt: skip
    row = next(csv.DictReader(io.StringIO(text)))
    assert row["hr_bpm"] == "140" and row["speed_m_s"] == "3.1" and row["power_w"] == ""


def test_unknown_kcal_is_left_empty_not_zero(store, tmp_path) -> None:
    """No weight, no MET: kcal is unknown, and no export writes it as 0."""
    import openpyxl

    from sync.exports.daily import summary_rows, write_daily_csv
    from sync.exports.workbook import write_workbook

    sid = _session(store, _gps_dropout(60, located=60))
    session = store.get_session(sid)
    assert session.kcal is None
    daily = write_daily_csv(summary_rows(store), tmp_path / "d.csv")
    assert [r["kcal"] for r in csv.DictReader(daily.open(encoding="utf-8"))] == [""]
    write_workbook(store, [session], tmp_path / "w.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["Sessions"]
    header = [c.value for c in ws[1]]
    assert ws[2][header.index("kcal")].value is None
    fitdecode = pytest.importorskip("fitdecode")
    with fitdecode.FitReader(str(export_session(store, sid, "fit", tmp_path / "s.fit"))) as r:
        kcal = [
            f.get_value("total_calories")
            for f in r
            if isinstance(f, fitdecode.FitDataMessage) and f.name == "session"
        ]
    assert kcal == [None]
    # TCX is the exception: its schema requires <Calories> (an unsignedShort) in every lap.


def _treadmill(n: int = 600) -> list[Sample]:
    """A treadmill run: the foot pod sends speed, no distance channel; speed varies."""
    return [Sample(t_ms=T0 + i * 1000, hr=150, speed=2.5 + (i % 37) / 20) for i in range(n)]


@pytest.mark.parametrize("pauses", [(), ((T0 + 250_000, T0 + 290_000),)])
def test_laps_without_a_distance_channel_use_the_summary_distance_rule(
    store, tmp_path, pauses
) -> None:
    # Before: the summary integrated speed (1.9 km) but every TCX and FIT lap said 0 m.
    sid = _session(store, _treadmill(), laps=(T0 + 200_000, T0 + 400_000), pauses=pauses)
    session = store.get_session(sid)
    assert session.distance_m is not None and session.distance_m > 1500
    distances, _ = _lap_sums(store, sid, tmp_path)
    assert len(distances) == 3 and all(d > 300 for d in distances)
    assert sum(distances) == pytest.approx(session.distance_m, abs=0.01)
    # The first lap is the speed integrated over its 200 one-second readings.
    assert distances[0] == pytest.approx(sum(2.5 + (i % 37) / 20 for i in range(200)), abs=0.01)
    fit = _fit_laps(store, sid, tmp_path)
    assert len(fit) == 3 and all(lap["distance"] > 300 for lap in fit)
    assert sum(lap["distance"] for lap in fit) == pytest.approx(session.distance_m, abs=0.05)


def test_laps_without_distance_or_speed_have_no_distance(store, tmp_path) -> None:
    """A gym session (HR only) has no distance: TCX writes its required 0, FIT leaves it out."""
    samples = [Sample(t_ms=T0 + i * 1000, hr=110) for i in range(120)]
    sid = _session(store, samples, sport="gym", laps=(T0 + 60_000,))
    assert store.get_session(sid).distance_m is None
    distances, _ = _lap_sums(store, sid, tmp_path)
    assert distances == [0.0, 0.0]
    assert [lap["distance"] for lap in _fit_laps(store, sid, tmp_path)] == [None, None]


def test_gpx_export_of_a_gps_dropout_writes_the_track_and_says_what_it_left_out(
    store, tmp_path, capsys
) -> None:
    # Before: `export session --format gpx` kept 360 of 900 points and said nothing.
    # GPX cannot hold a point without lat/lon: the route is written and the loss is said.
    from app.cli import main

    sid = _session(store, _gps_dropout())
    out = tmp_path / "s.gpx"
    assert main(["export", "session", str(sid), "--format", "gpx", "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"session {sid} written to {out}" in captured.out
    [note] = [line for line in captured.err.splitlines() if line.startswith("note:")]
    assert "left out 540 of 900 points (no position" in note
    assert "TCX or FIT keep every reading" in note
    assert len(gpxpy.parse(out.read_text()).tracks[0].segments[0].points) == 360


def test_gpx_export_names_power_it_cannot_hold_and_is_quiet_when_nothing_is_lost(
    store, tmp_path
) -> None:
    notes: list[str] = []
    located = _gps_dropout(60, located=60)
    sid = _session(store, located)
    export_session(store, sid, "gpx", tmp_path / "a.gpx", on_note=notes.append)
    assert notes == []  # every point located, no power: GPX keeps it all
    ride = [Sample(t_ms=s.t_ms, hr=s.hr, lat=s.lat, lon=s.lon, power=200.0) for s in located]
    sid = _session(store, ride, sport="ride")
    export_session(store, sid, "gpx", tmp_path / "b.gpx", on_note=notes.append)
    assert notes == [
        "GPX dropped power from 60 points (GPX has no power field); TCX or FIT keep every reading"
    ]
