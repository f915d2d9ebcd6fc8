"""The Strava side of the outbox: uploads, child copies, polling; exactly once in effect.

Ledger: `remote_activities` has one row per (account, external_id), written *before* the
request that creates something remote. On a replay (a worker killed between POST and
`complete`) the row tells what is known: an upload id -> poll it again; no upload id -> post
again with the same `external_id`, and Strava answers "duplicate of activity N", which links
N. Manual activities (no file, so no external_id) are created only from a fresh row; a row
left `creating` by a crash parks the job as Uncertain for a person to check.

Job kinds: `strava_upload` (a Pulsedeck session to an owner or child account) and
`strava_copy` (an activity that reached the owner's Strava from elsewhere, copied to a child).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import select, update

from app.store import models as m
from app.store.repo import STATUS_FINISHED, STATUS_RECOVERED, Store

from ..errors import (
    AppInactive,
    AuthRevoked,
    NetworkError,
    NotFound,
    RateLimited,
    Rejected,
    Retryable,
    ServerError,
    SyncError,
    Uncertain,
)
from ..files.common import Point, has_positions, merge_points
from ..files.gpx import GPX_TYPE, points_to_gpx, session_to_gpx
from ..files.tcx import TCX_SPORT, points_to_tcx, session_to_tcx
from ..outbox import PENDING, Handler, Outbox, drain
from ..progress import CancelCheck, Cancelled
from .accounts import CHILD, OWNER, Account, children_of, get_account, list_accounts, set_status
from .children import title_matches
from .client import INACTIVE_MESSAGE, AccountAuth, StravaClient
from .config import StravaConfig
from .ratelimit import RateBudget
from .tokens import load_tokens, token_key

log = logging.getLogger(__name__)

KIND_UPLOAD = "strava_upload"
KIND_COPY = "strava_copy"
EXTERNAL_PREFIX = "pulsedeck-"

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

#: A watch may sync an activity days after it was recorded; each poll looks back this far
#: (one extra page at most) so late arrivals and renamed titles still route to children.
POLL_OVERLAP_S = 3 * 24 * 3600


def external_id(session_uid: str) -> str:
    """Stable per session: a replay of the same upload is recognised by Strava."""
    return f"{EXTERNAL_PREFIX}{session_uid}"


def copy_external_id(source_activity_id: int | str) -> str:
    return f"{EXTERNAL_PREFIX}copy-{source_activity_id}"


def parse_time(value: str | None) -> float | None:
    """Strava's ISO 8601 (`2018-02-16T14:52:54Z`) -> epoch seconds."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Ledger:
    id: int
    account_id: int
    external_id: str
    state: str
    upload_id: str | None
    remote_activity_id: str | None
    error: str | None


@dataclass(slots=True)
class RunReport:
    """What one `run_once` did (the CLI prints it)."""

    enqueued: int = 0
    polled: int = 0
    ran: int = 0
    errors: list[str] = field(default_factory=list)


Sleep = Callable[[float], Awaitable[None]]


def backfill_key(account_id: int) -> str:
    """The setting holding an owner's resumable backfill cursor {"after", "page"}."""
    return f"strava.backfill.{account_id}"


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """How far a backfill walked: pages and activities seen, copies queued, dates covered."""

    since_s: float
    until_s: float
    reached_s: float
    pages: int = 0
    last_page: int = 0
    activities: int = 0
    queued: int = 0
    done: bool = False

    @property
    def days(self) -> tuple[int, int]:
        """(days covered, days in all) for a progress bar (activities come oldest first)."""
        total = max(1, round((self.until_s - self.since_s) / 86400))
        covered = round((min(self.reached_s, self.until_s) - self.since_s) / 86400)
        return max(0, min(total, covered)), total


@dataclass(frozen=True, slots=True)
class _BackfillStep:
    page: int
    activities: int
    queued: int
    done: bool
    newest_s: float | None


