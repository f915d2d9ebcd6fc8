"""A watched folder: new activity files are imported as they appear (a synced folder, a watch).

Polling, not inotify: it works the same on every platform and on network and FUSE mounts
(a mounted watch). A file is imported once its size and mtime held still for one poll (a
copy in progress is not read half-written); re-imports are harmless anyway (duplicates).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from app.store.repo import Store

from .importer import FileResult, import_candidate
from .sources import Candidate, expand

#: Seconds between scans: new files show within this; a scan of a few thousand names is cheap.
POLL_S = 5.0


def scan(folder: Path) -> dict[str, tuple[int, float]]:
    """Activity files under `folder` and their (size, mtime)."""
    out: dict[str, tuple[int, float]] = {}
    for c in expand([folder]):
        path = Path(c.label.split(":", 1)[0]) if ":" in c.label else Path(c.label)
        try:
            st = path.stat()
        except OSError:
            continue
        out[c.label] = (st.st_size, st.st_mtime)
    return out


def watch_folder(
    store: Store,
    athlete_id: int,
    folder: Path,
    *,
    on_result: Callable[[FileResult], None],
    stop: Callable[[], bool] = lambda: False,
    poll_s: float = POLL_S,
    sleep: Callable[[float], object] = time.sleep,
) -> None:
    """Import what is in `folder` now, then every new or changed file, until `stop()`."""
    done: dict[str, tuple[int, float]] = {}
    seen: dict[str, tuple[int, float]] = {}
    first = True  # what is there at the start is complete; what appears later may not be yet
    while not stop():
        current = scan(folder)
        candidates = {c.label: c for c in expand([folder])}
        for label, state in current.items():
            if done.get(label) == state:
                continue
            if seen.get(label) != state and not first:  # new or changed: wait one poll
                continue
            c: Candidate | None = candidates.get(label)
            if c is not None:
                on_result(import_candidate(store, athlete_id, c))
            done[label] = state
        seen = current
        first = False
        if stop():
            break
        sleep(poll_s)
