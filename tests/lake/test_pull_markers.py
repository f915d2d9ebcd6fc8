"""A session's pauses reach the coach through the lake (`markers` objects), so the coach's days
and session figures leave paused time out as the athlete's do (real S3 on moto)."""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.profile import Profile
from app.domain.summary import SessionSummary, summarize
from app.store import models as m
from app.store.repo import Store
from app.training.daily import DailyService
from sync.lake import fingerprint
from sync.lake.config import LakeConfig
from sync.lake.ddl import ddl, duckdb_views
from sync.lake.layout import object_key
from sync.lake.pull import pull
from sync.lake.push import KIND, athlete_ref, push
from sync.lake.s3 import LakeClient
from sync.lake.schema import MARKER_KINDS, MARKERS, SESSIONS, TABLES
from sync.outbox import Outbox

from .conftest import T0, all_keys, record_session

DAY = 86_400_000
PAUSES = ((T0 + 100_000, "pause"), (T0 + 220_000, "resume"), (T0 + 500_000, "pause"))


def _paused_session(store: Store, started_ms: int = T0, seed: int = 3) -> int:
    """A 10-minute session paused 2 min, then paused again to the end (an open pause)."""
    sid = record_session(store, "Me", started_ms, n=600, seed=seed)
    for t, kind in PAUSES:
        store.add_marker(sid, kind, t - T0 + started_ms)
    store.finish_session(sid, started_ms + 600_000)  # the summary of the paused session
    return sid


def _markers(store: Store) -> list[tuple[str, int]]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT kind, t_ms FROM markers WHERE kind IN ('pause', 'resume') ORDER BY t_ms, id"
        ).all()
    return [(k, t) for k, t in rows]


def _summary(store: Store) -> SessionSummary:
    """The one session's summary from its samples, RR and pauses in this store."""
    with store.engine.connect() as conn:
        sid, started, ended = conn.exec_driver_sql(
            "SELECT id, started_ms, ended_ms FROM sessions"
        ).one()
    return summarize(
        store.load_samples(sid),
        started,
        ended,
        Profile(),
        "run",
        pauses=store.load_pauses(sid),
        rr_ms=store.load_rr(sid),
    )


def _figures(store: Store) -> tuple[object, ...]:
    with store.engine.connect() as conn:
        return tuple(
            conn.exec_driver_sql(
                "SELECT duration_s, moving_s, avg_hr, zone1_s, zone2_s, zone3_s, zone4_s, "
                "zone5_s, kcal, trimp, avg_speed, distance_m, steps FROM sessions"
            ).one()
        )


def _days(store: Store, read_only: bool) -> list[object]:
    """The athlete's days around T0, without the (store-local) session ids."""
    a = next(a.id for a in store.list_athletes() if a.read_only == read_only)
    first = datetime.fromtimestamp(T0 / 1000, UTC).date() - timedelta(days=1)
    days = DailyService(store).days(a, first, first + timedelta(days=3))
    assert sum(d.sessions for d in days) == 1
    return [dataclasses.replace(d, session_ids=()) for d in days]


def _athlete_tz(store: Store) -> None:
    """The athlete's days are local to the time zone the coach's copy gets from the lake."""
    with store.orm() as s, s.begin():
        for a in s.query(m.Athlete):
            a.timezone = "Europe/Paris"


def test_a_pulled_session_has_the_athletes_pauses_days_and_figures(
    store: Store, lake_config: LakeConfig, tmp_path: Path
) -> None:
    _paused_session(store)
    _athlete_tz(store)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 1
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed, report.tracks_unstored) == (1, 0, 0)
        assert _markers(coach) == _markers(store) == [(k, t) for t, k in PAUSES]
        assert _days(coach, read_only=True) == _days(store, read_only=False)
        assert _summary(coach) == _summary(store)
        assert _figures(coach) == _figures(store)
        again = pull(coach, LakeClient(lake_config), seen_margin_ms=0)
        assert (again.unchanged, again.replaced) == (1, 0)  # same markers: nothing to redo
        assert len(_markers(coach)) == len(PAUSES)
    finally:
        coach.close()


