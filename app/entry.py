"""The `pulsedeck` console entry, kept tiny: Ctrl+C while Python still loads exits quietly."""

from __future__ import annotations

import sys


def run() -> None:
    """Load the CLI and run it; an interrupt during loading is exit 130 with no traceback."""
    try:
        from app.cli import run as cli_run
    except KeyboardInterrupt:
        sys.exit(130)  # app.commands.common.EXIT_INTERRUPTED, not imported yet on purpose
    cli_run()
