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


def test_a_file_still_being_copied_into_an_empty_watched_folder_waits_a_poll(
    store: Store, tmp_path, shared_reference: Path
) -> None:
    # Before: with nothing imported yet, a file seen for the first time was read at once,
    # half-copied, and refused as broken (then imported again once complete).
    from sync.imports.watch import watch_folder

    data = (shared_reference / "formats" / "samples" / GPX).read_bytes()
    target = tmp_path / "run.gpx"
    sleeps = []

    def sleep(_s: float) -> None:  # each poll, the copy moves on
        sleeps.append(_s)
        if len(sleeps) == 1:
            target.write_bytes(data[: len(data) // 2])
        elif len(sleeps) == 2:
            target.write_bytes(data)

    seen = []
    watch_folder(
        store, store.default_athlete().id, tmp_path, on_result=seen.append,
        stop=lambda: len(sleeps) >= 5, poll_s=0, sleep=sleep,
    )  # fmt: skip
    assert [r.outcome.value for r in seen] == ["imported"]
