"""The one hook for session edits: a change to a pushed session re-arms its lake jobs.

`app.services.history.HistoryService` calls `session_changed` after a rename, a sport change,
a delete and an undo, so the desktop app and `pulsedeck sessions rename|set|delete` queue the
same lake work. The job itself decides what to do when it runs (push.py): rewrite a live
session, tombstone and delete a deleted one. Edits made elsewhere (notes, strength sets) are
caught by the fingerprint check in `push.enqueue_sessions`, which runs on every push and in the
background enqueue.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from app.store import models as m
from app.store.repo import Store
from sync.outbox import DEAD, DONE, Outbox

from .push import KIND

log = logging.getLogger(__name__)


def session_changed(store: Store, session_id: int) -> int:
    """Re-arm every finished or failed lake job of the session; how many were re-armed.

    A pending job needs nothing (it reads the session when it runs). A running one is left
    to finish: its result records the fingerprint it pushed, so the next enqueue sees the
    change and runs it again. A session never pushed has no job: nothing to do.
    """
    with store.orm() as s:
        rows = s.execute(
            select(m.SyncJob.id, m.SyncJob.state).where(
                m.SyncJob.kind == KIND, m.SyncJob.session_id == session_id
            )
        ).all()
    outbox = Outbox(store)
    rearmed = 0
    for job_id, state in rows:
        if state in (DONE, DEAD):
            outbox.retry(job_id)
            rearmed += 1
    if rearmed:
        log.info("session %s changed: %d lake job(s) queued", session_id, rearmed)
    return rearmed
