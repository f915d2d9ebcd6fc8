"""What the screens ask for, answered off the GUI thread: store queries and the live recording.

No Qt here. Every method either is `async` (runs on the bridge's asyncio loop) or is a plain
function the bridge runs in a worker thread; results are view-model dataclasses.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from app.domain.samples import Sample
from app.domain.summary import SessionSummary
from app.recorder import Recording
from app.recorder.bluetooth import BleSetup, BluetoothSensors, NoSensors, sensor_specs
from app.recorder.controller import RecordingController, RecordingError, WriterOptions
from app.recorder.sources import Source, simulated_strap
from app.sensors import SensorService
from app.services.athletes import AthleteService, zone_floors
from app.services.history import HistoryService
from app.store import models as m
from app.store import settings as st
from app.store.repo import AthleteInfo, Store

from . import viewmodels as vm

if TYPE_CHECKING:
    from sync.background import BackgroundReport, BackgroundSync
    from sync.strava.accounts import Account
    from sync.strava.config import StravaConfig
    from sync.strava.engine import BackfillProgress

log = logging.getLogger(__name__)

#: The set's HR recovery is the drop over this long after it ends (the usual 60 s HRR).
HR_RECOVERY_S = 60.0

#: How often a Strava link waiting for the browser looks at its Cancel button.
CANCEL_POLL_S = 0.1


SourceFactory = Callable[[AthleteInfo], Sequence[Source]]


def simulator_sources(athlete: AthleteInfo) -> list[Source]:
    """The default source until BLE sensors are connected: one simulated strap."""
    return [simulated_strap(athlete)]


SIMULATOR, BLUETOOTH = "simulator", "bluetooth"


@dataclass(frozen=True, slots=True)
class Started:
    """What the dashboard needs to build its live model."""

    session_id: int
    started_ms: int
    athlete: AthleteInfo
    sport: str
    sources: tuple[tuple[str, str, str], ...]  # (key, name, kind)
    zone_floors: tuple[float, ...]


class Services:
    """One per window: the store, the recorder and the current recording."""

    def __init__(
        self,
        store: Store,
        data_dir: Path,
        *,
        sources: SourceFactory = simulator_sources,
        clock: Callable[[], float] = time.time,
        recording_options: dict[str, float] | None = None,
        ble: BleSetup | None = None,
    ) -> None:
        self.store = store
        self.data_dir = data_dir
        self.sources = sources
        self.clock = clock
        writer = WriterOptions(**(recording_options or {}))  # type: ignore[arg-type]
        #: The recording lifecycle every face shares (app.recorder), with the data-dir lock.
        self.controller = RecordingController(store, data_dir=data_dir, clock=clock, writer=writer)
        self.sensors = SensorService(store)
        #: Typed access to the declared settings (app.store.settings).
        self.settings = st.Settings(store)
        #: How Bluetooth is reached (tests: a fake BlueZ and a short reconnect policy).
        self.ble = ble or BleSetup()
        #: Where the next recording reads from: the simulated strap or remembered sensors.
        self.source_mode = SIMULATOR
        #: Sensor status (connected, battery...) for the dashboard; called on the loop thread.
        self.on_sensor_event: Callable[[object], None] | None = None
        #: The background sync (Strava, the lake) once `start_background` ran on the loop.
        self.background: BackgroundSync | None = None
        #: Called on the loop thread after every background run with its report.
        self.on_sync_run: Callable[[BackgroundReport], None] | None = None
        self._background_closed = False
        self.athlete_service = AthleteService(store, self.settings)
        self.history_service = HistoryService(store)

    @property
    def recording(self) -> Recording | None:
        """The running recording, if any (owned by the controller)."""
        return self.controller.recording

    # Athletes and settings (worker thread) -------------------------------------------

    def recover(self) -> list[int]:
        """Close sessions a crash left open, only if no other Pulsedeck holds the data dir."""
        return self.controller.recover()

    def athletes(self) -> list[vm.AthleteItem]:
        return self.athlete_service.roster()

    def current_athlete(self) -> vm.AthleteItem:
        """The athlete last selected in the switcher, else yourself."""
        return self.athlete_service.current()

    def profile(self, athlete_id: int) -> vm.Profile:
        return self.athlete_service.profile(athlete_id)

    def save_profile(self, athlete_id: int, **fields: object) -> vm.Profile:
        return self.athlete_service.save_profile(athlete_id, **fields)

    def add_athlete(self, name: str) -> vm.AthleteItem:
        return self.athlete_service.add(name)

    # History (worker thread) --------------------------------------------------------

    def history(self, athlete_id: int | None) -> list[vm.SessionRow]:
        return self.history_service.rows(athlete_id)

    def rename(self, session_id: int, title: str) -> None:
        self.history_service.rename(session_id, title)

    def change_sport(self, session_id: int, sport: str) -> None:
        self.history_service.change_sport(session_id, sport)

    def delete(self, session_id: int) -> None:
        """Soft delete: the row stays until the undo window has passed."""
        self.history_service.delete(session_id)

    def undelete(self, session_id: int) -> None:
        self.history_service.undelete(session_id)

    def session_detail(self, session_id: int) -> vm.SessionDetail:
        return self.history_service.detail(session_id)

    def export_session(
        self,
        session_id: int,
        fmt: str,
        path: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Path:
        """Write the session as GPX/TCX/CSV/Parquet/XLSX (sync.exports); atomic, cancellable."""
        from sync.exports.session import export_session

        return export_session(self.store, session_id, fmt, path, progress=progress, cancel=cancel)

    def export_all(
        self,
        athlete_id: int,
        path: Path,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> Path:
        """Everything about the athlete as a zip (GDPR access request); atomic, cancellable."""
        from sync.exports.gdpr import export_all

        return export_all(self.store, athlete_id, path, progress=progress, cancel=cancel).path

    def lake_destination(self) -> str | None:
        """Where "Push to data lake" goes (s3://bucket/prefix), or None when not configured."""
        from sync.lake.config import LakeNotConfigured, resolve_config

        try:
            return resolve_config(self.store).location()
        except LakeNotConfigured:
            return None

    def push_lake(
        self,
        athlete_id: int,
        *,
        progress: Callable[[int, int], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ):  # noqa: ANN201 - sync.lake.push.PushReport (imported lazily, like the store)
        """Queue the athlete's finished sessions for the lake and push them, session by session.

        Runs its own event loop in the worker thread: the uploads and outbox writes never
        occupy the bridge's loop (the recorder's). A cancel stops between sessions.
        """
        from sync.lake.config import resolve_config
        from sync.lake.push import push
        from sync.outbox import Outbox

        config = resolve_config(self.store)
        return asyncio.run(
            push(
                self.store, Outbox(self.store), config,
                athlete_id=athlete_id, progress=progress, cancel=cancel,
            )
        )  # fmt: skip

    async def upload(self, session_id: int) -> int:
        """Queue the session for every linked Strava account (sync.strava owns the upload)."""
        import httpx

        from sync.strava.engine import StravaSync

        async with httpx.AsyncClient() as http:  # enqueueing sends nothing
            strava = StravaSync(self.store, http)
            jobs = await asyncio.to_thread(strava.enqueue_session, session_id)
        if not jobs:
            raise RecordingError("no Strava account is linked: run `pulsedeck strava link`")
        self.wake_sync()  # sent within seconds, not at the next scheduled run
        return len(jobs)

    # Strava accounts (worker thread; each call runs its own event loop, like push_lake) --

    def strava_config(self) -> StravaConfig:
        """Endpoints from the stored settings, then the environment (as the background sync)."""

        from sync.strava.config import stored_config

        return stored_config(self.settings)

    def strava_accounts(self) -> list[Account]:
        """Linked Strava accounts, owners and children (sync.strava.accounts' rows)."""
        from sync.strava.accounts import list_accounts

        return list_accounts(self.store)

    def link_strava(
        self,
        client_id: str,
        client_secret: str,
        child_names: Sequence[str] | None,
        *,
        athlete_id: int,
        open_browser: Callable[[str], object],
        announce: Callable[[str], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        timeout_s: float = 300.0,
    ) -> Account:
        """The desktop OAuth flow of `accounts link strava`; a cancel leaves nothing stored.

        Cancel while waiting for the browser stops the loopback server (the flow's task is
        cancelled and its receiver closes). Once Strava is answering the code exchange the
        flow finishes and a new account is then unlinked again (revoked, secrets deleted).
        The client secret goes back to what the keyring held before on any failure.
        """
        import httpx

        from sync.progress import Cancelled
        from sync.strava import tokens
        from sync.strava.accounts import link, list_accounts, unlink

        config = self.strava_config()
        client_id = client_id.strip()
        if not client_id or not client_secret:
            raise ValueError("enter the client id and secret of your Strava API application")
        before_secret = tokens.stored_client(client_id)
        before = {a.id for a in list_accounts(self.store)}
        exchanging = False

        async def mark(request: httpx.Request) -> None:
            nonlocal exchanging
            if request.url.path.endswith("/token"):
                exchanging = True  # Strava is answering: too late to stop halfway

        async def main() -> Account:
            async with httpx.AsyncClient(event_hooks={"request": [mark]}) as http:
                flow = asyncio.ensure_future(
                    link(
                        self.store,
                        http,
                        config,
                        client_id=client_id,
                        client_secret=client_secret,
                        athlete_id=athlete_id,
                        child_names=list(child_names) if child_names else None,
                        open_browser=open_browser,
                        announce=announce,
                        timeout_s=timeout_s,
                    )
                )
                while not flow.done():
                    await asyncio.wait({flow}, timeout=CANCEL_POLL_S)
                    if cancel is not None and cancel() and not exchanging and not flow.done():
                        flow.cancel()
                try:
                    account = await flow
                except asyncio.CancelledError:
                    raise Cancelled("nothing was linked") from None
                if cancel is not None and cancel() and account.id not in before:
                    await unlink(self.store, http, config, account.id)
                    raise Cancelled("Strava had already answered; the new link was undone")
                return account

        try:
            return asyncio.run(main())
        except BaseException:
            tokens.restore_client(client_id, before_secret)
            raise

    def unlink_strava(self, account_id: int) -> list[str]:
        """`accounts unlink`: revoke at Strava, delete the keyring secrets and the rows."""
        import httpx

        from sync.strava.accounts import unlink

        config = self.strava_config()

        async def main() -> list[str]:
            async with httpx.AsyncClient() as http:
                return await unlink(self.store, http, config, account_id)

        return asyncio.run(main())

    def backfill_strava(
        self,
        account_id: int,
        since_s: float | None,
        *,
        progress: Callable[[BackfillProgress], None] | None = None,
        cancel: Callable[[], bool] | None = None,
    ) -> BackfillProgress:
        """Walk an owner's Strava history now, queueing child copies (StravaSync.backfill)."""
        import httpx

        from sync.strava.engine import StravaSync

        config = self.strava_config()

        async def main() -> BackfillProgress:
            async with httpx.AsyncClient() as http:
                sync = StravaSync(self.store, http, config)
                try:
                    return await sync.backfill(
                        account_id, since_s, progress=progress, cancel=cancel
                    )
                finally:
                    await asyncio.to_thread(sync.save_rate_usage)

        return asyncio.run(main())

    # Background sync (event loop) ---------------------------------------------------

    async def start_background(self) -> bool:
        """Start the background sync on this loop unless turned off; True when it runs.

        Off with the setting `sync.background` = false or $PULSEDECK_NO_BACKGROUND_SYNC=1.
        """
        from sync.background import BackgroundSync, enabled

        if self.background is not None:
            return True
        setting = await asyncio.to_thread(self.settings.get, st.BACKGROUND_SYNC)
        if self._background_closed or not enabled(setting):
            return False
        background = await asyncio.to_thread(
            lambda: BackgroundSync(self.store, after_run=self._background_ran)
        )
        if self._background_closed:  # the window closed meanwhile
            return False
        self.background = background
        background.start()
        return True

    def _background_ran(self, report: BackgroundReport) -> None:
        listener = self.on_sync_run
        if listener is not None:
            listener(report)

    def wake_sync(self, poll: bool = False) -> None:
        """Run the background sync now (loop thread); nothing when it is off."""
        if self.background is not None:
            self.background.wake(poll=poll)

    async def stop_background(self) -> None:
        """Stop the background sync (a run in progress gets a few seconds); idempotent."""
        self._background_closed = True
        background, self.background = self.background, None
        if background is not None:
            await background.aclose()

    # Gym sets (worker thread) -------------------------------------------------------

    def sets(self, session_id: int) -> list[vm.SetRow]:
        with self.store.orm() as s:
            rows = s.scalars(
                select(m.ExerciseSet)
                .where(m.ExerciseSet.session_id == session_id)
                .order_by(m.ExerciseSet.started_ms, m.ExerciseSet.id)
            )
            return [_set_row(r) for r in rows]

    def search_exercises(
        self, athlete_id: int, query: str, limit: int = 6
    ) -> list[vm.ExerciseMatch]:
        """Typo-tolerant catalog search (app.training.catalog does the scoring)."""
        from app.training import catalog

        entries = catalog.exercises(self.store, athlete_id)
        if not query.strip():
            return [vm.ExerciseMatch(e.name, 0.0, e.id) for e in entries[:limit]]
        return [
            vm.ExerciseMatch(hit.exercise.name, hit.score, hit.exercise.id)
            for hit in catalog.search(entries, query, limit=limit)
        ]

    def log_set(
        self,
        session_id: int | None,
        athlete_id: int,
        exercise: str,
        reps: int,
        weight_kg: float | None,
        rpe: float | None,
        started_ms: int,
        ended_ms: int,
    ) -> vm.SetRow:
        """Store a finished set (HR during it and records via app.training.strength)."""
        from app.training import strength

        if not exercise.strip():
            raise ValueError("choose an exercise")
        saved = strength.log_set(
            self.store, athlete_id, exercise, reps, weight_kg, started_ms,
            ended_ms=ended_ms, session_id=session_id, rpe=rpe,
        )  # fmt: skip
        return self.sets_by_id([saved.id])[0]

    def sets_by_id(self, ids: Sequence[int]) -> list[vm.SetRow]:
        with self.store.orm() as s:
            rows = s.scalars(select(m.ExerciseSet).where(m.ExerciseSet.id.in_(ids)))
            return [_set_row(r) for r in rows]

    def set_recovery(self, set_id: int) -> vm.SetRow | None:
        """Fill the HR drop `HR_RECOVERY_S` after the set once those samples are stored."""
        from app.training import strength

        with self.store.orm() as s:
            row = s.get(m.ExerciseSet, set_id)
            if row is None or row.session_id is None or row.ended_ms is None:
                return None
            sid, start, end = row.session_id, row.started_ms, row.ended_ms
        # The training package owns the HR-of-a-set maths; reuse it rather than repeat it.
        _avg, _max, recovery = strength.set_hr(self.store, sid, start, end)
        if recovery is None:
            return None
        with self.store.orm() as s, s.begin():
            row = s.get(m.ExerciseSet, set_id)
            assert row is not None
            row.hr_recovery = recovery
        return self.sets_by_id([set_id])[0]

    # Devices and feeds (worker thread) ------------------------------------------------

    def remembered_devices(self, athlete_id: int) -> list[vm.DeviceItem]:
        """Paired sensors only: one seen in a scan or forgotten is not reconnected."""
        return [
            vm.DeviceItem(d.address, d.name or d.address, d.kind, None, d.battery_pct, True)
            for d in self.sensors.remembered(athlete_id)
        ]

    def remember_device(self, athlete_id: int, item: vm.DeviceItem) -> None:
        """Pair the sensor (SensorService, as `record --device` does)."""
        self.sensors.remember(athlete_id, item.address, item.kind, item.name)

    def forget_device(self, athlete_id: int, address: str) -> None:
        """Un-pair; the row stays so past samples keep their sensor."""
        self.sensors.forget(athlete_id, address)

    def feeds(self) -> list[vm.FeedItem]:
        from app import feeds

        return [
            vm.FeedItem(f.id, f.name, f.protocol, f.url, f.enabled, f.has_token)
            for f in feeds.list_feeds(self.store)
        ]

    def add_feed(self, name: str, url: str, token: str, protocol: str = "pulsedeck") -> vm.FeedItem:
        """Store a feed (app.feeds validates it and keeps the token in the OS keyring)."""
        from app import feeds

        name = name.strip()
        if not name:
            raise ValueError("a feed needs a name")
        f = feeds.add_feed(self.store, name, url.strip(), protocol, token)
        return vm.FeedItem(f.id, f.name, f.protocol, f.url, f.enabled, f.has_token)

    def remove_feed(self, name: str) -> None:
        from app import feeds

        feeds.remove_feed(self.store, name)

    # Recording (event loop) ---------------------------------------------------------

    async def start_recording(
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
        if self.source_mode == BLUETOOTH:
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
        from device.ble.manager import probe_bluetooth

        if athlete.read_only:
            raise RecordingError(f"{athlete.name} is an imported client: read-only")
        reason = await probe_bluetooth(self.ble.scanner_cls)
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
        return await self.controller.pause()

    async def resume(self) -> int:
        return await self.controller.resume()

    async def lap(self) -> int:
        return await self.controller.lap()

    async def flush(self) -> None:
        """Commit what is pending now (gym sets read the HR of the set from the store)."""
        await self.controller.flush()

    async def stop(self, discard: bool = False) -> SessionSummary:
        """Stop and save (or soft-delete when discarding, so History can still undo it)."""
        summary = await self.controller.stop(discard=discard)
        if not discard:
            self.wake_sync()  # the saved session goes to Strava (and the lake) now
        return summary


def _set_row(r: m.ExerciseSet) -> vm.SetRow:
    return vm.SetRow(
        r.id, r.exercise_name, r.reps, r.weight_kg, r.rpe, r.started_ms, r.ended_ms,
        r.avg_hr, r.max_hr, r.hr_recovery, bool(r.is_pr),
    )  # fmt: skip
