"""Issue 18: a file import stores the session's pieces from the samples it still holds, so its
days read no samples back; the stored track is the one its samples make, bit for bit (real
FIT/TCX/GPX files, and a recording with a pause exported and imported again)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.store.repo import Store
from app.training import tracks
from app.training.daily import DailyService
from sync.exports.session import export_session
from sync.imports import Outcome, import_paths
from tests.training.track_checks import (
    assert_days_read_no_samples,
    assert_tracks_as_from_samples,
    athletes,
)

from .test_real_files import CASES


@pytest.mark.parametrize("name", [case[0] for case in CASES])
def test_an_imported_file_stores_the_track_of_its_samples(
    shared_reference: Path, store: Store, name: str
) -> None:
    path = shared_reference / "formats" / "samples" / name
    [result] = import_paths(store, store.default_athlete().id, [path]).results
    assert result.outcome is Outcome.IMPORTED
    assert_tracks_as_from_samples(store)
    assert_days_read_no_samples(store)


@pytest.mark.parametrize("fmt", ["fit", "tcx", "gpx"])
def test_an_imported_recording_with_a_pause_stores_the_track_of_its_samples(
    tmp_path: Path, recorded_session: Callable[..., int], fmt: str
) -> None:
    src = Store.open(tmp_path / "a")
    dst = Store.open(tmp_path / "b")
    try:
        out = tmp_path / f"run.{fmt}"
        export_session(src, recorded_session(src), fmt, out)
        [result] = import_paths(dst, dst.default_athlete().id, [out]).results
        assert result.outcome is Outcome.IMPORTED and result.session_id is not None
        if fmt == "fit":
            assert len(dst.load_pauses(result.session_id)) == 1  # the pause came along
        assert_tracks_as_from_samples(dst)
        assert_days_read_no_samples(dst)
    finally:
        src.close()
        dst.close()


def test_a_track_that_cannot_be_stored_never_fails_the_import(
    tmp_path: Path, recorded_session: Callable[..., int], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = Store.open(tmp_path / "a")
    dst = Store.open(tmp_path / "b")
    try:
        out = tmp_path / "run.fit"
        export_session(src, recorded_session(src), "fit", out)

        def broken(*_args: object) -> bool:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(tracks, "store_track", broken)
        [result] = import_paths(dst, dst.default_athlete().id, [out]).results
        assert result.outcome is Outcome.IMPORTED
        with dst.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM session_tracks").scalar() == 0
        monkeypatch.undo()
        [me] = athletes(dst)
        session = dst.get_session(result.session_id or 0)
        assert session is not None
        day = datetime.fromtimestamp(session.started_ms / 1000, UTC).date()
        svc = DailyService(dst)
        svc.days(me, day - timedelta(days=1), day + timedelta(days=1))
        assert svc.computed_tracks == 1  # from the samples, as before, and stored then
        assert_tracks_as_from_samples(dst)
    finally:
        src.close()
        dst.close()
