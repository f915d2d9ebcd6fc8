"""Progress and cancel hooks of the exports: reports reach the total, a cancel leaves nothing."""

from __future__ import annotations

import threading
import zipfile
from pathlib import Path

import pytest

from sync.exports import gdpr
from sync.exports import session as session_export
from sync.exports.gdpr import export_all
from sync.exports.session import export_session
from sync.progress import Cancelled, CancelToken, Steps
from tests.lake.factory import T0, record_session

FORMATS = ("csv", "gpx", "tcx", "parquet", "xlsx")


def _reports() -> tuple[list[tuple[int, int]], object]:
    seen: list[tuple[int, int]] = []
    return seen, lambda done, total: seen.append((done, total))


def _assert_well_formed(seen: list[tuple[int, int]]) -> None:
    assert seen, "no progress was reported"
    totals = {t for _d, t in seen}
    assert len(totals) == 1, f"the total changed: {totals}"
    done = [d for d, _t in seen]
    assert done == sorted(done), "progress went backwards"
    assert seen[0][0] == 0 and seen[-1] == (seen[-1][1], seen[-1][1])


def test_steps_report_then_check_and_never_pass_the_total() -> None:
    seen, progress = _reports()
    token = CancelToken()
    steps = Steps(3, progress, token)
    steps.start()
    steps.step(2)
    steps.step(5)  # more than announced: clamped
    token.cancel()
    with pytest.raises(Cancelled):
        steps.step()
    assert seen == [(0, 3), (2, 3), (3, 3), (3, 3)]


def test_a_plain_callable_works_as_cancel() -> None:
    flag = threading.Event()
    steps = Steps(2, None, flag.is_set)
    steps.step()
    flag.set()
    with pytest.raises(Cancelled):
        steps.check()


def test_csv_progress_counts_samples_in_chunks(store, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(session_export, "CHUNK_ROWS", 100)
    sid = record_session(store, n=950)
    seen, progress = _reports()
    path = export_session(store, sid, "csv", tmp_path / "s.csv", progress=progress)
    _assert_well_formed(seen)
    assert seen[-1] == (950, 950)
    assert [d for d, _ in seen[:4]] == [0, 100, 200, 300]  # one report per chunk
    plain = export_session(store, sid, "csv", tmp_path / "plain.csv")
    assert path.read_bytes() == plain.read_bytes()  # the hooks change nothing in the file


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_reports_up_to_its_total(store, tmp_path, fmt) -> None:
    sid = record_session(store, n=300)
    seen, progress = _reports()
    path = export_session(store, sid, fmt, tmp_path / f"s.{fmt}", progress=progress,
                          cancel=CancelToken())  # fmt: skip
    _assert_well_formed(seen)
    assert path.is_file() and path.stat().st_size > 0


def _cancel_at(report_index: int, token: CancelToken):
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))
        if len(seen) > report_index:
            token.cancel()

    return seen, progress


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("at", [0, 1, 2, -1])
def test_cancel_at_any_stage_leaves_no_file(store, tmp_path, monkeypatch, fmt, at) -> None:
    monkeypatch.setattr(session_export, "CHUNK_ROWS", 100)
    sid = record_session(store, n=450)
    # The reports of a full export; its last one comes after the rename (the file is done),
    # so -1 means the one before: the final check just before the rename must catch it.
    full, count = _reports()
    (tmp_path / "full").mkdir()  # exports never create directories
    export_session(store, sid, fmt, tmp_path / "full" / f"s.{fmt}", progress=count)
    last = len(full) - 2
    index = last if at == -1 else min(at, last)
    out = tmp_path / "out"
    out.mkdir()
    token = CancelToken()
    seen, progress = _cancel_at(index, token)
    with pytest.raises(Cancelled):
        export_session(store, sid, fmt, out / f"s.{fmt}", progress=progress, cancel=token)
    assert list(out.iterdir()) == [], "a cancelled export left a file (or a temporary one)"
    assert len(seen) == index + 1  # it stopped right after the report that cancelled


def test_cancel_keeps_an_older_file_at_the_path_intact(store, tmp_path) -> None:
    sid = record_session(store, n=200)
    (tmp_path / "out").mkdir()
    path = tmp_path / "out" / "s.tcx"
    path.write_text("previous export")
    token = CancelToken()
    _seen, progress = _cancel_at(1, token)
    with pytest.raises(Cancelled):
        export_session(store, sid, "tcx", path, progress=progress, cancel=token, force=True)
    assert path.read_text() == "previous export"
    assert sorted(p.name for p in path.parent.iterdir()) == ["s.tcx"]


def test_gdpr_progress_counts_every_row_of_every_table(store, tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(gdpr, "CHUNK_ROWS", 50)
    a = record_session(store, n=400)
    record_session(store, n=120, started_ms=T0 + 86_400_000, seed=2)
    athlete_id = store.get_session(a).athlete_id
    seen, progress = _reports()
    report = export_all(store, athlete_id, tmp_path / "me.zip", progress=progress)
    _assert_well_formed(seen)
    total = sum(report.rows.values()) + len(report.rows)
    assert seen[-1] == (total, total)
    assert len(seen) > 10  # samples alone are 520 rows in chunks of 50
    plain = export_all(store, athlete_id, tmp_path / "plain.zip")
    with zipfile.ZipFile(report.path) as z1, zipfile.ZipFile(plain.path) as z2:
        data = [n for n in z1.namelist() if n.startswith("data/")]
        assert data == [n for n in z2.namelist() if n.startswith("data/")]
        for name in data:
            assert z1.read(name) == z2.read(name)


@pytest.mark.parametrize("at", [1, 5, -1])
def test_gdpr_cancel_leaves_no_zip(store, tmp_path, monkeypatch, at) -> None:
    monkeypatch.setattr(gdpr, "CHUNK_ROWS", 50)
    sid = record_session(store, n=400)
    athlete_id = store.get_session(sid).athlete_id
    full, count = _reports()
    export_all(store, athlete_id, tmp_path / "full.zip", progress=count)
    out = tmp_path / "out"
    out.mkdir()
    token = CancelToken()
    index = len(full) - 2 if at == -1 else at  # the last report is after the rename
    seen, progress = _cancel_at(index, token)
    with pytest.raises(Cancelled):
        export_all(store, athlete_id, out / "me.zip", progress=progress, cancel=token)
    assert list(out.iterdir()) == []
    assert len(seen) == index + 1


def test_cli_export_is_unchanged_without_hooks(store, tmp_path: Path) -> None:
    """No progress/cancel given: the writers behave as before (no counting query for GDPR)."""
    sid = record_session(store, n=60)
    athlete_id = store.get_session(sid).athlete_id
    report = export_all(store, athlete_id, tmp_path / "a.zip")
    assert report.rows["samples"] == 60
    assert export_session(store, sid, "tcx", tmp_path / "a.tcx").is_file()
