"""What `lake status` shows: destination, credential source, job counts (no secrets)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from app.secrets import SecretsUnavailable
from app.store.repo import Store
from sync.outbox import DEAD, DONE, Outbox

from .config import LakeNotConfigured, load_credentials, resolve_config
from .fingerprint import REMOVED, fingerprints, is_stale, last_action
from .identity import lake_identities
from .push import KIND, pushable_sessions


@dataclass(frozen=True, slots=True)
class LakeStatus:
    destination: str | None
    credentials: str
    pushed: int
    pending: int
    failed: int
    not_queued: int
    athletes: list[dict[str, object]] = field(default_factory=list)
    recent_errors: list[str] = field(default_factory=list)
    removed: int = 0  # deleted here, and gone from the lake
    to_update: int = 0  # pushed, then changed or deleted here: rewritten/removed next push


def _credential_source(credentials_key: str | None, profile: str | None) -> str:
    try:
        if load_credentials(credentials_key) is not None:
            return f"OS keyring entry {credentials_key!r}"
    except (SecretsUnavailable, ValueError) as exc:
        return f"keyring unusable: {exc}"
    if profile:
        return f"AWS profile {profile!r}"
    if os.environ.get("AWS_ACCESS_KEY_ID"):
        return "environment (AWS_ACCESS_KEY_ID)"
    if os.environ.get("AWS_PROFILE"):
        return f"AWS profile {os.environ['AWS_PROFILE']!r}"
    return "standard AWS chain (shared config/credentials, SSO, instance role)"


def lake_status(store: Store) -> LakeStatus:
    """Counts over every lake_push job, and the configured destination if any.

    `pushed` counts only sessions whose lake copy is current: a session deleted here, or
    changed since its push, is `to_update` until its job runs again (then `removed`).
    """
    try:
        config = resolve_config(store)
        destination: str | None = config.location()
        creds = _credential_source(config.credentials_key, config.profile)
    except LakeNotConfigured:
        destination, creds = None, _credential_source(None, None)
    jobs = Outbox(store).jobs(kind=KIND)
    queued = {j.session_id for j in jobs}
    pushable = pushable_sessions(store)
    current = fingerprints(store)
    pushed = removed = to_update = 0
    for j in jobs:
        fp = current.get(j.session_id) if j.session_id is not None else None
        if j.state != DONE or fp is None:
            continue
        if is_stale(j.result, fp):
            to_update += 1
        elif fp.deleted:
            removed += last_action(j.result) == REMOVED
        else:
            pushed += 1
    athletes: list[dict[str, object]] = [
        {"id": i.athlete_id, "name": i.name, "lake_id": i.lake_id, "self": i.is_self}
        for i in lake_identities(store)
    ]
    return LakeStatus(
        destination=destination,
        credentials=creds,
        pushed=pushed,
        removed=removed,
        to_update=to_update,
        pending=sum(j.state not in (DONE, DEAD) for j in jobs),
        failed=sum(j.state == DEAD for j in jobs),
        not_queued=sum(sid not in queued for sid, _ in pushable),
        athletes=athletes,
        recent_errors=[j.last_error for j in jobs if j.last_error and j.state != DONE][-5:],
    )


def last_pushes(store: Store) -> dict[int, int]:
    """When each local athlete's sessions last reached the lake (epoch ms, by athlete id)."""
    sql = (
        "SELECT s.athlete_id, max(j.updated_ms) FROM sync_jobs j "
        "JOIN sessions s ON s.id = j.session_id WHERE j.kind = ? AND j.state = ? "
        "GROUP BY s.athlete_id"
    )
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(sql, (KIND, DONE)).all()
    return {int(a): int(t) for a, t in rows if t is not None}
