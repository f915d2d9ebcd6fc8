"""Uploading a Pulsedeck session (and a child copy's file): post once, poll, link the activity.

The ledger row tells a replay what is known: an upload id -> poll it again; no upload id ->
post again with the same `external_id`, and Strava answers "duplicate of activity N", which
links N. Strava infers the sport from the file; a PUT sets it when that differs.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..errors import NotFound, Rejected, Retryable, ServerError
from ..files.common import has_positions, merge_points
from ..files.gpx import GPX_TYPE, gpx_loss, session_to_gpx
from ..files.tcx import TCX_SPORT, session_to_tcx
from ..outbox import Job
from .client import StravaClient
from .context import StravaContext
from .enqueue import external_id
from .ledger import Ledger, LedgerState

log = logging.getLogger(__name__)

#: Strava's upload error text for a file it already has: "<name> duplicate of activity 123".
DUPLICATE_RE = re.compile(r"duplicate of (?:activity )?(\d+)", re.IGNORECASE)

#: Pulsedeck sport -> Strava sport_type (the spec's sportType enum).
SPORT_TYPE = {
    "run": "Run",
    "trail_run": "TrailRun",
    "virtual_run": "VirtualRun",
    "walk": "Walk",
    "hike": "Hike",
    "ride": "Ride",
    "virtual_ride": "VirtualRide",
    "swim": "Swim",
    "row": "Rowing",
    "gym": "WeightTraining",
    "strength": "WeightTraining",
    "yoga": "Yoga",
    "other": "Workout",
}
#: What Strava infers from the file's own type field, so a PUT is sent only when it differs.
_INFERRED_GPX = {
    "running": "Run",
    "cycling": "Ride",
    "walking": "Walk",
    "hiking": "Hike",
    "swimming": "Swim",
    "rowing": "Rowing",
}
_INFERRED_TCX = {"Running": "Run", "Biking": "Ride", "Other": "Workout"}

#: (file bytes, data_type, sport Strava will infer, trainer)
BuiltFile = tuple[bytes, str, str, bool]


@dataclass(frozen=True, slots=True)
class Uploaded:
    """An upload Strava processed: its activity, and the ledger row as last moved."""

    activity_id: int
    duplicate: bool
    #: The sport Strava infers from the file (None: not posted by this attempt).
    inferred: str | None
    ledger: Ledger


def gpx_keeps_everything(samples: list[Any]) -> bool:
    """GPX is chosen only when it loses nothing: every merged point has a position (GPX
    drops the others) and none carries power (GPX has no field for it). Anything else goes
    as TCX, which keeps every reading, positions included."""
    if not has_positions(samples):
        return False
    return gpx_loss(merge_points(samples, "other")).lossless


def build_file(ctx: StravaContext, session_id: int) -> BuiltFile:
    """The upload file of a stored session: GPX when it keeps every point, else TCX."""
    store = ctx.store
    session = store.get_session(session_id)
    if session is None:
        raise Rejected(f"session {session_id} no longer exists")
    samples = store.load_samples(session_id)
    if not samples:
        raise Rejected(f"session {session_id} has no samples to upload")
    if gpx_keeps_everything(samples):
        text = session_to_gpx(session, samples)
        inferred = _INFERRED_GPX.get(GPX_TYPE.get(session.sport, ""), "Ride")
        return text.encode(), "gpx", inferred, False
    laps = [t for kind, t, _ in store.load_markers(session_id) if kind == "lap"]
    text = session_to_tcx(session, samples, laps=laps, pauses=store.load_pauses(session_id))
    trainer = not has_positions(samples)  # indoor: no positions at all
    return text.encode(), "tcx", _INFERRED_TCX[TCX_SPORT.get(session.sport, "Other")], trainer


def compress(content: bytes, data_type: str) -> tuple[bytes, str]:
    """`gpx` -> `gpx.gz` (Strava's upload accepts both): 24-31x fewer bytes to send.

    `mtime=0` keeps the bytes of a replayed post identical to the first one.
    """
    return gzip.compress(content, compresslevel=6, mtime=0), f"{data_type}.gz"


def _outcome(ctx: StravaContext, ledger: Ledger, up: dict[str, Any]) -> tuple[int, bool] | None:
    """(activity id, was_duplicate) once Strava decided; None while it is processing."""
    if up.get("activity_id"):
        return int(up["activity_id"]), False
    error = up.get("error")
    if error:
        dup = DUPLICATE_RE.search(str(error))
        if dup:
            return int(dup.group(1)), True
        ctx.ledger.failed(ledger, str(error))
        raise Rejected(f"Strava could not process the file: {str(error)[:300]}")
    status = str(up.get("status") or "")
    if "deleted" in status.lower():
        ctx.ledger.failed(ledger, status)
        raise Rejected(f"Strava: {status}")
    return None


async def _await(
    ctx: StravaContext, client: StravaClient, ledger: Ledger, upload_id: str
) -> tuple[int, bool]:
    """Poll an upload with backoff; (activity id, was_duplicate) or a typed error."""
    delay = ctx.config.poll_first_s
    deadline = ctx.clock() + ctx.config.poll_budget_s
    while True:
        try:
            up = await client.get_upload(upload_id)
        except NotFound:
            # The upload record is gone: forget it, so the replay posts again and
            # Strava's duplicate check links any activity it already made.
            ctx.ledger.upload_lost(ledger)
            raise ServerError(f"Strava lost upload {upload_id}; it will be posted again") from None
        result = _outcome(ctx, ledger, up)
        if result is not None:
            return result
        if ctx.clock() + delay > deadline:
            raise Retryable(
                f"Strava is still processing upload {upload_id}",
                retry_after_s=ctx.config.poll_max_s,
            )
        await ctx.sleep(delay)
        delay = min(delay * 2, ctx.config.poll_max_s)


async def post_and_wait(
    ctx: StravaContext,
    client: StravaClient,
    ledger: Ledger,
    make_file: Callable[[], BuiltFile],
    name: str | None,
) -> Uploaded:
    """Post (unless a known upload exists) and wait for Strava to name the activity."""
    inferred: str | None = None
    ledger = ctx.ledger.retry(ledger)  # from `error` only when a person retried a dead job
    upload_id = ledger.upload_id if ledger.state is LedgerState.PROCESSING else None
    if upload_id is None:
        content, data_type, inferred, trainer = await asyncio.to_thread(make_file)
        content, data_type = await asyncio.to_thread(compress, content, data_type)
        up = await client.create_upload(
            content,
            data_type=data_type,
            external_id=ledger.external_id,
            name=name,
            trainer=trainer,
        )
        upload_id = str(up.get("id_str") or up.get("id") or "")
        if not upload_id:
            raise ServerError("Strava accepted the upload but returned no upload id")
        ledger = ctx.ledger.posted(ledger, upload_id)
        outcome = _outcome(ctx, ledger, up)
        if outcome is not None:
            return Uploaded(*outcome, inferred, ledger)
    activity, dup = await _await(ctx, client, ledger, upload_id)
    return Uploaded(activity, dup, inferred, ledger)


async def confirm_update(
    ctx: StravaContext, client: StravaClient, ledger: Ledger, **fields: str
) -> Ledger:
    """PUT name/sport type of an `updating` row; `ready` only once Strava answered 2xx."""
    if ledger.remote_activity_id is None:  # `updating` always has one; a bug otherwise
        raise Rejected(f"Strava ledger row {ledger.id} has no activity to update")
    await client.update_activity(ledger.remote_activity_id, **fields)
    return ctx.ledger.updated(ledger)


async def handle_upload(ctx: StravaContext, job: Job) -> dict[str, Any]:
    """Upload a Pulsedeck session to one account (owner or child)."""
    account = ctx.usable(job.account_id)
    if job.session_id is None:
        raise Rejected("upload job without a session")
    session = ctx.store.get_session(job.session_id)
    if session is None:
        raise Rejected(f"session {job.session_id} was deleted before it was uploaded")
    sid = session.id
    ext = str(job.payload.get("external_id") or external_id(session.uid))
    ledger = ctx.ledger.open(account.id, ext, session_id=sid)
    client = ctx.client(account)
    duplicate = False
    wanted = SPORT_TYPE.get(session.sport)
    if ledger.state not in (LedgerState.READY, LedgerState.UPDATING):
        done = await post_and_wait(ctx, client, ledger, lambda: build_file(ctx, sid), session.title)
        duplicate = done.duplicate
        # A replayed post (inferred None) does not know what Strava inferred: set it anyway.
        pending = wanted is not None and wanted != done.inferred
        ledger = ctx.ledger.activity_known(
            done.ledger, str(done.activity_id), update_pending=pending
        )
    if ledger.state is LedgerState.UPDATING and wanted is not None:
        ledger = await confirm_update(ctx, client, ledger, sport_type=wanted)
    elif ledger.state is LedgerState.UPDATING:  # the session's sport changed meanwhile
        ledger = ctx.ledger.updated(ledger)
    activity = ledger.remote_activity_id
    log.info("session %s is Strava activity %s on account %s", sid, activity, account.id)
    return {"activity_id": str(activity), "duplicate": duplicate}
