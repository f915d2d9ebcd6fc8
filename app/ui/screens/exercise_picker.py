"""Gym's exercise search: a name the catalog surely knows is picked; any other name is not.

The rule is app.training.catalog's, through GymService.choices (the one `sets add` logs by):
an exact name or alias, or a confident fuzzy match, is picked as you type. Anything less is
never filed under a look-alike ("Zottman Curl" is not a Dumbbell Curl): the list offers
"Did you mean X?" (a click or Enter picks one) and a button creates the typed name as your
own exercise, as `pulsedeck sets add --create` does (it asks for nothing more either; kind,
equipment and muscles can be set later under "Your exercises…").
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QLineEdit, QListWidget, QListWidgetItem, QPushButton, QSizePolicy

from app.training.catalog import ExerciseInfo

from .. import viewmodels as vm
from ..context import AppContext


def create_text(name: str, short: bool = False) -> str:
    """The Create button's label for a typed name (`short` where the column is narrow)."""
    return f"New exercise “{name}”" if short else f"Create “{name}” as your own exercise"


class ExercisePicker(QObject):
    """Fills `matches` from what `search` holds; `picked(name)` gets the chosen exercise, or
    None while the typed name is only a suggestion away from one."""

    def __init__(
        self,
        ctx: AppContext,
        search: QLineEdit,
        matches: QListWidget,
        picked: Callable[[str | None], None],
    ) -> None:
        super().__init__(matches)
        self.ctx, self.search_box, self.matches, self.picked = ctx, search, matches, picked
        self.choices: vm.ExerciseChoices | None = None
        self.create_btn = QPushButton("")
        self.create_btn.setVisible(False)  # only while the typed name is unknown
        # A long name is elided to the column (see _create_label), never widens it.
        policy = QSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.create_btn.setSizePolicy(policy)
        matches.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.create_btn.clicked.connect(self.create)
        search.textChanged.connect(self.search)
        matches.currentItemChanged.connect(lambda item, _old: self._current(item))
        matches.itemClicked.connect(self._chosen)
        matches.itemActivated.connect(self._chosen)

    @property
    def suggesting(self) -> bool:
        """The list holds suggestions only: a name was typed and nothing surely matches it."""
        return self.choices is not None and bool(self.choices.query) and self.choices.sure is None

    @property
    def unknown_name(self) -> str:
        """The typed name while it is only suggested for (else "")."""
        return self.choices.query if self.choices is not None and self.suggesting else ""

    def search(self, text: str) -> None:
        athlete_id, gym = self.ctx.athlete.id, self.ctx.services.gym

        def done(choices: vm.ExerciseChoices) -> None:
            if self.search_box.text() == text:  # else a newer query is on its way
                self.show(choices)

        self.ctx.bridge.run(lambda: gym.choices(athlete_id, text), done)

    def refresh(self) -> None:
        """Search again (an exercise was created, renamed or deleted)."""
        self.search(self.search_box.text())

    def show(self, choices: vm.ExerciseChoices) -> None:
        self.choices = choices
        self.matches.clear()
        suggesting = self.suggesting
        for match in choices.matches:
            item = QListWidgetItem(f"Did you mean {match.name}?" if suggesting else match.name)
            item.setData(Qt.ItemDataRole.UserRole, match.name)
            self.matches.addItem(item)
        if suggesting and not choices.matches:
            item = QListWidgetItem(f"Nothing in the catalog resembles “{choices.query}”")
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.matches.addItem(item)
        writable = not self.ctx.read_only and not self.ctx.athlete.read_only
        self.create_btn.setText(self._create_label(choices.query))
        self.create_btn.setToolTip(
            f"Add “{choices.query}” to your exercises (as `sets add --create` does)"
            if writable
            else "Read-only: exercises cannot be added here."
        )
        self.create_btn.setEnabled(writable)
        self.create_btn.setVisible(suggesting)
        if suggesting:
            self.picked(None)  # a look-alike is never taken on its own
        elif choices.matches:
            self.matches.setCurrentRow(0)

    def _create_label(self, name: str) -> str:
        """The Create label that fits the list's width: the long form, else the short one
        with the name elided (the tooltip has it whole)."""
        metrics = self.create_btn.fontMetrics()
        width = self.matches.width() - 24  # the button's frame and padding
        if metrics.horizontalAdvance(create_text(name)) <= width:
            return create_text(name)
        room = max(60, width - metrics.horizontalAdvance(create_text("", short=True)))
        return create_text(metrics.elidedText(name, Qt.TextElideMode.ElideRight, room), True)

    def _current(self, item: QListWidgetItem | None) -> None:
        if item is not None and not self.suggesting:
            self.picked(str(item.data(Qt.ItemDataRole.UserRole)))

    def _chosen(self, item: QListWidgetItem) -> None:
        """A suggestion clicked or entered: the athlete chose it."""
        name = item.data(Qt.ItemDataRole.UserRole)
        if self.suggesting and name:
            self.picked(str(name))

    def create(self) -> None:
        """The typed name becomes the athlete's own exercise, then is picked."""
        if not self.suggesting or self.choices is None:
            return
        name, athlete_id = self.choices.query, self.ctx.athlete.id
        log = self.ctx.services.training_log
        self.create_btn.setEnabled(False)

        def done(made: ExerciseInfo) -> None:
            self.ctx.message.emit(
                f"Created “{made.name}” as your own exercise (change it under Your exercises…)"
            )
            self.refresh()  # now an exact name: picked

        def failed(exc: BaseException) -> None:
            self.create_btn.setEnabled(True)
            self.ctx.message.emit(f"Exercise not created: {exc}")

        self.ctx.bridge.run(lambda: log.add_exercise(athlete_id, name), done, failed)
