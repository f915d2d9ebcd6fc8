"""One remote athlete being recorded: what the recorder, cursor saver and end of a run share."""

from __future__ import annotations

from dataclasses import dataclass

from app.recorder import Recording


@dataclass
class LiveAthlete:
    """A remote athlete's open session: its Recording and how far the feed has queued it."""

    remote: str
    athlete_id: int
    athlete_name: str
    recording: Recording
    #: Samples handed to the recording so far (the writer commits them in this order).
    queued: int = 0
    #: Device time of the last queued sample: the resume point once that many are committed.
    last_t: int | None = None
