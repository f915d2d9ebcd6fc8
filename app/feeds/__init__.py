"""Record websocket feeds: one session per remote athlete, resume cursors, live LAN broadcast.

The device layer (`device.feeds`) yields validated samples; this package maps each remote
athlete to a local athlete and a Recording (`recorder`, `sessions`), up to a cap per feed
(`admission`), commits every feed recording's samples through one shared writer (`writer`),
persists the resume cursor and clock offset in `feed_cursors` only once the samples before it
are committed (`cursor_saver`, `cursors`), stops every session and reports at the end of a run
(`finish`, `report`), and stores feed tokens in the OS keyring, never in SQLite (`stored`). It
can also serve live samples with the same protocol (`broadcast`).
"""

from __future__ import annotations

from .broadcast import LiveBroadcast, WeakToken, generate_token
from .cursors import Cursor, committed_heads, load_cursors, save_cursor, save_cursors
from .recorder import FeedRecorder, OpenedAthlete, OpenListener, record_feed, single_athlete
from .report import AthleteResult, FeedFailed, FeedReport, FeedStorageFailed
from .stored import (
    FeedInfo,
    FeedNotFound,
    add_feed,
    list_feeds,
    remove_feed,
    stored_athlete,
    stored_endpoint,
)
from .urls import FeedConfigError, check_url, source_key
from .writer import GroupWriter

__all__ = [
    "AthleteResult",
    "Cursor",
    "FeedConfigError",
    "FeedFailed",
    "FeedInfo",
    "FeedNotFound",
    "FeedRecorder",
    "FeedReport",
    "FeedStorageFailed",
    "GroupWriter",
    "LiveBroadcast",
    "OpenListener",
    "OpenedAthlete",
    "WeakToken",
    "add_feed",
    "check_url",
    "generate_token",
    "committed_heads",
    "list_feeds",
    "load_cursors",
    "record_feed",
    "remove_feed",
    "save_cursor",
    "save_cursors",
    "single_athlete",
    "source_key",
    "stored_athlete",
    "stored_endpoint",
]
