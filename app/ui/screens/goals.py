"""Goals: daily/weekly progress bars, live during a recording; add and retire goals."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.goals import Goal

from .. import viewmodels as vm
from ..context import AppContext
from ..goal_progress import KINDS, PERIODS
from ..widgets import card

#: How the form names each kind, its unit (metric, imperial) and a sensible first target.
KIND_FORM: dict[str, tuple[str, str, str, float]] = {
    "active_min": ("Active minutes", "min", "min", 30),
    "steps": ("Steps", "steps", "steps", 8000),
    "distance": ("Distance", "km", "mi", 5),
    "sessions": ("Sessions", "sessions", "sessions", 3),
    "kcal": ("Active calories", "kcal", "kcal", 400),
    "zone_min": ("Minutes in a zone", "min", "min", 20),
    "streak": ("Weeks in a row with a session", "weeks", "weeks", 4),
    "weight": ("Body weight", "kg", "lb", 70),
    "reps": ("Repetitions", "reps", "reps", 100),
}
#: Kinds counted in whole units (no decimals in the target).
WHOLE = {"steps", "sessions", "streak", "reps", "kcal", "active_min", "zone_min"}


def goals_count(n: int, live: bool) -> str:
    """ "1 goal", "3 goals", with a note while a recording counts towards them."""
    text = f"{n} goal" + ("" if n == 1 else "s")
    return text + (" · live (includes the recording)" if live else "")


class GoalsScreen(QWidget):
    def __init__(self, ctx: AppContext, window: QWidget) -> None:
        super().__init__()
        self.ctx = ctx
        self.items: list[vm.GoalItem] = []
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setColumnStretch(1, 1)
        self.grid.setVerticalSpacing(14)
        self.scroll_area.setWidget(self.body)
        root.addWidget(self.scroll_area, 1)
        add = card()
        row = QHBoxLayout(add)
        row.addWidget(QLabel("New goal"))
        self.kind = QComboBox()
        for kind in KINDS:
            self.kind.addItem(KIND_FORM.get(kind, (kind,))[0], kind)
        self.kind.setAccessibleName("What to count")
        self.period = QComboBox()
        for period in PERIODS:
            self.period.addItem(period.capitalize(), period)
        self.period.setAccessibleName("Per")
        self.target = QDoubleSpinBox()
        self.target.setRange(0, 1_000_000)
        self.target.setAccessibleName("Target")
        self.zone = QSpinBox()
        self.zone.setRange(1, 5)
        self.zone.setValue(2)
        self.zone.setPrefix("in zone ")
        self.zone.setAccessibleName("Zone")
        self.kind.currentIndexChanged.connect(lambda _i: self._kind_changed())
        self.add_btn = QPushButton("Add goal")
        self.add_btn.setProperty("role", "primary")
        self.add_btn.clicked.connect(self._add)
        for w in (self.kind, self.period, self.target, self.zone, self.add_btn):
            row.addWidget(w)
        row.addStretch(1)
        root.addWidget(add)
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        root.addWidget(self.status)
        ctx.goalsChanged.connect(self.show_items)
        ctx.unitsChanged.connect(lambda _u: self.show_items(self.items))
        ctx.unitsChanged.connect(lambda _u: self._kind_changed())
        ctx.athleteChanged.connect(lambda _a: self._editable())
        self.kind.setCurrentIndex(max(0, self.kind.findData("active_min")))
        self._kind_changed()
        self.show_items(ctx.last_goals)
        self._editable()

    def _kind_changed(self) -> None:
        """Only the fields that apply, with the unit and a first target for this kind."""
        kind = self.kind.currentData()
        label, metric, imperial, default = KIND_FORM.get(kind, (kind, "", "", 1))
        unit = imperial if self.ctx.units == vm.IMPERIAL else metric
        self.target.setSuffix(f" {unit}" if unit else "")
        self.target.setDecimals(0 if kind in WHOLE else 1)
        self.target.setValue(default)
        self.zone.setVisible(kind == "zone_min")

    def activate(self) -> None:
        self.ctx.refresh_goals()

    def _editable(self) -> None:
        self.add_btn.setEnabled(not self.ctx.athlete.read_only and not self.ctx.read_only)

    def show_items(self, items: list[vm.GoalItem]) -> None:
        self.items = list(items)
        while self.grid.count():
            taken = self.grid.takeAt(0)
            w = taken.widget() if taken is not None else None
            if w is not None:
                w.deleteLater()
        units = self.ctx.units
        t = self.ctx.theme
        if not items:
            empty = QLabel("No goals yet: add one below (e.g. 30 active minutes daily).")
            empty.setProperty("role", "muted")
            self.grid.addWidget(empty, 0, 0, 1, 3)
        for i, item in enumerate(items):
            name = QLabel(item.label(units))
            name.setStyleSheet("font-size: 18px; font-weight: 600;")
            bar = QProgressBar()
            bar.setRange(0, 1000)
            bar.setValue(int(item.fraction * 1000))
            bar.setFormat(item.progress_text(units))
            bar.setMinimumHeight(34)
            if item.achieved:
                bar.setStyleSheet(f"QProgressBar::chunk {{ background: {t.ok}; }}")
            done = QLabel("✔ reached" if item.achieved else f"{item.fraction * 100:.0f} %")
            done.setStyleSheet(f"font-size: 16px; color: {t.ok if item.achieved else t.muted};")
            writable = not self.ctx.athlete.read_only and not self.ctx.read_only
            edit = QPushButton("Edit…")
            edit.setToolTip("Change the target (achievements it no longer supports go)")
            edit.setEnabled(writable)
            edit.clicked.connect(lambda _c=False, it=item: self._edit(it))
            remove = QPushButton("Retire…")
            remove.setEnabled(writable)
            remove.clicked.connect(lambda _c=False, it=item: self._ask_retire(it))
            self.grid.addWidget(name, i, 0)
            self.grid.addWidget(bar, i, 1)
            self.grid.addWidget(done, i, 2)
            self.grid.addWidget(edit, i, 3)
            self.grid.addWidget(remove, i, 4)
        self.grid.setRowStretch(len(items) + 1, 1)
        self.status.setText(goals_count(len(items), self.ctx.state != "idle"))

    def add_goal(self, kind: str, period: str, target: float, zone: int | None = None) -> None:
        athlete_id = self.ctx.athlete.id

        def done(_r: object) -> None:
            self.ctx.refresh_goals()

        def failed(exc: BaseException) -> None:
            self.status.setText(f"Goal not added: {exc}")

        def add() -> None:  # worker thread
            goals = self.ctx.goals
            assert goals is not None  # the goals engine starts with the data, before screens
            goals.add_goal(athlete_id, kind, period, target, zone)

        self.ctx.bridge.run(add, done, failed)

    def _stored(self, kind: str, shown: float) -> float:
        """A target as typed (lb, mi in imperial) in the units goals keep (kg, km)."""
        if kind == "weight":
            return vm.weight_to_kg(shown, self.ctx.units)
        if kind == "distance" and self.ctx.units == vm.IMPERIAL:
            return shown * vm.KM_PER_MILE
        return shown

    def _shown(self, kind: str, stored: float) -> float:
        imperial = self.ctx.units == vm.IMPERIAL
        if kind == "weight" and imperial:
            return stored * vm.LB_PER_KG
        return stored / vm.KM_PER_MILE if kind == "distance" and imperial else stored

    def _add(self) -> None:
        kind = self.kind.currentData()
        target = self._stored(kind, self.target.value())
        self.add_goal(kind, self.period.currentData(), target,
                      self.zone.value() if kind == "zone_min" else None)  # fmt: skip

    def _edit(self, item: vm.GoalItem) -> None:
        decimals = 0 if item.kind in WHOLE else 1
        shown, ok = QInputDialog.getDouble(
            self, "Edit goal", f"New target for “{item.label(self.ctx.units)}”:",
            round(self._shown(item.kind, item.target), decimals), 0.1, 1_000_000, decimals,
        )  # fmt: skip
        if ok:
            self.edit_target(item.id, self._stored(item.kind, shown))

    def edit_target(self, goal_id: int, target: float) -> None:
        """Store a new target (TrainingLogService, as `goals edit`); progress is re-read."""
        athlete_id, log = self.ctx.athlete.id, self.ctx.services.training_log

        def done(goal: Goal) -> None:
            self.ctx.message.emit(f"Goal changed: {goal.describe()}")
            self.ctx.refresh_goals()

        def failed(exc: BaseException) -> None:
            self.status.setText(f"Goal not changed: {exc}")

        self.ctx.bridge.run(lambda: log.edit_goal(athlete_id, goal_id, target), done, failed)

    def _ask_retire(self, item: vm.GoalItem) -> None:
        answer = QMessageBox.question(
            self, "Retire goal",
            f"Stop tracking “{item.label(self.ctx.units)}”? Its history is kept.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )  # fmt: skip
        if answer == QMessageBox.StandardButton.Yes:
            self.retire(item.id)

    def retire(self, goal_id: int) -> None:
        athlete_id, log = self.ctx.athlete.id, self.ctx.services.training_log
        self.ctx.bridge.run(lambda: log.remove_goal(athlete_id, goal_id),
                            lambda _r: self.ctx.refresh_goals())  # fmt: skip
