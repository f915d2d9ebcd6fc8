"""Real files from public repositories (../shared/reference/formats, sources and licences in
its SOURCES.md): totals checked against values computed independently of the importer
(fitdecode for FIT, lxml for TCX/GPX, and the figures SOURCES.md lists)."""

from __future__ import annotations

from pathlib import Path

import fitdecode
import pytest
from lxml import etree

from app.store.repo import Store
from sync.imports import Outcome, import_paths

# file, samples, duration s, avg HR, max HR
CASES = [
    ("fit/fenix2_outdoor_run_gps_hr_cad.fit", 2809, 2833, 153.98, 178),
    ("fit/edge800_indoor_trainer_hr_cad_power.fit", 2263, 2263, 147.75, 176),
    ("tcx/fr310xt_velodrome_bike_nogps_hr_cad_watts.tcx", 490, 485, 161.34, 180),
    ("tcx/edge1000_outdoor_bike_gps_hr_cad_watts.tcx", 72, 71, 82.2, 87),
    ("gpx/strava_export_run_hr_cad.gpx", 241, 1156, 144.55, 157),
    ("gpx/garmin_connect_run_hr.gpx", 206, 948, 190.01, 203),
    ("gpx/garmin_oregon450_bike_hr.gpx", 204, 609, 151.87, 169),
]


def _independent(path: Path) -> tuple[int, list[int], float | None]:
    """(points, HR values, last distance) read without the importer."""
    if path.suffix == ".fit":
        hr, n, dist = [], 0, None
        with fitdecode.FitReader(str(path)) as r:
            for f in r:
                if isinstance(f, fitdecode.FitDataMessage) and f.name == "record":
                    n += 1
                    v = f.get_value("heart_rate", fallback=None)
                    if v:
                        hr.append(v)
                    dist = f.get_value("distance", fallback=dist)
        return n, hr, dist
    tree = etree.parse(str(path))
    points = tree.xpath("//*[local-name()='trkpt' or local-name()='Trackpoint']")
    hr_nodes = tree.xpath(
        "//*[local-name()='trkpt']//*[local-name()='hr']"
        " | //*[local-name()='Trackpoint']/*[local-name()='HeartRateBpm']/*[local-name()='Value']"
    )
    dists = tree.xpath("//*[local-name()='Trackpoint']/*[local-name()='DistanceMeters']/text()")
    return len(points), [int(h.text) for h in hr_nodes], float(dists[-1]) if dists else None


@pytest.mark.parametrize(("name", "count", "duration", "avg_hr", "max_hr"), CASES)
def test_real_file_totals(
    shared_reference: Path, store: Store, name: str, count: int, duration: int,
    avg_hr: float, max_hr: int,
) -> None:  # fmt: skip
    path = shared_reference / "formats" / "samples" / name
    n, hrs, dist = _independent(path)
    assert n == count and round(sum(hrs) / len(hrs), 2) == avg_hr and max(hrs) == max_hr
    me = store.default_athlete()
    [result] = import_paths(store, me.id, [path]).results
    assert result.outcome is Outcome.IMPORTED, result.reason
    assert result.session_id is not None
    info = store.get_session(result.session_id)
    assert info is not None
    samples = store.load_samples(info.id)
    assert len(samples) == count
    stored_hr = [s.hr for s in samples if s.hr is not None]
    assert round(sum(stored_hr) / len(stored_hr), 2) == avg_hr
    assert info.max_hr == max_hr
    assert info.ended_ms - info.started_ms == pytest.approx(duration * 1000, abs=1000)
    if dist is not None:
        assert samples[-1].distance == pytest.approx(dist, abs=0.01)


def test_strava_bulk_export_layout(shared_reference: Path, store: Store, tmp_path: Path) -> None:
    import gzip
    import zipfile

    src = shared_reference / "formats" / "samples"
    export = tmp_path / "export_123.zip"
    with zipfile.ZipFile(export, "w") as z:
        z.writestr(
            "activities.csv",
            "Activity ID,Activity Date,Activity Name,Activity Type,Filename\n"
            '1,"Dec 1, 2015",Nachtlauf,Run,activities/1.gpx\n'
            '2,"Aug 15, 2015",Fenix run,Run,activities/2.fit.gz\n'
            '3,"Aug 16, 2015",Gym,Weight Training,\n',
        )
        z.write(src / "gpx/strava_export_run_hr_cad.gpx", "activities/1.gpx")
        z.writestr(
            "activities/2.fit.gz",
            gzip.compress((src / "fit/fenix2_outdoor_run_gps_hr_cad.fit").read_bytes()),
        )
    me = store.default_athlete()
    report = import_paths(store, me.id, [export])
    assert [r.outcome for r in report.results] == [
        Outcome.IMPORTED, Outcome.IMPORTED, Outcome.SKIPPED,
    ]  # fmt: skip
    titles = {(s.title, s.sport) for s in store.list_sessions()}
    assert titles == {("Nachtlauf", "run"), ("Fenix run", "run")}
    again = import_paths(store, me.id, [export])
    assert again.count(Outcome.DUPLICATE) == 2