def _drop_markers_objects(s3, bucket: str) -> int:  # noqa: ANN001
    """The lake as a build before the `markers` table left it."""
    gone = [k for k in all_keys(s3, bucket) if f"/{MARKERS}/" in k]
    for key in gone:
        s3.delete_object(Bucket=bucket, Key=key)
    return len(gone)


def test_objects_of_the_previous_layout_still_pull_without_pauses(
    store: Store,
    lake_config: LakeConfig,
    s3,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    _paused_session(store)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 1
    assert _drop_markers_objects(s3, lake_config.bucket) == 1
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed, report.errors) == (1, 0, [])
        assert _markers(coach) == []
        assert pull(coach, LakeClient(lake_config)).unchanged == 1
    finally:
        coach.close()


def test_an_object_of_a_table_the_puller_does_not_know_is_ignored(
    store: Store,
    lake_config: LakeConfig,
    s3,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    """What an older build does with `markers`: a table it does not know is never read."""
    sid = _paused_session(store)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 1
    with store.orm() as s:
        row = s.get(m.Session, sid)
        assert row is not None
        uid, ref = row.uid, athlete_ref(store, row.athlete_id)
    key = object_key(lake_config.prefix, "from_the_future", ref, T0, uid)
    s3.put_object(Bucket=lake_config.bucket, Key=key, Body=b"not even parquet")
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed, report.errors) == (1, 0, [])
    finally:
        coach.close()


def _old_digest(store: Store, session_id: int) -> str:
    """The digest a build before markers travelled recorded (no markers column)."""
    with store.engine.connect() as conn:
        row = conn.exec_driver_sql(f"{fingerprint._SQL} WHERE s.id = ?", (session_id,)).one()
    return hashlib.sha256(repr(tuple(row[2:-1])).encode()).hexdigest()[:16]


def test_sessions_pushed_before_markers_travelled_are_pushed_again_when_paused(
    store: Store,
    lake_config: LakeConfig,
    s3,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    paused = _paused_session(store)
    plain = record_session(store, "Me", T0 + DAY, seed=4)
    assert fingerprint.fingerprints(store)[plain].digest == _old_digest(store, plain)
    assert fingerprint.fingerprints(store)[paused].digest != _old_digest(store, paused)
    outbox = Outbox(store)
    assert asyncio.run(push(store, outbox, lake_config)).done == 2
    # As an older build left them: no markers objects, digests without markers.
    assert _drop_markers_objects(s3, lake_config.bucket) == 2
    with store.orm() as s, s.begin():
        for job in s.query(m.SyncJob).filter(m.SyncJob.kind == KIND):
            assert job.session_id is not None
            job.result = {**(job.result or {}), "fingerprint": _old_digest(store, job.session_id)}
    coach = Store.open(tmp_path / "coach")
    try:
        assert pull(coach, LakeClient(lake_config)).imported == 2
        assert _markers(coach) == []

        report = asyncio.run(push(store, outbox, lake_config))
        assert (report.requeued, report.ran, report.done) == (1, 1, 2)  # the paused one only
        markers_keys = [k for k in all_keys(s3, lake_config.bucket) if f"/{MARKERS}/" in k]
        assert len(markers_keys) == 1
        assert asyncio.run(push(store, outbox, lake_config)).ran == 0  # nothing new

        again = pull(coach, LakeClient(lake_config))
        assert (again.replaced, again.unchanged, again.failed) == (1, 1, 0)
        assert _markers(coach) == _markers(store)
    finally:
        coach.close()


def test_markers_travel_in_their_own_table_before_the_sessions_object() -> None:
    assert set(MARKER_KINDS) == {"pause", "resume"}  # laps travel in `laps`
    assert TABLES.index(MARKERS) < TABLES.index(SESSIONS)


def test_lake_ddl_creates_the_markers_table() -> None:
    out = ddl("b", "p")
    assert "CREATE EXTERNAL TABLE IF NOT EXISTS `pulsedeck`.`markers` (" in out
    assert "LOCATION 's3://b/p/markers/'" in out
    assert "'s3://b/p/markers/athlete_id=${athlete_id}/year=${year}/month=${month}/'" in out
    assert "-- markers came after version 2" in out
    assert "CREATE OR REPLACE VIEW markers AS" in duckdb_views("./lake")
