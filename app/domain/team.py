"""The team live view's rules: a tile's reading (zone, % of max HR), no signal, sort orders."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .profile import Profile, effective_max_hr
from .zones import Zones

#: A tile shows "no signal" this long after its last heart rate: feeds send 1-4 Hz, so this
#: is several missed readings (a strap off the chest, a box off the Wi-Fi), not one late one.
NO_SIGNAL_S = 5.0


class SortOrder(StrEnum):
    """How the team view orders its tiles."""

    NAME = "name"
    #: Hardest working first (zone, then % of max), athletes without signal last.
    ZONE = "zone"


@dataclass(frozen=True, slots=True)
class HeartTarget:
    """What one athlete's readings are measured against: their zones and max HR."""

    zones: Zones
    max_hr: int

    @classmethod
    def of(cls, profile: Profile, zones: Zones, year: int) -> HeartTarget:
        """The athlete's zones (their zone model) and max HR (entered, else estimated)."""
        return cls(zones, effective_max_hr(profile, year))

    def percent_of_max(self, hr: float) -> int:
        """Heart rate as a whole percentage of max HR."""
        return round(100 * hr / self.max_hr)


@dataclass(frozen=True, slots=True)
class TileView:
    """One athlete's tile as drawn: everything the widget needs, nothing it must compute."""

    key: int
    name: str
    hr: int | None = None
    percent_max: int | None = None
    #: 0 (below zone 1) to 5; meaningful only with `hr`.
    zone: int = 0
    elapsed_s: float = 0.0
    signal: bool = False
    #: Device time of the reading shown (None before the first): which sample a paint shows.
    sample_t_ms: int | None = None


def tile_view(
    key: int,
    name: str,
    target: HeartTarget | None,
    hr: int | None,
    sample_t_ms: int | None,
    first_s: float | None,
    last_s: float | None,
    now_s: float,
    no_signal_s: float = NO_SIGNAL_S,
) -> TileView:
    """A tile at `now_s` from its last reading and when the first and last arrived."""
    signal = hr is not None and last_s is not None and now_s - last_s < no_signal_s
    elapsed = 0.0 if first_s is None else max(0.0, now_s - first_s)
    if hr is None or target is None:
        return TileView(key, name, hr, None, 0, elapsed, signal, sample_t_ms)
    return TileView(
        key,
        name,
        hr,
        target.percent_of_max(hr),
        target.zones.zone_of(hr),
        elapsed,
        signal,
        sample_t_ms,
    )


def _by_name(v: TileView) -> tuple[str, str, int]:
    return (v.name.casefold(), v.name, v.key)


def _by_zone(v: TileView) -> tuple[int, int, int, tuple[str, str, int]]:
    if not v.signal or v.hr is None:
        return (1, 0, 0, _by_name(v))
    return (0, -v.zone, -(v.percent_max or 0), _by_name(v))


def sorted_views(views: Iterable[TileView], order: SortOrder) -> list[TileView]:
    """Tiles in display order: by name (case-insensitive), or by zone (hardest first)."""
    key = _by_zone if order is SortOrder.ZONE else _by_name
    return sorted(views, key=key)
