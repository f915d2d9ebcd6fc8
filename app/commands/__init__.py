"""CLI subcommands contributed by feature areas; each module has `register(subparsers)`.

The exit codes and UserError live here (not in app.cli) so that subcommand modules can use
them without importing the top layer.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.store.repo import Store

EXIT_OK = 0
EXIT_ERROR = 1  # unexpected error (a bug): one line, traceback with -v
EXIT_USAGE = 2
EXIT_STORE = 3  # database locked, full, corrupt, or written by a newer Pulsedeck
EXIT_NOT_FOUND = 4
EXIT_RUNNING = 5  # another Pulsedeck is recording in this data directory
EXIT_NO_BLUETOOTH = 6
EXIT_AUTH = 7  # a feed or service refused our credentials


class UserError(Exception):
    """A mistake the user can fix; printed as one line, no traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code


@contextlib.contextmanager
def recording_store(data_dir: Path) -> Iterator[Store]:
    """The data dir's instance lock and its store, crashed sessions recovered: for recorders."""
    from app.instance import AlreadyRunning, InstanceLock
    from app.store.repo import Store

    lock = InstanceLock(data_dir)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        raise UserError(str(exc), EXIT_RUNNING) from exc
    try:
        store = Store.open(data_dir)
        try:
            for sid in store.recover_sessions():
                print(f"recovered session {sid} left open by an earlier crash", file=sys.stderr)
            yield store
        finally:
            store.close()
    finally:
        lock.release()
