"""Save each athlete's resume cursor only once the writer has committed the samples before it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from app.store.repo import Store

from .athlete import LiveAthlete
from .cursors import Cursor, save_cursors
from .storage_watch import StorageWatch
from .writer import GroupWriter

log = logging.getLogger(__name__)

#: How often committed cursors are written to `feed_cursors` (a crash replays at most this).
CURSOR_SAVE_S = 1.0


@dataclass(slots=True)
class _Pending:
    #: (samples queued, cursor) snapshots waiting for the writer to commit that many.
    snapshots: list[tuple[int, int]] = field(default_factory=list)
    saved_t: int | None = None


class CursorSaver:
    """One feed's cursor bookkeeping: a snapshot a round, saved once its samples are stored."""

    def __init__(
        self,
        store: Store,
        writer: GroupWriter,
        storage: StorageWatch,
        ceiling_ms: Callable[[], int],
    ) -> None:
        self.store = store
        self.writer = writer
        self.storage = storage
        #: The latest device time a saved cursor may hold (a later stored one is repaired).
        self.ceiling_ms = ceiling_ms
        #: The feed's source key (`feed_cursors.source`), set when its client is made.
        self.source = ""
        #: Per session: its cursor snapshots and the cursor last saved.
        self._pending: dict[int, _Pending] = {}

    def committed(
        self, athletes: Iterable[LiveAthlete], offsets: Mapping[str, int]
    ) -> list[Cursor]:
        """Cursors whose samples are all committed; takes a new snapshot for the next round."""
        out = []
        for live in athletes:
            session_id = live.recording.session_id
            pending = self._pending.get(session_id)
            if pending is None:
                pending = self._pending[session_id] = _Pending()
            stored = self.writer.committed(session_id)
            ready = [t for n, t in pending.snapshots if n <= stored]
            pending.snapshots = [(n, t) for n, t in pending.snapshots if n > stored]
            if live.last_t is not None:
                pending.snapshots.append((live.queued, live.last_t))
            if ready and ready[-1] != pending.saved_t:
                pending.saved_t = ready[-1]
                out.append(
                    Cursor(live.remote, live.athlete_id, ready[-1], offsets.get(live.remote))
                )
        return out

    async def save(self, cursors: Sequence[Cursor]) -> None:
        """Upsert `cursors` in one transaction; a failure only leaves the resume point behind."""
        if self.storage.failed:
            return  # the next run resumes from the committed samples (committed_heads)
        if not cursors:
            return
        try:
            await asyncio.to_thread(
                self.writer.locked,
                save_cursors,
                self.store,
                self.source,
                cursors,
                self.ceiling_ms(),
            )
        except Exception as exc:  # the samples are safe; only the resume point lags
            if self.storage.check(exc):
                return
            log.error("feed %s: could not save cursors: %s", self.source, exc)

    async def run(
        self, live: Mapping[str, LiveAthlete], offsets: Callable[[], Mapping[str, int]]
    ) -> None:
        """Save the committed cursors of the athletes in `live` every CURSOR_SAVE_S, for good."""
        while True:
            await asyncio.sleep(CURSOR_SAVE_S)
            await self.save(self.committed(live.values(), offsets()))
