"""Coach pull: clients' sessions from the lake into the local SQLite, read-only, idempotently.

Each session is imported in one transaction keyed by its uid: pulling again skips sessions
that are unchanged and replaces changed ones, so nothing is ever duplicated. Sessions that
belong to an athlete of this machine (not read-only) are never overwritten by the lake.

Deletions: an athlete's device writes one tombstone object per deleted session under
`<prefix>/_deleted/athlete_id=<id>/` before removing the session's objects (push.py). A pull
lists that prefix first, erases the client's local copies it names and never imports them,
even if some of their objects are still there. Tombstones rather than one manifest per
athlete: a desktop and an edge box sharing an athlete id would race on a read-modify-write
manifest (S3 has no portable compare-and-swap) and a lost update would bring a deleted
session back; a tombstone is written once, by one device, and a deletion is never undone by
another device's write. Listing them costs one request per 1,000 deletions.

Markers: a session's pause/resume markers (`MARKER_KINDS`) come in its `markers` object and
are written in the session's transaction, before its track is stored, so the coach's days,
trends and zone minutes leave paused time out as the athlete's do. A session pushed by a
build before that object existed has none: it is pulled with no markers (a missing `markers`
object is no failure, unlike the other tables'). The markers count in "unchanged": a session
re-pushed with its markers replaces a copy pulled without them (sync/lake/markers.py).

Seen sessions: a session object S3 last modified well before the start of this client's last
complete pull (no failures), whose session is already here, is not downloaded again: an edit
on the athlete's side rewrites the object, which moves its time. The margin (SEEN_MARGIN_MS)
covers the coach's clock against S3's and a push racing that pull.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.domain.lanes import SampleColumns
from app.domain.validation import clean_name
from app.store import models as m
from app.store import settings as st
from app.store.repo import Store, now_ms
from app.store.settings import Settings
from app.training.tracks import keep_track
from sync.errors import SyncError
from sync.progress import CancelCheck, Cancelled, Progress

from .layout import (
    object_key,
    parse_key,
    safe_id,
    table_prefix,
    tombstone_prefix,
    tombstone_uid,
)
from .markers import MarkerRow, add_markers, lake_markers, local_markers, read_markers
from .s3 import LakeClient, NotFound
from .schema import (
    LAPS,
    MARKERS,
    RR_INTERVALS,
    SAMPLES,
    SESSIONS,
    SETS,
    SchemaMismatch,
)
from .writer import read_parquet_bytes

log = logging.getLogger(__name__)

SOURCE_LAKE = "lake"
#: Objects modified this long before the last complete pull began are taken as already seen.
SEEN_MARGIN_MS = 24 * 3_600_000


@dataclass
class PullReport:
    athletes: list[str] = field(default_factory=list)
    imported: int = 0
    replaced: int = 0
    unchanged: int = 0
    own: int = 0  # sessions of this machine's own athletes, left alone
    failed: int = 0
    removed: int = 0  # local copies erased because the athlete deleted them
    changed: list[str] = field(default_factory=list)  # athletes whose local sessions changed
    unknown: list[str] = field(default_factory=list)  # asked-for athletes with no sessions
    errors: list[str] = field(default_factory=list)
    tracks_unstored: int = 0  # imported sessions whose pieces were not stored (computed later)


def list_athletes(client: LakeClient) -> list[str]:
    """Athlete ids that have sessions (or deleted sessions) in the lake."""
    ids: set[str] = set()
    for base in (
        table_prefix(client.config.prefix, SESSIONS),
        tombstone_prefix(client.config.prefix),
    ):
        for d in client.list_dirs(base):
            seg = d[len(base) :].strip("/")
            if seg.startswith("athlete_id="):
                ids.add(seg.removeprefix("athlete_id="))
    return sorted(ids)


def deleted_uids(client: LakeClient, ref: str) -> set[str]:
    """Session uids the athlete deleted (their tombstones)."""
    keys = client.list_keys(tombstone_prefix(client.config.prefix, ref))
    return {uid for uid in map(tombstone_uid, keys) if uid is not None}


def apply_deletions(store: Store, ref: str, uids: set[str]) -> int:
    """Erase the local copies of a client's deleted sessions; how many were erased.

    Only read-only (pulled) athletes' sessions: a session of this machine is never touched.
    Samples, RR intervals, markers and sets go with the session (ON DELETE CASCADE).
    """
    if not uids:
        return 0
    with store.orm() as s, s.begin():
        rows = s.scalars(
            select(m.Session)
            .join(m.Athlete, m.Athlete.id == m.Session.athlete_id)
            .where(m.Athlete.remote_ref == ref, m.Athlete.read_only, m.Session.uid.in_(uids))
        ).all()
        for row in rows:
            s.delete(row)
        return len(rows)


def last_pulls(store: Store) -> dict[str, int]:
    """When each lake athlete id was last pulled here (epoch ms), for the roster."""
    return {ref: int(v) for ref, v in Settings(store).owners(st.LAKE_LAST_PULL_MS).items() if v}


def _plain(table: pa.Table) -> dict[str, list[object]]:
    """Columns as Python lists with timestamps as epoch ms and dictionaries decoded."""
    out: dict[str, list[object]] = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_timestamp(col.type):
            col = pc.cast(col, pa.int64())
        elif pa.types.is_dictionary(col.type):
            col = pc.cast(col, col.type.value_type)
        out[name] = col.to_pylist()
    return out


def _rows(table: pa.Table) -> list[dict[str, object]]:
    cols = _plain(table)
    n = table.num_rows
    return [{k: v[i] for k, v in cols.items()} for i in range(n)]


def _ensure_athlete(s: OrmSession, ref: str, name: str | None, timezone: str | None) -> int:
    """The local read-only athlete mirroring lake athlete `ref` (never the self athlete).

    The athlete keeps the time zone of their sessions, so their days and zones are local to
    them, not to the coach.
    """
    a = s.scalar(select(m.Athlete).where(m.Athlete.remote_ref == ref, m.Athlete.read_only))
    if a is not None:
        if a.timezone is None and timezone:
            a.timezone = timezone
        return a.id
    wanted = clean_name(name or "", f"athlete {ref}")  # lake data is not trusted
    taken = s.scalar(select(m.Athlete.id).where(m.Athlete.name == wanted))
    if taken is not None:
        wanted = f"{wanted} ({ref})"
    a = m.Athlete(
        name=wanted[:120],
        is_self=False,
        read_only=True,
        remote_ref=ref,
        timezone=timezone or None,
        created_ms=now_ms(),
    )
    s.add(a)
    s.flush()
    return a.id


def own_refs(store: Store) -> set[str]:
    """Lake ids of this machine's own athletes: their sessions are never pulled as a client's.

    With `lake configure --athlete-id`, a desktop and an edge box share one id; each already
    holds its own sessions, and a pull must not copy the other's into a read-only twin.
    """
    with store.orm() as s:
        q = select(m.Athlete.remote_ref).where(
            m.Athlete.read_only.is_(False), m.Athlete.remote_ref.is_not(None)
        )
        return {str(r) for r in s.scalars(q)}


_SESSION_FIELDS = (
    "sport", "title", "status", "timezone", "notes", "duration_s", "moving_s",
    "sample_count", "avg_hr", "max_hr", "zone1_s", "zone2_s", "zone3_s", "zone4_s", "zone5_s",
    "kcal", "kcal_method", "trimp", "avg_cadence", "max_cadence", "avg_power", "max_power",
    "avg_speed", "max_speed", "distance_m", "steps", "rr_count", "rmssd_ms",
)  # fmt: skip
_SAMPLE_INSERT = (
    "INSERT INTO samples (session_id, device_id, t_ms, hr, cadence, speed, power, distance, "
    "lat, lon, altitude, steps, met, received_ms, temperature) "
    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def _same(
    s: OrmSession, local: m.Session, head: dict[str, object], markers: list[MarkerRow]
) -> bool:
    """Whether the local copy already holds exactly this lake version of the session."""
    if (local.started_ms, local.ended_ms) != (head["started_at"], head["ended_at"]):
        return False
    if not all(getattr(local, k) == head[k] for k in _SESSION_FIELDS):
        return False
    return local_markers(s, local.id) == markers


def _head_row(head: pa.Table, session_uid: str) -> dict[str, object]:
    """The single row of a `sessions` object, which must be the session its key names."""
    rows = _rows(head)
    if len(rows) != 1:
        raise SchemaMismatch(f"sessions object holds {len(rows)} rows, expected 1")
    if rows[0]["session_id"] != session_uid:
        raise SchemaMismatch(f"object holds session {rows[0]['session_id']}, not {session_uid}")
    return rows[0]


def _held_uids(store: Store, ref: str) -> set[str]:
    """Uids of the sessions this machine holds for lake athlete `ref` (a pulled client)."""
    with store.orm() as s:
        rows = s.scalars(
            select(m.Session.uid)
            .join(m.Athlete, m.Athlete.id == m.Session.athlete_id)
            .where(m.Athlete.remote_ref == ref, m.Athlete.read_only)
        )
        return {uid for uid in rows if uid}


def _skip_reason(store: Store, head: dict[str, object], markers: list[MarkerRow]) -> str | None:
    """'own' or 'unchanged' when the local copy must not or need not be replaced."""
    with store.orm() as s:
        local = s.scalar(select(m.Session).where(m.Session.uid == head["session_id"]))
        if local is None:
            return None
        owner = s.get(m.Athlete, local.athlete_id)
        if owner is None or not owner.read_only:
            return "own"
        return "unchanged" if _same(s, local, head, markers) else None


def import_session(
    store: Store, ref: str, tables: dict[str, pa.Table], report: PullReport | None = None
) -> str:
    """Write one pulled session; returns 'imported', 'replaced', 'unchanged' or 'own'.

    `tables` without MARKERS (objects of an older build) is a session without markers. A
    written session's pieces are then stored from the pulled columns (best effort: counted
    in `report.tracks_unstored` when not), so its days never read its samples back.
    """
    heads = _rows(tables[SESSIONS])
    if len(heads) != 1:
        raise SchemaMismatch(f"sessions object holds {len(heads)} rows, expected 1")
    head = heads[0]
    uid = str(head["session_id"])
    samples = _plain(tables[SAMPLES])
    markers = lake_markers(tables.get(MARKERS))
    with store.orm() as s, s.begin():
        local = s.scalar(select(m.Session).where(m.Session.uid == uid))
        outcome = "imported"
        if local is not None:
            owner = s.get(m.Athlete, local.athlete_id)
            if owner is None or not owner.read_only:
                return "own"
            if _same(s, local, head, markers):
                return "unchanged"
            s.delete(local)
            s.flush()
            outcome = "replaced"
        name = head.get("athlete_name")  # a nullable string column
        tz = head.get("timezone")
        athlete_id = _ensure_athlete(
            s, ref, None if name is None else str(name), None if tz is None else str(tz)
        )
        row = m.Session(
            uid=uid,
            athlete_id=athlete_id,
            source=SOURCE_LAKE,
            started_ms=head["started_at"],
            ended_ms=head["ended_at"],
            **{k: head[k] for k in _SESSION_FIELDS},
        )
        s.add(row)
        s.flush()
        devices: dict[str, int] = {}
        for address in {a for a in samples["device"] if a}:
            dev = s.scalar(
                select(m.Device).where(
                    m.Device.athlete_id == athlete_id, m.Device.address == address
                )
            )
            if dev is None:
                dev = m.Device(athlete_id=athlete_id, address=address, kind="remote")
                s.add(dev)
                s.flush()
            devices[str(address)] = dev.id
        chans = ("hr", "cadence", "speed", "power", "distance", "lat", "lon", "altitude", "steps")
        sample_rows = list(
            zip(
                [row.id] * len(samples["t"]),
                [devices.get(str(a)) if a else None for a in samples["device"]],
                samples["t"],
                *(samples[c] for c in chans),
                samples["met"],
                samples["received_at"],
                samples["temperature"],  # null from objects of schema version 1
                strict=True,
            )
        )
        conn = s.connection()
        if sample_rows:
            conn.exec_driver_sql(_SAMPLE_INSERT, sample_rows)
        rr = _plain(tables[RR_INTERVALS])
        if rr["t"]:
            conn.exec_driver_sql(
                "INSERT INTO rr_intervals (session_id, t_ms, rr_ms) VALUES (?, ?, ?)",
                [(row.id, t, v) for t, v in zip(rr["t"], rr["rr_ms"], strict=True)],
            )
        laps = _rows(tables[LAPS])
        for lap in laps[:-1]:  # each lap but the last was closed by a lap marker
            s.add(m.Marker(session_id=row.id, kind="lap", t_ms=lap["ended_at"], label=lap["label"]))
        add_markers(s, row.id, markers)  # pauses: read by the track stored below
        for st in _rows(tables[SETS]):
            s.add(
                m.ExerciseSet(
                    session_id=row.id,
                    athlete_id=athlete_id,
                    exercise_name=st["exercise_name"],
                    reps=st["reps"],
                    weight_kg=st["weight_kg"],
                    rpe=st["rpe"],
                    started_ms=st["started_at"],
                    ended_ms=st["ended_at"],
                    avg_hr=st["avg_hr"],
                    max_hr=st["max_hr"],
                    hr_recovery=st["hr_recovery"],
                    e1rm_kg=st["e1rm_kg"],
                    is_pr=bool(st["is_pr"]),
                )
            )
        session_id = row.id
    # After the commit: the markers and sets above were its last writes (each bumps `rev`).
    stored = keep_track(store, session_id, lambda: sample_columns(tables[SAMPLES]))
    if not stored and report is not None:
        report.tracks_unstored += 1
    return outcome


def sample_columns(samples: pa.Table) -> SampleColumns:
    """A `samples` object's columns the pieces are made of, as numpy (null becomes NaN)."""

    def f64(name: str) -> npt.NDArray[np.float64]:
        col = pc.cast(samples.column(name), pa.float64(), safe=False)
        return np.asarray(col.to_numpy(), dtype=np.float64)

    t = pc.cast(samples.column("t"), pa.int64()).to_numpy()
    return SampleColumns(
        np.asarray(t, dtype=np.int64),
        f64("hr"),
        f64("cadence"),
        f64("speed"),
        f64("distance"),
        f64("steps"),
        f64("met"),
    )


