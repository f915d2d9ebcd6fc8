"""The contract every sample source meets: the recorder treats BLE, feeds, simulator alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol

from app.domain.samples import Sample


class SampleSource(Protocol):
    """Anything that yields samples until it is exhausted or its task is cancelled."""

    name: str
    kind: str  # hr | rsc | csc | power | ftms | feed | simulator

    def samples(self) -> AsyncIterator[Sample]: ...
