"""The recorder: one place that turns sources of samples into a stored session.

`recording` is the batched single writer of one session; `controller` starts, pauses, laps,
stops, discards and recovers a recording from any set of sources for every face (the CLI's
`record`, the desktop app, the edge box); `bluetooth` wires remembered sensors into it.
"""

from app.recorder.recording import (
    FLUSH_INTERVAL_S,
    MAX_BATCH,
    Recorder,
    RecorderStats,
    Recording,
    SampleListener,
)

__all__ = [
    "FLUSH_INTERVAL_S",
    "MAX_BATCH",
    "Recorder",
    "RecorderStats",
    "Recording",
    "SampleListener",
]
