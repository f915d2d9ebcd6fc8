"""Gym mode: pick an exercise (typo-tolerant), log reps/weight/RPE with one key, rest timer."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.gym import HR_RECOVERY_S

from .. import viewmodels as vm
from ..context import AppContext, Navigator
from ..live import IDLE, LiveView
from ..widgets import card
from .exercise_picker import ExercisePicker
from .exercises_dialog import exercises_button
from .set_editing import SetEditing

#: Default rest between sets; the timer counts down from it and then up (overrun).
REST_S = 90
#: A set logged without pressing "Start" is assumed to have lasted this long.
DEFAULT_SET_S = 40
#: The form's first RPE and weight (an exercise done before starts from its last set).
DEFAULT_RPE = 7.0
DEFAULT_WEIGHT_KG = 20.0
#: What the recovery column means, for its header's tooltip.
RECOVERY_HELP = (
    f"How far heart rate fell in the {HR_RECOVERY_S:.0f} s after the set: a bigger drop "
    "means a faster recovery (e.g. 24 bpm in 60 s)."
)


class _SelectOnFocus(QObject):
    """Select a field's text when it gets the focus, so typing replaces it."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() == QEvent.Type.FocusIn and isinstance(obj, QAbstractSpinBox):
            QTimer.singleShot(0, obj.selectAll)
        return False


def recovery_text(drop: float | None) -> str:
    """The recovery column: "−24 bpm" (HR fell), "+3 bpm" (it rose), "…" until 60 s passed."""
    if drop is None:
        return "…"
    return f"−{drop:.0f} bpm" if drop >= 0 else f"+{-drop:.0f} bpm"


