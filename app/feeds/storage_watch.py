"""Notice the first permanent storage failure of a feed run (disk full, read-only, corrupt)."""

from __future__ import annotations

import asyncio

from app.store.errors import DatabaseUnavailable, classify, is_transient
from app.store.repo import Store

from .writer import GroupWriter


class StorageWatch:
    """One feed run's storage verdict, from its own writes and the shared writer's thread."""

    def __init__(self, store: Store, writer: GroupWriter) -> None:
        self.store = store
        self.writer = writer
        #: Storage failed for good: the run stops and every session closes as recovered.
        self.failure: DatabaseUnavailable | None = None
        self._failed: asyncio.Event | None = None

    def arm(self) -> asyncio.Event:
        """An event set on the running loop once storage fails, also by the writer's thread."""
        loop = asyncio.get_running_loop()
        failed = self._failed = asyncio.Event()

        def on_failure() -> None:  # called on the writer thread
            loop.call_soon_threadsafe(failed.set)

        self.writer.on_failure = on_failure
        if self.writer.failure is not None:
            failed.set()
        return failed

    def check(self, exc: BaseException) -> bool:
        """Note a permanent storage failure (disk full, read-only, corrupt); True if it is one."""
        if self.failure is not None:
            return True
        cause = self.writer.failure or classify(exc, self.store.path)
        if isinstance(cause, DatabaseUnavailable) and not is_transient(exc):
            self.failure = cause
            if self._failed is not None:
                self._failed.set()
            return True
        return False

    def settle(self) -> DatabaseUnavailable | None:
        """The failure, counting one the writer met without raising it here."""
        if self.failure is None:
            self.failure = self.writer.failure
        return self.failure

    @property
    def failed(self) -> bool:
        """Storage failed for good, here or in the writer: nothing more is worth saving."""
        return self.writer.failure is not None or self.failure is not None
