"""What the window makes of a background sync run: a status-bar line, a refresh signal.

The sync (sync.background) runs on the loop and reports each run there; this part of
AppContext hands the runs that did something to the GUI thread. A mixin of AppContext.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from .bridge import Bridge
    from .services import Services


def _sessions(n: int) -> str:
    return f"{n} session" + ("" if n == 1 else "s")


def sync_message(report: object) -> str | None:
    """The status-bar line for a background run (sync.background.BackgroundReport), if any."""
    parts = []
    uploaded, pushed = getattr(report, "uploaded", 0), getattr(report, "pushed", 0)
    pulled = getattr(report, "pulled", 0)
    if pulled:
        parts.append(f"Pulled {_sessions(pulled)} of your clients from the data lake")
    if uploaded:
        parts.append(f"Uploaded {_sessions(uploaded)} to Strava")
    if pushed:
        parts.append(f"pushed {_sessions(pushed)} to the data lake" if parts
                     else f"Pushed {_sessions(pushed)} to the data lake")  # fmt: skip
    return "; ".join(parts) or None


class SyncFeedback:
    """Starts the background sync and turns its runs into `syncRan` and a message."""

    bridge: Bridge
    services: Services
    syncRan: SignalInstance
    message: SignalInstance

    def start_sync(self) -> None:
        """Start the background sync on the loop (unless the setting or env turns it off)."""
        self.services.sync.on_run = self._sync_ran_on_loop
        self.bridge.run(self.services.sync.start())

    def _sync_ran_on_loop(self, report: object) -> None:
        if (
            getattr(report, "ran", 0)
            or getattr(report, "lake_ran", 0)
            or getattr(report, "pulled", 0)
        ):
            self.bridge.call_soon_in_gui(lambda: self._sync_ran(report))

    def _sync_ran(self, report: object) -> None:
        self.syncRan.emit(report)
        text = sync_message(report)
        if text:
            self.message.emit(text)


__all__ = ["SyncFeedback", "sync_message"]
