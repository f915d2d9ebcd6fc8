"""Where Pulsedeck keeps its data: --data-dir, else $PULSEDECK_HOME, else the user data dir."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

ENV_HOME = "PULSEDECK_HOME"


def resolve_data_dir(cli_value: str | os.PathLike[str] | None = None) -> Path:
    """The data directory, from the most specific setting that is given."""
    if cli_value:
        return Path(cli_value).expanduser()
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("Pulsedeck", appauthor=False))
