"""Push finished sessions to the lake, one outbox job per session and destination.

A job makes the lake match the session as it is when the job runs. A live session: its five
objects are uploaded (sessions last) under fixed keys, so a replay after a crash or a forced
re-push overwrites them and the lake never holds a session twice; then its tombstone, if any,
is removed. A deleted session: a tombstone is written (`<prefix>/_deleted/athlete_id=<id>/
<uid>.json`, what a coach's pull applies), then its objects in every table are deleted
(sessions first). Every change to a pushed session re-arms its job (`changes.session_changed`,
and `enqueue_sessions` re-arms any job whose session changed since it ran: see fingerprint.py).

`push(..., progress=, cancel=)` runs the due jobs one at a time, reporting after each session
and checking `cancel` between sessions: a cancelled push stops with every finished job `done`
(not pushed again next time) and no job left half-run.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from app.store import models as m
from app.store.repo import STATUS_FINISHED, STATUS_RECOVERED, Store
from sync.errors import Rejected
from sync.outbox import DEAD, DONE, PENDING, Handler, Job, Outbox, drain
from sync.progress import CancelCheck, Cancelled, Progress, Steps

from .config import LakeConfig, LakeNotConfigured, resolve_config
from .fingerprint import PUSHED, REMOVED, fingerprints, is_stale, last_action
from .layout import object_key, safe_id, tombstone_key
from .s3 import LakeClient
from .schema import SESSIONS, TABLES
from .tables import session_tables
from .writer import to_parquet_bytes

log = logging.getLogger(__name__)

KIND = "lake_push"

ClientFactory = Callable[[LakeConfig], LakeClient]


def destination_id(config: LakeConfig) -> str:
    """Short stable id of a destination (endpoint, bucket, prefix) for job keys."""
    raw = f"{config.effective_endpoint() or 'aws'}|{config.bucket}|{config.prefix}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def dedupe_key(config: LakeConfig, session_uid: str) -> str:
    return f"{KIND}:{destination_id(config)}:{session_uid}"


def athlete_ref(store: Store, athlete_id: int) -> str:
    """The athlete's id in the lake (`remote_ref`), created once as a random hex id."""
    with store.orm() as s, s.begin():
        a = s.get(m.Athlete, athlete_id)
        if a is None:
            raise LookupError(f"no athlete {athlete_id}")
        if not a.remote_ref:
            a.remote_ref = uuid.uuid4().hex[:16]
        return safe_id(a.remote_ref, "athlete id")


class RefInUse(ValueError):
    """A lake athlete id that cannot be given to this athlete (the message says why)."""


def set_athlete_ref(store: Store, athlete_id: int, ref: str) -> str:
    """Give one of this machine's athletes lake id `ref` (the same person on several devices).

    Refused when a pulled client or another local athlete has that id, or when sessions were
    already pushed under a different id (they would stay in the lake under the old one).
    """
    safe_id(ref, "athlete id")
    with store.orm() as s, s.begin():
        a = s.get(m.Athlete, athlete_id)
        if a is None:
            raise LookupError(f"no athlete {athlete_id}")
        if a.read_only:
            raise RefInUse(f"{a.name} is an imported client (read-only): nothing was changed")
        if a.remote_ref == ref:
            return ref
        other = s.scalar(
            select(m.Athlete).where(m.Athlete.remote_ref == ref, m.Athlete.id != athlete_id)
        )
        if other is not None:
            kind = "an imported client" if other.read_only else "another local athlete"
            raise RefInUse(f"lake id {ref!r} belongs to {kind} here ({other.name})")
        if a.remote_ref:
            pushed = s.scalar(
                select(m.SyncJob.id)
                .join(m.Session, m.Session.id == m.SyncJob.session_id)
                .where(
                    m.SyncJob.kind == KIND,
                    m.SyncJob.state == DONE,
                    m.Session.athlete_id == athlete_id,
                )
                .limit(1)
            )
            if pushed is not None:
                raise RefInUse(
                    f"{a.name}'s sessions are already in the lake under id {a.remote_ref!r}; "
                    "configure the other device with that id instead"
                )
        a.remote_ref = ref
        return ref


def pushable_sessions(
    store: Store, since_ms: int | None = None, athlete_id: int | None = None
) -> list[tuple[int, str]]:
    """(id, uid) of finished, undeleted sessions of athletes we own (coached ones are not ours)."""
    q = (
        select(m.Session.id, m.Session.uid)
        .join(m.Athlete, m.Athlete.id == m.Session.athlete_id)
        .where(
            m.Session.status.in_([STATUS_FINISHED, STATUS_RECOVERED]),
            m.Session.deleted_ms.is_(None),
            m.Athlete.read_only.is_(False),
        )
        .order_by(m.Session.started_ms, m.Session.id)
    )
    if since_ms is not None:
        q = q.where(m.Session.started_ms >= since_ms)
    if athlete_id is not None:
        q = q.where(m.Session.athlete_id == athlete_id)
    with store.orm() as s:
        return [(sid, uid) for sid, uid in s.execute(q).all()]


