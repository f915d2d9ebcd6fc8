"""Which child gets a copy of which owner activity: one copy job per (activity, child)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.store import models as m

from .accounts import Account
from .children import title_matches
from .context import StravaContext
from .enqueue import EXTERNAL_PREFIX, KIND_COPY, copy_key

#: The fields of a listed activity a copy job needs (its payload; no second GET).
COPY_FIELDS = (
    "name",
    "sport_type",
    "type",
    "start_date",
    "start_date_local",
    "elapsed_time",
    "distance",
    "trainer",
    "manual",
)


def parse_time(value: str | None) -> float | None:
    """Strava's ISO 8601 (`2018-02-16T14:52:54Z`) -> epoch seconds."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def route(
    ctx: StravaContext,
    owner: Account,
    children: list[Account],
    activities: list[dict[str, Any]],
    own: set[str],
) -> int:
    """Queue a copy job per (activity, child named in its title); returns how many are new.

    A poll looks back over activities it saw before (late watch syncs): those already have
    their job, and count as nothing found.
    """
    keys = [
        copy_key(child.id, str(act.get("id") or "")) for act in activities for child in children
    ]
    with ctx.store.orm() as s:
        known = set(s.scalars(select(m.SyncJob.dedupe_key).where(m.SyncJob.dedupe_key.in_(keys))))
    n = 0
    for act in activities:
        aid = str(act.get("id") or "")
        if not aid or aid in own:
            continue
        if str(act.get("external_id") or "").startswith(EXTERNAL_PREFIX):
            continue  # our own upload: its children were served from the session
        for child in children:
            if not title_matches(str(act.get("name") or ""), child.child_names):
                continue
            payload = {
                "source_activity_id": aid,
                "source_account_id": owner.id,
                **{k: act.get(k) for k in COPY_FIELDS},
            }
            key = copy_key(child.id, aid)
            if key in known:
                continue
            ctx.outbox.enqueue(KIND_COPY, key, account_id=child.id, payload=payload)
            n += 1
    return n
