"""Coach pull into a fresh data dir, and a query-engine check over the pushed files."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pytest
from pyarrow import fs as pafs

from app.store import models as m
from app.store.repo import Store
from sync.lake.pull import list_athletes, pull
from sync.lake.push import push
from sync.lake.s3 import LakeClient
from sync.lake.schema import PARTITION_SCHEMA, SCHEMAS
from sync.outbox import Outbox

from .conftest import T0, record_session

DAY = 86_400_000


@pytest.fixture
def pushed(store, lake_config):
    """Two athletes of this machine, three sessions across two months, pushed."""
    ids = [
        record_session(store, "Me", T0, seed=1, laps=2),
        record_session(store, "Me", T0 + 30 * DAY, seed=2, gps=False, laps=0),
        record_session(store, "Alice", T0 + DAY, seed=3, is_self=False),
    ]
    report = asyncio.run(push(store, Outbox(store), lake_config))
    assert report.done == 3
    return ids


def _sets(store: Store, session_id: int) -> list[tuple]:
    with store.engine.connect() as c:
        return c.exec_driver_sql(
            "SELECT exercise_name, reps, weight_kg, rpe, started_ms, ended_ms, avg_hr, max_hr, "
            "hr_recovery, e1rm_kg, is_pr FROM exercise_sets WHERE session_id = ?",
            (session_id,),
        ).all()


def _devices(store: Store, session_id: int) -> list[str | None]:
    with store.engine.connect() as c:
        rows = c.exec_driver_sql(
            "SELECT d.address FROM samples s LEFT JOIN devices d ON d.id = s.device_id "
            "WHERE s.session_id = ? ORDER BY s.t_ms, s.id",
            (session_id,),
        ).all()
    return [r[0] for r in rows]


def _comparable(info) -> dict:
    data = dataclasses.asdict(info)
    for k in ("id", "athlete_id", "source", "athlete"):
        data.pop(k)
    return data


def test_pull_into_a_fresh_data_dir_reads_back_equal_values(
    store, lake_config, pushed, tmp_path: Path
):
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed) == (3, 0), report.errors
        athletes = {a.name: a for a in coach.list_athletes()}
        assert set(athletes) == {"Me", "Alice"}
        assert all(a.read_only and not a.is_self for a in athletes.values())

        for sid in pushed:
            mine = store.get_session(sid)
            theirs = next(s for s in coach.list_sessions() if s.uid == mine.uid)
            assert _comparable(theirs) == _comparable(mine)
            assert theirs.source == "lake" and theirs.athlete == mine.athlete
            assert coach.load_samples(theirs.id) == store.load_samples(sid)
            assert coach.load_rr(theirs.id) == store.load_rr(sid)
            assert coach.load_markers(theirs.id) == [
                mk for mk in store.load_markers(sid) if mk[0] == "lap"
            ]
            assert _sets(coach, theirs.id) == _sets(store, sid)
            assert _devices(coach, theirs.id) == _devices(store, sid)

        # Pulling again changes nothing and duplicates nothing.
        ticks: list[tuple[int, int]] = []
        again = pull(coach, LakeClient(lake_config), progress=lambda d, t: ticks.append((d, t)))
        assert (again.imported, again.replaced, again.unchanged) == (0, 0, 3)
        n = len(again.athletes)
        assert ticks == [(i, n) for i in range(n + 1)]  # per athlete, ending at done == total
        with coach.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM sessions").scalar() == 3
            n_samples = c.exec_driver_sql("SELECT count(*) FROM samples").scalar()
        assert n_samples == 3 * 120
    finally:
        coach.close()


def test_pull_replaces_a_changed_session_and_honours_since(
    store, lake_config, pushed, tmp_path: Path
):
    coach = Store.open(tmp_path / "coach")
    try:
        client = LakeClient(lake_config)
        me_ref = next(r for r in list_athletes(client) if r != _ref(store, "Alice"))
        since = pull(coach, client, [me_ref], since_ms=T0 + 10 * DAY)
        assert since.imported == 1  # only the July session of "Me"
        assert [s.started_ms for s in coach.list_sessions()] == [T0 + 30 * DAY]

        with store.orm() as s, s.begin():
            s.get(m.Session, pushed[1]).title = "edited on the athlete's machine"
        asyncio.run(push(store, Outbox(store), lake_config, force=True))
        report = pull(coach, client, [me_ref])
        assert (report.imported, report.replaced, report.unchanged) == (1, 1, 0)
        titles = sorted(s.title for s in coach.list_sessions())
        assert "edited on the athlete's machine" in titles
        with coach.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM samples").scalar() == 2 * 120
    finally:
        coach.close()


def test_pull_never_overwrites_own_sessions(store, lake_config, pushed):
    report = pull(store, LakeClient(lake_config))
    assert (report.own, report.imported) == (3, 0)
    assert len(store.list_athletes()) == 2


def test_a_missing_object_is_counted_not_half_imported(store, lake_config, pushed, s3, tmp_path):
    from .conftest import all_keys

    victim = next(k for k in all_keys(s3, lake_config.bucket) if "/laps/" in k)
    s3.delete_object(Bucket=lake_config.bucket, Key=victim)
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed) == (2, 1)
        assert "missing object" in report.errors[0]
        assert len(coach.list_sessions()) == 2
    finally:
        coach.close()


def _ref(store: Store, name: str) -> str:
    with store.orm() as s:
        from sqlalchemy import select

        return s.scalar(select(m.Athlete.remote_ref).where(m.Athlete.name == name))


def test_query_engine_over_the_lake_matches_sqlite_totals(store, lake_config, pushed, moto_url):
    """pyarrow.dataset with Hive partitioning reads the bucket as Athena/Trino would."""
    s3fs = pafs.S3FileSystem(
        access_key="testing",
        secret_key="testing",
        endpoint_override=moto_url,
        scheme="http",
        region="us-east-1",
    )
    part = ds.partitioning(PARTITION_SCHEMA, flavor="hive")

    def dataset(table: str) -> ds.Dataset:
        return ds.dataset(
            f"{lake_config.bucket}/{lake_config.prefix}/{table}",
            filesystem=s3fs,
            format="parquet",
            partitioning=part,
            schema=pa.unify_schemas([SCHEMAS[table], PARTITION_SCHEMA]),
        )

    samples = dataset("samples").to_table()
    by_athlete = samples.group_by("athlete_id").aggregate(
        [("hr", "count"), ("hr", "sum"), ("steps", "max")]
    )
    sessions = dataset("sessions").to_table()
    sess_totals = sessions.group_by("athlete_id").aggregate(
        [("distance_m", "sum"), ("sample_count", "sum"), ("trimp", "sum")]
    )
    years, months_ = sessions["year"].to_pylist(), sessions["month"].to_pylist()
    months = sorted(set(zip(years, months_, strict=True)))
    assert months == [(2024, 6), (2024, 7)]

    with store.engine.connect() as c:
        expected = c.exec_driver_sql(
            "SELECT a.remote_ref, count(x.hr), sum(x.hr), max(x.steps) FROM samples x "
            "JOIN sessions s ON s.id = x.session_id JOIN athletes a ON a.id = s.athlete_id "
            "GROUP BY a.remote_ref"
        ).all()
        expected_sess = c.exec_driver_sql(
            "SELECT a.remote_ref, sum(s.distance_m), sum(s.sample_count), sum(s.trimp) "
            "FROM sessions s JOIN athletes a ON a.id = s.athlete_id GROUP BY a.remote_ref"
        ).all()
    got = {r["athlete_id"]: r for r in by_athlete.to_pylist()}
    for ref, n, total, steps in expected:
        assert (got[ref]["hr_count"], got[ref]["hr_sum"], got[ref]["steps_max"]) == (
            n,
            total,
            steps,
        )
    got_s = {r["athlete_id"]: r for r in sess_totals.to_pylist()}
    for ref, dist, count, trimp in expected_sess:
        assert got_s[ref]["distance_m_sum"] == pytest.approx(dist)
        assert got_s[ref]["sample_count_sum"] == count
        assert got_s[ref]["trimp_sum"] == pytest.approx(trimp)
    # Timestamps come back as real UTC timestamps, not integers.
    assert samples.schema.field("t").type == pa.timestamp("ms", tz="UTC")
    assert pc.min(samples["t"]).as_py().timestamp() * 1000 == T0


def test_corrupt_and_newer_schema_objects_are_counted(store, lake_config, pushed, s3, tmp_path):
    import io as _io

    import pyarrow.parquet as pq

    from .conftest import all_keys

    keys = [k for k in all_keys(s3, lake_config.bucket) if "/sessions/" in k]
    s3.put_object(Bucket=lake_config.bucket, Key=keys[0], Body=b"PAR1 this is not parquet")
    table = pq.read_table(_io.BytesIO(s3.get_object(Bucket=lake_config.bucket,
                                                    Key=keys[1])["Body"].read()))  # fmt: skip
    newer = table.replace_schema_metadata(
        {**table.schema.metadata, b"pulsedeck.schema_version": b"99"}
    )
    buf = _io.BytesIO()
    pq.write_table(newer, buf)
    s3.put_object(Bucket=lake_config.bucket, Key=keys[1], Body=buf.getvalue())
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed) == (1, 2)
        assert any("schema version 99" in e for e in report.errors)
        assert len(coach.list_sessions()) == 1
    finally:
        coach.close()


def test_cancel_keeps_what_was_imported_and_the_next_pull_finishes(
    store, lake_config, pushed, tmp_path
):
    """A cancel between sessions keeps the imported ones; the next pull imports the rest once."""
    from sync.lake.pull import last_pulls
    from sync.progress import Cancelled, CancelToken

    coach = Store.open(tmp_path / "coach")
    try:
        token = CancelToken()
        calls = 0

        def cancel_after_first() -> bool:
            nonlocal calls
            calls += 1
            if calls == 3:  # checks: athlete 1, its first session, then the next check stops
                token.cancel()
            return token()

        with pytest.raises(Cancelled, match="1 session"):
            pull(coach, LakeClient(lake_config), cancel=cancel_after_first)
        assert len(coach.list_sessions()) == 1
        # Only a finished athlete (Alice has one session, Me two) counts as pulled.
        with coach.engine.connect() as conn:
            held = dict(
                conn.exec_driver_sql(
                    "SELECT a.remote_ref, count(*) FROM sessions s JOIN athletes a "
                    "ON a.id = s.athlete_id GROUP BY a.remote_ref"
                ).all()
            )
        finished = {ref for ref, n in held.items() if ref != _ref(store, "Me")}
        assert set(last_pulls(coach)) == finished
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.unchanged) == (2, 1)
        assert len(coach.list_sessions()) == 3
        assert len(last_pulls(coach)) == 2
    finally:
        coach.close()
