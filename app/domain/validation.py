"""Input checks shared by the CLI, the GUI and the store: one message per refusal.

Every refusal is an `InvalidInput` (a ValueError) whose message says what was wrong and what
is accepted; the CLI shows it as one line with exit 2, the GUI next to the field.
"""

from __future__ import annotations

import math


class InvalidInput(ValueError):
    """A value the user gave that Pulsedeck refuses (the message says why)."""


def finite_number(value: object, what: str) -> float:
    """`value` as a float; refuses bools, text, NaN and infinities with a clear message."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidInput(f"{what} must be a number, not {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidInput(f"{what} must be a finite number, not {value!r}")
    return number


def in_range(value: object, what: str, low: float, high: float, unit: str = "") -> float:
    """A finite number within [low, high], else InvalidInput naming the accepted range."""
    number = finite_number(value, what)
    if not low <= number <= high:
        suffix = f" {unit}" if unit else ""
        raise InvalidInput(f"{what} must be between {low:g} and {high:g}{suffix}, not {value!r}")
    return number


def whole_number(value: object, what: str, low: int, high: int, unit: str = "") -> int:
    """An integer within [low, high] (2.0 is accepted as 2; 2.5 is not)."""
    number = in_range(value, what, low, high, unit)
    if not number.is_integer():
        raise InvalidInput(f"{what} must be a whole number, not {value!r}")
    return int(number)
