"""Shared state of one window: current athlete, units, theme and the live recording.

Screens hold an AppContext and listen to its signals; they never reach the store or the
recorder themselves: every request goes through `ctx.bridge.run(...)` to the loop thread.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from app.domain.profile import Profile as DomainProfile
from app.domain.samples import Sample
from app.domain.zones import Zones
from app.store import settings as st

from . import theme as th
from . import viewmodels as vm
from .bridge import REDRAW_INTERVAL_MS, Bridge, Throttle
from .live import IDLE, PAUSED, RECORDING, LiveSession, LiveView
from .live_analysis import LiveAnalysis, LiveAnalysisView
from .services import Services, Started
from .sync_feedback import SyncFeedback

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from .goal_progress import GoalsProvider

log = logging.getLogger(__name__)

#: How many recent redraw latencies to keep for the benchmarks and tests.
LATENCY_WINDOW = 2_000

#: How often the goals are re-evaluated during a recording (cheap queries, off the GUI thread).
GOALS_REFRESH_MS = 5_000
#: The dashboard clock and sensor states tick at least this often without samples.
CLOCK_TICK_MS = 500


class Navigator(Protocol):
    """What a screen may ask of the window (MainWindow): show another screen and the like."""

    def show_screen(self, name: str, **kwargs: object) -> QWidget:
        """Show the screen called `name` (kwargs go to its `activate`)."""
        ...

    def open_session(self, session_id: int) -> None:
        """Show one session's detail."""
        ...

    def reload_athletes(self, select_id: int | None = None) -> None:
        """Refill the athlete switcher, then switch to `select_id` if given."""
        ...

    def confirm_stop(self) -> None:
        """Ask save or discard, then stop the recording."""
        ...


