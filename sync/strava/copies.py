"""Copying an owner's activity to a child account: a GPX/TCX file from its streams, or a
manual activity when it has none.

Manual activities have no file and so no `external_id` Strava could deduplicate: they are
created only from a fresh ledger row, and a row left `creating` by a crash parks the job as
Uncertain for a person to check.
"""

from __future__ import annotations

from typing import Any

from ..errors import AppInactive, AuthRevoked, NetworkError, RateLimited, Rejected, Uncertain
from ..files.common import Point
from ..files.gpx import gpx_loss, points_to_gpx
from ..files.tcx import points_to_tcx
from ..outbox import Job
from .client import StravaClient
from .context import StravaContext
from .enqueue import copy_external_id
from .ledger import Ledger, LedgerState
from .routing import COPY_FIELDS, parse_time
from .upload import BuiltFile, confirm_update, post_and_wait

STREAM_KEYS = [
    "time",
    "latlng",
    "altitude",
    "heartrate",
    "cadence",
    "distance",
    "velocity_smooth",
    "watts",
]


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def points_from_streams(streams: dict[str, Any], start_s: float) -> list[Point]:
    """Strava's stream columns -> one Point per `time` entry (missing values as None)."""

    def data(key: str) -> list[Any]:
        stream = streams.get(key)
        values = stream.get("data") if isinstance(stream, dict) else None
        return values if isinstance(values, list) else []

    times = data("time")
    cols = {k: data(k) for k in STREAM_KEYS if k != "time"}

    def at(key: str, i: int) -> Any:
        values = cols[key]
        return values[i] if i < len(values) else None

    points = []
    for i, t in enumerate(times):
        if not isinstance(t, (int, float)):
            continue
        ll = at("latlng", i)
        lat = lon = None
        if isinstance(ll, list) and len(ll) == 2 and all(isinstance(v, (int, float)) for v in ll):
            lat, lon = float(ll[0]), float(ll[1])
        hr, cad, watts = at("heartrate", i), at("cadence", i), at("watts", i)
        points.append(
            Point(
                t_ms=int((start_s + float(t)) * 1000),
                lat=lat,
                lon=lon,
                altitude=_num(at("altitude", i)),
                hr=int(hr) if isinstance(hr, (int, float)) and 1 <= hr <= 255 else None,
                # Strava's cadence stream is already per leg (strides) for runs.
                cadence=max(0, min(int(cad), 254)) if isinstance(cad, (int, float)) else None,
                distance=_num(at("distance", i)),
                speed=_num(at("velocity_smooth", i)),
                power=max(0, min(int(watts), 65535)) if isinstance(watts, (int, float)) else None,
            )
        )
    return points


def _file_maker(
    points: list[Point], payload: dict[str, Any], name: str, start_s: float
) -> BuiltFile:
    if gpx_loss(points).lossless:  # as uploads: GPX only when it drops nothing (else TCX)
        return points_to_gpx(points, name=name, sport="").encode(), "gpx", "", False
    elapsed = float(payload.get("elapsed_time") or 0)
    text = points_to_tcx(
        points,
        sport="",
        started_ms=int(start_s * 1000),
        ended_ms=int((start_s + elapsed) * 1000),
    )
    return text.encode(), "tcx", "", bool(payload.get("trainer"))


