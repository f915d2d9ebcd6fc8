"""The live recording of a long-running app: which sources, then app.recorder's lifecycle.

`RecordingController` (app.recorder) owns start, pause, lap and stop for every face; this
adapter only picks the sources (the simulated strap or the athlete's paired Bluetooth
sensors), hands back what a live view needs and wakes the sync after a save. Every method
but `recover` runs on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from app.recorder.bluetooth import (
    BleSetup,
    BluetoothSensors,
    NoSensors,
    bluetooth_problem,
    sensor_specs,
)
from app.recorder.controller import RecordingController, RecordingError, WriterOptions
from app.recorder.sources import Source, simulated_strap
from app.sensors import SensorService

from .athletes import zone_floors

if TYPE_CHECKING:
    from app.domain.samples import Sample
    from app.domain.summary import SessionSummary
    from app.recorder import Recording
    from app.store.repo import AthleteInfo, Store

log = logging.getLogger(__name__)

SourceFactory = Callable[["AthleteInfo"], Sequence[Source]]


class SourceMode(StrEnum):
    """Where the next recording reads from."""

    SIMULATOR = "simulator"
    BLUETOOTH = "bluetooth"


def simulator_sources(athlete: AthleteInfo) -> list[Source]:
    """The default source until BLE sensors are connected: one simulated strap."""
    return [simulated_strap(athlete)]


@dataclass(frozen=True, slots=True)
class Started:
    """What a live view needs once the recording runs."""

    session_id: int
    started_ms: int
    athlete: AthleteInfo
    sport: str
    sources: tuple[tuple[str, str, str], ...]  # (key, name, kind)
    zone_floors: tuple[float, ...]


class RecordingService:
    """One recording at a time for a data directory (its lock is the controller's)."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        sources: SourceFactory = simulator_sources,
        clock: Callable[[], float] = time.time,
        writer: WriterOptions | None = None,
        ble: BleSetup | None = None,
        sensors: SensorService | None = None,
        after_save: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.sources = sources
        self.clock = clock
        #: The recording lifecycle every face shares (app.recorder), with the data-dir lock.
        self.controller = RecordingController(
            store, data_dir=data_dir, clock=clock, writer=writer or WriterOptions()
        )
        self.sensors = sensors or SensorService(store)
        #: How Bluetooth is reached (tests: a fake BlueZ and a short reconnect policy).
        self.ble = ble or BleSetup()
        #: Where the next recording reads from: the simulated strap or paired sensors.
        self.source_mode: str = SourceMode.SIMULATOR
        #: Sensor status (connected, battery...) for a live view; called on the loop thread.
        self.on_sensor_event: Callable[[object], None] | None = None
        #: Called on the loop after a recording was saved (the GUI wakes the sync).
        self.after_save = after_save

    @property
    def recording(self) -> Recording | None:
        """The running recording, if any (owned by the controller)."""
        return self.controller.recording

    def recover(self) -> list[int]:
        """Close sessions a crash left open, only if no other Pulsedeck holds the data dir."""
        return self.controller.recover()

    async def start(
        self, athlete_id: int, sport: str, on_sample: Callable[[Sample], None]
    ) -> Started:
        """Take the data-dir lock, open a session and attach the sources (app.recorder)."""
        if self.recording is not None:
            raise RecordingError("a recording is already running")
        athlete = await asyncio.to_thread(self.store.athlete, athlete_id)
        if athlete is None:
            raise RecordingError(f"no athlete {athlete_id}")
        sources: list[Source] = []
        bluetooth = None
        if self.source_mode == SourceMode.BLUETOOTH:
            bluetooth = await self._bluetooth(athlete)
        else:
            sources = list(await asyncio.to_thread(self.sources, athlete))
        started = await self.controller.start(
            athlete, sport, sources, bluetooth=bluetooth, listeners=[on_sample]
        )
        floors = await asyncio.to_thread(zone_floors, self.store, athlete_id)
        session = started.session
        return Started(session.id, session.started_ms, athlete, sport, started.sources, floors)

    async def _bluetooth(self, athlete: AthleteInfo) -> BluetoothSensors:
        """The athlete's paired sensors, after checking this machine has Bluetooth."""
        if athlete.read_only:
            raise RecordingError(f"{athlete.name} is an imported client: read-only")
        reason = await bluetooth_problem(self.ble)
        if reason:
            raise RecordingError(reason)
        try:
            specs = await asyncio.to_thread(sensor_specs, self.sensors, athlete.id)
        except NoSensors:
            raise RecordingError("no remembered sensors: scan and connect one in Devices") from None
        setup = BleSetup(
            self.ble.client_cls, self.ble.scanner_cls, self.ble.policy, self.ble.events,
            on_event=self._sensor_event,
        )  # fmt: skip
        return BluetoothSensors(self.store, athlete.id, specs, ble=setup, notice=log.info)

    def _sensor_event(self, event: object) -> None:
        for listener in (self.ble.on_event, self.on_sensor_event):
            if listener is not None:
                listener(event)

    async def pause(self) -> int:
        """Pause; the time of the pause (ms)."""
        return await self.controller.pause()

    async def resume(self) -> int:
        """Resume; the time of the resume (ms)."""
        return await self.controller.resume()

    async def lap(self) -> int:
        """Mark a lap; its time (ms)."""
        return await self.controller.lap()

    async def flush(self) -> None:
        """Commit what is pending now (gym sets read the HR of the set from the store)."""
        await self.controller.flush()

    async def stop(self, discard: bool = False) -> SessionSummary:
        """Stop and save (or soft-delete when discarding, so History can still undo it)."""
        summary = await self.controller.stop(discard=discard)
        if not discard and self.after_save is not None:
            self.after_save()  # the saved session goes to Strava (and the lake) now
        return summary

    async def close(self) -> SessionSummary | None:
        """On exit: wait for a start or stop under way, then save a running recording."""
        return await self.controller.close()