@dataclass(frozen=True, slots=True)
class Enqueued:
    job_ids: list[int]
    new: int
    requeued: int


def enqueue_sessions(
    store: Store,
    outbox: Outbox,
    config: LakeConfig,
    since_ms: int | None = None,
    force: bool = False,
    athlete_id: int | None = None,
) -> Enqueued:
    """One job per pushable session; dead jobs are retried, done ones only with `force`.

    Done jobs of this destination whose session changed or was deleted since they ran are
    re-armed too (whatever the filters): edits made anywhere reach the lake without `force`.
    """
    ids: list[int] = []
    new = requeued = 0
    existing = {j.dedupe_key: j for j in outbox.jobs(kind=KIND)}
    current = fingerprints(store)
    dest = f"{KIND}:{destination_id(config)}:"
    for old in existing.values():
        fp = current.get(old.session_id) if old.session_id is not None else None
        if not old.dedupe_key.startswith(dest) or fp is None:
            continue
        if (old.state == DONE and is_stale(old.result, fp)) or (fp.deleted and old.state == DEAD):
            outbox.retry(old.id)
            ids.append(old.id)
            requeued += 1
        elif fp.deleted and old.state != DONE:  # a removal already queued (changes.py)
            ids.append(old.id)
    rearmed = set(ids)
    for session_id, uid in pushable_sessions(store, since_ms, athlete_id):
        key = dedupe_key(config, uid)
        job = existing.get(key)
        if job is None:
            payload = {"config": config.to_payload(), "session_uid": uid}
            ids.append(outbox.enqueue(KIND, key, session_id=session_id, payload=payload))
            new += 1
            continue
        if job.id in rearmed:
            continue
        ids.append(job.id)
        if job.state == DEAD or (force and job.state == DONE):
            outbox.retry(job.id)
            requeued += 1
    return Enqueued(ids, new, requeued)


def push_session(store: Store, client: LakeClient, session_id: int) -> dict[str, Any]:
    """Upload one session's objects (sessions table last), then drop its tombstone if any.

    Returns keys, byte counts and the fingerprint of what was read (a later edit makes the
    job stale). The tombstone goes last: a pull between the two still sees it and skips the
    session until the next pull. Deleting a missing key is a no-op (and free on S3).
    """
    with store.orm() as s:
        owner = s.scalar(select(m.Session.athlete_id).where(m.Session.id == session_id))
    if owner is None:
        raise LookupError(f"no session {session_id}")
    ref = athlete_ref(store, owner)  # first: the lake id is part of the fingerprint
    fp = fingerprints(store, session_id).get(session_id)  # before reading: an edit made
    data = session_tables(store, session_id)  # meanwhile makes the job stale, never lost
    keys: dict[str, str] = {}
    total = 0
    for table in TABLES:
        body = to_parquet_bytes(table, data.tables[table])
        key = object_key(client.config.prefix, table, ref, data.started_ms, data.session_uid)
        client.put(key, body)
        keys[table] = key
        total += len(body)
    client.delete([tombstone_key(client.config.prefix, ref, data.session_uid)])
    log.info("pushed session %s (%d bytes) to %s", session_id, total, client.config.location())
    return {
        "action": PUSHED,
        "athlete_id": ref,
        "keys": keys,
        "bytes": total,
        "session_uid": data.session_uid,
        "fingerprint": None if fp is None else fp.digest,
    }


