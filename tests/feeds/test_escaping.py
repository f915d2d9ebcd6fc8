"""Text from a feed never drives the terminal (issue 16 #6): controls are shown as escapes."""

from __future__ import annotations

import io
import logging

import pytest

from app.domain.text import EscapingFormatter, escape_controls

HOSTILE = "upstream \x1b[2J\x1b]0;pwned\x07down\r\nERROR forged line\u202egnp.exe\x9b31m"


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("Zoë Ångström 日本 👩\u200d💻", "Zoë Ångström 日本 👩\u200d💻"),  # Unicode kept
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # ESC loses its power
        ("a\nb\rc\td", "a\\nb\\rc\\td"),  # no forged lines
        ("\x00\x07\x7f\x85\x9b", "\\x00\\x07\\x7f\\x85\\x9b"),  # C0, DEL, C1 (NEL, CSI)
        ("\u202eevil\u2066\u2028", "\\u202eevil\\u2066\\u2028"),  # bidi, line separator
    ],
)
def test_escape_controls_shows_controls_and_keeps_unicode(raw: str, shown: str) -> None:
    assert escape_controls(raw) == shown


def test_every_log_line_is_escaped_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(EscapingFormatter("%(levelname)s %(name)s: %(message)s"))
    log = logging.getLogger("test.escaping")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("feed %s: server error: %s", "ws://h", HOSTILE)
        try:
            raise ValueError(HOSTILE)
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
        log.propagate = True
    text = stream.getvalue()
    assert "\x1b" not in text and "\x9b" not in text and "\u202e" not in text
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0].startswith("WARNING test.escaping: feed ws://h: server error: upstream \\x1b")
    assert not any(line.startswith("ERROR forged") for line in lines)
    assert lines[1] == "ERROR test.escaping: failed" and lines[2].startswith("Traceback")
