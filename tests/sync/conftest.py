"""Outbox and file-writer tests: Python's SIGPIPE disposition (see tests/strava/conftest.py)."""

from __future__ import annotations

import signal
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True)
def _python_sigpipe() -> Iterator[None]:
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGPIPE, previous)