def remove_session(
    store: Store, client: LakeClient, session_id: int, previous: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Tombstone a deleted session, then delete its objects in every table (sessions first).

    The tombstone first: once it exists a coach's pull drops the session, even if deleting
    the objects fails half-way (the job retries). `previous` is the job's last result; its
    athlete id and keys are used when present, so the objects a push wrote are the ones
    deleted.
    """
    with store.orm() as s:
        row = s.get(m.Session, session_id)
        if row is None:
            raise Rejected(f"no session {session_id} (it was erased)")
        owner = s.get(m.Athlete, row.athlete_id)
        uid, started = row.uid, row.started_ms
        ref = (previous or {}).get("athlete_id") or (owner.remote_ref if owner else None)
    if not ref:  # never given a lake id: nothing of it can be in the lake
        return {"action": REMOVED, "session_uid": uid, "keys": {}}
    ref = safe_id(str(ref), "athlete id")
    prefix = client.config.prefix
    keys = {t: object_key(prefix, t, ref, started, uid) for t in TABLES}
    old = (previous or {}).get("keys")
    extra = [str(k) for k in old.values()] if isinstance(old, dict) else []
    tomb = tombstone_key(prefix, ref, uid)
    body = json.dumps({"session_id": uid, "athlete_id": ref, "deleted_at": now_iso()})
    client.put(tomb, body.encode(), content_type="application/json")
    client.delete([keys[SESSIONS]])
    client.delete(sorted({*keys.values(), *extra} - {keys[SESSIONS]}))
    log.info("removed session %s from %s", session_id, client.config.location())
    return {
        "action": REMOVED,
        "athlete_id": ref,
        "session_uid": uid,
        "keys": keys,
        "tombstone": tomb,
    }


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def make_handler(store: Store, client_factory: ClientFactory = LakeClient) -> Handler:
    """The outbox handler for `lake_push` jobs (one S3 client per destination, reused)."""
    clients: dict[LakeConfig, LakeClient] = {}

    def run(job: Job) -> dict[str, Any]:
        raw = job.payload.get("config")
        if not isinstance(raw, dict) or not raw.get("bucket"):
            raise Rejected(f"job {job.id} has no lake destination in its payload")
        config = LakeConfig.from_payload(raw)
        if job.session_id is None:
            raise Rejected(f"job {job.id} has no session (it was deleted)")
        with store.orm() as s:
            row = s.get(m.Session, job.session_id)
            if row is None:
                raise Rejected(f"job {job.id}: session {job.session_id} was erased")
            deleted = row.deleted_ms is not None
        if deleted and last_action(job.result) is None and job.attempts <= 1:
            # Deleted before its first push ran: nothing of it is in the lake.
            return {"skipped": "session deleted"}
        client = clients.get(config)
        if client is None:
            client = clients[config] = client_factory(config)
        if deleted:
            return remove_session(store, client, job.session_id, job.result)
        return push_session(store, client, job.session_id)

    async def handler(job: Job) -> dict[str, Any]:
        return await asyncio.to_thread(run, job)

    return handler


def enqueue_configured(store: Store, outbox: Outbox) -> Enqueued | None:
    """For the background scheduler: queue new sessions for the lake in the settings, if any.

    Run it after a session finishes (or periodically), then `drain(outbox, {KIND:
    make_handler(store)})`; None when no lake is configured.
    """
    try:
        config = resolve_config(store)
    except LakeNotConfigured:
        return None
    return enqueue_sessions(store, outbox, config)


@dataclass(frozen=True, slots=True)
class PushReport:
    enqueued: int
    requeued: int
    ran: int
    done: int
    pending: int
    dead: int
    errors: list[str] = field(default_factory=list)
    removed: int = 0  # deleted sessions whose objects left the lake (counted in done too)


async def push(
    store: Store,
    outbox: Outbox,
    config: LakeConfig,
    since_ms: int | None = None,
    force: bool = False,
    client_factory: ClientFactory = LakeClient,
    *,
    athlete_id: int | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
) -> PushReport:
    """Enqueue what is not in the lake yet and run every due push job once.

    `athlete_id` limits what is enqueued to that athlete's sessions (jobs already due for
    others run too: the outbox claims in order). `progress(done, total)` is called after each
    session; `cancel` is checked between sessions and raises `Cancelled` (finished sessions
    stay pushed and their jobs `done`).
    """
    queued = enqueue_sessions(store, outbox, config, since_ms, force, athlete_id)
    handlers = {KIND: make_handler(store, client_factory)}
    now = int(outbox.clock() * 1000)
    due = sum(j.state == PENDING and j.next_attempt_ms <= now for j in outbox.jobs(kind=KIND))
    steps = Steps(due, progress, cancel)
    steps.start()
    ran = 0
    # One job per drain() call: the outbox's claim/complete/fail exactly as in a full drain,
    # with a cancel check between sessions (never inside one).
    while ran_one := await drain(outbox, handlers, max_jobs=1):
        ran += ran_one
        steps.grow(ran)
        try:
            steps.step()
        except Cancelled:
            raise Cancelled(
                f"cancelled after {ran} session(s); the others are pushed next time"
            ) from None
    steps.finish()
    mine = [outbox.get(i) for i in queued.job_ids]
    errors = sorted({j.last_error for j in mine if j.state != DONE and j.last_error})
    return PushReport(
        enqueued=queued.new,
        requeued=queued.requeued,
        ran=ran,
        done=sum(j.state == DONE for j in mine),
        pending=sum(j.state not in (DONE, DEAD) for j in mine),
        dead=sum(j.state == DEAD for j in mine),
        errors=errors,
        removed=sum(j.state == DONE and last_action(j.result) == REMOVED for j in mine),
    )


def parse_since(value: str | None) -> int | None:
    """`YYYY-MM-DD` (UTC midnight) or a full ISO time, as epoch ms."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since {value!r} is not a date (YYYY-MM-DD)") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    # Sessions are stored as epoch ms: a date before 1970 or past 9999 (in UTC) would only
    # fail later, deep in a pull, as an overflow.
    try:
        utc = dt.astimezone(UTC)
    except OverflowError:
        utc = None
    if utc is None or not _EARLIEST <= utc < _LATEST:
        raise ValueError(f"--since {value!r} must be from 1970-01-01 to 9998-12-31")
    return int(utc.timestamp() * 1000)


_EARLIEST, _LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9999, 1, 1, tzinfo=UTC)
