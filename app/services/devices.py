"""Devices: Bluetooth scan and state, paired sensors per athlete, websocket feeds.

Remembered means paired (app.sensors.SensorService, as `pulsedeck devices`): a sensor only
seen in a scan, or forgotten, is not listed and not reconnected. Forget un-pairs and keeps
the row, so past samples keep their sensor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.sensors import SensorService

from .rows import DeviceItem, FeedItem, feed_item, found_item, remembered_item

if TYPE_CHECKING:
    from app.store.repo import Store
    from device.ble.ports import ScannerClass


class DeviceService:
    """Sensors and feeds of the Devices screen; the scan and probe run on the event loop."""

    def __init__(
        self,
        store: Store,
        sensors: SensorService | None = None,
        scanner_cls: ScannerClass | None = None,
    ) -> None:
        self.store = store
        self.sensors = sensors or SensorService(store)
        #: bleak's scanner unless a test injects one.
        self.scanner_cls = scanner_cls

    # Bluetooth (event loop) -------------------------------------------------------------

    async def probe(self) -> str | None:
        """Why Bluetooth cannot be used here, in a sentence; None when it can."""
        try:
            from device.ble.manager import probe_bluetooth
        except ImportError as exc:  # bleak missing from this build
            return f"No Bluetooth support in this build ({exc})."
        return await probe_bluetooth(self.scanner_cls)

    async def scan(self, seconds: float) -> list[DeviceItem]:
        """Sensors advertising now, strongest first (not remembered until paired)."""
        from device.ble.manager import scan

        found = await scan(seconds, scanner_cls=self.scanner_cls)
        return [found_item(f) for f in found]

    # Paired sensors (worker thread) ------------------------------------------------------

    def remembered(self, athlete_id: int) -> list[DeviceItem]:
        """Paired sensors only: one seen in a scan or forgotten is not reconnected."""
        return [remembered_item(d) for d in self.sensors.remembered(athlete_id)]

    def remember(self, athlete_id: int, item: DeviceItem) -> None:
        """Pair the sensor (SensorService, as `record --device` does)."""
        self.sensors.remember(athlete_id, item.address, item.kind, item.name)

    def forget(self, athlete_id: int, address: str) -> None:
        """Un-pair; the row stays so past samples keep their sensor."""
        self.sensors.forget(athlete_id, address)

    # Feeds (worker thread) -------------------------------------------------------------

    def feeds(self) -> list[FeedItem]:
        """Every stored feed (tokens stay in the keyring)."""
        from app import feeds

        return [feed_item(f) for f in feeds.list_feeds(self.store)]

    def add_feed(self, name: str, url: str, token: str, protocol: str = "pulsedeck") -> FeedItem:
        """Store a feed (app.feeds validates it and keeps the token in the OS keyring)."""
        from app import feeds

        name = name.strip()
        if not name:
            raise ValueError("a feed needs a name")
        return feed_item(feeds.add_feed(self.store, name, url.strip(), protocol, token))

    def remove_feed(self, name: str) -> None:
        """Delete the feed and its keyring token."""
        from app import feeds

        feeds.remove_feed(self.store, name)
