"""File → Import…, drag and drop and the watched folder in the real window (issue 19).

Real files from ../shared/reference/formats/samples (sources and licences in its SOURCES.md),
a real store, the real worker thread; only the file dialogs are answered by the test.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QFileDialog

from sync.imports import Outcome

FIT = "fit/fenix2_outdoor_run_gps_hr_cad.fit"
GPX = "gpx/garmin_connect_run_hr.gpx"
TCX = "tcx/fr310xt_velodrome_bike_nogps_hr_cad_watts.tcx"


@pytest.fixture
def folder(shared_reference: Path, tmp_path: Path) -> Path:
    """Two activities, the same GPX again under another name, and a text file named .fit."""
    samples = shared_reference / "formats" / "samples"
    out = tmp_path / "watch-export"
    out.mkdir()
    shutil.copy(samples / FIT, out / "a-run.fit")
    shutil.copy(samples / GPX, out / "b-run.gpx")
    shutil.copy(samples / GPX, out / "c-copy.gpx")
    (out / "d-notes.fit").write_text("not an activity\n")
    return out


def _history_ids(qtbot, window) -> list[int]:  # noqa: ANN001
    history = window.show_screen("history")
    qtbot.waitUntil(lambda: history.loaded, timeout=15_000)
    return [r.id for r in history.model.rows]


def _import(qtbot, window, paths: list[Path]):  # noqa: ANN001, ANN202
    with qtbot.waitSignal(window.ctx.message, timeout=30_000) as msg:
        assert window.import_files(paths)
    qtbot.waitUntil(lambda: window.importer.dialog.report is not None, timeout=15_000)
    return window.importer.dialog, msg.args[0]


def test_file_import_shows_every_file_and_the_report_then_history_has_them(
    qtbot, window, store, folder, tmp_path
) -> None:
    menu = window.file_button.menu()
    assert [a.text() for a in menu.actions()] == ["&Import…", "Import a &folder…"]
    assert window.import_action.shortcut().toString() == "Ctrl+I"
    assert window.menuWidget() is None  # no menu bar: the screens keep their height
    history = window.show_screen("history")
    qtbot.waitUntil(lambda: history.loaded, timeout=15_000)
    assert history.model.rows == []
    dialog, line = _import(qtbot, window, [folder])
    report = dialog.report
    assert [(Path(r.label).name, r.outcome) for r in report.results] == [
        ("a-run.fit", Outcome.IMPORTED),
        ("b-run.gpx", Outcome.IMPORTED),
        ("c-copy.gpx", Outcome.DUPLICATE),
        ("d-notes.fit", Outcome.REFUSED),
    ]
    assert line == "Import for Me: 2 imported, 1 duplicate(s) skipped, 1 refused"
    assert dialog.summary.text() == "2 imported, 1 duplicate(s) skipped, 1 refused."
    lines = [dialog.results.item(i).text() for i in range(dialog.results.count())]
    assert lines[0].startswith("✓  ") and "a-run.fit: session" in lines[0]
    assert "2,809 samples" in lines[0]
    assert lines[2].startswith("=  ") and "same activity as session" in lines[2]
    assert lines[3].startswith("✗  ") and "d-notes.fit: " in lines[3]
    assert len(lines[3].split(": ", 1)[1]) > 10  # the refusal says why
    assert dialog.cancel_btn.text() == "Close" and dialog.history_btn.isVisible()
    # Imported for the athlete shown, and History lists them without a restart.
    ids = {r.session_id for r in report.results if r.outcome is Outcome.IMPORTED}
    qtbot.waitUntil(lambda: {r.id for r in history.model.rows} == ids, timeout=15_000)
    assert {store.get_session(i).athlete for i in ids} == {"Me"}
    dialog.grab().save(str(tmp_path / "import-report.png"))
    dialog.history_btn.click()
    assert window.stack.currentWidget() is history and not dialog.isVisible()


def test_the_menu_action_asks_for_files_and_imports_them(
    qtbot, window, store, folder, monkeypatch
) -> None:
    chosen = [str(folder / "a-run.fit")]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *a, **k: (chosen, ""))
    with qtbot.waitSignal(window.ctx.message, timeout=30_000) as msg:
        window.import_action.trigger()
    assert msg.args[0] == "Import for Me: 1 imported, 0 duplicate(s) skipped, 0 refused"


def test_dropping_files_on_the_window_imports_them_for_the_athlete_shown(
    qtbot, window, store, folder, shared_reference
) -> None:
    client = store.ensure_athlete("Client Ann")
    window.reload_athletes(select_id=client.id)
    qtbot.waitUntil(lambda: window.ctx.athlete.id == client.id, timeout=15_000)
    tcx = shared_reference / "formats" / "samples" / TCX
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(folder / "b-run.gpx")), QUrl.fromLocalFile(str(tcx))])
    pos, actions = QPointF(300, 300), Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), actions, mime, buttons, mods)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(window.ctx.message, timeout=30_000) as msg:
        window.dropEvent(QDropEvent(pos, actions, mime, buttons, mods))
    assert msg.args[0] == "Import for Client Ann: 2 imported, 0 duplicate(s) skipped, 0 refused"
    athletes = {s.athlete for s in store.list_sessions(None)}
    assert athletes == {"Client Ann"}
    # A drag of something that is not a local file is not taken.
    web = QMimeData()
    web.setUrls([QUrl("https://example.org/run.gpx")])
    other = QDragEnterEvent(pos.toPoint(), actions, web, buttons, mods)
    other.setAccepted(True)
    window.dragEnterEvent(other)
    assert not other.isAccepted()


def test_a_read_only_client_gets_nothing_imported(qtbot, window, store, folder) -> None:
    sam = store.ensure_athlete("Pulled Sam")
    store.update_profile(sam.id, read_only=True)
    window.reload_athletes(select_id=sam.id)
    qtbot.waitUntil(lambda: window.ctx.athlete.id == sam.id, timeout=15_000)
    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as msg:
        assert not window.import_files([folder])
    assert "read-only" in msg.args[0]
    assert store.list_sessions(None) == []


def test_cancel_stops_after_the_file_being_read_and_keeps_the_ones_before(
    qtbot, window, store, folder, monkeypatch
) -> None:
    imports = window.ctx.services.imports
    real = imports.import_paths
    reached, opened = threading.Event(), threading.Event()

    def gated(*args: object, on_result: Callable, **kwargs: object):  # noqa: ANN202
        def first_then_wait(r) -> None:  # noqa: ANN001
            on_result(r)
            if not reached.is_set():
                reached.set()
                opened.wait(20)

        return real(*args, on_result=first_then_wait, **kwargs)

    monkeypatch.setattr(imports, "import_paths", gated)
    assert window.import_files([folder])
    dialog = window.importer.dialog
    qtbot.waitUntil(reached.is_set, timeout=20_000)
    dialog.cancel_btn.click()
    assert not dialog.cancel_btn.isEnabled() and dialog.cancel_btn.text() == "Cancelling…"
    opened.set()
    qtbot.waitUntil(lambda: dialog.report is not None, timeout=20_000)
    assert dialog.report.cancelled
    assert dialog.summary.text() == "1 imported, 0 duplicate(s) skipped, 0 refused (cancelled)."
    assert len(store.list_sessions(None)) == 1


def test_the_watched_folder_imports_files_as_they_appear(
    qtbot, window, store, folder, shared_reference, monkeypatch
) -> None:
    import sync.imports.watch as watch

    monkeypatch.setattr(watch, "POLL_S", 0.1)
    for extra in ("b-run.gpx", "c-copy.gpx", "d-notes.fit"):
        (folder / extra).unlink()
    settings = window.show_screen("settings")
    box = settings.watch
    with qtbot.waitSignal(window.ctx.historyChanged, timeout=30_000):
        box.set_folder(folder)  # the file already there is imported at once
    assert box.folder.text() == str(folder) and box.stop_btn.isEnabled()
    assert window.ctx.services.imports.watch_dir() == folder
    assert len(store.list_sessions(None)) == 1
    with qtbot.waitSignal(window.ctx.message, timeout=30_000) as msg:
        shutil.copy(shared_reference / "formats" / "samples" / GPX, folder / "new.gpx")
    assert msg.args[0].startswith("Imported new.gpx from the watched folder")
    assert _history_ids(qtbot, window) and len(store.list_sessions(None)) == 2
    box.set_folder(None)
    qtbot.waitUntil(lambda: not window.ctx.services.imports.watcher.running, timeout=15_000)
    assert box.folder.text() == "No folder is watched."
    assert window.ctx.services.imports.watch_dir() is None


def test_the_watched_folder_set_before_starts_with_the_app(
    qtbot, make_window, store, folder, monkeypatch
) -> None:
    from app.store.settings import IMPORT_WATCH_DIR, SELECTED_ATHLETE, Settings

    (folder / "d-notes.fit").unlink()
    Settings(store).set(IMPORT_WATCH_DIR, str(folder))  # e.g. by `pulsedeck import --watch`
    client = store.ensure_athlete("Client Ann")
    Settings(store).set(SELECTED_ATHLETE, client.id)
    window = make_window()
    assert window.ctx.athlete.id == client.id  # the app shows a client...
    qtbot.waitUntil(lambda: len(store.list_sessions(None)) == 2, timeout=30_000)
    # ...and the watched folder still imports for yourself (as import --watch does).
    assert {s.athlete for s in store.list_sessions(None)} == {"Me"}
    assert window.ctx.services.imports.watcher.running
    window.shutdown()
    assert not window.ctx.services.imports.watcher.running