async def _create_manual(
    ctx: StravaContext,
    target: StravaClient,
    ledger: Ledger,
    payload: dict[str, Any],
    source_id: str,
    name: str,
    sport_type: str,
) -> dict[str, Any]:
    """No streams: a manual activity, `creating` from the moment the request leaves."""
    sent: list[Ledger] = []

    def mark_sent() -> None:  # again on a resend after a 401: already `creating`
        if not sent:
            sent.append(ctx.ledger.creating(ledger))

    try:
        created = await target.create_activity(
            on_send=mark_sent,
            name=name,
            sport_type=sport_type,
            start_date_local=payload.get("start_date_local") or payload.get("start_date"),
            elapsed_time=int(payload.get("elapsed_time") or 1),
            distance=payload.get("distance"),
            trainer=1 if payload.get("trainer") else None,
            description=f"Copied by Pulsedeck from activity {source_id}",
        )
    except (RateLimited, Rejected, AuthRevoked, AppInactive):
        ctx.ledger.create_refused(ledger)  # Strava refused: nothing created
        raise
    except NetworkError as exc:
        if not exc.request_sent:
            ctx.ledger.create_refused(ledger)
        raise
    activity = str(created.get("id") or "")
    if not activity:
        raise Uncertain(f"Strava created the copy of {source_id} but returned no id")
    current = sent[0] if sent else ctx.ledger.reread(ledger)
    ctx.ledger.activity_known(current, activity, update_pending=False)  # name/sport were sent
    return {"activity_id": activity, "duplicate": False}


async def handle_copy(ctx: StravaContext, job: Job) -> dict[str, Any]:
    """Copy an activity of the owner to a child (GPX/TCX from streams, or manual)."""
    child = ctx.usable(job.account_id)
    payload = dict(job.payload)
    source_id = str(payload["source_activity_id"])
    owner = ctx.usable(int(payload["source_account_id"]))
    ext = copy_external_id(source_id)
    ledger = ctx.ledger.open(child.id, ext, source_activity_id=source_id)
    if ledger.state is LedgerState.READY and ledger.remote_activity_id:
        return {"activity_id": ledger.remote_activity_id, "duplicate": True}
    if not payload.get("start_date"):
        # The cached summary expired (sync.strava.retention): read it again, keep it in memory.
        act = await ctx.client(owner).get_activity(source_id)
        payload.update({k: act.get(k) for k in COPY_FIELDS})
    name = str(payload.get("name") or "Activity")
    sport_type = str(payload.get("sport_type") or payload.get("type") or "Workout")
    if ledger.state is LedgerState.UPDATING:  # the copy exists; its PUT never got a 2xx
        ledger = await confirm_update(
            ctx, ctx.client(child), ledger, sport_type=sport_type, name=name
        )
        return {"activity_id": str(ledger.remote_activity_id), "duplicate": False}
    if ledger.state is LedgerState.CREATING:
        ctx.ledger.failed(ledger, "interrupted while creating")
        raise Uncertain(
            f"a copy of Strava activity {source_id} to account {child.id} was being created "
            "when Pulsedeck stopped; check the child's Strava, then `pulsedeck sync retry "
            f"{job.id}` to create it again if it is missing"
        )
    ledger = ctx.ledger.retry(ledger)  # from `error` only when a person retried a dead job
    start_s = parse_time(payload.get("start_date"))
    if start_s is None:
        raise Rejected(f"Strava activity {source_id} has no start date")
    source = ctx.client(owner)
    target = ctx.client(child)
    streams: dict[str, Any] = {}
    if not payload.get("manual"):
        streams = await source.streams(source_id, STREAM_KEYS)
    points = points_from_streams(streams, start_s)
    if not points and not payload.get("manual"):
        # No streams for a recorded activity: is it still there at all? (NotFound ->
        # dead with a reason, rather than a manual copy of something deleted.)
        await source.get_activity(source_id)
    if not points:
        return await _create_manual(ctx, target, ledger, payload, source_id, name, sport_type)
    done = await post_and_wait(
        ctx, target, ledger, lambda: _file_maker(points, payload, name, start_s), name
    )
    # The file carries no sport: Strava guesses one, so the PUT always follows, and the copy
    # is `ready` only once Strava confirmed it (a failed PUT leaves it `updating`).
    ledger = ctx.ledger.activity_known(done.ledger, str(done.activity_id), update_pending=True)
    await confirm_update(ctx, target, ledger, sport_type=sport_type, name=name)
    return {"activity_id": str(done.activity_id), "duplicate": done.duplicate}
