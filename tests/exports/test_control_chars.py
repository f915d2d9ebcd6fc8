"""Issue 16 #7: control characters in names and titles.

Text already stored (by an older version, a lake, a feed) is made safe by the writers: GPX and
TCX stay well-formed, schema-valid XML and `export xlsx` works for everyone. New names and
titles are checked on input: blank names and control characters are refused (exit 2), never
stored and never mapped to "Me".
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import openpyxl
import pytest

from app.cli import main
from app.domain.validation import InvalidInput
from app.store import models as m
from app.store.repo import Store
from tests.lake.factory import T0, record_session

FORMATS_REF = Path(__file__).resolve().parents[3] / "shared" / "reference" / "formats"
HOSTILE = "Intervals\x01\x1b[31m red\x7f \x0b\ufffe!"
TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"


@pytest.fixture
def stored(store: Store) -> int:
    """A session whose title, athlete and exercise names hold control characters."""
    sid = record_session(store, "Ann", T0)
    with store.orm() as s, s.begin():
        row = s.get(m.Session, sid)
        row.title = HOSTILE
        s.get(m.Athlete, row.athlete_id).name = "Ann\x07\x1b]0;pwned\x07"
        for st in s.query(m.ExerciseSet).filter_by(session_id=sid):
            st.exercise_name = "Squat\x00\x08"
    return sid


def _schema(*imports: tuple[str, str]) -> object | None:
    try:
        from lxml import etree
    except ImportError:
        return None
    if not (FORMATS_REF / "gpx.xsd").is_file():
        return None
    body = "".join(
        f'<xsd:import namespace="{ns}" schemaLocation="{(FORMATS_REF / loc).as_uri()}"/>'
        for ns, loc in imports
    )
    wrapper = f'<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema">{body}</xsd:schema>'
    return etree.XMLSchema(etree.fromstring(wrapper.encode()))


def _valid(path: Path, *imports: tuple[str, str]) -> ET.Element:
    root = ET.parse(path).getroot()  # not well-formed XML raises here
    schema = _schema(*imports)
    if schema is not None:
        from lxml import etree

        assert schema.validate(etree.parse(str(path))), schema.error_log  # type: ignore[attr-defined]
    return root


def test_gpx_and_tcx_stay_valid_xml(stored, tmp_path, capsys) -> None:
    gpx, tcx = tmp_path / "s.gpx", tmp_path / "s.tcx"
    assert main(["export", "session", str(stored), "-o", str(gpx)]) == 0
    assert main(["export", "session", str(stored), "-o", str(tcx)]) == 0
    root = _valid(
        gpx,
        ("http://www.topografix.com/GPX/1/1", "gpx.xsd"),
        ("http://www.garmin.com/xmlschemas/TrackPointExtension/v1", "TrackPointExtensionv1.xsd"),
    )
    gpx_ns = "{http://www.topografix.com/GPX/1/1}"
    name = root.find(f"{gpx_ns}trk/{gpx_ns}name")
    assert name is not None and name.text == "Intervals[31m red !"
    root = _valid(
        tcx,
        (TCX_NS, "TrainingCenterDatabasev2.xsd"),
        ("http://www.garmin.com/xmlschemas/ActivityExtension/v2", "ActivityExtensionv2.xsd"),
    )
    notes = root.find(f"{{{TCX_NS}}}Activities/{{{TCX_NS}}}Activity/{{{TCX_NS}}}Notes")
    assert notes is not None and notes.text == "Intervals[31m red !"


def test_xlsx_export_works_for_everyone(stored, store, tmp_path, capsys) -> None:
    record_session(store, "Bo", T0 + 86_400_000)  # another athlete's sessions in the book
    out = tmp_path / "all.xlsx"
    assert main(["export", "xlsx", "-o", str(out)]) == 0, capsys.readouterr().err
    wb = openpyxl.load_workbook(out)
    rows = list(wb["Sessions"].iter_rows(values_only=True))
    titles = {r[3]: r[5] for r in rows[1:]}
    assert titles["Ann]0;pwned"] == "Intervals[31m red !"
    assert "Bo" in titles
    assert [r[3] for r in wb["Sets"].iter_rows(values_only=True)][1:] == ["Squat", "Squat"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["athlete", "set", ""], "cannot be empty"),
        (["athlete", "set", "   "], "cannot be empty"),
        (["athlete", "set", "Ann\x1b[2J"], "control character"),
        (["athlete", "set", "Eve\u202egnp.exe"], "control character"),
        (["sessions", "list", "--athlete", "\t"], "cannot be empty"),
    ],
)
def test_names_are_validated_on_input(data_dir, capsys, argv: list[str], words: str) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and words in err and "\x1b" not in err
    assert main(["athlete", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []  # nothing created, not even "Me"


def test_record_refuses_a_blank_athlete_or_a_control_character_in_the_title(
    data_dir, capsys
) -> None:
    rec = ["record", "--simulate", "--duration", "1", "--rate", "20", "-q"]
    assert main([*rec, "--athlete", " "]) == 2
    assert "cannot be empty" in capsys.readouterr().err
    assert main([*rec, "--title", "Run\x1b[2J\x07"]) == 2
    err = capsys.readouterr().err
    assert "control character" in err and len(err.splitlines()) == 1
    assert main(["sessions", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_the_store_refuses_for_the_gui_too(store: Store) -> None:
    with pytest.raises(InvalidInput):
        store.ensure_athlete("  ")
    a = store.ensure_athlete("  Ann  ")  # trimmed, as the GUI's "add client" does
    assert a.name == "Ann"
    with pytest.raises(InvalidInput):
        store.update_profile(a.id, name="A\nB")
    with pytest.raises(InvalidInput):
        store.create_session(a.id, sport="run", source="manual", started_ms=T0, title="x\x00")
    assert store.list_sessions() == []
