"""One recording process per data dir: an OS file lock that dies with its process."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import TracebackType

from app.store.errors import StoreError

LOCK_NAME = "pulsedeck.lock"


class AlreadyRunning(RuntimeError):
    """Another Pulsedeck process holds this data dir's lock."""


class LockUnavailable(StoreError):
    """The lock file cannot be created or opened (read-only folder, permissions): exit 3."""


class InstanceLock:
    """Exclusive, non-blocking lock on `<data_dir>/pulsedeck.lock`.

    The OS releases it when the holder exits or is killed, so a crash never leaves a stale
    lock; the holder may therefore safely recover sessions left `recording`.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LockUnavailable(
                f"cannot open the lock file {self.path}: {exc.strerror or exc}"
            ) from exc
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise AlreadyRunning(
                f"another Pulsedeck is recording in {self.path.parent}; stop it first"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the lock
            self._fd = None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()