class AppContext(SyncFeedback, QObject):
    """Shared state of one window; `services` holds one app.services service per area."""

    athleteChanged = Signal(object)  # vm.AthleteItem
    themeChanged = Signal(object)  # th.Theme
    unitsChanged = Signal(str)
    historyChanged = Signal()
    liveChanged = Signal(object)  # LiveView (throttled, ≤ 30 Hz)
    liveRedrawn = Signal()  # after screens repainted from a live update
    stateChanged = Signal(str)  # idle | recording | paused
    recordingStopped = Signal(int, bool)  # session id, discarded
    #: After Save: a summary_card.SavedSession for the dashboard's card.
    sessionSaved = Signal(object)
    #: Start failed: the reason, in words (the dashboard shows it next to Start).
    startFailed = Signal(str)
    sessionDeleted = Signal(int)  # soft-deleted (Delete or Discard): History offers undo
    goalsChanged = Signal(object)  # list[vm.GoalItem]
    goalReached = Signal(object)  # vm.GoalItem, once per goal and period
    message = Signal(str)
    #: A background sync run ran jobs (sync.background.BackgroundReport): sync states changed.
    syncRan = Signal(object)

    def __init__(
        self,
        bridge: Bridge,
        services: Services,
        goals: GoalsProvider | None,
        athlete: vm.AthleteItem,
        theme_name: str = "light",
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.bridge = bridge
        self.services = services
        self.goals = goals
        self.athlete = athlete
        self.theme = th.get(theme_name)
        self.live: LiveSession | None = None
        self.last_view = LiveView()
        #: Live α1 and rolling power of the recording, fed on the loop thread (the listener).
        self.analysis: LiveAnalysis | None = None
        self.state = IDLE
        self.session_id: int | None = None
        self.sport = "run"
        self.last_goals: list[vm.GoalItem] = []
        #: perf_counter of the oldest sample not yet on screen (latency measurement).
        self.pending_since: float | None = None
        #: Recent arrival->painted latencies (bounded: a 10-hour session must not grow it).
        self.latencies_ms: deque[float] = deque(maxlen=LATENCY_WINDOW)
        self._redraw = Throttle(self._emit_live, REDRAW_INTERVAL_MS, self)
        # Emitted on the asyncio thread: queue it, so the live model and the redraw timer are
        # only ever touched on the GUI thread (a direct call started timers cross-thread).
        bridge.samplesArrived.connect(self._on_samples, Qt.ConnectionType.QueuedConnection)
        bridge.failed.connect(self.message)
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_TICK_MS)
        self._clock.timeout.connect(self._redraw)
        self._goals_timer = QTimer(self)
        self._goals_timer.setInterval(GOALS_REFRESH_MS)
        self._goals_timer.timeout.connect(self.refresh_goals)
        self._busy = False
        #: A stop was requested and has not come back yet (closing then needs no question).
        self.stopping = False
        #: The last soft-deleted session and when (monotonic s): History offers its undo.
        self.last_deleted: tuple[int, float] | None = None
        #: What the undo button calls a deleted session (its title), by session id.
        self.deleted_labels: dict[int, str] = {}
        #: The store is read-only (a folder this process cannot write): writes are disabled.
        self.read_only = bool(getattr(services.store, "read_only", False))
        services.recorder.on_sensor_event = self._sensor_event_from_loop

    @property
    def units(self) -> str:
        return self.athlete.units

    def now_ms(self) -> int:
        return int(self.services.recorder.clock() * 1000)

    # Athlete, theme, units ----------------------------------------------------------

    def set_athlete(self, athlete: vm.AthleteItem) -> None:
        self.athlete = athlete
        self.bridge.run(lambda: self.services.athletes.select(athlete.id))
        self.athleteChanged.emit(athlete)
        self.refresh_goals()

    def set_units(self, units: str) -> None:
        if units == self.athlete.units:
            return
        self.athlete = replace(self.athlete, units=units)
        self.unitsChanged.emit(units)

    def set_theme(self, name: str) -> None:
        self.theme = th.apply_current(name)
        self.bridge.run(lambda: self.services.settings.set(st.THEME, name))
        self.themeChanged.emit(self.theme)

    # Deleted sessions -----------------------------------------------------------------

    def session_deleted(self, session_id: int, label: str | None = None) -> None:
        """A session was soft-deleted (Delete or Discard): History offers its undo."""
        if label:
            self.deleted_labels[session_id] = label
        self.last_deleted = (session_id, time.monotonic())
        self.sessionDeleted.emit(session_id)

    def undo_offer(self, window_s: float) -> tuple[int, float] | None:
        """(session id, seconds left) while the last delete can still be undone, else None."""
        if self.last_deleted is None:
            return None
        sid, at = self.last_deleted
        left = window_s - (time.monotonic() - at)
        return (sid, left) if left > 0 else None

    # Recording ----------------------------------------------------------------------

    def _set_state(self, state: str) -> None:
        self.state = state
        self.stateChanged.emit(state)

    def start(self, sport: str = "run", on_done: Callable[[], None] | None = None) -> None:
        """Start recording the current athlete from the configured sources."""
        if self.state != IDLE or self._busy:
            return
        self._busy = True
        self.sport = sport
        goals, push = self.goals, self.bridge.push_sample

        def started(info: Started) -> None:
            self._busy = False
            p = info.athlete.profile
            self.live = LiveSession(
                DomainProfile(p.birth_year, p.sex, p.weight_kg, p.resting_hr, p.max_hr),
                info.started_ms,
                sport=info.sport,
                session_id=info.session_id,
                zones_override=Zones(info.zone_floors),
            )
            for key, name, kind in info.sources:
                self.live.register_source(key, name, kind, info.started_ms)
            self.session_id = info.session_id
            self._set_state(RECORDING)
            self._on_samples()  # samples that arrived while the session was being opened
            self.pending_since = None  # latency is measured in steady state, not start-up
            aid, sid, sp, t0 = info.athlete.id, info.session_id, info.sport, info.started_ms
            if goals is not None:
                self.bridge.run(lambda: goals.start_live(aid, sid, sp, t0))
            self._clock.start()
            self._goals_timer.start()
            self._emit_live()
            if on_done:
                on_done()

        def failed(exc: BaseException) -> None:
            self._busy = False
            self.analysis = None
            self.message.emit(f"Could not start: {exc}")
            self.startFailed.emit(str(exc))

        analysis = self.analysis = LiveAnalysis()

        def listener(sample: Sample) -> None:
            push(sample)
            analysis.feed(sample)  # α1 and rolling power, here on the loop thread
            if goals is not None:
                goals.feed(sample)

        self.bridge.run(
            self.services.recorder.start(self.athlete.id, sport, listener), started, failed
        )

    def pause(self) -> None:
        if self.state != RECORDING:
            return

        def done(t_ms: int) -> None:
            if self.live:
                self.live.pause(t_ms)
            self._set_state(PAUSED)
            self._emit_live()

        self.bridge.run(self.services.recorder.pause(), done)

    def resume(self) -> None:
        if self.state != PAUSED:
            return

        def done(t_ms: int) -> None:
            if self.live:
                self.live.resume(t_ms)
            self._set_state(RECORDING)
            self._emit_live()

        self.bridge.run(self.services.recorder.resume(), done)

    def toggle_pause(self) -> None:
        self.pause() if self.state == RECORDING else self.resume()

    def lap(self, on_done: Callable[[], None] | None = None) -> None:
        if self.state == IDLE:
            return

        def done(t_ms: int) -> None:
            if self.live:
                self.live.lap(t_ms)
            self._emit_live()
            if on_done:
                on_done()

        recorder, analysis = self.services.recorder, self.analysis

        async def lap() -> int:
            if analysis is not None:  # on the loop, in order with the samples it is fed
                analysis.lap()
            return await recorder.lap()

        self.bridge.run(lap(), done)

    def stop(self, discard: bool = False, on_done: Callable[[int], None] | None = None) -> None:
        """Stop and save (or discard: soft-deleted, undoable from history)."""
        if self.state == IDLE or self._busy:
            return
        self._busy = True
        self.stopping = True
        sid = self.session_id
        live = self.live
        sport = self.sport

        def done(summary: object) -> None:
            self._busy = self.stopping = False
            self._clock.stop()
            self._goals_timer.stop()
            self.live = None
            self.analysis = None
            if self.goals is not None:
                self.bridge.run(self.goals.stop_live, lambda _r: self.refresh_goals())
            self.bridge.take_samples()  # late samples of the stopped session
            self.session_id = None
            self.last_view = LiveView()
            self._set_state(IDLE)
            self.liveChanged.emit(self.last_view)
            assert sid is not None
            self.recordingStopped.emit(sid, discard)
            if discard:
                self.session_deleted(sid, f"the discarded {sport.replace('_', ' ')} recording")
            else:
                self._saved(sid, sport, summary, live)
            self.historyChanged.emit()
            self.message.emit("Recording discarded" if discard else "Recording saved")
            if on_done:
                on_done(sid)

        def failed(exc: BaseException) -> None:
            self._busy = self.stopping = False
            self.message.emit(f"Could not stop cleanly: {exc}")

        self.bridge.run(self.services.recorder.stop(discard), done, failed)

    def _saved(self, sid: int, sport: str, summary: object, live: LiveSession | None) -> None:
        """Tell the dashboard what was saved (the card after Save)."""
        from app.domain.accumulator import SessionSummary

        from .summary_card import SavedSession

        if not isinstance(summary, SessionSummary):
            summary = self.last_view.summary
        if summary is None:
            return
        rest, floor1 = 0.0, 0.0
        if live is not None:
            end = live.started_ms + int(summary.duration_s * 1000)
            rest, floor1 = live.rest_until(end), live.zones.floors_bpm[0]
        self.sessionSaved.emit(SavedSession(sid, sport, summary, rest, floor1))

    def _sensor_event_from_loop(self, event: object) -> None:
        """A device.ble SensorEvent (loop thread): battery and state go to the live model."""
        self.bridge.call_soon_in_gui(lambda: self._sensor_event(event))

    def _sensor_event(self, event: object) -> None:
        live = self.live
        address = getattr(event, "address", None)
        if live is None or address is None:
            return
        live.update_source(address, battery=getattr(event, "battery_pct", None))
        detail = getattr(event, "detail", None)
        if getattr(event, "state", "") in ("failed", "disconnected") and detail:
            self.message.emit(f"{getattr(event, 'name', None) or address}: {detail}")
        self._redraw()

    def _on_samples(self) -> None:
        if self.live is None:
            return  # kept in the bridge until the live model exists (drained in `started`)
        batch = self.bridge.take_samples()
        if not batch:
            return
        if self.pending_since is None:
            self.pending_since = batch[0][0]
        self.live.add([s for _, s in batch])
        self._redraw()

    def analysis_view(self) -> LiveAnalysisView:
        """The live α1 and power snapshot (empty when not recording)."""
        return self.analysis.view() if self.analysis is not None else LiveAnalysisView()

    def _emit_live(self) -> None:
        if self.live is not None:
            self.last_view = self.live.view(self.now_ms())
        self.liveChanged.emit(self.last_view)
        if self.pending_since is not None:
            self.latencies_ms.append((time.perf_counter() - self.pending_since) * 1000)
            self.pending_since = None
        self.liveRedrawn.emit()

    def close(self) -> None:
        """Stop the timers (the window is going away)."""
        self._clock.stop()
        self._goals_timer.stop()

    # Goals --------------------------------------------------------------------------

    def refresh_goals(self) -> None:
        athlete_id = self.athlete.id
        goals = self.goals
        if goals is None:
            return  # still starting up

        def work() -> tuple[list[vm.GoalItem], list[vm.GoalItem]]:
            new = goals.newly_achieved(athlete_id)
            return goals.progress(athlete_id), new

        def done(result: tuple[list[vm.GoalItem], list[vm.GoalItem]]) -> None:
            items, new = result
            if athlete_id != self.athlete.id:
                return
            self.last_goals = items
            self.goalsChanged.emit(items)
            for item in new:
                self.goalReached.emit(item)

        self.bridge.run(work, done)
