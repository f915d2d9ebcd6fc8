"""Text from elsewhere made safe for a terminal and a log: controls escaped, Unicode kept.

A feed server's error text, a close reason or a name stored by an older version may hold
ANSI escape sequences (which recolour, move the cursor or retitle a terminal), carriage
returns and newlines (which forge log lines) or bidirectional overrides (which make text
display as something else). `escape_controls` turns each such character into a visible
escape (`\\x1b`, `\\n`, `\\u202e`), so an escape sequence loses its ESC and prints as
harmless text; letters, accents, CJK and emoji are kept as they are.

This is for showing text. Writers of stored text (XML, spreadsheets) drop what their
format cannot hold instead: `app.domain.validation.printable`.
"""

from __future__ import annotations

import logging
import re
from typing import Any

#: C0 controls (with tab, LF, CR and ESC), DEL, C1 controls (with CSI and NEL), line and
#: paragraph separators, and the bidirectional marks, embeddings, overrides and isolates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_controls(text: str) -> str:
    """`text` with every control, separator and bidi character shown as an escape."""
    if text.isascii() and text.isprintable():  # the common case: nothing to do
        return text
    return _UNSAFE.sub(_escape, text)


class EscapingFormatter(logging.Formatter):
    """A log formatter whose every line is safe: the message and tracebacks are escaped.

    A record's message (with its arguments) becomes one line; a traceback keeps its own line
    breaks, each line escaped.
    """

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def formatException(self, ei: Any) -> str:  # noqa: N802
        text = super().formatException(ei)
        # An exception's own message may hold line breaks that would forge lines: escape it
        # whole first (for each exception of the chain), then every line of the traceback.
        seen: set[int] = set()
        exc = ei[1] if isinstance(ei, tuple) else None
        while isinstance(exc, BaseException) and id(exc) not in seen:
            seen.add(id(exc))
            try:
                message = str(exc)
            except Exception:  # a broken __str__ is printed as such by traceback
                message = ""
            if message:
                text = text.replace(message, escape_controls(message))
            exc = exc.__cause__ or exc.__context__
        return "\n".join(escape_controls(line) for line in text.split("\n"))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return "\n".join(escape_controls(line) for line in stack_info.split("\n"))
