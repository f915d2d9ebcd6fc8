"""Session detail: zoomable charts with crosshair, zones, laps, sets, HRV and actions."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import viewmodels as vm
from ..charts import SessionCharts
from ..context import AppContext, Navigator
from ..tasks import Task, TaskRunner, TaskStrip
from ..widgets import MetricTile, ZoneBand, all_below_note
from .hrv_panel import HrvPanel
from .session_parts import _UNITS, EXPORT_FORMATS, NO_POSITIONS, ElidedLabel, format_for
from .set_editing import SetEditing


class SessionScreen(QWidget):
    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.navigator = window
        self.detail: vm.SessionDetail | None = None
        self.session_id: int | None = None
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        back = QPushButton("← History")
        back.clicked.connect(lambda: window.show_screen("history"))
        head.addWidget(back)
        self.heading = ElidedLabel()
        self.heading.setStyleSheet("font-size: 20px; font-weight: 700;")
        self.heading.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.addWidget(self.heading, 1)
        self.rename_btn = QPushButton("Rename…")
        self.rename_btn.clicked.connect(self._rename)
        self.sport_box = QComboBox()
        self.sport_box.addItems(list(vm.SPORTS))
        self.sport_box.setAccessibleName("Sport")
        self.sport_box.activated.connect(self._change_sport)
        self.export_btn = QPushButton("Export…")
        self.export_btn.setToolTip("Save this session as TCX, GPX, CSV, Parquet or Excel")
        self.export_menu = QMenu(self)
        self.export_actions: dict[str, QAction] = {}
        for fmt, label in EXPORT_FORMATS:
            action = self.export_menu.addAction(label.split(" (*")[0])
            action.triggered.connect(lambda _c=False, f=fmt: self._export(f))
            self.export_actions[fmt] = action
        self.export_btn.setMenu(self.export_menu)
        self.upload_btn = QPushButton("Upload")
        self.upload_btn.setToolTip("Queue for Strava (the sync worker sends it)")
        self.upload_btn.clicked.connect(self.upload)
        self.delete_btn = QPushButton("Delete")
        self.delete_btn.setProperty("role", "danger")
        self.delete_btn.clicked.connect(self._delete)
        for w in (self.rename_btn, self.sport_box, self.export_btn, self.upload_btn,
                  self.delete_btn):  # fmt: skip
            head.addWidget(w)
        root.addLayout(head)

        split = QSplitter()
        self.charts = SessionCharts()
        self.hrv = HrvPanel(ctx)  # loads when its tab is first shown for a session
        self.chart_tabs = QTabWidget()
        self.chart_tabs.addTab(self.charts, "Charts")
        self.chart_tabs.addTab(self.hrv, "HRV")
        split.addWidget(self.chart_tabs)
        side = QWidget()
        side.setMinimumWidth(300)
        sl = QVBoxLayout(side)
        sl.setContentsMargins(8, 0, 0, 0)
        grid = QGridLayout()
        grid.setSpacing(8)
        self.tiles: dict[str, MetricTile] = {}
        for i, (key, label) in enumerate(
            [("duration", "Duration"), ("distance", "Distance"), ("avg_hr", "Avg HR"),
             ("max_hr", "Max HR"), ("kcal", "kcal"), ("trimp", "TRIMP"),
             ("rmssd", "RMSSD"), ("cadence", "Cadence")]
        ):  # fmt: skip
            tile = MetricTile(label)
            tile.value.setStyleSheet("font-size: 22px;")
            self.tiles[key] = tile
            grid.addWidget(tile, i // 2, i % 2)
        sl.addLayout(grid)
        zl = QLabel("TIME IN ZONES")
        zl.setProperty("role", "metricname")
        sl.addWidget(zl)
        self.zones = ZoneBand()
        self.zones.setMinimumHeight(52)
        sl.addWidget(self.zones)
        self.laps = QTableWidget(0, 3)
        self.laps.setHorizontalHeaderLabels(["Lap", "Time", "Avg HR"])
        self.laps.verticalHeader().hide()
        self.laps.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.sets = QTableWidget(0, 6)
        self.sets.setHorizontalHeaderLabels(
            ["Exercise", "Reps", "Weight", "RPE", "Avg/max HR", "HRR"]
        )
        self.sets.verticalHeader().hide()
        self.sets.horizontalHeader().setStretchLastSection(True)
        sl.addWidget(self.laps, 1)
        sl.addWidget(self.sets, 1)
        self.set_editing = SetEditing(
            ctx, self.sets, lambda: self.detail.sets if self.detail else (), self._changed,
            self._owner,
        )  # fmt: skip
        sl.addWidget(self.set_editing.bar)
        # The side column scrolls rather than making the window taller than 640 px.
        side_scroll = QScrollArea()
        side_scroll.setWidgetResizable(True)
        side_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        side_scroll.setWidget(side)
        side_scroll.setMinimumWidth(310)
        self.side_scroll = side_scroll
        split.addWidget(side_scroll)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        root.addWidget(split, 1)
        self.tasks = TaskRunner(ctx.bridge, self)
        self.task_strip = TaskStrip(self.tasks)
        root.addWidget(self.task_strip)
        self.tasks.started.connect(lambda _t: self.export_btn.setEnabled(False))
        self.tasks.finished.connect(self._task_finished)
        # Why an action did not work, and the next step: next to the actions, never cut off.
        self.problem = QFrame()
        self.problem.setObjectName("card")
        pl = QHBoxLayout(self.problem)
        pl.setContentsMargins(12, 6, 12, 6)
        self.problem_text = QLabel("")
        self.problem_text.setWordWrap(True)
        self.problem_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        pl.addWidget(self.problem_text, 1)
        self.link_btn = QPushButton("Link Strava…")
        self.link_btn.clicked.connect(self.link_strava)
        pl.addWidget(self.link_btn)
        close = QPushButton("Close")
        close.clicked.connect(self.problem.hide)
        pl.addWidget(close)
        self.problem.hide()
        root.insertWidget(1, self.problem)
        self.note = QLabel("")
        self.note.setProperty("role", "muted")
        self.note.setWordWrap(True)
        root.addWidget(self.note)
        ctx.unitsChanged.connect(lambda _u: self.reload())
        ctx.themeChanged.connect(lambda _t: self._show())

    def activate(self, session_id: int | None = None) -> None:
        if session_id is not None:
            if int(session_id) != self.session_id:
                self.problem.hide()
            self.session_id = int(session_id)
            self.hrv.set_session(self.session_id)
        self.reload()

    def show_problem(self, text: str, link: bool = False) -> None:
        """An action's failure in full next to the actions, with its next step."""
        self.problem_text.setText(text)
        self.link_btn.setVisible(link)
        self.problem.show()

    def link_strava(self) -> None:
        """No Strava account yet: Settings' Strava panel with its link form open."""
        self.problem.hide()
        settings = self.navigator.show_screen("settings")
        strava = getattr(settings, "strava", None)
        if strava is not None:
            strava.show_link_form()

    def reload(self) -> None:
        sid = self.session_id
        if sid is None:
            return
        history = self.ctx.services.history
        self.ctx.bridge.run(lambda: history.detail(sid), self._loaded)

    def _loaded(self, detail: vm.SessionDetail) -> None:
        if detail.row.id != self.session_id:
            return
        self.detail = detail
        self._show()

    def _show(self) -> None:
        d = self.detail
        if d is None:
            return
        units = self.ctx.units
        r = d.row
        title = r.title or r.sport.replace("_", " ").title()
        self.heading.setText(f"{title} · {r.athlete} · {vm.local_time(r.started_ms, r.timezone)}")
        if self.sport_box.findText(r.sport) < 0:
            self.sport_box.addItem(r.sport)  # a sport from an import: shown as it is
        self.sport_box.setCurrentText(r.sport)
        writable = not d.read_only and not self.ctx.read_only
        for w in (self.rename_btn, self.sport_box, self.delete_btn, self.upload_btn):
            w.setEnabled(writable)
        gpx = self.export_actions["gpx"]
        gpx.setEnabled(d.has_positions)
        gpx.setText("GPX" if d.has_positions else f"GPX: not available ({NO_POSITIONS})")
        gpx.setToolTip("" if d.has_positions else NO_POSITIONS)
        factor, unit = (3.6, "km/h") if units == vm.METRIC else (3.6 / vm.KM_PER_MILE, "mph")
        laps_s = [lap.start_s for lap in d.laps[1:]]
        self.charts.show_session(
            d.t, d.channels, d.zone_floors, self.ctx.theme, factor, unit, laps_s
        )
        self.tiles["duration"].set(vm.hms(r.duration_s))
        self.tiles["distance"].set(vm.distance(r.distance_m, units))
        self.tiles["avg_hr"].set(vm.number(r.avg_hr, ".0f", " bpm"))
        self.tiles["max_hr"].set(vm.number(d.max_hr, ".0f", " bpm"))
        self.tiles["kcal"].set(vm.number(r.kcal))
        why = f"kcal needs the athlete's {d.kcal_missing} (Settings)" if d.kcal_missing else ""
        self.tiles["kcal"].setToolTip(why)
        self.tiles["kcal"].set(vm.number(r.kcal), "kcal: set profile" if why else "kcal")
        self.tiles["trimp"].set(vm.number(d.trimp, ".0f"))
        self.tiles["rmssd"].set(vm.number(d.rmssd_ms, ".1f", " ms") if d.rr_count else "no RR")
        self.tiles["cadence"].set(vm.number(d.avg_cadence, ".0f", " /min"))
        self.zones.set(d.zone_s, -1, self.ctx.theme, d.rest_s)
        self.laps.setRowCount(len(d.laps))
        for i, lap in enumerate(d.laps):
            for col, text in enumerate(
                [str(lap.number), vm.hms(lap.duration_s), vm.number(lap.avg_hr)]
            ):
                self.laps.setItem(i, col, QTableWidgetItem(text))
        self.sets.setRowCount(len(d.sets))
        self.sets.setVisible(bool(d.sets))
        self.set_editing.bar.setVisible(bool(d.sets))
        for i, s in enumerate(d.sets):
            values = [
                s.exercise,
                vm.number(s.reps),
                vm.weight(s.weight_kg, units),
                vm.number(s.rpe, ".1f"),
                f"{vm.number(s.avg_hr)}/{vm.number(s.max_hr)}",
                vm.number(s.hr_recovery, ".0f", " bpm"),
            ]
            for col, text in enumerate(values):
                self.sets.setItem(i, col, QTableWidgetItem(text))
        self.set_editing.update_buttons()
        rr = f"{d.rr_count} RR intervals" if d.rr_count else "no RR intervals"
        ro = " · read-only (imported client)" if d.read_only else ""
        sync = "not synced" if r.sync == "-" else r.sync
        below = all_below_note(d.zone_s, d.rest_s, d.zone_floors[0]).replace(" so far", "")
        kcal = f" · {why}" if why else ""
        self.note.setText(
            f"{rr} · {sync}{ro}{kcal} · drag to pan, wheel to zoom, click a legend entry to "
            f"hide its series{' · ' + below if below else ''}"
        )

    # Actions ------------------------------------------------------------------------

    def rename(self, title: str) -> None:
        sid = self.session_id
        assert sid is not None
        history = self.ctx.services.history
        self.ctx.bridge.run(lambda: history.rename(sid, title), self._changed)

    def _rename(self) -> None:
        if self.detail is None:
            return
        title, ok = QInputDialog.getText(self, "Rename", "Title", text=self.detail.row.title or "")
        if ok:
            self.rename(title)

    def _change_sport(self) -> None:
        sid, sport = self.session_id, self.sport_box.currentText()
        if sid is None or self.detail is None or sport == self.detail.row.sport:
            return
        history = self.ctx.services.history
        self.ctx.bridge.run(lambda: history.change_sport(sid, sport), self._changed)

    def _owner(self) -> tuple[int, bool] | None:
        return None if self.detail is None else (self.detail.athlete_id, self.detail.read_only)

    def _changed(self, _result: object = None) -> None:
        self.ctx.historyChanged.emit()
        self.reload()

    def _delete(self) -> None:
        sid = self.session_id
        if sid is None:
            return
        answer = QMessageBox.question(self, "Delete session", "Delete this session? You can "
                                      "undo from History for a few seconds.")  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self.delete()

    def delete(self) -> None:
        sid = self.session_id
        assert sid is not None

        d = self.detail
        label = None
        if d is not None and d.row.id == sid:
            title = d.row.title or d.row.sport.replace("_", " ").capitalize()
            label = f"“{title}” of {vm.local_time(d.row.started_ms, d.row.timezone)}"

        def done(_r: object) -> None:
            self.ctx.session_deleted(sid, label)
            self.navigator.show_screen("history")

        history = self.ctx.services.history
        self.ctx.bridge.run(lambda: history.delete(sid), done)

    def upload(self) -> None:
        sid = self.session_id
        if sid is None:
            return
        self.upload_btn.setEnabled(False)

        def done(count: int) -> None:
            self.upload_btn.setEnabled(True)
            self.ctx.message.emit(f"Queued for upload to {count} Strava account(s)")
            self.reload()

        def failed(exc: BaseException) -> None:
            from app.services.strava import NotLinked

            self.upload_btn.setEnabled(True)
            if isinstance(exc, NotLinked):
                self.show_problem("Not uploaded: no Strava account is linked yet.", link=True)
            else:
                self.show_problem(f"Not uploaded: {exc}")
            self.ctx.message.emit(f"Not uploaded: {exc}")

        self.ctx.bridge.run(self.ctx.services.strava.upload(sid), done, failed)

    def export_to(self, path: Path, fmt: str | None = None) -> Task | None:
        """Export in the background with progress and Cancel (format from the extension)."""
        sid = self.session_id
        assert sid is not None
        fmt = fmt or format_for(path)
        exports = self.ctx.services.exports
        notes: list[str] = []  # appended on the worker thread, read once the task is done
        return self.tasks.start(
            f"Exporting {fmt.upper()}",
            lambda progress, cancel: exports.session(
                sid, fmt, path, progress=progress, cancel=cancel, on_note=notes.append
            ),
            lambda p: self._exported(p, notes),
            unit=_UNITS.get(fmt, "steps"),
            on_error=lambda exc: f"Not exported: {exc}",
        )

    def _exported(self, path: Path, notes: list[str]) -> str:
        """The status line; what the format could not hold stays on screen too."""
        if notes:
            self.show_problem(f"Exported to {path.name}. " + " ".join(notes))
        return f"Exported to {path}" + "".join(f". {n}" for n in notes)

    def _task_finished(self, outcome: str, message: str) -> None:
        self.export_btn.setEnabled(True)
        if outcome == "failed":
            self.show_problem(message)
        self.ctx.message.emit(message)

    def _export(self, fmt: str = "tcx") -> None:
        if self.detail is None or self.tasks.running:
            return
        if fmt == "gpx" and not self.detail.has_positions:
            self.show_problem(f"Not exported: {NO_POSITIONS}. TCX or CSV keep the heart rate.")
            return
        offered = [f for f_, f in EXPORT_FORMATS if f_ != "gpx" or self.detail.has_positions]
        chosen_filter = dict(EXPORT_FORMATS)[fmt]
        name, chosen = QFileDialog.getSaveFileName(
            self, "Export session", f"pulsedeck-{self.detail.row.id}.{fmt}", ";;".join(offered),
            chosen_filter,
        )  # fmt: skip
        if not name:
            return
        path = Path(name)
        fmt = format_for(path, chosen)
        if path.suffix.lower() != f".{fmt}":
            path = path.with_name(f"{path.name}.{fmt}")
        self.export_to(path, fmt)