class GymScreen(QWidget):
    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.rows: list[vm.SetRow] = []
        self._select_on_focus = _SelectOnFocus(self)
        self.set_started_ms: int | None = None
        self.rest_started_ms: int | None = None
        self.last_logged: vm.SetRow | None = None
        self._generation = 0
        root = QHBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)

        left = QVBoxLayout()
        self.search = QLineEdit()
        self.search.setPlaceholderText("Exercise (typos are fine: 'bench prss')")
        self.search.setStyleSheet("font-size: 20px; padding: 10px;")
        left.addWidget(self.search)
        self.matches = QListWidget()
        self.matches.setMaximumHeight(210)
        self.matches.setStyleSheet("font-size: 18px;")
        left.addWidget(self.matches)
        # Picks only a sure match; else suggests, and offers to create the name (Create…).
        self.picker = ExercisePicker(ctx, self.search, self.matches, self._picked)
        left.addWidget(self.picker.create_btn)
        form_card = card()
        form = QFormLayout(form_card)
        self.exercise = QLabel("-")
        self.exercise.setStyleSheet("font-size: 22px; font-weight: 700;")
        form.addRow("Exercise", self.exercise)
        self.reps = QSpinBox()
        self.reps.setRange(1, 1000)
        self.reps.setValue(8)
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0, 1000)
        self.weight.setSingleStep(2.5)
        self.weight.setValue(DEFAULT_WEIGHT_KG)
        self.rpe = QDoubleSpinBox()
        self.rpe.setRange(0, 10)
        self.rpe.setDecimals(1)
        self.rpe.setSingleStep(0.5)
        self.rpe.setSpecialValueText("-")
        self.rpe.setValue(DEFAULT_RPE)  # most working sets are 7-9: two clicks, not sixteen
        self.rpe.setToolTip("Rate of perceived exertion: 10 = nothing left, 7 = three reps left")
        for w in (self.reps, self.weight, self.rpe):
            w.setStyleSheet("font-size: 22px; padding: 6px;")
            # The big − / + are the arrows here; typing goes straight in (focus selects all).
            w.installEventFilter(self._select_on_focus)
        form.addRow("Reps", self._stepper(self.reps, 1))
        self.weight_label = QLabel("Weight (kg)")
        form.addRow(self.weight_label, self._stepper(self.weight, 2.5))
        form.addRow("RPE", self._stepper(self.rpe, 0.5))
        left.addWidget(form_card)
        buttons = QHBoxLayout()
        self.start_btn = QPushButton("Start  (F8)")  # short: fits beside "Done" at 1024 px
        self.start_btn.setProperty("role", "big")
        self.start_btn.clicked.connect(self.start_set)
        self.done_btn = QPushButton("Done  (F9)")
        self.done_btn.setProperty("role", "primary")
        self.done_btn.setStyleSheet("font-size: 22px; padding: 16px 26px;")
        self.done_btn.clicked.connect(self.set_done)
        buttons.addWidget(self.start_btn, 1)
        buttons.addWidget(self.done_btn, 1)
        left.addLayout(buttons)
        self.hint = QLabel("")
        self.hint.setProperty("role", "muted")
        self.hint.setWordWrap(True)
        left.addWidget(self.hint)
        # Under the search it belongs to (beside Edit/Delete set it pushed Gym past 1024 px).
        self.exercises_btn = exercises_button(ctx, self, self._exercises_changed)
        left.addWidget(self.exercises_btn, 0, Qt.AlignmentFlag.AlignLeft)
        left.addStretch(1)
        root.addLayout(left, 2)

        right = QVBoxLayout()
        timer_card = card()
        tl = QVBoxLayout(timer_card)
        self.timer_caption = QLabel("REST")
        self.timer_caption.setProperty("role", "metricname")
        self.timer_label = QLabel("--:--")
        self.timer_label.setStyleSheet("font-size: 96px; font-weight: 800;")
        self.hr_label = QLabel("HR -")
        self.hr_label.setStyleSheet("font-size: 30px; font-weight: 700;")
        tl.addWidget(self.timer_caption)
        tl.addWidget(self.timer_label)
        tl.addWidget(self.hr_label)
        right.addWidget(timer_card)
        self.table = QTableWidget(0, 6)
        headers = [QTableWidgetItem(t) for t in
                   ("Exercise", "Reps", "kg", "RPE", "HR\navg/max", "HR drop\n60 s")]  # fmt: skip
        for col, item in enumerate(headers):
            self.table.setHorizontalHeaderItem(col, item)
        headers[5].setToolTip(RECOVERY_HELP)
        headers[0].setTextAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._weight_header = headers[2]  # kg or lb, as the athlete's units
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        # Fits the column: the exercise name takes what is left and elides, never a scrollbar.
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(40)
        right.addWidget(self.table, 1)
        self.set_editing = SetEditing(ctx, self.table, lambda: self.rows, self._refresh_listed)
        right.addWidget(self.set_editing.bar)
        root.addLayout(right, 3)

        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._update_timer)
        self._tick.start()
        self._update_timer()
        QShortcut(QKeySequence("F8"), self).activated.connect(self.start_set)
        QShortcut(QKeySequence("F9"), self).activated.connect(self.set_done)
        ctx.liveChanged.connect(self._on_live)
        ctx.stateChanged.connect(lambda _s: self.reload())
        ctx.unitsChanged.connect(lambda _u: self._units_changed())
        self._units_changed()
        if ctx.read_only:
            for b in (self.start_btn, self.done_btn):
                b.setEnabled(False)
                b.setToolTip("The data folder is read-only: sets cannot be saved.")
        self.picker.search("")
        self.reload()

    @staticmethod
    def _stepper(box: QSpinBox | QDoubleSpinBox, step: float) -> QWidget:
        """The field with big − / + buttons: usable with chalky fingers on a gym floor."""
        row = QWidget()
        lay = QHBoxLayout(row)
        lay.setContentsMargins(0, 0, 0, 0)
        minus, plus = QPushButton("−"), QPushButton("+")
        for button, sign, name in ((minus, -1, "Decrease"), (plus, 1, "Increase")):
            button.setFixedWidth(56)
            button.setStyleSheet("font-size: 24px; font-weight: 700; padding: 4px;")
            button.setAccessibleName(name)
            button.clicked.connect(lambda _c=False, s=sign: box.setValue(box.value() + s * step))
        lay.addWidget(minus)
        lay.addWidget(box, 1)
        lay.addWidget(plus)
        return row

    def activate(self) -> None:
        self.reload()
        self._on_live(self.ctx.last_view)  # now, not at the next live tick
        self.search.setFocus()

    def _units_changed(self) -> None:
        unit = "lb" if self.ctx.units == vm.IMPERIAL else "kg"
        self.weight_label.setText(f"Weight ({unit})")
        self._weight_header.setText(unit)
        self._show_rows()

    def _picked(self, name: str | None) -> None:
        """The exercise sets are logged under (None: none until one is chosen or created)."""
        self.exercise.setText(name or "-")
        if not name:
            return
        athlete_id, gym = self.ctx.athlete.id, self.ctx.services.gym

        def done(last: vm.SetRow | None) -> None:
            if last is None or self.exercise.text() != name:
                return  # never done: keep the form as it is
            if last.reps:
                self.reps.setValue(last.reps)
            if last.weight_kg is not None:
                w = last.weight_kg * (vm.LB_PER_KG if self.ctx.units == vm.IMPERIAL else 1)
                self.weight.setValue(round(w, 1))

        self.ctx.bridge.run(lambda: gym.last_set(athlete_id, name), done)

    def reload(self) -> None:
        sid = self.ctx.session_id
        if sid is None:
            self._set_rows([])
            self.hint.setText("Start a recording on the dashboard to see HR during each set "
                              "(sets are still saved without one).")  # fmt: skip
            return
        self.hint.setText("F8 starts a set, F9 logs it and starts the rest timer.")
        self._generation += 1
        generation = self._generation

        def done(rows: list[vm.SetRow]) -> None:
            if generation == self._generation:  # a set logged meanwhile is not lost
                self._set_rows(rows)

        gym = self.ctx.services.gym
        self.ctx.bridge.run(lambda: gym.sets(sid), done)

    def _set_rows(self, rows: list[vm.SetRow]) -> None:
        self.rows = rows
        self._show_rows()

    def _exercises_changed(self) -> None:
        self.picker.refresh()  # a renamed, new or deleted exercise in the matches
        self._refresh_listed()  # and in the sets (renamed)
        self.ctx.historyChanged.emit()

    def _refresh_listed(self) -> None:
        """After an edit or delete: the listed sets re-read (records replayed), deleted gone."""
        ids, gym = [r.id for r in self.rows], self.ctx.services.gym
        self._generation += 1
        generation = self._generation

        def done(rows: list[vm.SetRow]) -> None:
            if generation == self._generation:
                by_id = {r.id: r for r in rows}
                self._set_rows([by_id[i] for i in ids if i in by_id])

        self.ctx.bridge.run(lambda: gym.sets_by_id(ids), done)

    def _show_rows(self) -> None:
        units = self.ctx.units
        self.table.setRowCount(len(self.rows))
        for i, r in enumerate(self.rows):
            values = [
                r.exercise + ("  ★ PR" if r.is_pr else ""),
                vm.number(r.reps),
                vm.weight(r.weight_kg, units).rsplit(" ", 1)[0],  # the unit is in the header
                vm.number(r.rpe, ".1f"),
                f"{vm.number(r.avg_hr)}/{vm.number(r.max_hr)}",
                recovery_text(r.hr_recovery),
            ]
            for col, text in enumerate(values):
                item = QTableWidgetItem(text)
                if col == 0:
                    item.setToolTip(r.exercise)
                self.table.setItem(i, col, item)
        self.set_editing.update_buttons()

    def start_set(self) -> None:
        self.set_started_ms = self.ctx.now_ms()
        self.rest_started_ms = None
        self.timer_caption.setText("SET")

    def set_done(self) -> None:
        """Log the set with what the form shows; the rest timer starts."""
        name = self.exercise.text()
        if name == "-":
            unknown = self.picker.unknown_name
            self.ctx.message.emit(
                f"“{unknown}” is not in the catalog: pick a suggestion or create it"
                if unknown else "Pick an exercise first"
            )  # fmt: skip
            return
        end = self.ctx.now_ms()
        start = self.set_started_ms or end - DEFAULT_SET_S * 1000
        sid = self.ctx.session_id
        reps = self.reps.value()
        weight = vm.weight_to_kg(self.weight.value(), self.ctx.units) or None
        rpe = self.rpe.value() or None
        athlete_id = self.ctx.athlete.id
        gym, recorder = self.ctx.services.gym, self.ctx.services.recorder
        self.done_btn.setEnabled(False)

        async def work() -> vm.SetRow:
            if sid is not None and recorder.recording is not None:
                await recorder.flush()  # the set's HR must be committed before it is read
            import asyncio

            return await asyncio.to_thread(
                gym.log_set, sid, athlete_id, name, reps, weight, rpe, start, end
            )

        def done(row: vm.SetRow) -> None:
            self.done_btn.setEnabled(not self.ctx.read_only)
            self.last_logged = row
            self.set_started_ms = None
            self.rest_started_ms = end
            self.timer_caption.setText("REST")
            self._generation += 1  # list answers requested before this set are stale
            self._set_rows([*self.rows, row])
            pr = " · new personal record!" if row.is_pr else ""
            load = vm.weight(row.weight_kg, self.ctx.units)
            self.ctx.message.emit(f"Logged {row.exercise} {row.reps}×{load}{pr}")
            if sid is not None:
                QTimer.singleShot(int((HR_RECOVERY_S + 2) * 1000), lambda: self._recovery(row.id))

        def failed(exc: BaseException) -> None:
            self.done_btn.setEnabled(True)
            self.ctx.message.emit(f"Set not saved: {exc}")

        self.ctx.bridge.run(work(), done, failed)

    def _recovery(self, set_id: int) -> None:
        gym, recorder = self.ctx.services.gym, self.ctx.services.recorder

        async def work() -> vm.SetRow | None:
            if recorder.recording is not None:
                await recorder.flush()
            import asyncio

            return await asyncio.to_thread(gym.set_recovery, set_id)

        def done(row: vm.SetRow | None) -> None:
            if row is not None:
                self._set_rows([row if r.id == row.id else r for r in self.rows])

        self.ctx.bridge.run(work(), done)

    def _update_timer(self) -> None:
        now = self.ctx.now_ms()
        if self.set_started_ms is not None:
            self.timer_label.setText(vm.hms((now - self.set_started_ms) / 1000))
        elif self.rest_started_ms is not None:
            left = REST_S - (now - self.rest_started_ms) / 1000
            text = vm.hms(abs(left))
            self.timer_label.setText(text if left >= 0 else f"+{text}")
        else:
            self.timer_label.setText("0:00")
            self.timer_caption.setText("READY")

    def _on_live(self, view: LiveView) -> None:
        if view.state == IDLE or view.hr is None:
            self.hr_label.setText("HR -")
        else:
            # "below Z1", not "rest": the rest timer above owns that word.
            zone = f"Z{view.zone}" if view.zone else "below Z1"
            self.hr_label.setText(f"HR {view.hr} bpm · {zone}")
