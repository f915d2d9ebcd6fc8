"""The live dashboard: a huge HR number coloured by zone, tiles, zone band, live chart."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from .. import theme as th
from .. import viewmodels as vm
from ..charts import LiveChart
from ..context import AppContext, Navigator
from ..live import IDLE, PAUSED, RECORDING, LiveView
from ..readiness import ReadinessRun
from ..services import BLUETOOTH, SIMULATOR, zone_floors
from ..summary_card import SavedCard, SavedSession
from ..widgets import MetricTile, ZoneBand, all_below_note, card
from .live_tiles import LiveTiles

ZONE_NAMES = ("Rest", "Z1 · Recovery", "Z2 · Endurance", "Z3 · Tempo", "Z4 · Threshold",
              "Z5 · Maximum")  # fmt: skip
#: The number is the point of the screen: readable from three metres on a gym floor.
HR_PX = 150
#: Share of the screen's height the HR number takes (smaller windows, big mode).
HR_SHARE, HR_SHARE_BIG = 0.22, 0.5
#: Below this height (px) the chart gets more of the screen than the HR number.
SHORT_PX = 600
#: Why kcal shows "-" during a recording.
KCAL_HELP = (
    "kcal needs your weight, birth year and sex: set them in Settings (saved sessions "
    "get their kcal then too)."
)
#: Why Start is off when the data folder cannot be written.
READ_ONLY_START = "The data folder is read-only: recording is off (nothing could be saved)."


class DashboardScreen(QWidget):
    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self._floors: tuple[float, ...] = (0, 0, 0, 0, 0)
        root = QVBoxLayout(self)
        self._root = root
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(10)

        top = QHBoxLayout()
        top.setSpacing(12)
        hr_card = card()
        hr_card.setMinimumWidth(300)
        hl = QVBoxLayout(hr_card)
        hl.setContentsMargins(18, 6, 18, 10)
        hl.setSpacing(0)
        caption = QLabel("HEART RATE")
        caption.setProperty("role", "metricname")
        hl.addWidget(caption)
        self.hr_label = QLabel("--")
        # The number's size follows the space it gets (see _scale), never the other way round:
        # a font that sized the layout would ratchet the window's minimum height up.
        self.hr_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored)
        self.hr_label.setMinimumHeight(48)
        self.hr_label.installEventFilter(self)
        self.hr_label.setAccessibleName("Heart rate")
        self.hr_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        hl.addWidget(self.hr_label, 1)
        self.zone_label = QLabel(ZONE_NAMES[0])
        self.zone_label.setStyleSheet("font-size: 26px; font-weight: 700;")
        hl.addWidget(self.zone_label)
        top.addWidget(hr_card, 2)

        grid = QGridLayout()
        grid.setSpacing(10)
        self.tiles: dict[str, MetricTile] = {}
        names = [
            ("elapsed", "Elapsed"), ("moving", "Moving"), ("lap", "Lap"), ("kcal", "kcal"),
            ("cadence", "Cadence"), ("speed", "Speed"), ("power", "Power"),
            ("distance", "Distance"),
        ]  # fmt: skip
        for key, label in names:
            self.tiles[key] = MetricTile(label)
        # DFA α1 and 3 s / 30 s / lap power after these, only while RR or power arrives.
        self.live_tiles = LiveTiles(grid, self.tiles)
        self._short = False
        top.addLayout(grid, 3)
        root.addLayout(top, 1)
        self.top_row = top

        self.zone_band = ZoneBand()
        root.addWidget(self.zone_band)
        self.zone_note = QLabel("")
        self.zone_note.setWordWrap(True)
        self.zone_note.setProperty("role", "muted")
        self.zone_note.hide()
        root.addWidget(self.zone_note)

        # The chart, or the summary of the recording just saved (until the next Start).
        self.centre = QStackedWidget()
        self.chart = LiveChart()
        self.chart.setMinimumHeight(150)
        self.centre.addWidget(self.chart)
        self.saved_card = SavedCard()
        # The card takes the chart's place and size: it must not make the window taller.
        self.saved_card.frame.setSizePolicy(
            QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Ignored
        )
        self.centre.addWidget(self.saved_card.frame)
        self.saved_card.open_btn.clicked.connect(self._open_saved)
        self.saved_card.dismiss_btn.clicked.connect(self.dismiss_saved)
        root.addWidget(self.centre, 1)
        self.hr_card = hr_card
        self.tile_grid = grid
        self.big = False

        status = QHBoxLayout()
        self.sensors = QLabel("No sensor: press Start to record from the simulated strap")
        self.sensors.setProperty("role", "muted")
        self.sensors.setTextFormat(Qt.TextFormat.RichText)
        self.sensors.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        status.addWidget(self.sensors, 1)
        self.source_box = QComboBox()
        self.source_box.addItem("Simulated strap", SIMULATOR)
        self.source_box.addItem("Bluetooth sensors", BLUETOOTH)
        self.source_box.setAccessibleName("Record from")
        self.source_box.currentIndexChanged.connect(
            lambda _i: setattr(ctx.services, "source_mode", self.source_box.currentData())
        )
        self.sport_box = QComboBox()
        self.sport_box.addItems(list(vm.SPORTS))
        self.sport_box.setAccessibleName("Sport")
        status.addWidget(self.source_box)
        status.addWidget(self.sport_box)
        self.readiness = ReadinessRun(ctx)  # `record --readiness`: a short reading at rest
        status.addWidget(self.readiness.button)
        root.addLayout(status)

        bottom = QHBoxLayout()
        keys = QLabel("F5 start / pause · Ctrl+L lap · Ctrl+Shift+S stop")
        keys.setProperty("role", "muted")
        keys.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        keys.setWordWrap(True)  # at 1024 px the hint wraps instead of losing "Shift+S stop"
        bottom.addWidget(keys, 1)
        self.start_btn = self._button("Start", "primary", self._start)
        self.pause_btn = self._button("Pause", None, ctx.toggle_pause)
        self.lap_btn = self._button("Lap", None, ctx.lap)
        self.stop_btn = self._button("Stop…", "danger", self._stop)
        for b in (self.start_btn, self.pause_btn, self.lap_btn, self.stop_btn):
            bottom.addWidget(b)
        root.addLayout(bottom)

        # Why Start did not work, and what to do instead: next to the action.
        self.problem = QFrame()
        self.problem.setObjectName("card")
        pl = QHBoxLayout(self.problem)
        pl.setContentsMargins(14, 8, 14, 8)
        self.problem_text = QLabel("")
        self.problem_text.setWordWrap(True)
        self.problem_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        pl.addWidget(self.problem_text, 1)
        self.use_sim_btn = QPushButton("Record from the simulated strap")
        self.use_sim_btn.clicked.connect(self.use_simulator)
        self.feed_btn = QPushButton("Set up a feed or sensor…")
        self.feed_btn.clicked.connect(lambda: window.show_screen("devices"))
        pl.addWidget(self.use_sim_btn)
        pl.addWidget(self.feed_btn)
        self.problem.hide()
        root.addWidget(self.problem)

        ctx.liveChanged.connect(self.show_view)
        ctx.stateChanged.connect(self._on_state)
        ctx.sessionSaved.connect(self.show_saved)
        ctx.startFailed.connect(self.show_problem)
        ctx.themeChanged.connect(lambda _t: self._apply_theme())
        ctx.unitsChanged.connect(lambda _u: self.show_view(ctx.last_view))
        ctx.athleteChanged.connect(lambda _a: self._load_floors())
        self._on_state(ctx.state)
        self._load_floors()
        self.show_view(ctx.last_view)

    @property
    def sport(self) -> str:
        return self.sport_box.currentText()

    def _button(self, text: str, role: str | None, slot: Callable[[], None]) -> QPushButton:
        b = QPushButton(text)
        b.setProperty("role", role or "big")
        b.setStyleSheet("font-size: 22px; font-weight: 700; padding: 12px 14px;")
        b.clicked.connect(slot)
        return b

    def _start(self) -> None:
        self.problem.hide()
        self.ctx.start(self.sport)

    # After Save, and when Start fails ---------------------------------------------------

    def show_saved(self, saved: SavedSession) -> None:
        """The summary card in the chart's place, until the next Start or Close."""
        self.saved_card.show_saved(saved, self.ctx.units, self.ctx.theme)
        self.centre.setCurrentWidget(self.saved_card.frame)
        history = self.ctx.services.history
        sid = saved.session_id

        def prs() -> int:
            return sum(1 for s in history.detail(sid).sets if s.is_pr)

        def done(count: int) -> None:
            if self.saved_card.saved is saved:
                self.saved_card.show_prs(count)

        self.ctx.bridge.run(prs, done, lambda _e: self.saved_card.show_prs(0))

    def dismiss_saved(self) -> None:
        self.centre.setCurrentWidget(self.chart)

    def _open_saved(self) -> None:
        saved = self.saved_card.saved
        if saved is not None:
            self.window_.open_session(saved.session_id)

    def show_problem(self, reason: str) -> None:
        """Start failed: the reason in full, and a way forward next to the Start button."""
        bluetooth = self.ctx.services.source_mode == BLUETOOTH
        text = f"Could not start: {reason}"
        if bluetooth:
            text += " You can record from the simulated strap, or from a feed (Devices)."
        self.problem_text.setText(text)
        self.use_sim_btn.setVisible(bluetooth)
        self.feed_btn.setVisible(bluetooth)
        self.problem.show()

    def use_simulator(self) -> None:
        self.source_box.setCurrentIndex(self.source_box.findData(SIMULATOR))
        self._start()

    # Size ----------------------------------------------------------------------------

    def set_big(self, on: bool) -> None:
        """Big mode (F11): HR, zone and elapsed only, scaled to the window; gym-floor reading."""
        self.big = on  # the tiles follow in show_view (LiveTiles lays them out)
        self._root.setStretchFactor(self.top_row, 4 if on else 1)
        self._scale()
        self.show_view(self.ctx.last_view)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if obj is self.hr_label and event.type() == QEvent.Type.Resize:
            self._scale()
            self.show_view(self.ctx.last_view)
        return False

    def _scale(self) -> None:
        h = max(1, self.height())
        px = int(h * (HR_SHARE_BIG if self.big else HR_SHARE))
        fits = int(self.hr_label.height() / 1.2)  # the digits' line height is ~1.2 x px
        self._hr_px = max(40, min(px if self.big else min(HR_PX, px), fits))
        zone_px = max(18, int(self._hr_px * 0.19))
        self._zone_px = zone_px
        elapsed = self.tiles["elapsed"]
        elapsed.value.setStyleSheet(f"font-size: {int(self._hr_px * 0.6)}px;" if self.big else "")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        # A short window gives the chart two thirds of what is left, so it stays readable.
        short = self._short = self.height() < SHORT_PX and not self.big
        self._root.setStretchFactor(self.centre, 2 if short else 1)
        self._scale()
        self.show_view(self.ctx.last_view)

    def _stop(self) -> None:
        self.window_.confirm_stop()

    def _load_floors(self) -> None:
        athlete_id = self.ctx.athlete.id
        services = self.ctx.services

        def work() -> tuple[float, ...]:
            return zone_floors(services.store, athlete_id)

        def done(floors: tuple[float, ...]) -> None:
            self._floors = floors
            self._apply_theme()

        self.ctx.bridge.run(work, done)

    def _apply_theme(self) -> None:
        if self._floors[0]:
            self.chart.apply_theme(self.ctx.theme, self._floors)
        self.show_view(self.ctx.last_view)

    def _on_state(self, state: str) -> None:
        if state != IDLE:
            self.problem.hide()
            self.dismiss_saved()
        read_only = self.ctx.read_only
        self.start_btn.setToolTip(READ_ONLY_START if read_only else "Start recording (F5)")
        self.start_btn.setEnabled(state == IDLE and not read_only)
        self.sport_box.setEnabled(state == IDLE)
        self.source_box.setEnabled(state == IDLE)
        self.pause_btn.setEnabled(state != IDLE)
        self.pause_btn.setText("Resume" if state == PAUSED else "Pause")
        self.lap_btn.setEnabled(state != IDLE)
        self.stop_btn.setEnabled(state != IDLE)

    def show_view(self, view: LiveView) -> None:
        """Repaint from a snapshot (called at most 30 times a second)."""
        t = self.ctx.theme
        units = self.ctx.units
        colour = th.zone_color(t, view.zone) if view.hr is not None else t.muted
        self.hr_label.setText("--" if view.hr is None else str(view.hr))
        hr_px, zone_px = getattr(self, "_hr_px", HR_PX), getattr(self, "_zone_px", 26)
        self._restyle(self.hr_label, f"color: {colour}; font-size: {hr_px}px; font-weight: 800;")
        idle = "Not recording" if view.state == IDLE else "No signal"
        self.zone_label.setText(f"bpm · {ZONE_NAMES[view.zone]}" if view.hr is not None else idle)
        self._restyle(
            self.zone_label, f"font-size: {zone_px}px; font-weight: 700; color: {colour};"
        )
        self.tiles["elapsed"].set(vm.hms(view.elapsed_s))
        self.tiles["moving"].set(vm.hms(view.moving_s))
        self.tiles["lap"].set(vm.hms(view.lap_s), f"Lap {view.lap_no}")
        no_kcal = view.kcal is None and view.state != IDLE
        self.tiles["kcal"].set(vm.number(view.kcal), "kcal: set profile" if no_kcal else "kcal")
        self.tiles["kcal"].setToolTip(KCAL_HELP if no_kcal else "")
        self.tiles["cadence"].set(vm.number(view.cadence))
        self.tiles["speed"].set(vm.speed(view.speed, units))
        self.tiles["power"].set(vm.number(view.power, ".0f", " W"))
        self.tiles["distance"].set(vm.distance(view.distance_m, units))
        analysis = self.ctx.analysis_view()
        self.live_tiles.show(analysis, view.lap_no, t, big=self.big, short=self._short)
        self.zone_band.set(view.zone_s, view.zone if view.hr is not None else -1, t, view.rest_s)
        note = all_below_note(view.zone_s, view.rest_s, self._floors[0])
        if note != self.zone_note.text():
            self.zone_note.setText(note)
            self.zone_note.setVisible(bool(note))
        self._show_sensors(view)
        live = self.ctx.live
        if live is not None:
            x, hr = live.series("hr")
            cad = live.series("cadence")[1] if live.has_channel("cadence") else None
            now_s = (self.ctx.now_ms() - live.started_ms) / 1000
            self.chart.set_data(x, hr, cad, now_s)
            self.chart.set_laps(view.lap_starts_s)
        elif view.state == IDLE and self.chart.repaints:
            empty = np.empty(0)
            self.chart.set_data(empty, empty, None, 0.0)
            self.chart.set_laps(())

    @staticmethod
    def _restyle(label: QLabel, sheet: str) -> None:
        """Set a style sheet only when it changes: re-polishing costs milliseconds."""
        if label.styleSheet() != sheet:
            label.setStyleSheet(sheet)

    def _show_sensors(self, view: LiveView) -> None:
        if not view.sensors:
            if view.state == IDLE:
                self.sensors.setText("Idle · press Start (F5) to record")
            return
        t = self.ctx.theme
        parts = []
        for s in view.sensors:
            colour = {"connected": t.ok, "reconnecting": t.zones[4], "lost": t.danger}[s.state]
            word = {"connected": "connected", "reconnecting": "reconnecting…",
                    "lost": "signal lost"}[s.state]  # fmt: skip
            extra = ""
            if s.rssi is not None:
                extra += f" · {s.rssi} dBm"
            if s.battery_pct is not None:
                extra += f" · battery {s.battery_pct}%"
            parts.append(f"<span style='color:{colour}'>●</span> {s.name} · {word}{extra}")
        text = "&nbsp;&nbsp;&nbsp;".join(parts)
        if self.sensors.text() != text:
            self.sensors.setText(text)

    def activate(self) -> None:
        self.show_view(self.ctx.last_view)


__all__ = ["DashboardScreen", "RECORDING"]
