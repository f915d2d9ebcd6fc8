"""What one feed recording did: a session per remote athlete and every counter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.summary import SessionSummary
from device.feeds.protocol import Gap


@dataclass(frozen=True, slots=True)
class AthleteResult:
    remote_athlete: str
    athlete_id: int
    athlete_name: str
    session_id: int
    summary: SessionSummary | None


@dataclass(frozen=True, slots=True)
class FeedReport:
    """What one `record` run did: sessions per remote athlete and every counter."""

    source: str
    athletes: tuple[AthleteResult, ...]
    accepted: int
    stored: int
    duplicates: int
    rejected: Mapping[str, int]
    no_reading: int
    connects: int
    disconnects: int
    gaps: tuple[Gap, ...]
    ended: bool
    last_error: str | None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())
