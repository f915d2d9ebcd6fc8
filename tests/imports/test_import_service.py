"""The app's import service: the athlete check before any file is read, the watcher's stop."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app.services.imports import ImportService
from app.store.repo import ReadOnlyAthlete, Store

GPX = "gpx/garmin_connect_run_hr.gpx"


def test_a_read_only_client_is_refused_before_any_file_is_read(store: Store, tmp_path) -> None:
    sam = store.ensure_athlete("Pulled Sam")
    store.update_profile(sam.id, read_only=True)
    with pytest.raises(ReadOnlyAthlete, match="read-only"):
        ImportService(store).import_paths(sam.id, [tmp_path / "does-not-matter.fit"])
    with pytest.raises(LookupError):
        ImportService(store).import_paths(9999, [tmp_path])
    assert store.list_sessions(None) == []


def test_the_watch_dir_setting_refuses_a_missing_folder(store: Store, tmp_path) -> None:
    service = ImportService(store)
    with pytest.raises(NotADirectoryError):
        service.set_watch_dir(tmp_path / "nope")
    assert service.watch_dir() is None
    assert service.set_watch_dir(tmp_path) == tmp_path and service.watch_dir() == tmp_path
    service.set_watch_dir(None)
    assert service.watch_dir() is None


def test_the_watcher_imports_and_stops_at_once(
    store: Store, tmp_path, shared_reference: Path
) -> None:
    (tmp_path / "run.gpx").write_bytes(
        (shared_reference / "formats" / "samples" / GPX).read_bytes()
    )
    service = ImportService(store)
    seen = []
    me = service.writable_athlete(None)
    service.watcher.start(me, tmp_path, seen.append, poll_s=60)  # a long poll...
    deadline = time.monotonic() + 20
    while not seen and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r.outcome.value for r in seen] == ["imported"]
    started = time.monotonic()
    service.watcher.stop()  # ...does not delay the stop
    assert time.monotonic() - started < 1.0 and not service.watcher.running
