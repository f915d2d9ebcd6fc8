"""The Trends screen's calendar: a month grid, each day's sessions (sport, minutes, load);
clicking one opens it. Reads `CalendarEntry` values only (from app.services.analysis)."""

from __future__ import annotations

import calendar as cal
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .. import theme as th

if TYPE_CHECKING:
    from app.services.analysis import CalendarEntry

#: Sessions shown per day cell; more read "+N more".
PER_DAY = 3
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def month_grid(month: date) -> list[date]:
    """The 42 days (6 weeks from a Monday) the grid of `month` shows."""
    first = month.replace(day=1)
    start = first - timedelta(days=first.weekday())
    return [start + timedelta(days=i) for i in range(42)]


def entry_text(sport: str, minutes: float, load: float | None) -> str:
    """E.g. "Run 45′ · 62" (load left out when the session has none)."""
    name = sport.replace("_", " ").capitalize()
    text = f"{name} {minutes:.0f}′"
    return f"{text} · {load:.0f}" if load is not None else text


class CalendarView(QWidget):
    """Month grid; `monthChanged(date)` asks for another month's entries."""

    sessionClicked = Signal(int)
    monthChanged = Signal(object)  # date: the 1st of the month now shown

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.month = date.today().replace(day=1)
        self.entries: list[CalendarEntry] = []
        self.buttons: dict[int, QPushButton] = {}
        self.cells: dict[date, QFrame] = {}
        self._theme = th.LIGHT
        self._sport_colour: dict[str, str] = {}
        #: The day cells are out of date (built on the next show: a hidden tab costs nothing).
        self.stale = False
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        self.prev_btn = QPushButton("‹")
        self.prev_btn.setAccessibleName("Previous month")
        self.prev_btn.clicked.connect(lambda: self.step(-1))
        self.next_btn = QPushButton("›")
        self.next_btn.setAccessibleName("Next month")
        self.next_btn.clicked.connect(lambda: self.step(1))
        self.title = QLabel("")
        self.title.setStyleSheet("font-size: 18px; font-weight: 700;")
        self.summary = QLabel("")
        self.summary.setProperty("role", "muted")
        head.addWidget(self.prev_btn)
        head.addWidget(self.title)
        head.addWidget(self.next_btn)
        head.addSpacing(12)
        head.addWidget(self.summary, 1)
        legend = QLabel("each entry: sport, minutes · load")
        legend.setProperty("role", "muted")
        head.addWidget(legend)
        root.addLayout(head)
        self.grid = QGridLayout()
        self.grid.setSpacing(4)
        for col, name in enumerate(WEEKDAYS):
            label = QLabel(name)
            label.setProperty("role", "muted")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.grid.addWidget(label, 0, col)
        for r in range(1, 7):
            self.grid.setRowStretch(r, 1)
        for c in range(7):
            self.grid.setColumnStretch(c, 1)
        root.addLayout(self.grid, 1)

    def step(self, months: int) -> None:
        y, m = divmod(self.month.year * 12 + self.month.month - 1 + months, 12)
        self.month = date(y, m + 1, 1)
        self.monthChanged.emit(self.month)

    def set_month(
        self,
        month: date,
        entries: Sequence[CalendarEntry],
        t: th.Theme,
        sport_colours: dict[str, str] | None = None,
    ) -> None:
        """Show `month` with `entries` (CalendarEntry values of that month's grid); the day
        cells are built now if the calendar is on screen, else when it is next shown."""
        self.month = month.replace(day=1)
        self.entries = list(entries)
        self._theme = t
        self._sport_colour = dict(sport_colours or {})
        self.title.setText(f"{cal.month_name[self.month.month]} {self.month.year}")
        in_month = [e for e in self.entries if e.day.month == self.month.month]
        minutes = sum(e.minutes for e in in_month)
        load = sum(e.load or 0.0 for e in in_month)
        self.summary.setText(
            f"{len(in_month)} sessions · {minutes / 60:.1f} h · load {load:.0f}"
            if in_month
            else "No sessions this month"
        )
        self.stale = True
        if self.isVisible():
            self._build_cells()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        if self.stale:
            self._build_cells()
        super().showEvent(event)

    def _build_cells(self) -> None:
        """The 42 day cells of the month shown, with a button per session."""
        self.stale = False
        for cell in self.cells.values():
            self.grid.removeWidget(cell)
            cell.deleteLater()
        self.cells.clear()
        self.buttons.clear()
        by_day: dict[date, list[CalendarEntry]] = defaultdict(list)
        for e in self.entries:
            by_day[e.day].append(e)
        today = date.today()
        for i, day in enumerate(month_grid(self.month)):
            cell = self._cell(day, by_day.get(day, []), day == today)
            self.cells[day] = cell
            self.grid.addWidget(cell, 1 + i // 7, i % 7)
            if self.isVisible():
                cell.show()  # built in showEvent: after Qt showed the children

    def _cell(self, day: date, entries: list[CalendarEntry], today: bool) -> QFrame:
        t = self._theme
        cell = QFrame()
        cell.setObjectName("card")
        cell.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        outside = day.month != self.month.month
        border = t.accent if today else t.border
        cell.setStyleSheet(
            f"QFrame#card {{ background: {t.window if outside else t.panel}; "
            f"border: {2 if today else 1}px solid {border}; border-radius: 6px; }}"
        )
        box = QVBoxLayout(cell)
        box.setContentsMargins(4, 2, 4, 2)
        box.setSpacing(2)
        number = QLabel(str(day.day))
        number.setStyleSheet(f"color: {t.muted if outside else t.text}; font-size: 12px;")
        box.addWidget(number)
        for e in entries[:PER_DAY]:
            sid = e.session_id
            text = entry_text(e.sport, e.minutes, e.load)
            colour = self._sport_colour.get(e.sport, t.accent)
            btn = QPushButton(text)
            btn.setToolTip(f"{e.title or text} — open the session")
            btn.setCursor(Qt.CursorShape.PointingHandCursor)
            btn.setStyleSheet(
                f"QPushButton {{ text-align: left; font-size: 12px; padding: 1px 4px; "
                f"border: none; border-left: 4px solid {colour}; border-radius: 2px; "
                f"background: {t.window}; color: {t.text}; }}"
            )
            btn.clicked.connect(lambda _c=False, s=sid: self.sessionClicked.emit(s))
            self.buttons[sid] = btn
            box.addWidget(btn)
        if len(entries) > PER_DAY:
            more = QLabel(f"+{len(entries) - PER_DAY} more")
            more.setProperty("role", "muted")
            more.setStyleSheet("font-size: 11px;")
            box.addWidget(more)
        box.addStretch(1)
        return cell


__all__ = ["CalendarView", "entry_text", "month_grid"]
