"""The background sync (Strava and the lake on a schedule) for a long-running app.

Lives on the caller's event loop: `start` and `stop` are `async`, `wake` is called on the
loop's thread. Off with the setting `sync.background` = false or
$PULSEDECK_NO_BACKGROUND_SYNC=1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from app.store import settings as st

if TYPE_CHECKING:
    from app.store.repo import Store
    from sync.background import BackgroundReport, BackgroundSync
    from sync.progress import CancelToken


class SyncService:
    """Starts, wakes and stops one `sync.background.BackgroundSync`; idempotent."""

    def __init__(
        self,
        store: Store,
        settings: st.Settings | None = None,
        lake_pull: Callable[[CancelToken], int | None] | None = None,
    ) -> None:
        """`lake_pull` is the coach's scheduled pull (setting `lake.pull_interval_h`)."""
        self.store = store
        self.settings = settings or st.Settings(store)
        self.lake_pull = lake_pull
        #: The running background sync once `start` ran on the loop (None when off).
        self.background: BackgroundSync | None = None
        #: Called on the loop thread after every background run with its report.
        self.on_run: Callable[[BackgroundReport], None] | None = None
        self._closed = False

    async def start(self) -> bool:
        """Start the background sync on this loop unless turned off; True when it runs."""
        from sync.background import BackgroundSync, enabled

        if self.background is not None:
            return True
        setting = await asyncio.to_thread(self.settings.get, st.BACKGROUND_SYNC)
        if self._closed or not enabled(setting):
            return False
        background = await asyncio.to_thread(
            lambda: BackgroundSync(self.store, after_run=self._ran, lake_pull=self.lake_pull)
        )
        if self._closed:  # stopped meanwhile (the window closed)
            return False
        self.background = background
        background.start()
        return True

    def _ran(self, report: BackgroundReport) -> None:
        listener = self.on_run
        if listener is not None:
            listener(report)

    def wake(self, poll: bool = False) -> None:
        """Run the background sync now (loop thread); nothing when it is off."""
        if self.background is not None:
            self.background.wake(poll=poll)

    async def set_pull_hours(self, hours: int | None) -> None:
        """Store the pull schedule (every `hours` h; None or 0: off) and apply it now."""
        value = hours if hours and hours > 0 else None
        await asyncio.to_thread(self.settings.set, st.LAKE_PULL_INTERVAL_H, value)
        background = self.background
        if background is None:
            return
        interval = None if value is None else value * 3600.0
        delay = None
        if interval is not None:
            delay = await asyncio.to_thread(background.pull_delay, interval)
        background.set_pull_interval(interval, delay)

    async def stop(self) -> None:
        """Stop the background sync (a run in progress gets a few seconds); for good."""
        self._closed = True
        background, self.background = self.background, None
        if background is not None:
            await background.aclose()
