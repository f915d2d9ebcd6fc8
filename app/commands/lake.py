"""Subcommands for this feature area (filled in by the feature's issue)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this area's subcommands to the `pulsedeck` parser."""
