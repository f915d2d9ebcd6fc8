"""Settings and profile: athlete profile, units, theme, data folder, athletes."""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .. import theme as th
from .. import viewmodels as vm
from ..context import AppContext

#: Zone models offered here (custom bounds are set with `pulsedeck` training commands).
ZONE_MODELS = ("karvonen", "percent_max")


def _optional_spin(low: int, high: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low - 1, high)
    box.setSpecialValueText("not set")
    box.setValue(low - 1)
    return box


class SettingsScreen(QWidget):
    def __init__(self, ctx: AppContext, window: QWidget) -> None:
        super().__init__()
        self.ctx = ctx
        self.window_ = window
        self.profile: vm.Profile | None = None
        root = QHBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)

        prof = QGroupBox("Athlete profile")
        form = QFormLayout(prof)
        self.name = QLabel("-")
        self.name.setStyleSheet("font-size: 20px; font-weight: 700;")
        form.addRow("Athlete", self.name)
        self.birth_year = _optional_spin(1900, 2030)
        self.sex = QComboBox()
        self.sex.addItems(["not set", "male", "female"])
        self.weight = QDoubleSpinBox()
        self.weight.setRange(0, 1000)
        self.weight.setSpecialValueText("not set")
        self.resting = _optional_spin(25, 120)
        self.max_hr = _optional_spin(100, 240)
        self.zone_model = QComboBox()
        self.zone_model.addItems(list(ZONE_MODELS))
        self.weight_label = QLabel("Weight")
        form.addRow("Birth year", self.birth_year)
        form.addRow("Sex", self.sex)
        form.addRow(self.weight_label, self.weight)
        form.addRow("Resting HR", self.resting)
        form.addRow("Max HR", self.max_hr)
        form.addRow("Zone model", self.zone_model)
        self.zones = QLabel("")
        self.zones.setProperty("role", "muted")
        self.zones.setWordWrap(True)
        form.addRow("Zones", self.zones)
        self.save_btn = QPushButton("Save profile")
        self.save_btn.setProperty("role", "primary")
        self.save_btn.clicked.connect(self.save)
        form.addRow(self.save_btn)
        self.feedback = QLabel("")
        self.feedback.setWordWrap(True)
        form.addRow(self.feedback)
        root.addWidget(prof, 3)

        side = QVBoxLayout()
        app_box = QGroupBox("Display")
        af = QFormLayout(app_box)
        self.units = QComboBox()
        self.units.addItem("Metric (km, kg)", vm.METRIC)
        self.units.addItem("Imperial (mi, lb)", vm.IMPERIAL)
        self.units.activated.connect(lambda _i: self.set_units(self.units.currentData()))
        self.theme = QComboBox()
        for name in th.THEMES:
            self.theme.addItem(th.THEME_LABELS[name], name)
        self.theme.activated.connect(lambda _i: ctx.set_theme(self.theme.currentData()))
        af.addRow("Units", self.units)
        af.addRow("Theme", self.theme)
        side.addWidget(app_box)

        data = QGroupBox("Data folder")
        dl = QVBoxLayout(data)
        self.folder = QLabel(str(ctx.services.data_dir))
        self.folder.setWordWrap(True)
        dl.addWidget(self.folder)
        open_btn = QPushButton("Open folder")
        open_btn.clicked.connect(
            lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(ctx.services.data_dir)))
        )
        note = QLabel("Start Pulsedeck with --data-dir or PULSEDECK_HOME to use another folder.")
        note.setProperty("role", "muted")
        note.setWordWrap(True)
        dl.addWidget(open_btn)
        dl.addWidget(note)
        side.addWidget(data)

        people = QGroupBox("Athletes (you and your clients)")
        pl = QVBoxLayout(people)
        row = QHBoxLayout()
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("Client name")
        add = QPushButton("Add athlete")
        add.clicked.connect(self._add_athlete)
        row.addWidget(self.new_name, 1)
        row.addWidget(add)
        pl.addLayout(row)
        hint = QLabel("Switch athlete at the top right. Imported clients are read-only.")
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        pl.addWidget(hint)
        side.addWidget(people)
        side.addStretch(1)
        root.addLayout(side, 2)

        ctx.athleteChanged.connect(lambda _a: self.reload())
        ctx.themeChanged.connect(lambda t: self.theme.setCurrentIndex(self.theme.findData(t.name)))
        self.theme.setCurrentIndex(self.theme.findData(ctx.theme.name))
        self.reload()

    def activate(self) -> None:
        self.reload()

    def reload(self) -> None:
        athlete_id = self.ctx.athlete.id
        self.ctx.bridge.run(lambda: self.ctx.services.profile(athlete_id), self._show)

    def _show(self, p: vm.Profile) -> None:
        if p.athlete_id != self.ctx.athlete.id:
            return
        self.profile = p
        self.name.setText(p.name + ("  (read-only)" if p.read_only else ""))
        self.birth_year.setValue(p.birth_year or self.birth_year.minimum())
        self.sex.setCurrentText(p.sex or "not set")
        imperial = p.units == vm.IMPERIAL
        self.weight_label.setText("Weight (lb)" if imperial else "Weight (kg)")
        w = p.weight_kg or 0.0
        self.weight.setValue(w * vm.LB_PER_KG if imperial else w)
        self.resting.setValue(p.resting_hr or self.resting.minimum())
        self.max_hr.setValue(p.max_hr or self.max_hr.minimum())
        if self.zone_model.findText(p.zone_model) < 0:
            self.zone_model.addItem(p.zone_model)
        self.zone_model.setCurrentText(p.zone_model)
        self.units.setCurrentIndex(self.units.findData(p.units))
        floors = [f"Z{i} ≥ {f:.0f}" for i, f in enumerate(p.zone_floors, start=1)]
        self.zones.setText("  ".join(floors) + " bpm")
        for w_ in (self.birth_year, self.sex, self.weight, self.resting, self.max_hr,
                   self.zone_model, self.save_btn, self.units):  # fmt: skip
            w_.setEnabled(not p.read_only)

    def _value(self, box: QSpinBox) -> int | None:
        return None if box.value() == box.minimum() else box.value()

    def save(self) -> None:
        p = self.profile
        if p is None:
            return
        units = self.units.currentData()
        fields: dict[str, object] = {
            "birth_year": self._value(self.birth_year),
            "sex": None if self.sex.currentText() == "not set" else self.sex.currentText(),
            "weight_kg": vm.weight_to_kg(self.weight.value(), units) or None,
            "resting_hr": self._value(self.resting),
            "max_hr": self._value(self.max_hr),
            "zone_model": self.zone_model.currentText(),
        }
        self.save_btn.setEnabled(False)

        def done(profile: vm.Profile) -> None:
            self.feedback.setText("Saved.")
            self._show(profile)

        def failed(exc: BaseException) -> None:
            self.save_btn.setEnabled(True)
            self.feedback.setText(f"Not saved: {exc}")

        self.ctx.bridge.run(lambda: self.ctx.services.save_profile(p.athlete_id, **fields),
                            done, failed)  # fmt: skip

    def set_units(self, units: str) -> None:
        """Store the athlete's units and apply them everywhere at once."""
        athlete_id = self.ctx.athlete.id
        self.units.setCurrentIndex(self.units.findData(units))

        def done(_p: vm.Profile) -> None:
            self.ctx.set_units(units)
            self.reload()

        self.ctx.bridge.run(lambda: self.ctx.services.save_profile(athlete_id, units=units), done)

    def _add_athlete(self) -> None:
        name = self.new_name.text()

        def done(item: vm.AthleteItem) -> None:
            self.new_name.clear()
            self.window_.reload_athletes(select_id=item.id)  # type: ignore[attr-defined]

        def failed(exc: BaseException) -> None:
            self.feedback.setText(f"Not added: {exc}")

        self.ctx.bridge.run(lambda: self.ctx.services.add_athlete(name), done, failed)
