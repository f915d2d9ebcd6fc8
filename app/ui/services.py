"""The area services one window uses, built once; no Qt here.

Screens reach an area through `ctx.services.<area>` and the bridge: `async` methods run on
the bridge's asyncio loop, the others in its worker thread, so no I/O runs on the GUI thread.
The services themselves live in app.services, shared with the CLI.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from app.recorder.bluetooth import BleSetup
from app.recorder.controller import WriterOptions
from app.services.analysis import AnalysisService
from app.services.athletes import AthleteService, zone_floors
from app.services.coach import CoachService
from app.services.devices import DeviceService
from app.services.exports import ExportService
from app.services.gym import GymService
from app.services.history import HistoryService
from app.services.imports import ImportService
from app.services.recording import (
    RecordingService,
    SourceFactory,
    SourceMode,
    Started,
    simulator_sources,
)
from app.services.strava import StravaService
from app.services.sync import SyncService
from app.services.team import TeamService
from app.services.training_log import TrainingLogService
from app.store.repo import Store
from app.store.settings import Settings

SIMULATOR, BLUETOOTH = SourceMode.SIMULATOR, SourceMode.BLUETOOTH


@dataclass(eq=False)
class Services:
    """One per window: the store and one service per area."""

    store: Store
    data_dir: Path
    settings: Settings
    athletes: AthleteService
    history: HistoryService
    gym: GymService
    training_log: TrainingLogService
    devices: DeviceService
    exports: ExportService
    imports: ImportService
    strava: StravaService
    sync: SyncService
    recorder: RecordingService
    coach: CoachService

    @classmethod
    def build(
        cls,
        store: Store,
        data_dir: Path,
        *,
        sources: SourceFactory = simulator_sources,
        clock: Callable[[], float] = time.time,
        writer: WriterOptions | None = None,
        ble: BleSetup | None = None,
    ) -> Services:
        """Every area on one store; a saved recording or a Strava upload wakes the sync."""
        settings = Settings(store)
        coach = CoachService(store, settings)
        sync = SyncService(store, settings, lake_pull=coach.scheduled_pull)
        devices = DeviceService(store)
        recorder = RecordingService(
            store, data_dir, sources=sources, clock=clock, writer=writer, ble=ble,
            sensors=devices.sensors, after_save=sync.wake,
        )  # fmt: skip
        return cls(
            store=store,
            data_dir=data_dir,
            settings=settings,
            athletes=AthleteService(store, settings),
            history=HistoryService(store),
            gym=GymService(store),
            training_log=TrainingLogService(store),
            devices=devices,
            exports=ExportService(store),
            imports=ImportService(store, settings),
            strava=StravaService(store, settings, wake=sync.wake),
            sync=sync,
            recorder=recorder,
            coach=coach,
        )

    @cached_property
    def analysis(self) -> AnalysisService:
        """Session HRV / power and trends (built on first use: its caches stay warm)."""
        return AnalysisService(self.store)

    @cached_property
    def team(self) -> TeamService:
        """The team live view's feeds (nothing runs until a feed is connected)."""
        return TeamService(self.store, self.data_dir)

    @property
    def source_mode(self) -> str:
        """Where the next recording reads from (the dashboard's "Record from" box)."""
        return self.recorder.source_mode

    @source_mode.setter
    def source_mode(self, mode: str) -> None:
        self.recorder.source_mode = mode


__all__ = [
    "BLUETOOTH", "SIMULATOR", "Services", "SourceFactory", "Started", "simulator_sources",
    "zone_floors",
]  # fmt: skip
