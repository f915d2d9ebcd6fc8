"""Issue 19 #6: the simulator outdoors (`record --simulate --route loop|FILE.gpx`) feeds GPX."""

from __future__ import annotations

import gpxpy
import pytest

from app.cli import main
from app.store.repo import Store
from device.simulator import (
    Route,
    RouteError,
    SimulatedStrap,
    haversine_m,
    loop_route,
    read_gpx_route,
)
from sync.exports.session import export_session
from sync.strava.context import StravaContext
from sync.strava.upload import build_file
from tests.sync.test_files import _assert_valid, schemas  # noqa: F401  (a fixture)

T0 = 1_767_000_000_000

ROUTE_GPX = """<?xml version="1.0"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
  <rte>
    <rtept lat="47.3769" lon="8.5417"><ele>408</ele></rtept>
    <rtept lat="47.3779" lon="8.5417"><ele>410</ele></rtept>
    <rtept lat="47.3779" lon="8.5432"><ele>412</ele></rtept>
  </rte>
</gpx>
"""


def test_the_built_in_loop_is_closed_and_about_2_km() -> None:
    loop = loop_route()
    assert loop.points[0][:2] == loop.points[-1][:2]
    assert loop.length_m == pytest.approx(2000, rel=0.01)


def test_positions_follow_the_simulated_distance_and_lap_the_route() -> None:
    strap = SimulatedStrap(seed=3, start_ms=T0, realtime=False, route=loop_route())
    samples = list(strap.generate(1500))  # ~4 km: the 2 km loop twice
    assert all(s.lat is not None and s.lon is not None and s.altitude for s in samples)
    assert samples[-1].distance > 2 * 2000
    for a, b in zip(samples, samples[1:], strict=False):
        step = haversine_m(a.lat, a.lon, b.lat, b.lon)
        # Along a curve the chord is a little shorter than the arc the distance counts.
        assert step == pytest.approx(b.distance - a.distance, abs=0.05)
    # Same seed, same route: the same session.
    again = list(
        SimulatedStrap(seed=3, start_ms=T0, realtime=False, route=loop_route()).generate(5)
    )
    assert again == samples[:5]


def test_indoors_has_no_positions() -> None:
    (s,) = SimulatedStrap(seed=1, start_ms=T0, realtime=False).generate(1)
    assert s.lat is None and s.lon is None and s.altitude is None


def test_a_gpx_route_file_is_followed_out_and_back(tmp_path) -> None:
    path = tmp_path / "route.gpx"
    path.write_text(ROUTE_GPX)
    route = read_gpx_route(path)
    # An open route gets the straight way back: 111 + 113 + the diagonal home.
    assert route.length_m == pytest.approx(111.2 + 113.1 + 159.2, abs=1)
    lat, lon, alt, _ = route.at(111.2 / 2)
    assert (lat, lon, alt) == pytest.approx((47.3774, 8.5417, 409.0), abs=1e-3)
    assert route.at(route.length_m + 1)[:2] == pytest.approx(route.at(1)[:2])


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("<gpx xmlns='http://www.topografix.com/GPX/1/1'/>", "no track or route points"),
        (
            "<gpx xmlns='http://www.topografix.com/GPX/1/1'><trk><trkseg>"
            "<trkpt lat='91' lon='0'/><trkpt lat='1' lon='0'/></trkseg></trk></gpx>",
            "out of range",
        ),
        ("<gpx xmlns='http://example.com/x'><trk/></gpx>", "not a GPX file"),
        (
            "<?xml version='1.0'?><!DOCTYPE gpx [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
            "<gpx xmlns='http://www.topografix.com/GPX/1/1'>&x;</gpx>",
            "not a readable GPX file",
        ),
        ("<gpx", "not a readable GPX file"),
        (
            "<gpx xmlns='http://www.topografix.com/GPX/1/1'><rte><rtept lat='1' lon='1'/>"
            "<rtept lat='1' lon='1'/></rte></gpx>",
            "two distinct points",
        ),
    ],
)
def test_a_route_that_cannot_be_followed_is_refused(tmp_path, text, reason) -> None:
    path = tmp_path / "bad.gpx"
    path.write_text(text)
    with pytest.raises(RouteError, match=reason):
        read_gpx_route(path)


def test_route_refusals_are_one_line_before_any_session(data_dir, tmp_path, capsys) -> None:
    bad = tmp_path / "bad.gpx"
    bad.write_text("<gpx")
    assert main(["record", "--simulate", "--route", str(bad), "--duration", "1"]) == 2
    assert main(["record", "--simulate", "--route", str(tmp_path / "no.gpx")]) == 4
    assert main(["record", "--route", "loop", "--duration", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("pulsedeck: ") for line in err)
    assert "no such file" in err[1] and "--simulate" in err[2]
    store = Store.open(data_dir)
    assert store.list_sessions() == []


def test_a_simulated_outdoor_session_exports_valid_gpx_with_every_point(
    data_dir, tmp_path, request, capsys
) -> None:
    schema = request.getfixturevalue("schemas")["gpx"]
    argv = ["record", "--simulate", "--route", "loop", "--duration", "3", "--rate", "20"]
    assert main([*argv, "--seed", "4", "--json", "-q"]) == 0
    capsys.readouterr()
    store = Store.open(data_dir)
    (session,) = store.list_sessions()
    samples = store.load_samples(session.id)
    assert len(samples) >= 40
    assert all(s.lat is not None and s.lon is not None for s in samples)
    path = export_session(store, session.id, "gpx", tmp_path / "outdoor.gpx")
    text = path.read_text(encoding="utf-8")
    _assert_valid(schema, text)
    points = gpxpy.parse(text).tracks[0].segments[0].points
    assert len(points) == len({s.t_ms for s in samples})  # every point kept
    assert all(p.elevation is not None for p in points)
    # ... and it is what an upload sends: nothing lacks a position, no power.
    _, data_type, inferred, trainer = build_file(StravaContext(store, None, None, None), session.id)  # type: ignore[arg-type]
    assert (data_type, inferred, trainer) == ("gpx", "Run", False)


def test_route_from_points_drops_repeats() -> None:
    route = Route.from_points([(1.0, 1.0, None), (1.0, 1.0, None), (1.001, 1.0, None)])
    assert len(route.points) == 3  # A, B and back to A
    assert route.at(10)[2] is None