def _month_ok(year: int, month: int, since_ms: int | None) -> bool:
    if since_ms is None:
        return True
    since = datetime.fromtimestamp(since_ms / 1000, UTC)
    return (year, month) >= (since.year, since.month)


def pull(
    store: Store,
    client: LakeClient,
    athletes: Iterable[str] | None = None,
    since_ms: int | None = None,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    seen_margin_ms: int = SEEN_MARGIN_MS,
) -> PullReport:
    """Import the given athletes' sessions (all athletes in the lake when None).

    Network and server failures of one session are counted and reported; the others still
    import, and the next pull picks the failed ones up. `progress(done, total)` counts
    athletes. `cancel` is checked between sessions: each session is one transaction, so a
    cancelled pull keeps the sessions already imported, and an athlete it did not finish
    keeps their previous last-pull time (`Cancelled` says how many were kept).
    """
    report = PullReport()

    def check() -> None:
        if cancel is not None and cancel():
            kept = report.imported + report.replaced
            raise Cancelled(f"{kept} session(s) imported before the cancel are kept")

    refs = list(athletes) if athletes is not None else list_athletes(client)
    settings = Settings(store)
    prefix = client.config.prefix
    mine = own_refs(store)
    for done, ref in enumerate(refs):
        if progress is not None:
            progress(done, len(refs))
        check()
        safe_id(ref, "athlete id")
        report.athletes.append(ref)
        listed = list(client.list_objects(table_prefix(prefix, SESSIONS, ref)))
        keys = [key for key, _modified in listed]
        if ref in mine:  # this machine's own athlete (perhaps shared with an edge box)
            if not keys:
                report.unknown.append(ref)
            report.own += len(keys)
            continue
        gone = deleted_uids(client, ref)
        if not keys and not gone:
            report.unknown.append(ref)
            continue
        before = report.imported + report.replaced + report.removed
        failed_before = report.failed
        report.removed += apply_deletions(store, ref, gone)
        started_at = now_ms()
        seen = settings.get(st.LAKE_SEEN_MS, ref)
        seen_before = None if seen is None else seen - seen_margin_ms
        held = _held_uids(store, ref) if seen_before is not None else set()
        for key, modified in listed:
            check()
            parsed = parse_key(key)
            if parsed is None or not _month_ok(parsed.year, parsed.month, since_ms):
                continue
            if parsed.session_uid in gone:  # deleted while its objects were being removed
                continue
            if seen_before is not None and modified < seen_before and parsed.session_uid in held:
                report.unchanged += 1  # not rewritten since a complete pull: nothing to read
                continue
            try:
                head = read_parquet_bytes(SESSIONS, client.get(key))
                row = _head_row(head, parsed.session_uid)
                started = row["started_at"]  # non-null in the schema: epoch ms
                if not isinstance(started, int):
                    raise SchemaMismatch(f"{key}: started_at is {started!r}, not a time")
                if since_ms is not None and started < since_ms:
                    continue
                mk_key = object_key(prefix, MARKERS, ref, started, parsed.session_uid)
                markers = read_markers(client, mk_key)
                skip = _skip_reason(store, row, lake_markers(markers))
                if skip is not None:
                    if skip == "unchanged":
                        report.unchanged += 1
                    else:
                        report.own += 1
                    continue
                tables = {SESSIONS: head}
                if markers is not None:
                    tables[MARKERS] = markers
                for table in (SAMPLES, RR_INTERVALS, SETS, LAPS):
                    k = object_key(prefix, table, ref, started, parsed.session_uid)
                    tables[table] = read_parquet_bytes(table, client.get(k))
                outcome = import_session(store, ref, tables, report)
            except (SyncError, SchemaMismatch, ValueError, OSError) as exc:
                kind = "missing object" if isinstance(exc, NotFound) else type(exc).__name__
                log.warning("pull %s failed: %s", key, exc)
                report.failed += 1
                report.errors.append(f"{key}: {kind}: {exc}")
                continue
            if outcome == "imported":
                report.imported += 1
            elif outcome == "replaced":
                report.replaced += 1
            elif outcome == "unchanged":
                report.unchanged += 1
            else:
                report.own += 1
        if report.imported + report.replaced + report.removed > before:
            report.changed.append(ref)
        settings.set(st.LAKE_LAST_PULL_MS, now_ms(), ref)
        if report.failed == failed_before and since_ms is None:  # every session was read
            settings.set(st.LAKE_SEEN_MS, started_at, ref)
    if progress is not None:
        progress(len(refs), len(refs))
    return report
