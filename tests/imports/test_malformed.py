"""One test per bad-file case (issue 19 #3): a specific reason, nothing stored, folder goes on."""

from __future__ import annotations

import gzip
from collections.abc import Callable
from pathlib import Path

import pytest

from app.store.repo import Store
from sync.exports.session import export_session
from sync.imports import Outcome, import_paths

GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1"
 xmlns:ns3="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"><trk><trkseg>{points}
</trkseg></trk></gpx>"""
PT = (
    '<trkpt lat="{lat}" lon="8.0"><time>2024-05-01T10:00:{s:02d}Z</time>'
    "<extensions><ns3:TrackPointExtension><ns3:hr>{hr}</ns3:hr></ns3:TrackPointExtension>"
    "</extensions></trkpt>"
)


def gpx(points: list[tuple[float, int, str]]) -> str:
    return GPX.format(points="".join(PT.format(lat=a, s=s, hr=h) for a, s, h in points))


GOOD = gpx([(47.0, i, "120") for i in range(10)])


def _import(store: Store, *paths: Path) -> list[tuple[Outcome, str | None]]:
    me = store.default_athlete()
    report = import_paths(store, me.id, list(paths))
    return [(r.outcome, r.reason) for r in report.results]


def _refused(store: Store, path: Path, words: str) -> None:
    [(outcome, reason)] = _import(store, path)
    assert outcome is Outcome.REFUSED
    assert reason is not None and words in reason, reason
    assert store.list_sessions() == []  # nothing half-stored


@pytest.fixture
def fit_bytes(tmp_path: Path, recorded_session: Callable[..., int]) -> bytes:
    s = Store.open(tmp_path / "src")
    sid = recorded_session(s, seconds=60)
    export_session(s, sid, "fit", tmp_path / "x.fit")
    return (tmp_path / "x.fit").read_bytes()


def test_truncated_fit(store: Store, tmp_path: Path, fit_bytes: bytes) -> None:
    (tmp_path / "t.fit").write_bytes(fit_bytes[: len(fit_bytes) // 2])
    _refused(store, tmp_path / "t.fit", "truncated")


def test_bad_crc(store: Store, tmp_path: Path, fit_bytes: bytes) -> None:
    damaged = bytearray(fit_bytes)
    damaged[len(damaged) // 2] ^= 0x01
    (tmp_path / "c.fit").write_bytes(bytes(damaged))
    _refused(store, tmp_path / "c.fit", "CRC")


def test_wrong_namespace(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "ns.gpx"
    p.write_text(GOOD.replace("topografix.com/GPX/1/1", "example.com/GPX/9"))
    _refused(store, p, "namespace")


def test_timestamps_out_of_order(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "o.gpx"
    p.write_text(gpx([(47.0, 5, "120"), (47.0, 3, "121")]))
    _refused(store, p, "out of order")


def test_non_numeric_hr(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "h.gpx"
    p.write_text(gpx([(47.0, 1, "120"), (47.0, 2, "abc")]))
    _refused(store, p, "heart rate 'abc' is not a number")


def test_latitude_out_of_range(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "l.gpx"
    p.write_text(gpx([(47.0, 1, "120"), (123.0, 2, "121")]))
    _refused(store, p, "latitude 123.0 outside")


def test_empty_track(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "e.gpx"
    p.write_text(gpx([]))
    _refused(store, p, "no track points")


def test_gpx_named_fit_is_read_by_content(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "actually.fit"
    p.write_text(GOOD)
    [(outcome, reason)] = _import(store, p)
    assert outcome is Outcome.IMPORTED
    assert reason is not None and "read as GPX" in reason


def test_compressed_files(store: Store, tmp_path: Path) -> None:
    good = tmp_path / "a.gpx.gz"
    good.write_bytes(gzip.compress(GOOD.encode()))
    broken = tmp_path / "b.gpx.gz"
    broken.write_bytes(gzip.compress(GOOD.encode())[:40])
    seven = tmp_path / "c.fit"
    seven.write_bytes(b"7z\xbc\xaf\x27\x1c" + bytes(30))
    results = _import(store, good, broken, seven)
    assert results[0][0] is Outcome.IMPORTED
    assert results[1][0] is Outcome.REFUSED and "gzip" in (results[1][1] or "")
    assert results[2][0] is Outcome.REFUSED and "7z archive" in (results[2][1] or "")


def test_utf16_with_bom_is_read(store: Store, tmp_path: Path) -> None:
    p = tmp_path / "u.gpx"
    p.write_bytes(GOOD.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    assert _import(store, p)[0][0] is Outcome.IMPORTED


def test_xxe_refused(store: Store, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")
    doc = GOOD.replace(
        "<gpx ", f'<!DOCTYPE gpx [<!ENTITY x SYSTEM "file://{secret}">]>\n<gpx ', 1
    ).replace("<trkseg>", "<name>&x;</name><trkseg>")
    p = tmp_path / "xxe.gpx"
    p.write_text(doc)
    _refused(store, p, "DTD")


def test_billion_laughs_refused(store: Store, tmp_path: Path) -> None:
    ents = '<!ENTITY a0 "lol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    doc = GOOD.replace("<gpx ", f"<!DOCTYPE gpx [{ents}]>\n<gpx ", 1).replace(
        "<trkseg>", "<name>&a9;</name><trkseg>"
    )
    p = tmp_path / "bomb.gpx"
    p.write_text(doc)
    _refused(store, p, "DTD")


def test_one_bad_file_never_stops_a_folder(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "watch"
    folder.mkdir()
    (folder / "1-bad.gpx").write_text("<gpx")
    (folder / "2-good.gpx").write_text(GOOD)
    results = _import(store, folder)
    assert [o for o, _ in results] == [Outcome.REFUSED, Outcome.IMPORTED]
    assert "malformed XML" in (results[0][1] or "")
    assert len(store.list_sessions()) == 1
