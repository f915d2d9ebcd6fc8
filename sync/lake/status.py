"""What `lake status` shows: destination, credential source, job counts (no secrets)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from sqlalchemy import select

from app.secrets import SecretsUnavailable
from app.store import models as m
from app.store.repo import Store
from sync.outbox import DEAD, DONE, Outbox

from .config import LakeNotConfigured, load_credentials, resolve_config
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
    """Counts over every lake_push job, and the configured destination if any."""
    try:
        config = resolve_config(store)
        destination: str | None = config.location()
        creds = _credential_source(config.credentials_key, config.profile)
    except LakeNotConfigured:
        destination, creds = None, _credential_source(None, None)
    jobs = Outbox(store).jobs(kind=KIND)
    queued = {j.session_id for j in jobs}
    pushable = pushable_sessions(store)
    with store.orm() as s:
        athletes: list[dict[str, object]] = [
            {"id": a.id, "name": a.name, "lake_id": a.remote_ref}
            for a in s.scalars(select(m.Athlete).where(m.Athlete.read_only.is_(False)))
        ]
    return LakeStatus(
        destination=destination,
        credentials=creds,
        pushed=sum(j.state == DONE for j in jobs),
        pending=sum(j.state not in (DONE, DEAD) for j in jobs),
        failed=sum(j.state == DEAD for j in jobs),
        not_queued=sum(sid not in queued for sid, _ in pushable),
        athletes=athletes,
        recent_errors=[j.last_error for j in jobs if j.last_error and j.state != DONE][-5:],
    )
