"""Training-log commands: summary, goals, prs, exercises, sets, body, zones, load, readiness.

Exit codes follow app.cli: 2 for a usage mistake, 3 storage, 4 when an athlete, goal or
exercise does not exist. No command here creates a named athlete; the ones that write (goals
add, sets add, body add/measure, exercises add, zones --model) create yourself on first use.
Each module owns its commands end to end (handlers and parser); `register` adds them in the
order `pulsedeck --help` lists them.
"""

from __future__ import annotations

import argparse

from . import body, goals, gym, load, summary


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this area's subcommands to the `pulsedeck` parser."""
    summary.register(sub)
    goals.register(sub)
    gym.register(sub)  # prs, exercises, sets
    body.register(sub)
    load.register(sub)  # zones, load, readiness
