"""Settings and profile: athlete profile, units, theme, Strava, data folder, athletes."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from .. import theme as th
from .. import viewmodels as vm
from ..context import AppContext, Navigator
from ..fields import OptionalDoubleSpin, OptionalSpin
from ..live import IDLE
from .lake_id import LakeIdPanel
from .settings_parts import (  # noqa: F401 - FLOOR_* re-exported for tests
    CUSTOM,
    FLOOR_MAX,
    FLOOR_MIN,
    TWO_COLUMNS_PX,
    ZONE_MODELS,
    floors_problem,
    similar_names,
)
from .strava_panel import StravaPanel
from .watch_folder_box import WatchFolderBox


class SettingsScreen(QWidget):
    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.navigator = window
        self.profile: vm.Profile | None = None
        #: Saved zones that the screens reload once the running recording stops.
        self._zones_pending = False
        # The whole screen scrolls vertically (a custom-bounds form or the Strava panel can be
        # taller than a 640 px window); the two columns never need a horizontal scroll.
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        body.setObjectName("settingsBody")
        body.setStyleSheet("QWidget#settingsBody { background: transparent; }")
        self.scroll_area.setWidget(body)
        self.scroll_area.viewport().setAutoFillBackground(False)
        outer.addWidget(self.scroll_area)
        root = QBoxLayout(QBoxLayout.Direction.LeftToRight, body)
        root.setContentsMargins(0, 0, 4, 0)
        self.columns = root

        prof = QGroupBox("Athlete profile")
        form = QFormLayout(prof)
        self.name = QLabel("-")
        self.name.setStyleSheet("font-size: 20px; font-weight: 700;")
        form.addRow("Athlete", self.name)
        self.birth_year = OptionalSpin(1900, 2030)
        self.sex = QComboBox()
        self.sex.addItems(["not set", "male", "female"])
        self.weight = OptionalDoubleSpin(1000)
        self.resting = OptionalSpin(25, 120)
        self.max_hr = OptionalSpin(100, 240)
        # The load model's thresholds (app.training.load checks them, as `zones --ftp`).
        self.ftp = OptionalSpin(30, 2000, " W", "Functional threshold power: TSS of power rides")
        self.threshold_hr = OptionalSpin(60, 230, " bpm", "Lactate threshold HR (training load)")
        self.zone_model = QComboBox()
        for value, text in ZONE_MODELS:
            self.zone_model.addItem(text, value)
        self.zone_model.currentIndexChanged.connect(lambda _i: self._custom_visible())
        # Five "zone N starts at" boxes in a compact grid, labels in the zone colours.
        self.custom_box = QWidget()
        self.custom_box.setObjectName("zoneFloors")
        self.custom_box.setStyleSheet("QWidget#zoneFloors { background: transparent; }")
        grid = QGridLayout(self.custom_box)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        self.floor_boxes: list[QSpinBox] = []
        self.floor_labels: list[QLabel] = []
        for zone in range(1, 6):
            label = QLabel(f"Zone {zone}")
            box = QSpinBox()
            box.setRange(FLOOR_MIN, FLOOR_MAX)
            box.setSuffix(" bpm")
            box.setAccessibleName(f"Zone {zone} lower bound")
            box.setToolTip(f"Heart rate where zone {zone} starts")
            box.valueChanged.connect(lambda _v: self._check_floors())
            label.setBuddy(box)
            # Three a row: the form fits 1024 px wide windows without a horizontal scroll.
            row, col = divmod(zone - 1, 3)
            grid.addWidget(label, 2 * row, col)
            grid.addWidget(box, 2 * row + 1, col)
            self.floor_labels.append(label)
            self.floor_boxes.append(box)
        grid.setColumnStretch(3, 1)
        self.floors_error = QLabel("")
        self.floors_error.setWordWrap(True)
        self.weight_label = QLabel("Weight")
        form.addRow("Birth year", self.birth_year)
        form.addRow("Sex", self.sex)
        form.addRow(self.weight_label, self.weight)
        form.addRow("Resting HR", self.resting)
        form.addRow("Max HR", self.max_hr)
        form.addRow("FTP", self.ftp)
        form.addRow("Threshold HR", self.threshold_hr)
        form.addRow("Zone model", self.zone_model)
        form.addRow("Zone starts", self.custom_box)
        form.addRow("", self.floors_error)
        self.zones = QLabel("")
        self.zones.setProperty("role", "muted")
        self.zones.setWordWrap(True)
        form.addRow("Zones in use", self.zones)
        self.form = form
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

        self.strava = StravaPanel(ctx)
        side.addWidget(self.strava)
        self.lake_id = LakeIdPanel(ctx)
        side.addWidget(self.lake_id)

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
        self.watch = WatchFolderBox(ctx)
        side.addWidget(self.watch)

        people = QGroupBox("Athletes (you and your clients)")
        pl = QVBoxLayout(people)
        add_row = QHBoxLayout()
        self.new_name = QLineEdit()
        self.new_name.setPlaceholderText("Client name")
        add = QPushButton("Add athlete")
        add.clicked.connect(self._add_athlete)
        self.add_btn = add
        add_row.addWidget(self.new_name, 1)
        add_row.addWidget(add)
        pl.addLayout(add_row)
        hint = QLabel("Switch athlete at the top right. Imported clients are read-only.")
        hint.setProperty("role", "muted")
        hint.setWordWrap(True)
        pl.addWidget(hint)
        side.addWidget(people)
        side.addStretch(1)
        side.setContentsMargins(0, 0, 0, 0)
        root.addLayout(side, 2)
        self.side_scroll = self.scroll_area

        ctx.athleteChanged.connect(lambda _a: self._athlete_switched())
        ctx.themeChanged.connect(lambda t: self.theme.setCurrentIndex(self.theme.findData(t.name)))
        self.theme.setCurrentIndex(self.theme.findData(ctx.theme.name))
        ctx.themeChanged.connect(lambda _t: self._check_floors())
        ctx.recordingStopped.connect(lambda _sid, _discarded: self._zones_changed())
        self._custom_visible()
        self.reload()

    def activate(self) -> None:
        self.reload()
        self.strava.reload()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        """Two columns where they fit, else one above the other (and the screen scrolls)."""
        super().resizeEvent(event)
        narrow = self.width() < TWO_COLUMNS_PX
        want = QBoxLayout.Direction.TopToBottom if narrow else QBoxLayout.Direction.LeftToRight
        if self.columns.direction() != want:
            self.columns.setDirection(want)

    def _athlete_switched(self) -> None:
        """Nothing said about the previous athlete stays on screen ("Saved.", errors).

        athleteChanged also fires for the same athlete when saved zones must be redrawn."""
        if self.profile is not None and self.profile.athlete_id != self.ctx.athlete.id:
            self.feedback.clear()
            self.strava.say("")
        self.reload()

    def reload(self) -> None:
        athlete_id = self.ctx.athlete.id
        athletes = self.ctx.services.athletes
        self.ctx.bridge.run(lambda: athletes.profile(athlete_id), self._show)

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
        self.ftp.setValue(round(p.ftp_w) if p.ftp_w else self.ftp.minimum())
        self.threshold_hr.setValue(p.threshold_hr or self.threshold_hr.minimum())
        if self.zone_model.findData(p.zone_model) < 0:
            self.zone_model.addItem(p.zone_model, p.zone_model)
        self.zone_model.setCurrentIndex(self.zone_model.findData(p.zone_model))
        self.units.setCurrentIndex(self.units.findData(p.units))
        floors = [f"Z{i} ≥ {f:.0f}" for i, f in enumerate(p.zone_floors, start=1)]
        self.zones.setText("  ".join(floors) + " bpm")
        # Custom bounds start from the zones in use, so switching model edits what is known.
        for box, floor in zip(self.floor_boxes, p.zone_floors, strict=False):
            box.setValue(round(floor))
        writable = not p.read_only and not self.ctx.read_only
        for w_ in (self.birth_year, self.sex, self.weight, self.resting, self.max_hr,
                   self.ftp, self.threshold_hr, self.zone_model, self.save_btn, self.units,
                   *self.floor_boxes, self.add_btn, self.new_name):  # fmt: skip
            w_.setEnabled(writable)
        if self.ctx.read_only:
            self.save_btn.setToolTip("The data folder is read-only: nothing can be saved.")
        self._custom_visible()

    def _zones_changed(self) -> None:
        """The profile moved the zones: screens that draw them reload, as for an athlete switch.

        During a recording the live zones stay those it started with, so the dashboard's
        shading keeps matching its HR colours until the recording stops.
        """
        if not self._zones_pending or self.ctx.state != IDLE:
            return
        self._zones_pending = False
        self.ctx.athleteChanged.emit(self.ctx.athlete)
        self.ctx.refresh_goals()

    def custom_floors(self) -> tuple[int, ...]:
        """The five zone lower bounds entered in the custom editor, in bpm."""
        return tuple(box.value() for box in self.floor_boxes)

    def _custom_visible(self) -> None:
        custom = self.zone_model.currentData() == CUSTOM
        self.form.setRowVisible(self.custom_box, custom)
        self.form.setRowVisible(self.floors_error, custom)
        self._check_floors()

    def _check_floors(self) -> str | None:
        """Show why the custom bounds cannot be saved next to them; None when they can."""
        problem = floors_problem(self.custom_floors())
        if self.zone_model.currentData() != CUSTOM:
            problem = None
        self.floors_error.setText(problem or "")
        t = self.ctx.theme
        self.floors_error.setStyleSheet(f"color: {t.danger}; font-weight: 600;")
        for zone, label in enumerate(self.floor_labels, start=1):
            label.setStyleSheet(f"color: {th.zone_color(t, zone)}; font-weight: 700;")
        return problem

    def _value(self, box: QSpinBox) -> int | None:
        return None if box.value() == box.minimum() else box.value()

    def save(self) -> None:
        p = self.profile
        if p is None:
            return
        units = self.units.currentData()
        model = self.zone_model.currentData()
        problem = self._check_floors()
        if problem is not None:
            self.feedback.setText(f"Not saved: {problem}")
            return
        fields: dict[str, object] = {
            "birth_year": self._value(self.birth_year),
            "sex": None if self.sex.currentText() == "not set" else self.sex.currentText(),
            "weight_kg": vm.weight_to_kg(self.weight.value(), units) or None,
            "resting_hr": self._value(self.resting),
            "max_hr": self._value(self.max_hr),
            "ftp_w": self._value(self.ftp),
            "threshold_hr": self._value(self.threshold_hr),
            "zone_model": model,
        }
        if model == CUSTOM:
            fields["floors"] = self.custom_floors()
        self.save_btn.setEnabled(False)
        self.feedback.setText("Saving…")

        def done(profile: vm.Profile) -> None:
            recording = self.ctx.state != IDLE and profile.athlete_id == self.ctx.athlete.id
            later = " New zones apply from the next recording." if recording else ""
            self.feedback.setText("Saved." + later)
            self._show(profile)  # save_profile read it back from the store
            self.reload()  # and once more after everything queued before it has landed
            self._fill_kcal(profile.athlete_id)
            if profile.athlete_id == self.ctx.athlete.id:
                self._zones_pending = True
                self._zones_changed()

        def failed(exc: BaseException) -> None:
            self.save_btn.setEnabled(True)
            self.feedback.setText(f"Not saved: {exc}")

        athletes = self.ctx.services.athletes
        self.ctx.bridge.run(lambda: athletes.save_profile(p.athlete_id, **fields), done, failed)

    def _fill_kcal(self, athlete_id: int) -> None:
        """Sessions saved before the profile was complete get their kcal now."""
        athletes = self.ctx.services.athletes

        def done(filled: int) -> None:
            if filled:
                word = "session" if filled == 1 else "sessions"
                self.feedback.setText(
                    f"{self.feedback.text()} kcal worked out for {filled} earlier {word}."
                )
                self.ctx.historyChanged.emit()

        self.ctx.bridge.run(lambda: athletes.fill_missing_kcal(athlete_id), done)

    def set_units(self, units: str) -> None:
        """Store the athlete's units and apply them everywhere at once."""
        athlete_id = self.ctx.athlete.id
        self.units.setCurrentIndex(self.units.findData(units))

        def done(_p: vm.Profile) -> None:
            self.ctx.set_units(units)
            self.reload()

        athletes = self.ctx.services.athletes
        self.ctx.bridge.run(lambda: athletes.save_profile(athlete_id, units=units), done)

    def _add_athlete(self) -> None:
        name = self.new_name.text().strip()
        if not name:
            self.feedback.setText("Not added: type the client's name first.")
            return
        known = [self.navigator_athletes()]
        close = similar_names(name, known[0])
        if name in known[0]:
            self.feedback.setText(f"{name} already exists: pick them at the top right.")
            return
        question = f"Create a new athlete called “{name}”?"
        if close:
            question += f" (Did you mean {', '.join(close)}? They already exist.)"
        if not self.confirm(question):
            return

        def done(item: vm.AthleteItem) -> None:
            self.new_name.clear()
            self.navigator.reload_athletes(select_id=item.id)

        def failed(exc: BaseException) -> None:
            self.feedback.setText(f"Not added: {exc}")

        athletes = self.ctx.services.athletes
        self.ctx.bridge.run(lambda: athletes.add(name), done, failed)

    def navigator_athletes(self) -> list[str]:
        """The names in the athlete switcher (as the window lists them)."""
        return [a.name for a in getattr(self.navigator, "_athletes", [])]

    def confirm(self, question: str) -> bool:
        """Ask before creating an athlete (tests replace this)."""
        answer = QMessageBox.question(self, "New athlete", question)
        return answer == QMessageBox.StandardButton.Yes
