"""Input checks shared by the CLI, the GUI and the store: one message per refusal.

Every refusal is an `InvalidInput` (a ValueError) whose message says what was wrong and what
is accepted; the CLI shows it as one line with exit 2, the GUI next to the field.
"""

from __future__ import annotations

import math
import re
from datetime import date


class InvalidInput(ValueError):
    """A value the user gave that Pulsedeck refuses (the message says why)."""


#: The longest range of days a daily or weekly view reads at once (ten years).
MAX_RANGE_DAYS = 3660


def check_day_range(first: date, last: date, start: str = "--from", end: str = "--to") -> None:
    """Refuse a range of days that ends before it starts or spans more than ten years."""
    if last < first:
        raise InvalidInput(f"{end} is before {start}")
    if (last - first).days > MAX_RANGE_DAYS:
        raise InvalidInput("at most ten years at a time")


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


#: Longest athlete name and session title (the database columns' sizes).
NAME_MAX = 120
TITLE_MAX = 200

#: Characters that are never part of a name or title: C0/C1 controls and DEL (they make XML
#: invalid, break spreadsheets and can drive a terminal: ANSI escapes), line and paragraph
#: separators, and the bidirectional overrides that make text display as something else.
_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff\ud800-\udfff]"
)
#: What an XML 1.0 document or an XLSX cell cannot hold at all (tab, LF and CR can stay).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")


def _text(value: object, what: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be text, not {value!r}")
    text = value.strip()
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        raise InvalidInput(
            f"{what} {ascii(text)} contains a control character ({ascii(bad.group())}); "
            "use plain text"
        )
    if len(text) > limit:
        raise InvalidInput(f"{what} is {len(text)} characters long; at most {limit}")
    return text


def athlete_name(value: object) -> str:
    """An athlete name as stored: trimmed, not empty, no control characters, <= NAME_MAX."""
    name = _text(value, "athlete name", NAME_MAX)
    if not name:
        raise InvalidInput("an athlete name cannot be empty or blank")
    return name


def session_title(value: object) -> str | None:
    """A session title as stored: trimmed, one line, no control characters; blank is None."""
    if value is None:
        return None
    return _text(value, "title", TITLE_MAX) or None


def note_text(value: object) -> str | None:
    """A free-form note: several lines and tabs allowed, other control characters not."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"a note must be text, not {value!r}")
    unified = value.replace("\r\n", "\n").replace("\t", " ")
    lines = [_text(line, "note", len(line)) for line in unified.split("\n")]
    return "\n".join(lines).strip() or None


def printable(text: str) -> str:
    """`text` with what XML and spreadsheets cannot hold removed (writers of stored text)."""
    return _NOT_XML.sub("", text)


def clean_name(text: str, fallback: str) -> str:
    """A name from elsewhere (a lake, a feed) made storable: controls dropped, else fallback."""
    name = " ".join(_FORBIDDEN.sub(" ", text).split())[:NAME_MAX]
    return name or fallback
