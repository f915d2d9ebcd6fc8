"""A session changed after it was uploaded: its activities get the new name and sport type.

The `strava_update` job reads the session as it is when the job runs (so two quick renames
send the last title once) and PUTs name and sport type to the activity its ledger row names.
A PUT is idempotent, so a replay after a crash or a 5xx only sends the same values again.
"""

from __future__ import annotations

from typing import Any

from ..errors import Rejected, Retryable
from ..outbox import Job
from .context import StravaContext
from .enqueue import external_id
from .ledger import LedgerState
from .upload import SPORT_TYPE

#: An update found its upload still being processed: look again after this long.
UPLOAD_PENDING_RETRY_S = 60.0


async def handle_update(ctx: StravaContext, job: Job) -> dict[str, Any]:
    """PUT the session's current title and sport type to its activity on one account."""
    account = ctx.usable(job.account_id)
    session = ctx.store.get_session(job.session_id) if job.session_id is not None else None
    if session is None:
        raise Rejected(f"session {job.session_id} no longer exists")
    ext = str(job.payload.get("external_id") or external_id(session.uid))
    ledger = ctx.ledger.find(account.id, ext)
    if ledger is None or ledger.state is LedgerState.ERROR:
        # Nothing on Strava (or its upload failed): an upload, when it runs, sends the title.
        return {"activity_id": None}
    if ledger.state is not LedgerState.READY or ledger.remote_activity_id is None:
        raise Retryable(
            f"session {session.id} is still being uploaded; its new name follows",
            retry_after_s=UPLOAD_PENDING_RETRY_S,
        )
    fields: dict[str, str] = {}
    if session.title:
        fields["name"] = session.title
    sport = SPORT_TYPE.get(session.sport)
    if sport is not None:
        fields["sport_type"] = sport
    if fields:
        await ctx.client(account).update_activity(ledger.remote_activity_id, **fields)
    return {"activity_id": ledger.remote_activity_id}
