"""Push finished sessions to the lake, one outbox job per session and destination.

A job uploads the session's five objects (sessions last) under fixed keys, so a replay after a
crash or a forced re-push overwrites them: the lake never holds a session twice.

`push(..., progress=, cancel=)` runs the due jobs one at a time, reporting after each session
and checking `cancel` between sessions: a cancelled push stops with every finished job `done`
(not pushed again next time) and no job left half-run.
"""

from __future__ import annotations

import asyncio
import hashlib
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
from .layout import object_key, safe_id
from .s3 import LakeClient
from .schema import TABLES
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
    """One job per pushable session; dead jobs are retried, done ones only with `force`."""
    ids: list[int] = []
    new = requeued = 0
    existing = {j.dedupe_key: j for j in outbox.jobs(kind=KIND)}
    for session_id, uid in pushable_sessions(store, since_ms, athlete_id):
        key = dedupe_key(config, uid)
        job = existing.get(key)
        if job is None:
            payload = {"config": config.to_payload(), "session_uid": uid}
            ids.append(outbox.enqueue(KIND, key, session_id=session_id, payload=payload))
            new += 1
            continue
        ids.append(job.id)
        if job.state == DEAD or (force and job.state == DONE):
            outbox.retry(job.id)
            requeued += 1
    return Enqueued(ids, new, requeued)


def push_session(store: Store, client: LakeClient, session_id: int) -> dict[str, Any]:
    """Upload one session's objects (sessions table last); returns keys and byte counts."""
    data = session_tables(store, session_id)
    ref = athlete_ref(store, data.athlete_local_id)
    keys: dict[str, str] = {}
    total = 0
    for table in TABLES:
        body = to_parquet_bytes(table, data.tables[table])
        key = object_key(client.config.prefix, table, ref, data.started_ms, data.session_uid)
        client.put(key, body)
        keys[table] = key
        total += len(body)
    log.info("pushed session %s (%d bytes) to %s", session_id, total, client.config.location())
    return {"athlete_id": ref, "keys": keys, "bytes": total, "session_uid": data.session_uid}


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
            deleted = row is None or row.deleted_ms is not None
        if deleted:
            return {"skipped": "session deleted"}
        client = clients.get(config)
        if client is None:
            client = clients[config] = client_factory(config)
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
