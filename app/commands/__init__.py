"""CLI subcommands contributed by feature areas; each module has `register(subparsers)`.

The exit codes and UserError live here (not in app.cli) so that subcommand modules can use
them without importing the top layer.
"""

from __future__ import annotations

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_STORE, EXIT_NOT_FOUND, EXIT_RUNNING = 0, 1, 2, 3, 4, 5


class UserError(Exception):
    """A mistake the user can fix; printed as one line, no traceback."""

    def __init__(self, message: str, code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.code = code
