"""History: the session list with its Strava state, rename, sport, delete and undo."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.store import queries
from app.store.repo import now_ms

from .rows import SPORTS, SessionDetail, SessionRow, session_row

if TYPE_CHECKING:
    from app.store.repo import Store


def sync_states(store: Store, session_ids: Sequence[int]) -> dict[int, str]:
    """The Sync column per session: the Strava ledger's own label (synced, uploading, error)."""
    from sync.strava.ledger import LedgerState

    states = queries.remote_states(store, session_ids)
    return {sid: LedgerState(state).label for sid, state in states.items()}


@dataclass(frozen=True, slots=True)
class Followed:
    """What an edit queued elsewhere: Strava activities to update, new child copies."""

    strava_updates: int = 0
    strava_copies: int = 0

    def note(self) -> str:
        """A short sentence for the user ('' when nothing was queued)."""
        parts = []
        if self.strava_updates:
            n = self.strava_updates
            parts.append(f"{n} Strava activit{'y' if n == 1 else 'ies'} to update")
        if self.strava_copies:
            n = self.strava_copies
            parts.append(f"{n} new child cop{'y' if n == 1 else 'ies'}")
        return " and ".join(parts)


class HistoryService:
    """Sessions as History lists them; writes refuse imported clients' sessions."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def rows(self, athlete_id: int | None) -> list[SessionRow]:
        """The athlete's sessions (everyone's with None), newest first."""
        sessions = self.store.list_sessions(athlete_id)
        sync = sync_states(self.store, [s.id for s in sessions])
        return [session_row(s, sync.get(s.id, "-")) for s in sessions]

    def detail(self, session_id: int) -> SessionDetail:
        """Everything the session screen shows (charts, laps, sets, HRV)."""
        from .session_detail import session_detail

        return session_detail(self.store, session_id)

    def rename(self, session_id: int, title: str) -> Followed:
        """A blank title clears it (the screen then shows the sport); Strava follows."""
        self._writable(session_id)
        queries.set_title(self.store, session_id, title.strip() or None)
        self._changed(session_id)
        return self._strava_follows(session_id)

    def change_sport(self, session_id: int, sport: str) -> Followed:
        """Only the sports the app knows (the exports map each one); Strava follows."""
        if sport not in SPORTS:
            raise ValueError(f"unknown sport {sport!r}")
        self._writable(session_id)
        queries.set_sport(self.store, session_id, sport)
        self._changed(session_id)
        return self._strava_follows(session_id)

    def delete(self, session_id: int) -> None:
        """Soft delete: the row stays until the undo window has passed."""
        if self.store.get_session(session_id) is not None:
            self._writable(session_id)
        self.store.set_deleted(session_id, now_ms())
        self._changed(session_id)

    def undelete(self, session_id: int) -> None:
        """Undo a delete (or a discarded recording)."""
        self.store.set_deleted(session_id, None)
        self._changed(session_id)

    def _strava_follows(self, session_id: int) -> Followed:
        """Queue the Strava side of a title or sport edit (both faces come here)."""
        from sync.strava.engine import StravaSync

        updates, uploads = StravaSync(self.store).session_changed(session_id)
        return Followed(len(updates), len(uploads))

    def _changed(self, session_id: int) -> None:
        """The lake follows every edit (both faces come here): rewrite or remove it there."""
        from sync.lake.changes import session_changed

        session_changed(self.store, session_id)

    def _writable(self, session_id: int) -> None:
        info = self.store.get_session(session_id)
        if info is None:
            raise LookupError(f"no session {session_id}")
        owner = self.store.athlete(info.athlete_id)
        if owner is not None and owner.read_only:
            raise PermissionError("sessions of imported clients are read-only")
