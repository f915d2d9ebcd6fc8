"""KEEP: "leave this field as it is" in an edit, so that None can mean "clear it".

One rule for every correction (service, CLI, GUI): a field given as KEEP is unchanged, None
empties a field that may be empty (a set's RPE, its weight: bodyweight), a value replaces it.
"""

from __future__ import annotations

from enum import Enum
from typing import Final, TypeVar

T = TypeVar("T")


class Keep(Enum):
    """The type of KEEP (a one-member enum, so type checkers narrow `x is KEEP`)."""

    KEEP = "keep"

    def __repr__(self) -> str:
        return "KEEP"


KEEP: Final = Keep.KEEP


def kept(new: T | Keep, old: T) -> T:
    """The field's value after an edit: `old` when the edit says KEEP, else `new`."""
    return old if isinstance(new, Keep) else new
