"""Goals: daily/weekly progress bars, live during a recording; add and retire goals."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

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
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.body = QWidget()
        self.grid = QGridLayout(self.body)
        self.grid.setColumnStretch(1, 1)
        self.grid.setVerticalSpacing(14)
        self.scroll.setWidget(self.body)
        root.addWidget(self.scroll, 1)
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
            w = self.grid.takeAt(0).widget()
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
            remove = QPushButton("Retire")
            remove.setEnabled(not self.ctx.athlete.read_only)
            remove.clicked.connect(lambda _c=False, gid=item.id: self._remove(gid))
            self.grid.addWidget(name, i, 0)
            self.grid.addWidget(bar, i, 1)
            self.grid.addWidget(done, i, 2)
            self.grid.addWidget(remove, i, 3)
        self.grid.setRowStretch(len(items) + 1, 1)
        self.status.setText(goals_count(len(items), self.ctx.state != "idle"))

    def add_goal(self, kind: str, period: str, target: float, zone: int | None = None) -> None:
        athlete_id = self.ctx.athlete.id

        def done(_r: object) -> None:
            self.ctx.refresh_goals()

        def failed(exc: BaseException) -> None:
            self.status.setText(f"Goal not added: {exc}")

        self.ctx.bridge.run(
            lambda: self.ctx.goals.add_goal(athlete_id, kind, period, target, zone), done, failed
        )

    def _add(self) -> None:
        kind = self.kind.currentData()
        target = self.target.value()
        if kind == "weight":
            target = vm.weight_to_kg(target, self.ctx.units)
        elif kind == "distance" and self.ctx.units == vm.IMPERIAL:
            target *= vm.KM_PER_MILE  # goals keep km
        self.add_goal(kind, self.period.currentData(), target,
                      self.zone.value() if kind == "zone_min" else None)  # fmt: skip

    def _remove(self, goal_id: int) -> None:
        self.ctx.bridge.run(lambda: self.ctx.goals.remove_goal(goal_id),
                            lambda _r: self.ctx.refresh_goals())  # fmt: skip
