"""Which sync workers are alive: a lock per data dir, held shared by every process running jobs.

A process that claims outbox jobs holds a shared (read) lock on `<data_dir>/sync.lock` until it
exits; the OS drops it when the process ends, however it ends. The first claim of a process
tries the lock exclusively: if that succeeds no other worker is alive, so every job still
marked running was left by a dead one and may run again at once, instead of after its lease
(10 minutes); the lock is then turned shared, atomically. A worker that dies while another
lives still waits out its lease. POSIX record locks (`lockf`) are per process, so the
membership is kept per process here, whatever the lifetime of the outbox objects. Windows has
no shared file locks in the standard library: there the leases alone decide.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

LOCK_NAME = "sync.lock"

_members: dict[Path, int] = {}  # data dir -> descriptor holding this process's shared lock
_guard = threading.Lock()


def join(data_dir: Path, when_alone: Callable[[], object]) -> bool:
    """Make this process a worker of `data_dir` (once); the first time, if it is the only one
    alive, run `when_alone` under the exclusive lock. True when `when_alone` ran."""
    if sys.platform == "win32":
        return False
    import fcntl

    key = data_dir.resolve()
    with _guard:
        if key in _members:
            return False
        fd = os.open(key / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                fcntl.lockf(fd, fcntl.LOCK_SH)  # others are alive (waits out a newcomer's reclaim)
                alone = False
            else:
                alone = True
                try:
                    when_alone()
                finally:
                    fcntl.lockf(fd, fcntl.LOCK_SH)  # a record lock converts atomically
        except BaseException:
            os.close(fd)  # never joined: nothing held
            raise
        _members[key] = fd  # kept open until the process exits: closing it drops the lock
        return alone
