"""Queueing Strava jobs: which accounts a session goes to, one outbox job per account.

Database only (no HTTP client): the GUI queues an upload and the background sync sends it.
Job kinds: `strava_upload` (a Pulsedeck session to an owner or child account),
`strava_copy` (an activity that reached the owner's Strava from elsewhere, copied to a child)
and `strava_update` (a session renamed or its sport changed after it was uploaded).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import select

from app.domain.readiness import READINESS_SPORT
from app.store import models as m
from app.store.repo import STATUS_FINISHED, STATUS_RECOVERED, Store

from ..outbox import PENDING, Outbox
from .accounts import CHILD, OWNER, Account, list_accounts
from .children import title_matches
from .client import OK

KIND_UPLOAD = "strava_upload"
KIND_COPY = "strava_copy"
KIND_UPDATE = "strava_update"
KINDS = (KIND_UPLOAD, KIND_COPY, KIND_UPDATE)
EXTERNAL_PREFIX = "pulsedeck-"
#: Sports never sent to Strava: a readiness reading (`record --readiness`, 2-5 min lying
#: still) is a measurement, not an activity; on Strava it would be a junk 3-minute "workout".
NOT_UPLOADED_SPORTS: frozenset[str] = frozenset({READINESS_SPORT})


class NotUploaded(ValueError):
    """A session of a kind that never goes to Strava (NOT_UPLOADED_SPORTS)."""


def uploadable(sport: str) -> bool:
    """Whether a session of this sport goes to Strava at all."""
    return sport not in NOT_UPLOADED_SPORTS


def external_id(session_uid: str) -> str:
    """Stable per session: a replay of the same upload is recognised by Strava."""
    return f"{EXTERNAL_PREFIX}{session_uid}"


def copy_external_id(source_activity_id: int | str) -> str:
    """Stable per copied activity, so a replayed copy is Strava's duplicate, not a second one."""
    return f"{EXTERNAL_PREFIX}copy-{source_activity_id}"


def upload_key(account_id: int, session_uid: str) -> str:
    """The outbox dedupe key: one upload job per (account, session), ever."""
    return f"{KIND_UPLOAD}:{account_id}:{session_uid}"


def copy_key(account_id: int, source_activity_id: str) -> str:
    """The outbox dedupe key: one copy job per (child, source activity), ever."""
    return f"{KIND_COPY}:{account_id}:{source_activity_id}"


def update_key(account_id: int, session_uid: str) -> str:
    """The outbox dedupe key of a session's activity update; re-armed by each change."""
    return f"{KIND_UPDATE}:{account_id}:{session_uid}"


def targets(
    store: Store,
    athlete_id: int,
    title: str | None,
    started_ms: int | None,
    accounts: list[Account] | None = None,
) -> list[Account]:
    """Accounts a session goes to: the athlete's owners, and children named in the title.

    With `started_ms`, only accounts linked before the session started (automatic
    uploads); without it, all of them (an explicit `strava upload`).
    """
    accounts = list_accounts(store) if accounts is None else accounts
    out: list[Account] = []
    for owner in accounts:
        if owner.role != OWNER or owner.athlete_id != athlete_id or owner.status != OK:
            continue
        children = [a for a in accounts if a.role == CHILD and a.parent_id == owner.id]
        for acc in [owner, *children]:
            if acc.role == CHILD and not title_matches(title, acc.child_names):
                continue
            if started_ms is not None and started_ms < acc.created_ms:
                continue
            out.append(acc)
    return out


