"""The exactly-once ledger (`remote_activities`): one row per (account, external_id).

A row is written *before* the request that creates something remote, and its state says
what Strava has confirmed so far. States and the only moves between them:

    uploading --post--> processing --activity known--> updating --PUT confirmed--> ready
        |                   |   \\--activity known, nothing to set-------------------^
        |                   |----lost upload id---> uploading
        |                   \\---processing error--> error
        \\--create sent--> creating --answered--> ready
                            |---refused, nothing made--> uploading
                            \\---interrupted---------> error
    error --a person retried--> uploading

`updating` exists so that "the activity exists" never passes for "its name and sport type
are set": a replay of an `updating` row sends the PUT again; only `ready` is done. The
values are the strings stored in the plain `String(20)` column, so old rows stay readable.

Every move names the row as the caller last read it. If the stored state differs (another
worker got there first, e.g. after its lease ran out) the move raises `LedgerConflict`, a
`Retryable`: the next attempt reads the row again and carries on from there. A move the
table does not allow from the state the caller read raises `IllegalTransition`, a
`Permanent` error (retrying the same code cannot help): the job goes dead with the reason
instead of lying.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum, StrEnum, auto

from sqlalchemy import select

from app.store import models as m
from app.store.repo import Store

from ..errors import Permanent, Retryable


class LedgerState(StrEnum):
    """What Strava has confirmed for one (account, external_id)."""

    #: Nothing known remotely (yet, or again): the next step posts the file.
    UPLOADING = "uploading"
    #: The file was posted; `upload_id` is polled until Strava names the activity.
    PROCESSING = "processing"
    #: A manual activity's create request left; its answer is not stored yet.
    CREATING = "creating"
    #: The activity exists (`remote_activity_id`), its name/sport type PUT is not confirmed.
    UPDATING = "updating"
    #: Done: the activity exists and carries what we asked for.
    READY = "ready"
    #: Strava refused, or a person must look; only a retry by a person leaves it.
    ERROR = "error"

    @property
    def label(self) -> str:
        """The word the History list shows for this state."""
        return _LABELS[self]


_LABELS = {
    LedgerState.UPLOADING: "uploading",
    LedgerState.PROCESSING: "uploading",
    LedgerState.CREATING: "uploading",
    LedgerState.UPDATING: "uploading",
    LedgerState.READY: "synced",
    LedgerState.ERROR: "error",
}

#: Every allowed move; anything else raises `IllegalTransition`.
TRANSITIONS: dict[LedgerState, frozenset[LedgerState]] = {
    LedgerState.UPLOADING: frozenset({LedgerState.PROCESSING, LedgerState.CREATING}),
    LedgerState.PROCESSING: frozenset(
        {LedgerState.UPLOADING, LedgerState.UPDATING, LedgerState.READY, LedgerState.ERROR}
    ),
    LedgerState.CREATING: frozenset({LedgerState.UPLOADING, LedgerState.READY, LedgerState.ERROR}),
    LedgerState.UPDATING: frozenset({LedgerState.READY}),
    LedgerState.READY: frozenset(),
    LedgerState.ERROR: frozenset({LedgerState.UPLOADING}),
}


class IllegalTransition(Permanent):
    """A ledger move `TRANSITIONS` does not allow from the state the row is in: a bug."""

    def __init__(self, ledger_id: int, current: str, wanted: str) -> None:
        current, wanted = str(current), str(wanted)
        super().__init__(f"Strava ledger row {ledger_id} cannot go from {current!r} to {wanted!r}")
        self.current = current
        self.wanted = wanted


class LedgerConflict(Retryable):
    """The row changed since the caller read it; the next attempt starts from what it is."""

    def __init__(self, ledger_id: int, expected: str, current: str) -> None:
        expected, current = str(expected), str(current)
        super().__init__(
            f"Strava ledger row {ledger_id} is {current!r}, not {expected!r} as read: "
            "another worker moved it"
        )
        self.expected = expected
        self.current = current


def check_transition(ledger_id: int, current: str, wanted: LedgerState) -> LedgerState:
    """`wanted` if the table allows it from `current`, else `IllegalTransition`."""
    try:
        state = LedgerState(current)
    except ValueError:
        raise IllegalTransition(ledger_id, current, wanted) from None
    if wanted not in TRANSITIONS[state]:
        raise IllegalTransition(ledger_id, current, wanted)
    return wanted


@dataclass(frozen=True, slots=True)
class Ledger:
    """One ledger row as read; `state` is what was true at that moment."""

    id: int
    account_id: int
    external_id: str
    state: LedgerState
    upload_id: str | None
    remote_activity_id: str | None
    error: str | None


@dataclass(frozen=True, slots=True)
class RemoteStatus:
    """What exists remotely for a session on one account (`strava status`)."""

    account_id: int
    state: LedgerState
    activity_id: str | None
    upload_id: str | None
    error: str | None


def _ledger(row: m.RemoteActivity) -> Ledger:
    return Ledger(
        row.id,
        row.account_id,
        row.external_id,
        LedgerState(row.state),
        row.upload_id,
        row.remote_activity_id,
        row.error,
    )


class _Keep(Enum):
    """A field `move` leaves as it is (None means "clear it")."""

    KEEP = auto()


KEEP = _Keep.KEEP


class LedgerStore:
    """Reads and moves ledger rows; every move is checked against `TRANSITIONS`."""

    def __init__(self, store: Store, clock: Callable[[], float] = time.time) -> None:
        self.store = store
        self.clock = clock

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    def open(
        self,
        account_id: int,
        external_id: str,
        *,
        session_id: int | None = None,
        source_activity_id: str | None = None,
    ) -> Ledger:
        """The row for (account, external_id), created in state `uploading` if missing."""
        with self.store.orm() as s, s.begin():
            q = select(m.RemoteActivity).where(
                m.RemoteActivity.account_id == account_id,
                m.RemoteActivity.external_id == external_id,
            )
            row = s.scalar(q)
            if row is None:
                row = m.RemoteActivity(
                    account_id=account_id,
                    session_id=session_id,
                    external_id=external_id,
                    source_activity_id=source_activity_id,
                    state=LedgerState.UPLOADING.value,
                    updated_ms=self._now_ms(),
                )
                s.add(row)
                s.flush()
            return _ledger(row)

    def move(
        self,
        ledger: Ledger,
        to: LedgerState,
        *,
        upload_id: str | None | _Keep = KEEP,
        remote_activity_id: str | None | _Keep = KEEP,
        error: str | None | _Keep = KEEP,
    ) -> Ledger:
        """Move the row read as `ledger` to `to` and set the given fields; returns it anew."""
        with self.store.orm() as s, s.begin():
            row = s.get(m.RemoteActivity, ledger.id)
            if row is None:
                raise LookupError(f"no Strava ledger row {ledger.id}")
            if row.state != ledger.state:
                raise LedgerConflict(ledger.id, ledger.state, row.state)
            row.state = check_transition(ledger.id, row.state, to).value
            if not isinstance(upload_id, _Keep):
                row.upload_id = upload_id
            if not isinstance(remote_activity_id, _Keep):
                row.remote_activity_id = remote_activity_id
            if not isinstance(error, _Keep):
                row.error = error
            row.updated_ms = self._now_ms()
            s.flush()
            return _ledger(row)

    def find(self, account_id: int, external_id: str) -> Ledger | None:
        """The row for (account, external_id) if there is one (never creates it)."""
        with self.store.orm() as s:
            row = s.scalar(
                select(m.RemoteActivity).where(
                    m.RemoteActivity.account_id == account_id,
                    m.RemoteActivity.external_id == external_id,
                )
            )
            return None if row is None else _ledger(row)

    def reread(self, ledger: Ledger) -> Ledger:
        """The row as it is stored now."""
        with self.store.orm() as s:
            row = s.get(m.RemoteActivity, ledger.id)
            if row is None:
                raise LookupError(f"no Strava ledger row {ledger.id}")
            return _ledger(row)

    def retry(self, ledger: Ledger) -> Ledger:
        """A person retried a dead job: from `error`, start again from nothing known."""
        if ledger.state is not LedgerState.ERROR:
            return ledger
        return self.move(ledger, LedgerState.UPLOADING, upload_id=None, error=None)

    def posted(self, ledger: Ledger, upload_id: str) -> Ledger:
        """Strava accepted the file as `upload_id`."""
        return self.move(ledger, LedgerState.PROCESSING, upload_id=upload_id)

    def upload_lost(self, ledger: Ledger) -> Ledger:
        """Strava forgot the upload: post again (its duplicate check links any activity)."""
        return self.move(ledger, LedgerState.UPLOADING, upload_id=None)

    def failed(self, ledger: Ledger, error: str) -> Ledger:
        """Strava refused for good, or a person must look."""
        return self.move(ledger, LedgerState.ERROR, error=error[:1000])

    def activity_known(self, ledger: Ledger, activity_id: str, *, update_pending: bool) -> Ledger:
        """Strava named the activity; `ready` only when nothing is left to PUT."""
        to = LedgerState.UPDATING if update_pending else LedgerState.READY
        return self.move(ledger, to, remote_activity_id=activity_id, error=None)

    def updated(self, ledger: Ledger) -> Ledger:
        """Strava confirmed the PUT of name and sport type."""
        return self.move(ledger, LedgerState.READY, error=None)

    def creating(self, ledger: Ledger) -> Ledger:
        """A non-idempotent create request is leaving now."""
        return self.move(ledger, LedgerState.CREATING)

    def create_refused(self, ledger: Ledger) -> Ledger:
        """Strava refused the create (or it never left): nothing exists remotely."""
        current = self.reread(ledger)
        if current.state is not LedgerState.CREATING:
            return current  # the request never left: nothing to undo
        return self.move(current, LedgerState.UPLOADING)

    # Reading -------------------------------------------------------------------------------

    def for_session(self, session_id: int) -> list[RemoteStatus]:
        """What exists remotely for a session, per account."""
        with self.store.orm() as s:
            rows = s.scalars(
                select(m.RemoteActivity)
                .where(m.RemoteActivity.session_id == session_id)
                .order_by(m.RemoteActivity.id)
            ).all()
            return [
                RemoteStatus(
                    r.account_id,
                    LedgerState(r.state),
                    r.remote_activity_id,
                    r.upload_id,
                    r.error,
                )
                for r in rows
            ]

    def activity_ids(self, account_id: int) -> set[str]:
        """Remote activity ids this account got from us (a poll must not copy them back)."""
        with self.store.orm() as s:
            return {
                r
                for r in s.scalars(
                    select(m.RemoteActivity.remote_activity_id).where(
                        m.RemoteActivity.account_id == account_id
                    )
                )
                if r
            }
