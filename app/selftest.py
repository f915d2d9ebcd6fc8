"""`pulsedeck --self-test`: prove an installation works offline (built by the installer issue)."""

from __future__ import annotations


def run_self_test() -> int:
    """Run every check and print a one-line report; non-zero names what failed."""
    raise NotImplementedError("self-test is being built (issue 9)")
