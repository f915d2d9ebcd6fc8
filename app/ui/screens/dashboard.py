"""The live dashboard: a huge HR number coloured by zone, tiles, zone band, live chart."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .. import theme as th
from .. import viewmodels as vm
from ..charts import LiveChart
from ..context import AppContext
from ..live import IDLE, PAUSED, RECORDING, LiveView
from ..services import BLUETOOTH, SIMULATOR, zone_floors
from ..widgets import MetricTile, ZoneBand, card

ZONE_NAMES = ("Rest", "Z1 · Recovery", "Z2 · Endurance", "Z3 · Tempo", "Z4 · Threshold",
              "Z5 · Maximum")  # fmt: skip
#: The number is the point of the screen: readable from three metres on a gym floor.
HR_STYLE = "font-size: 150px; font-weight: 800;"


class DashboardScreen(QWidget):
    def __init__(self, ctx: AppContext, window: QWidget) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self._floors: tuple[float, ...] = (0, 0, 0, 0, 0)
        root = QVBoxLayout(self)
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
        self.hr_label.setAccessibleName("Heart rate")
        self.hr_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        hl.addWidget(self.hr_label)
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
        for i, (key, label) in enumerate(names):
            tile = MetricTile(label)
            self.tiles[key] = tile
            grid.addWidget(tile, i // 4, i % 4)
        top.addLayout(grid, 3)
        root.addLayout(top)

        self.zone_band = ZoneBand()
        root.addWidget(self.zone_band)

        self.chart = LiveChart()
        self.chart.setMinimumHeight(150)
        root.addWidget(self.chart, 1)

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
        root.addLayout(status)

        bottom = QHBoxLayout()
        keys = QLabel("F5 start / pause · Ctrl+L lap · Ctrl+Shift+S stop")
        keys.setProperty("role", "muted")
        keys.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        bottom.addWidget(keys, 1)
        self.start_btn = self._button("Start", "primary", self._start)
        self.pause_btn = self._button("Pause", None, ctx.toggle_pause)
        self.lap_btn = self._button("Lap", None, ctx.lap)
        self.stop_btn = self._button("Stop…", "danger", self._stop)
        for b in (self.start_btn, self.pause_btn, self.lap_btn, self.stop_btn):
            bottom.addWidget(b)
        root.addLayout(bottom)

        ctx.liveChanged.connect(self.show_view)
        ctx.stateChanged.connect(self._on_state)
        ctx.themeChanged.connect(lambda _t: self._apply_theme())
        ctx.unitsChanged.connect(lambda _u: self.show_view(ctx.last_view))
        ctx.athleteChanged.connect(lambda _a: self._load_floors())
        self._on_state(ctx.state)
        self._load_floors()
        self.show_view(ctx.last_view)

    @property
    def sport(self) -> str:
        return self.sport_box.currentText()

    def _button(self, text: str, role: str | None, slot) -> QPushButton:
        b = QPushButton(text)
        b.setProperty("role", role or "big")
        b.setStyleSheet("font-size: 22px; font-weight: 700; padding: 12px 14px;")
        b.clicked.connect(slot)
        return b

    def _start(self) -> None:
        self.ctx.start(self.sport)

    def _stop(self) -> None:
        self.window_.confirm_stop()  # type: ignore[attr-defined]

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
        self.start_btn.setEnabled(state == IDLE)
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
        self._restyle(self.hr_label, f"color: {colour}; {HR_STYLE}")
        self.zone_label.setText(
            f"bpm · {ZONE_NAMES[view.zone]}" if view.hr is not None else "No signal"
        )
        self._restyle(self.zone_label, f"font-size: 26px; font-weight: 700; color: {colour};")
        self.tiles["elapsed"].set(vm.hms(view.elapsed_s))
        self.tiles["moving"].set(vm.hms(view.moving_s))
        self.tiles["lap"].set(vm.hms(view.lap_s), f"Lap {view.lap_no}")
        self.tiles["kcal"].set(vm.number(view.kcal))
        self.tiles["cadence"].set(vm.number(view.cadence))
        self.tiles["speed"].set(vm.speed(view.speed, units))
        self.tiles["power"].set(vm.number(view.power, ".0f", " W"))
        self.tiles["distance"].set(vm.distance(view.distance_m, units))
        self.zone_band.set(view.zone_s, view.zone if view.hr is not None else 0, t)
        self._show_sensors(view)
        live = self.ctx.live
        if live is not None:
            x, hr = live.series("hr")
            cad = live.series("cadence")[1] if live.has_channel("cadence") else None
            now_s = (self.ctx.now_ms() - live.started_ms) / 1000
            self.chart.set_data(x, hr, cad, now_s)
        elif view.state == IDLE and self.chart.repaints:
            empty = np.empty(0)
            self.chart.set_data(empty, empty, empty, 0.0)

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
