"""What one feed recording did: a session per remote athlete and every counter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.domain.summary import SessionSummary
from app.recorder.recording import RecordingStopped
from device.feeds.errors import FeedError
from device.feeds.protocol import Gap

#: Samples of athletes refused by the feed's cap, counted in the report's rejections.
ATHLETE_CAP = "athlete-cap"


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
    #: New remote athletes refused because the feed reached its cap (feeds.max_athletes);
    #: their samples are counted in `rejected` as "athlete-cap".
    refused_athletes: int = 0

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


class FeedFailed(Exception):
    """A feed failed for good (token refused, gone, unreachable) after its sessions were saved."""

    def __init__(self, error: FeedError, report: FeedReport) -> None:
        super().__init__(str(error))
        #: FeedAuthError, FeedUnavailable or FeedConnectionError: the caller picks its reaction.
        self.error = error
        #: What was recorded and saved before the failure.
        self.report = report


class FeedStorageFailed(RecordingStopped):
    """Storage failed for good (disk full, read-only, corrupt): the feed recording stopped.

    A StoreError, so the CLI exits 3 with its one-line message; `report` says what was kept.
    """

    def __init__(self, message: str, report: FeedReport) -> None:
        super().__init__(message)
        self.report = report
