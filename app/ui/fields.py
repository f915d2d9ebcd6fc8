"""Form fields that accept typing at once: an optional number shown as "not set" when empty.

A QSpinBox at its special value keeps "not set" in its line edit, so typed digits were appended
to it and refused until the user selected all. These select the text on focus and replace the
special text with the first digit typed.
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFocusEvent, QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QDoubleSpinBox, QSpinBox

NOT_SET = "not set"


def _typed_over_special(box: QAbstractSpinBox, event: QKeyEvent) -> None:
    if box.lineEdit().text() == box.specialValueText() and event.text()[:1].isdigit():
        box.lineEdit().selectAll()  # the digit replaces "not set"


class OptionalSpin(QSpinBox):
    """An integer or "not set" (the minimum); typing replaces "not set"."""

    def __init__(self, low: int, high: int, suffix: str = "", tip: str = "") -> None:
        super().__init__()
        self.setRange(low - 1, high)
        self.setSpecialValueText(NOT_SET)
        self.setValue(low - 1)
        self.setAccelerated(True)
        self.setSuffix(suffix)
        self.setToolTip(tip)

    def value_or_none(self) -> int | None:
        return None if self.value() == self.minimum() else self.value()

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        QTimer.singleShot(0, self.selectAll)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        _typed_over_special(self, event)
        super().keyPressEvent(event)


class OptionalDoubleSpin(QDoubleSpinBox):
    """A decimal or "not set" (0); typing replaces "not set"."""

    def __init__(self, high: float, decimals: int = 1) -> None:
        super().__init__()
        self.setRange(0, high)
        self.setDecimals(decimals)
        self.setSpecialValueText(NOT_SET)
        self.setAccelerated(True)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt's name
        super().focusInEvent(event)
        QTimer.singleShot(0, self.selectAll)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        _typed_over_special(self, event)
        super().keyPressEvent(event)


__all__ = ["NOT_SET", "OptionalDoubleSpin", "OptionalSpin"]