class StravaSync:
    """Owns the clients of all linked accounts and one rate budget per API application."""

    def __init__(
        self,
        store: Store,
        http: httpx.AsyncClient,
        config: StravaConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Sleep = asyncio.sleep,
        outbox: Outbox | None = None,
    ) -> None:
        self.store = store
        self.http = http
        self.config = config or StravaConfig.load()
        self.clock = clock
        self.sleep = sleep
        self.outbox = outbox or Outbox(store, clock=clock)
        self._budgets: dict[str, RateBudget] = {}
        self._clients: dict[int, StravaClient] = {}

    # Plumbing ------------------------------------------------------------------------------

    def budget(self, client_id: str = "") -> RateBudget:
        """Strava counts per application, so accounts of one app share one budget."""
        return self._budgets.setdefault(client_id, RateBudget())

    def budgets(self) -> dict[str, RateBudget]:
        return dict(self._budgets)

    def client(self, account: Account) -> StravaClient:
        existing = self._clients.get(account.id)
        if existing is not None:
            return existing
        tokens = load_tokens(account.keyring_key or token_key(account.remote_id))
        auth = AccountAuth(
            account.keyring_key or token_key(account.remote_id),
            self.http,
            self.config,
            clock=self.clock,
            on_status=lambda status, aid=account.id: set_status(self.store, aid, status),
        )
        client = StravaClient(
            self.http,
            self.config,
            auth,
            self.budget(tokens.client_id if tokens else ""),
            clock=self.clock,
            sleep=self.sleep,
        )
        self._clients[account.id] = client
        return client

    def _usable(self, account_id: int | None) -> Account:
        account = get_account(self.store, account_id) if account_id is not None else None
        if account is None:
            raise Rejected("the Strava account of this job was unlinked")
        if account.status == "needs_reauth":
            raise AuthRevoked(
                f"Strava account {account.id} needs authorizing again: "
                "`pulsedeck accounts link strava`"
            )
        if account.status == "inactive":
            raise AppInactive(INACTIVE_MESSAGE)
        return account

    def handlers(self) -> dict[str, Handler]:
        return {KIND_UPLOAD: self.handle_upload, KIND_COPY: self.handle_copy}

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)

    # Ledger --------------------------------------------------------------------------------

    def _ledger(
        self,
        account_id: int,
        ext: str,
        *,
        session_id: int | None = None,
        source_activity_id: str | None = None,
    ) -> Ledger:
        """The row for (account, external_id), created in state `uploading` if missing."""
        with self.store.orm() as s, s.begin():
            q = select(m.RemoteActivity).where(
                m.RemoteActivity.account_id == account_id, m.RemoteActivity.external_id == ext
            )
            row = s.scalar(q)
            if row is None:
                row = m.RemoteActivity(
                    account_id=account_id,
                    session_id=session_id,
                    external_id=ext,
                    source_activity_id=source_activity_id,
                    state="uploading",
                    updated_ms=self._now_ms(),
                )
                s.add(row)
                s.flush()
            return Ledger(
                row.id,
                row.account_id,
                row.external_id,
                row.state,
                row.upload_id,
                row.remote_activity_id,
                row.error,
            )

    def _set_ledger(self, ledger_id: int, **values: Any) -> None:
        values["updated_ms"] = self._now_ms()
        with self.store.engine.begin() as conn:
            conn.execute(
                update(m.RemoteActivity).where(m.RemoteActivity.id == ledger_id).values(**values)
            )

    def remote_for_session(self, session_id: int) -> list[dict[str, Any]]:
        """What exists remotely for a session, per account (for `strava status`)."""
        with self.store.orm() as s:
            rows = s.scalars(
                select(m.RemoteActivity).where(m.RemoteActivity.session_id == session_id)
            ).all()
        return [
            {
                "account_id": r.account_id,
                "state": r.state,
                "activity_id": r.remote_activity_id,
                "upload_id": r.upload_id,
                "error": r.error,
            }
            for r in rows
        ]

    # Enqueueing ----------------------------------------------------------------------------

    def _targets(
        self,
        athlete_id: int,
        title: str | None,
        started_ms: int | None,
        accounts: list[Account] | None = None,
    ) -> list[Account]:
        """Accounts a session goes to: the athlete's owners, and children named in the title.

        With `started_ms`, only accounts linked before the session started (automatic
        uploads); without it, all of them (an explicit `strava upload`).
        """
        accounts = list_accounts(self.store) if accounts is None else accounts
        out: list[Account] = []
        for owner in accounts:
            if owner.role != OWNER or owner.athlete_id != athlete_id or owner.status != "ok":
                continue
            children = [a for a in accounts if a.role == CHILD and a.parent_id == owner.id]
            for acc in [owner, *children]:
                if acc.role == CHILD and not title_matches(title, acc.child_names):
                    continue
                if started_ms is not None and started_ms < acc.created_ms:
                    continue
                out.append(acc)
        return out

    @staticmethod
    def _upload_key(account_id: int, session_uid: str) -> str:
        return f"{KIND_UPLOAD}:{account_id}:{session_uid}"

    def _enqueue_upload(self, acc: Account, session_id: int, uid: str) -> int:
        return self.outbox.enqueue(
            KIND_UPLOAD,
            self._upload_key(acc.id, uid),
            session_id=session_id,
            account_id=acc.id,
            payload={"external_id": external_id(uid)},
        )

    def enqueue_session(self, session_id: int) -> list[int]:
        """Jobs for one session now, whenever it was recorded (`pulsedeck strava upload`)."""
        session = self.store.get_session(session_id)
        if session is None:
            raise LookupError(f"no session {session_id}")
        return [
            self._enqueue_upload(acc, session.id, session.uid)
            for acc in self._targets(session.athlete_id, session.title, None)
        ]

    def enqueue_finished(self) -> int:
        """Jobs for finished sessions recorded since the target account was linked.

        Checked per (account, session), so a process killed halfway through queueing one
        session's jobs gets the rest queued by the next run.
        """
        accounts = list_accounts(self.store)
        owners = [a for a in accounts if a.role == OWNER and a.status == "ok"]
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
                    m.Session.athlete_id.in_(list(earliest)),
                )
            ).all()
        n = 0
        for sid, uid, athlete_id, title, started in rows:
            if started < earliest[athlete_id]:
                continue
            for acc in self._targets(athlete_id, title, started, accounts):
                if self._upload_key(acc.id, uid) not in queued:
                    self._enqueue_upload(acc, sid, uid)
                    n += 1
        return n

    # Uploads -------------------------------------------------------------------------------

    def _build_file(self, session_id: int) -> tuple[bytes, str, str, bool]:
        """(file bytes, data_type, inferred Strava type, trainer) for a stored session."""
        session = self.store.get_session(session_id)
        if session is None:
            raise Rejected(f"session {session_id} no longer exists")
        samples = self.store.load_samples(session_id)
        if not samples:
            raise Rejected(f"session {session_id} has no samples to upload")
        if _mostly_located(samples):
            text = session_to_gpx(session, samples)
            inferred = _INFERRED_GPX.get(GPX_TYPE.get(session.sport, ""), "Ride")
            return text.encode(), "gpx", inferred, False
        laps = [t for kind, t, _ in self.store.load_markers(session_id) if kind == "lap"]
        text = session_to_tcx(session, samples, laps=laps)
        return text.encode(), "tcx", _INFERRED_TCX[TCX_SPORT.get(session.sport, "Other")], True

    async def _await_upload(
        self, client: StravaClient, ledger: Ledger, upload_id: str
    ) -> tuple[int, bool]:
        """Poll an upload with backoff; (activity id, was_duplicate) or a typed error."""
        delay = self.config.poll_first_s
        deadline = self.clock() + self.config.poll_budget_s
        while True:
            try:
                up = await client.get_upload(upload_id)
            except NotFound:
                # The upload record is gone: forget it, so the replay posts again and
                # Strava's duplicate check links any activity it already made.
                self._set_ledger(ledger.id, upload_id=None, state="uploading")
                raise ServerError(
                    f"Strava lost upload {upload_id}; it will be posted again"
                ) from None
            result = self._upload_outcome(ledger, up)
            if result is not None:
                return result
            if self.clock() + delay > deadline:
                raise Retryable(
                    f"Strava is still processing upload {upload_id}",
                    retry_after_s=self.config.poll_max_s,
                )
            await self.sleep(delay)
            delay = min(delay * 2, self.config.poll_max_s)

    def _upload_outcome(self, ledger: Ledger, up: dict[str, Any]) -> tuple[int, bool] | None:
        if up.get("activity_id"):
            return int(up["activity_id"]), False
        error = up.get("error")
        if error:
            dup = DUPLICATE_RE.search(str(error))
            if dup:
                return int(dup.group(1)), True
            self._set_ledger(ledger.id, state="error", error=str(error)[:1000])
            raise Rejected(f"Strava could not process the file: {str(error)[:300]}")
        status = str(up.get("status") or "")
        if "deleted" in status.lower():
            self._set_ledger(ledger.id, state="error", error=status[:1000])
            raise Rejected(f"Strava: {status}")
        return None

    async def _upload(
        self,
        client: StravaClient,
        ledger: Ledger,
        make_file: Callable[[], tuple[bytes, str, str, bool]],
        name: str | None,
    ) -> tuple[int, bool, str | None]:
        """Post (unless a known upload exists) and wait; returns (activity, dup, inferred)."""
        inferred: str | None = None
        upload_id = ledger.upload_id
        if ledger.state == "error":  # only reached when a person retried a dead job
            self._set_ledger(ledger.id, state="uploading", error=None, upload_id=None)
            upload_id = None
        if upload_id is None:
            content, data_type, inferred, trainer = await asyncio.to_thread(make_file)
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
            self._set_ledger(ledger.id, upload_id=upload_id, state="processing")
            outcome = self._upload_outcome(ledger, up)
            if outcome is not None:
                return (*outcome, inferred)
        activity, dup = await self._await_upload(client, ledger, upload_id)
        return activity, dup, inferred

    async def handle_upload(self, job: Any) -> dict[str, Any]:
        """Upload a Pulsedeck session to one account (owner or child)."""
        account = self._usable(job.account_id)
        if job.session_id is None:
            raise Rejected("upload job without a session")
        session = self.store.get_session(job.session_id)
        if session is None:
            raise Rejected(f"session {job.session_id} was deleted before it was uploaded")
        ext = str(job.payload.get("external_id") or external_id(session.uid))
        ledger = self._ledger(account.id, ext, session_id=session.id)
        client = self.client(account)
        duplicate = False
        inferred: str | None = None
        if ledger.state == "ready" and ledger.remote_activity_id:
            activity = int(ledger.remote_activity_id)
        else:
            activity, duplicate, inferred = await self._upload(
                client, ledger, lambda: self._build_file(session.id), session.title
            )
            self._set_ledger(ledger.id, state="ready", remote_activity_id=str(activity), error=None)
        wanted = SPORT_TYPE.get(session.sport)
        if wanted and wanted != inferred:
            # Idempotent; repeated after a replay (cheap, and the earlier PUT may not have run).
            await client.update_activity(activity, sport_type=wanted)
        log.info("session %s is Strava activity %s on account %s", session.id, activity, account.id)
        return {"activity_id": str(activity), "duplicate": duplicate}

    # Child copies of activities from elsewhere ----------------------------------------------

    @staticmethod
    def _points_from_streams(streams: dict[str, Any], start_s: float) -> list[Point]:
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
            if (
                isinstance(ll, list)
                and len(ll) == 2
                and all(isinstance(v, (int, float)) for v in ll)
            ):
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
                    power=max(0, min(int(watts), 65535))
                    if isinstance(watts, (int, float))
                    else None,
                )
            )
        return points

    async def handle_copy(self, job: Any) -> dict[str, Any]:
        """Copy an activity of the owner to a child (GPX/TCX from streams, or manual)."""
        child = self._usable(job.account_id)
        payload = job.payload
        source_id = str(payload["source_activity_id"])
        owner = self._usable(int(payload["source_account_id"]))
        ext = copy_external_id(source_id)
        ledger = self._ledger(child.id, ext, source_activity_id=source_id)
        if ledger.state == "ready" and ledger.remote_activity_id:
            return {"activity_id": ledger.remote_activity_id, "duplicate": True}
        if ledger.state == "creating":
            self._set_ledger(ledger.id, state="error", error="interrupted while creating")
            raise Uncertain(
                f"a copy of Strava activity {source_id} to account {child.id} was being created "
                "when Pulsedeck stopped; check the child's Strava, then `pulsedeck sync retry "
                f"{job.id}` to create it again if it is missing"
            )
        name = str(payload.get("name") or "Activity")
        sport_type = str(payload.get("sport_type") or payload.get("type") or "Workout")
        start_s = parse_time(payload.get("start_date"))
        if start_s is None:
            raise Rejected(f"Strava activity {source_id} has no start date")
        source = self.client(owner)
        target = self.client(child)
        streams: dict[str, Any] = {}
        if not payload.get("manual"):
            streams = await source.streams(source_id, STREAM_KEYS)
        points = self._points_from_streams(streams, start_s)
        if not points and not payload.get("manual"):
            # No streams for a recorded activity: is it still there at all? (NotFound ->
            # dead with a reason, rather than a manual copy of something deleted.)
            await source.get_activity(source_id)
        if points:
            elapsed = float(payload.get("elapsed_time") or 0)

            def make_file() -> tuple[bytes, str, str, bool]:
                if any(p.lat is not None for p in points):
                    text = points_to_gpx(points, name=name, sport="")
                    return text.encode(), "gpx", "", False
                text = points_to_tcx(
                    points,
                    sport="",
                    started_ms=int(start_s * 1000),
                    ended_ms=int((start_s + elapsed) * 1000),
                )
                return text.encode(), "tcx", "", bool(payload.get("trainer"))

            activity, dup, _ = await self._upload(target, ledger, make_file, name)
            self._set_ledger(ledger.id, state="ready", remote_activity_id=str(activity), error=None)
            await target.update_activity(activity, sport_type=sport_type, name=name)
            return {"activity_id": str(activity), "duplicate": dup}

        # No streams: a manual activity. Not deduplicable at Strava, so the ledger says
        # `creating` from the moment the request leaves until its answer is stored.
        def mark_sent() -> None:
            self._set_ledger(ledger.id, state="creating")

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
            self._set_ledger(ledger.id, state="uploading")  # Strava refused: nothing created
            raise
        except NetworkError as exc:
            if not exc.request_sent:
                self._set_ledger(ledger.id, state="uploading")
            raise
        activity = str(created.get("id") or "")
        if not activity:
            raise Uncertain(f"Strava created the copy of {source_id} but returned no id")
        self._set_ledger(ledger.id, state="ready", remote_activity_id=activity, error=None)
        return {"activity_id": activity, "duplicate": False}

    # Polling -------------------------------------------------------------------------------

    def _setting(self, key: str) -> Any:
        with self.store.orm() as s:
            row = s.get(m.Setting, key)
            return None if row is None else row.value

    def _set_setting(self, key: str, value: Any) -> None:
        with self.store.orm() as s, s.begin():
            row = s.get(m.Setting, key)
            if value is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(m.Setting(key=key, value=value))
            else:
                row.value = value

    def start_backfill(self, account_id: int, since_s: float) -> None:
        """Ask the next polls to walk the owner's history from `since_s` (resumable)."""
        self._set_setting(backfill_key(account_id), {"after": int(since_s), "page": 1})

    def _own_activity_ids(self, account_id: int) -> set[str]:
        with self.store.orm() as s:
            return {
                r
                for r in s.scalars(
                    select(m.RemoteActivity.remote_activity_id).where(
                        m.RemoteActivity.account_id == account_id
                    )
                )
                if r
            }

    def _route(
        self,
        owner: Account,
        children: list[Account],
        activities: list[dict[str, Any]],
        own: set[str],
    ) -> int:
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
                    **{
                        k: act.get(k)
                        for k in (
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
                    },
                }
                self.outbox.enqueue(
                    KIND_COPY,
                    f"{KIND_COPY}:{child.id}:{aid}",
                    account_id=child.id,
                    payload=payload,
                )
                n += 1
        return n

    async def _backfill_page(
        self, owner: Account, children: list[Account], client: StravaClient, own: set[str]
    ) -> _BackfillStep | None:
        """Walk one page of the owner's backfill cursor and move the cursor; None: no cursor."""
        bkey = backfill_key(owner.id)
        backfill = self._setting(bkey)
        if backfill is None:
            return None
        page = await client.list_activities(after=backfill["after"], page=backfill["page"])
        queued = self._route(owner, children, page, own)
        done = len(page) < self.config.page_size
        self._set_setting(bkey, None if done else {**backfill, "page": backfill["page"] + 1})
        starts = [s for s in (parse_time(a.get("start_date")) for a in page) if s is not None]
        return _BackfillStep(
            int(backfill["page"]), len(page), queued, done, max(starts, default=None)
        )

    async def backfill(
        self,
        account_id: int,
        since_s: float | None = None,
        *,
        progress: Callable[[BackfillProgress], None] | None = None,
        cancel: CancelCheck | None = None,
    ) -> BackfillProgress:
        """Walk an owner's history now, page by page, queueing child copies (the GUI's task).

        With `since_s` equal to a stored cursor's date (or None) it resumes that cursor;
        another date starts again from page 1. The cursor moves after every page, so a
        cancel (checked between pages, raising `Cancelled`) or a 429 (`RateLimited`) keeps
        it: the next `backfill` or the next poll of the background sync continues from there.
        """
        owner = self._usable(account_id)
        if owner.role != OWNER:
            raise Rejected(f"Strava account {account_id} is a child; backfill its owner")
        children = [c for c in children_of(self.store, owner.id) if c.child_names]
        if not children:
            raise Rejected("link a child account with names first: a backfill copies to them")
        cursor = self._setting(backfill_key(owner.id))
        if since_s is not None and (cursor is None or int(cursor["after"]) != int(since_s)):
            self.start_backfill(owner.id, since_s)
            cursor = self._setting(backfill_key(owner.id))
        if cursor is None:
            raise Rejected("no backfill to resume: choose the date to start from")
        after = float(cursor["after"])
        report = BackfillProgress(after, self.clock(), reached_s=after)
        client = self.client(owner)
        own = self._own_activity_ids(owner.id)
        if progress is not None:
            progress(report)
        while True:
            if cancel is not None and cancel():
                raise Cancelled(
                    f"stopped after {report.pages} page(s), {report.queued} copies queued; "
                    "the background sync continues from the next page, or Backfill again"
                )
            step = await self._backfill_page(owner, children, client, own)
            if step is None:
                break
            report = replace(
                report,
                pages=report.pages + 1,
                last_page=step.page,
                activities=report.activities + step.activities,
                queued=report.queued + step.queued,
                reached_s=max(report.reached_s, step.newest_s or report.reached_s),
                done=step.done,
            )
            if progress is not None:
                progress(report)
            if step.done:
                break
        return replace(report, done=True, reached_s=max(report.reached_s, report.until_s))

    async def poll(self, owner: Account) -> int:
        """List the owner's new activities (and any backfill) and queue child copies."""
        children = [c for c in children_of(self.store, owner.id) if c.child_names]
        if not children:
            return 0
        client = self.client(owner)
        own = self._own_activity_ids(owner.id)
        queued = 0
        while (step := await self._backfill_page(owner, children, client, own)) is not None:
            queued += step.queued
        ckey = f"strava.poll_after.{owner.id}"
        cursor = self._setting(ckey)
        if cursor is None:
            cursor = int(owner.created_ms / 1000 - self.config.first_poll_lookback_s)
        after = int(cursor) - POLL_OVERLAP_S
        newest = int(cursor)
        page_no = 1
        while True:
            page = await client.list_activities(after=after, page=page_no)
            queued += self._route(owner, children, page, own)
            for act in page:
                started = parse_time(act.get("start_date"))
                if started is not None:
                    newest = max(newest, int(started))
            if len(page) < self.config.page_size:
                break
            page_no += 1
        self._set_setting(ckey, newest)
        return queued

    async def poll_all(self, report: RunReport | None = None) -> int:
        n = 0
        for owner in list_accounts(self.store, OWNER):
            if owner.status != "ok":
                continue
            try:
                n += await self.poll(owner)
            except SyncError as exc:
                log.warning("polling Strava account %s: %s", owner.id, exc)
                if report is not None:
                    report.errors.append(f"poll account {owner.id}: {exc}")
        return n

    # Running -------------------------------------------------------------------------------

    async def run_once(self, *, poll: bool = True, max_jobs: int | None = None) -> RunReport:
        """Queue finished sessions, poll owners, then run every due job."""
        report = RunReport()
        report.enqueued = await asyncio.to_thread(self.enqueue_finished)
        if poll:
            report.polled = await self.poll_all(report)
        report.ran = await drain(
            self.outbox, self.handlers(), max_jobs=max_jobs, stop_on=(RateLimited,)
        )
        await asyncio.to_thread(self.save_rate_usage)
        return report

    def save_rate_usage(self) -> None:
        """Keep the last rate-limit usage seen, for `sync status` in another process."""
        for client_id, budget in self._budgets.items():
            snap = budget.snapshot()
            if snap.seen_s is None:
                continue
            self._set_setting(
                f"strava.rate_usage.{client_id or 'default'}",
                {
                    "seen_s": snap.seen_s,
                    "overall": None if snap.overall is None else list(_usage(snap.overall)),
                    "read": None if snap.read is None else list(_usage(snap.read)),
                },
            )

    def rate_usage(self) -> dict[str, Any]:
        """What `save_rate_usage` stored, per application."""
        with self.store.orm() as s:
            rows = s.scalars(
                select(m.Setting).where(m.Setting.key.like("strava.rate_usage.%"))
            ).all()
            return {r.key.removeprefix("strava.rate_usage."): r.value for r in rows}

    def next_due_s(self) -> float | None:
        """Seconds until the next pending job of ours is due (None: nothing pending)."""
        pending = [j for j in self.outbox.jobs(state=PENDING) if j.kind in (KIND_UPLOAD, KIND_COPY)]
        if not pending:
            return None
        return max(0.0, min(j.next_attempt_ms for j in pending) / 1000 - self.clock())


def _mostly_located(samples: list[Any]) -> bool:
    """GPX keeps only located points, so it is used when at least half of them have a
    position; a session whose GPS dropped out early goes as TCX, which keeps every reading."""
    if not has_positions(samples):
        return False
    merged = merge_points(samples, "other")
    located = sum(1 for p in merged if p.lat is not None)
    return located * 2 >= len(merged)


def _usage(u: Any) -> tuple[int, int, int, int]:
    return (u.usage_15, u.limit_15, u.usage_day, u.limit_day)


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
