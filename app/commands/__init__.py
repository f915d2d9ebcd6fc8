"""CLI subcommands contributed by feature areas; each module has `register(subparsers)`.

The exit codes and UserError live here (not in app.cli) so that subcommand modules can use
them without importing the top layer.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1  # unexpected error (a bug): one line, traceback with -v
EXIT_USAGE = 2
EXIT_STORE = 3  # database locked, full, corrupt, or written by a newer Pulsedeck
EXIT_NOT_FOUND = 4
EXIT_RUNNING = 5  # another Pulsedeck is recording in this data directory
EXIT_NO_BLUETOOTH = 6
EXIT_AUTH = 7  # a feed or service refused our credentials


class UserError(Exception):
    """A mistake the user can fix; printed as one line, no traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code
