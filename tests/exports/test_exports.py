"""Exports written from a real store: daily CSV, session CSV/GPX/TCX/Parquet, XLSX, CLI."""

from __future__ import annotations

import csv
import xml.etree.ElementTree as ET
from pathlib import Path

import gpxpy
import openpyxl
import pyarrow.parquet as pq
import pytest

from app.cli import main
from app.store import models as m
from app.store.repo import Store
from sync.exports.daily import summary_rows, write_daily_csv
from sync.exports.session import ExportError, export_session
from sync.exports.workbook import write_workbook
from tests.lake.factory import T0, record_session

FORMATS_REF = Path(__file__).resolve().parents[3] / "shared" / "reference" / "formats"


def _set_title(store: Store, sid: int, title: str) -> None:
    with store.orm() as s, s.begin():
        s.get(m.Session, sid).title = title


def test_daily_csv_is_spreadsheet_safe(store, tmp_path):
    store.ensure_athlete('=HYPERLINK("x")')
    record_session(store, '=HYPERLINK("x")', T0)
    path = write_daily_csv(summary_rows(store), tmp_path / "daily.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert rows[0]["athlete"].startswith("'=")
    assert list(rows[0]) == [
        "date", "athlete", "total_steps", "distance_m", "avg_hr", "kcal", "active_min", "sessions"
    ]  # fmt: skip
    assert not list(tmp_path.glob(".*.tmp"))


def test_session_csv_has_every_sample_and_rr(store, tmp_path):
    sid = record_session(store, n=50)
    path = export_session(store, sid, "csv", tmp_path / "s.csv")
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    samples = store.load_samples(sid)
    assert len(rows) == len(samples) == 50
    assert [int(r["hr_bpm"]) for r in rows] == [s.hr for s in samples]
    assert rows[0]["time_utc"] == "2024-06-10T06:13:20.000+00:00"
    assert [float(r["rr_ms"]) for r in rows] == pytest.approx(store.load_rr(sid), abs=1e-3)
    assert rows[0]["power_w"] == ""  # not measured stays empty, never 0


def test_session_gpx_is_schema_valid_and_keeps_hr(store, tmp_path):
    sid = record_session(store, n=40)
    path = export_session(store, sid, "gpx", tmp_path / "s.gpx")
    gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
    points = gpx.tracks[0].segments[0].points
    assert len(points) == 40
    assert "hr>" in path.read_text(encoding="utf-8")
    etree = pytest.importorskip("lxml.etree", reason="lxml validates against the XSDs")
    if not (FORMATS_REF / "gpx.xsd").is_file():
        pytest.skip("shared/reference/formats is not present")
    body = "".join(
        f'<xsd:import namespace="{ns}" schemaLocation="{(FORMATS_REF / loc).as_uri()}"/>'
        for ns, loc in (
            ("http://www.topografix.com/GPX/1/1", "gpx.xsd"),
            (
                "http://www.garmin.com/xmlschemas/TrackPointExtension/v1",
                "TrackPointExtensionv1.xsd",
            ),
        )
    )
    wrapper = f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</xsd:schema>'
    schema = etree.XMLSchema(etree.fromstring(wrapper.encode()))
    assert schema.validate(etree.parse(str(path))), schema.error_log


def test_gpx_without_positions_is_a_clear_error(store, tmp_path):
    sid = record_session(store, gps=False)
    with pytest.raises(ExportError, match="no GPS"):
        export_session(store, sid, "gpx", tmp_path / "s.gpx")
    assert not (tmp_path / "s.gpx").exists()


def test_session_tcx_has_laps_and_trackpoints(store, tmp_path):
    sid = record_session(store, n=60, laps=2, gps=False)
    path = export_session(store, sid, "tcx", tmp_path / "s.tcx")
    root = ET.parse(path).getroot()
    ns = {"t": "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"}
    assert len(root.findall(".//t:Lap", ns)) == 3
    assert len(root.findall(".//t:Trackpoint", ns)) == 60


def test_session_parquet_round_trips(store, tmp_path):
    sid = record_session(store, n=70)
    path = export_session(store, sid, "parquet", tmp_path / "s.parquet")
    table = pq.read_table(path)
    assert table.num_rows == 70
    assert table.column("hr").to_pylist() == [s.hr for s in store.load_samples(sid)]
    assert table.schema.metadata[b"pulsedeck.table"] == b"samples"


def test_unknown_format_is_refused(store, tmp_path):
    sid = record_session(store)
    with pytest.raises(ExportError, match="unknown format"):
        export_session(store, sid, "kml", tmp_path / "x")


def test_xlsx_has_sessions_and_sets_and_no_formulas(store, tmp_path):
    a = record_session(store, n=30)
    record_session(store, "Zoe", T0 + 86_400_000, n=30, is_self=False)
    _set_title(store, a, "=1+1")
    path = write_workbook(store, store.list_sessions(), tmp_path / "book.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Sessions", "Sets"]
    sessions = list(wb["Sessions"].iter_rows(values_only=True))
    assert len(sessions) == 3
    by_id = {r[0]: r for r in sessions[1:]}
    assert by_id[a][5] == "=1+1"
    assert wb["Sessions"].cell(row=[r[0] for r in sessions].index(a) + 1, column=6).data_type == "s"
    assert by_id[a][3] == "Me"
    sets = list(wb["Sets"].iter_rows(values_only=True))
    assert len(sets) == 3 and sets[1][3] == "Squat" and sets[1][-1] is True


def test_export_cli(store, data_dir, tmp_path, capsys):
    sid = record_session(store, n=20)
    assert main(["export", "daily", "-o", str(tmp_path / "d.csv")]) == 0
    assert (
        main(["export", "session", str(sid), "--format", "tcx", "-o", str(tmp_path / "s.tcx")]) == 0
    )
    assert main(["export", "xlsx", "-o", str(tmp_path / "b.xlsx"), "--athlete", "Me"]) == 0
    assert main(["export", "session", "999", "--format", "csv"]) == 4
    assert main(["export", "daily", "-o", str(tmp_path / "x.csv"), "--athlete", "Nobody"]) == 4
    assert (tmp_path / "d.csv").read_text().count("\n") == 2
    assert (tmp_path / "s.tcx").stat().st_size > 0
    capsys.readouterr()