class UploadQueue:
    """Puts Strava upload jobs in the outbox; reads only the database."""

    def __init__(
        self, store: Store, outbox: Outbox, clock: Callable[[], float] = time.time
    ) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock

    def _enqueue(self, acc: Account, session_id: int, uid: str) -> int:
        return self.outbox.enqueue(
            KIND_UPLOAD,
            upload_key(acc.id, uid),
            session_id=session_id,
            account_id=acc.id,
            payload={"external_id": external_id(uid)},
        )

    def session(self, session_id: int) -> list[int]:
        """Jobs for one session now, whenever it was recorded (`pulsedeck strava upload`)."""
        session = self.store.get_session(session_id)
        if session is None:
            raise LookupError(f"no session {session_id}")
        if not uploadable(session.sport):
            raise NotUploaded(f"session {session_id} is a {session.sport} reading: not for Strava")
        return [
            self._enqueue(acc, session.id, session.uid)
            for acc in targets(self.store, session.athlete_id, session.title, None)
        ]

    def changed(self, session_id: int) -> tuple[list[int], list[int]]:
        """A session's title or sport changed: (update jobs, new upload jobs).

        Every account that has (or is getting) its activity gets an update job, re-armed
        if an earlier one finished; children its new title names get an upload job. A
        session nothing was sent for yet is left to `finished` (its title routes it then).
        """
        session = self.store.get_session(session_id)
        if session is None:
            raise LookupError(f"no session {session_id}")
        with self.store.orm() as s:
            accounts = sorted(
                set(
                    s.scalars(
                        select(m.RemoteActivity.account_id).where(
                            m.RemoteActivity.session_id == session_id
                        )
                    )
                )
            )
        if not accounts or session.status not in (STATUS_FINISHED, STATUS_RECOVERED):
            return [], []
        updates = []
        for account_id in accounts:
            job_id = self.outbox.enqueue(
                KIND_UPDATE,
                update_key(account_id, session.uid),
                session_id=session.id,
                account_id=account_id,
                payload={"external_id": external_id(session.uid)},
            )
            if self.outbox.get(job_id).state != PENDING:
                self.outbox.retry(job_id)  # a later change: send the new values too
            updates.append(job_id)
        uploads = [
            self._enqueue(acc, session.id, session.uid)
            for acc in targets(self.store, session.athlete_id, session.title, None)
            if acc.id not in accounts and uploadable(session.sport)
        ]
        return updates, uploads

    def finished(self) -> int:
        """Jobs for finished sessions recorded since the target account was linked.

        Checked per (account, session), so a process killed halfway through queueing one
        session's jobs gets the rest queued by the next run.
        """
        accounts = list_accounts(self.store)
        owners = [a for a in accounts if a.role == OWNER and a.status == OK]
        if not owners:
            return 0
        earliest: dict[int, int] = {}
        for o in owners:
            earliest[o.athlete_id] = min(o.created_ms, earliest.get(o.athlete_id, o.created_ms))
        with self.store.orm() as s:
            queued = set(
                s.scalars(select(m.SyncJob.dedupe_key).where(m.SyncJob.kind == KIND_UPLOAD))
            )
            rows = s.execute(
                select(
                    m.Session.id,
                    m.Session.uid,
                    m.Session.athlete_id,
                    m.Session.title,
                    m.Session.started_ms,
                ).where(
                    m.Session.status.in_([STATUS_FINISHED, STATUS_RECOVERED]),
                    m.Session.deleted_ms.is_(None),
                    m.Session.source != "strava",
                    m.Session.sport.not_in(NOT_UPLOADED_SPORTS),
                    m.Session.athlete_id.in_(list(earliest)),
                )
            ).all()
        n = 0
        for sid, uid, athlete_id, title, started in rows:
            if started < earliest[athlete_id]:
                continue
            for acc in targets(self.store, athlete_id, title, started, accounts):
                if upload_key(acc.id, uid) not in queued:
                    self._enqueue(acc, sid, uid)
                    n += 1
        return n

    def next_due_s(self) -> float | None:
        """Seconds until the next pending Strava job is due (None: nothing pending)."""
        pending = [j for j in self.outbox.jobs(state=PENDING) if j.kind in KINDS]
        if not pending:
            return None
        return max(0.0, min(j.next_attempt_ms for j in pending) / 1000 - self.clock())
