"""Activity files in for the app: File → Import…, drag and drop, and the watched folder.

The work is sync.imports' (`import_paths`, `watch.watch_folder`), the same the CLI's
`pulsedeck import` runs; this service adds what the app needs around it: the athlete check
(a read-only client is refused, as `import --athlete` refuses it), the watched-folder setting
and a watcher thread that the window can start, restart and stop. No Qt here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from app.store import settings as st

if TYPE_CHECKING:
    from app.store.repo import Store
    from sync.imports import FileResult, ImportReport
    from sync.progress import CancelCheck, Progress

log = logging.getLogger(__name__)

#: How long stopping the watcher waits for a file being imported to finish (a 10-hour FIT
#: takes ~1 s); the thread is a daemon, so a longer one never holds the app open.
STOP_WAIT_S = 5.0


class ImportService:
    """Imports for one athlete, and the watched folder (`import.watch_dir`)."""

    def __init__(self, store: Store, settings: st.Settings | None = None) -> None:
        self.store = store
        self.settings = settings or st.Settings(store)
        self.watcher = FolderWatcher(store)

    def import_paths(
        self,
        athlete_id: int,
        paths: Sequence[Path],
        *,
        progress: Progress | None = None,
        cancel: CancelCheck | None = None,
        on_result: Callable[[FileResult], None] | None = None,
    ) -> ImportReport:
        """Files, folders and archives into `athlete_id`'s sessions (sync.imports.import_paths).

        Raises ReadOnlyAthlete for a pulled client and LookupError for an unknown athlete,
        before any file is read.
        """
        from sync.imports import import_paths

        self.writable_athlete(athlete_id)
        return import_paths(
            self.store, athlete_id, list(paths), progress=progress, cancel=cancel,
            on_result=on_result,
        )  # fmt: skip

    def writable_athlete(self, athlete_id: int | None) -> int:
        """The athlete's id if files may be imported for them (None: yourself, created)."""
        from app.store.repo import resolve_athlete

        if athlete_id is None:
            return resolve_athlete(self.store, None, create=True, write=True).id
        found = self.store.athlete(athlete_id)
        if found is None:
            raise LookupError(f"no athlete {athlete_id}")
        return resolve_athlete(self.store, found.name, write=True).id

    def watch_dir(self) -> Path | None:
        """The watched folder the setting names, or None."""
        value = self.settings.get(st.IMPORT_WATCH_DIR)
        return Path(value) if value else None

    def set_watch_dir(self, folder: Path | None) -> Path | None:
        """Store the watched folder (None: stop watching); a missing folder is refused."""
        if folder is not None and not folder.is_dir():
            raise NotADirectoryError(f"not a folder: {folder}")
        self.settings.set(st.IMPORT_WATCH_DIR, None if folder is None else str(folder))
        return folder


class FolderWatcher:
    """sync.imports.watch.watch_folder on a daemon thread, stoppable at once from any thread.

    Files found there are imported for yourself (the self athlete), as `import --watch` does
    without --athlete: a synced folder or a mounted watch is your own device, whoever the
    app happens to show when a file lands.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.folder: Path | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(
        self,
        athlete_id: int,
        folder: Path,
        on_result: Callable[[FileResult], None],
        *,
        poll_s: float | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        """Watch `folder` (a previous watch stops first); results arrive on the thread."""
        from sync.imports.watch import POLL_S, watch_folder

        self.stop()
        stop = threading.Event()
        self._stop = stop
        self.folder = folder

        def pause(seconds: float) -> None:  # a sleep that a stop ends at once
            stop.wait(seconds)

        def run() -> None:
            try:
                watch_folder(
                    self.store, athlete_id, folder, on_result=on_result, stop=stop.is_set,
                    poll_s=POLL_S if poll_s is None else poll_s, sleep=pause,
                )  # fmt: skip
            except Exception as exc:  # a storage error ends the watch; the app says why
                log.warning("the watched folder %s stopped: %s", folder, exc)
                if on_error is not None:
                    on_error(exc)

        self._thread = threading.Thread(target=run, name="pulsedeck-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching (the file being imported, if any, finishes first)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        self.folder = None
        if thread is not None and thread is not threading.current_thread():
            thread.join(STOP_WAIT_S)
