"""What a reader returns (one activity) and why a file is refused.

    ImportRefused                 the file is not imported; str() is the per-file reason
     +-- UnsupportedFile          not FIT/TCX/GPX, an unsupported archive, a wrong namespace
     +-- CorruptFile              truncated, bad CRC, malformed XML or FIT structure
     +-- UnsafeFile               DTDs, entities, external references, over the size caps
     +-- InvalidActivity          values that cannot be a recording: non-numeric HR,
                                  latitude out of range, timestamps out of order, no points

Readers raise these only; the importer turns each into one line of the final report and
stores nothing of that file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from app.domain.samples import Sample

#: Biggest activity file (after decompression) a reader accepts: a 24-hour 1 Hz TCX with
#: every channel is ~60 MB; anything far beyond is a bomb or not an activity.
MAX_FILE_BYTES = 512 * 1024 * 1024
#: Most track points in one activity (a week at 1 Hz): bounds memory for a hostile file.
MAX_POINTS = 7 * 24 * 3600


class ByteStream(Protocol):
    """What readers read from: a file, a decompressor, a zip member."""

    def read(self, n: int = -1, /) -> bytes: ...


class ImportRefused(ValueError):
    """A file that is not imported; the message is the reason shown to the user."""


class UnsupportedFile(ImportRefused):
    """Not an activity file Pulsedeck reads."""


class CorruptFile(ImportRefused):
    """A damaged file: truncated, a bad checksum, broken structure."""


class UnsafeFile(ImportRefused):
    """A file using XML features no activity file needs (entities, DTDs) or over a size cap."""


class InvalidActivity(ImportRefused):
    """Readable, but its values cannot be a recording."""


@dataclass(slots=True)
class Activity:
    """One activity read from a file; times are UTC epoch ms, samples in time order."""

    format: str  # fit | tcx | gpx
    samples: list[Sample] = field(default_factory=list)
    laps: list[int] = field(default_factory=list)  # lap start times after the first
    pauses: list[tuple[int, int | None]] = field(default_factory=list)  # (pause, resume)
    sport: str | None = None  # Pulsedeck's sport name, when the file says
    title: str | None = None
    device: str | None = None  # "Garmin fenix2", the creator the file names
    notes: str | None = None

    @property
    def started_ms(self) -> int:
        return self.samples[0].t_ms

    @property
    def ended_ms(self) -> int:
        return self.samples[-1].t_ms

    @property
    def rr_count(self) -> int:
        return sum(len(s.rr) for s in self.samples)
