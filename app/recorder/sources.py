"""What a recording reads from: any async iterator of samples with a name and a kind."""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from app.domain.samples import Sample
from app.store.repo import AthleteInfo

if TYPE_CHECKING:
    from device.simulator import Route


class SourceKind(StrEnum):
    """A session's `source` column: where its samples came from."""

    SIMULATOR = "simulator"
    BLE = "ble"
    FEED = "feed"


class Source(Protocol):
    """A sample source (simulator, a feed, a test's fake); Bluetooth has its own class."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> str: ...

    def samples(self) -> AsyncIterator[Sample]: ...


def session_source(kinds: list[str]) -> SourceKind:
    """The `source` stored for a session recorded from sources of these kinds."""
    if SourceKind.BLE in kinds:
        return SourceKind.BLE
    if SourceKind.FEED in kinds:
        return SourceKind.FEED
    return SourceKind.SIMULATOR


def simulated_strap(
    athlete: AthleteInfo,
    *,
    seed: int | None = None,
    rate_hz: float = 1.0,
    route: Route | None = None,
) -> Source:
    """The simulated strap, paced to the athlete's resting and maximum heart rate.

    With a `route`, it also carries positions along it (an outdoor session).
    """
    from device.simulator import SimulatedStrap

    return SimulatedStrap(
        seed=seed,
        rate_hz=rate_hz,
        resting_hr=athlete.profile.resting_hr or 60,
        max_hr=athlete.profile.max_hr or 185,
        route=route,
    )
