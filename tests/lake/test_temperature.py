"""Temperature in the lake (schema version 2): pushed, pulled back, old objects still pulled."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.store.repo import Store
from sync.lake.ddl import ddl, duckdb_views
from sync.lake.pull import pull
from sync.lake.push import push
from sync.lake.s3 import LakeClient
from sync.lake.schema import ADDED_COLUMNS, SAMPLES, SCHEMA_VERSION, SCHEMAS
from sync.outbox import Outbox

from .conftest import T0, all_keys, record_session

DAY = 86_400_000


def _get(s3, bucket: str, key: str) -> bytes:  # noqa: ANN001
    return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _rewrite(s3, bucket: str, key: str, *, drop: bool, version: bytes) -> None:  # noqa: ANN001
    """Put the object back as another writer made it: without temperature, another version."""
    table = pq.read_table(io.BytesIO(_get(s3, bucket, key)))
    if drop and "temperature" in table.column_names:
        table = table.drop_columns(["temperature"])
    table = table.replace_schema_metadata(
        {**table.schema.metadata, b"pulsedeck.schema_version": version}
    )
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue())


def _as_version_1(s3, bucket: str, uid: str) -> None:  # noqa: ANN001
    """Every object of the session as the version-1 push wrote it (no temperature column)."""
    for key in all_keys(s3, bucket):
        if key.endswith(f"{uid}.parquet"):
            _rewrite(s3, bucket, key, drop=True, version=b"1")


def test_temperature_is_pushed_and_pulled_back_into_another_data_dir(
    store: Store,
    lake_config,
    s3,
    bucket: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    sid = record_session(store, "Me", T0, n=60)
    expected = [s.temperature for s in store.load_samples(sid)]
    assert None in expected and len(set(expected)) > 5  # nulls and values, as recorded
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 1
    [key] = [k for k in all_keys(s3, bucket) if "/samples/" in k]
    pushed = pq.read_table(io.BytesIO(_get(s3, bucket, key)))
    assert pushed.schema.field("temperature").type == pa.float64()
    assert pushed.column("temperature").to_pylist() == expected
    assert pushed.schema.metadata[b"pulsedeck.schema_version"] == str(SCHEMA_VERSION).encode()

    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed) == (1, 0), report.errors
        [theirs] = coach.list_sessions()
        assert [s.temperature for s in coach.load_samples(theirs.id)] == expected
        assert coach.load_samples(theirs.id) == store.load_samples(sid)
    finally:
        coach.close()


def test_objects_pushed_before_the_column_still_pull_with_no_temperature(
    store: Store,
    lake_config,
    s3,
    bucket: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    old = record_session(store, "Me", T0, n=40, seed=1)
    new = record_session(store, "Me", T0 + DAY, n=40, seed=2)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 2
    old_uid = store.get_session(old).uid  # type: ignore[union-attr]
    _as_version_1(s3, bucket, old_uid)
    [old_samples] = [k for k in all_keys(s3, bucket) if "/samples/" in k and old_uid in k]
    read_back = pq.read_table(io.BytesIO(_get(s3, bucket, old_samples)))
    assert "temperature" not in read_back.column_names  # what an older Pulsedeck wrote

    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed) == (2, 0), report.errors
        by_uid = {s.uid: s.id for s in coach.list_sessions()}
        got_old = coach.load_samples(by_uid[old_uid])
        assert [s.temperature for s in got_old] == [None] * 40
        assert got_old == [replace(s, temperature=None) for s in store.load_samples(old)]
        new_uid = store.get_session(new).uid  # type: ignore[union-attr]
        assert coach.load_samples(by_uid[new_uid]) == store.load_samples(new)
    finally:
        coach.close()


def test_a_current_object_without_the_column_is_refused_not_half_imported(
    store: Store,
    lake_config,
    s3,
    bucket: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    record_session(store, "Me", T0, n=30)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 1
    [key] = [k for k in all_keys(s3, bucket) if "/samples/" in k]
    _rewrite(s3, bucket, key, drop=True, version=str(SCHEMA_VERSION).encode())
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed) == (0, 1)
        assert "has no temperature" in report.errors[0], report.errors
        assert coach.list_sessions() == []
    finally:
        coach.close()


def test_lake_ddl_has_the_column_and_the_alter_table_for_older_catalogs() -> None:
    text = ddl("my-bucket", "lake")
    samples = text[text.index("`pulsedeck`.`samples` (") :]
    samples = samples[: samples.index(")")]
    assert samples.rstrip().endswith("`temperature` double")
    assert "-- ALTER TABLE `pulsedeck`.`samples` ADD COLUMNS (`temperature` double);" in text
    # Every added column is in the schema, nullable (older objects have none), not too new.
    for version, columns in ADDED_COLUMNS.items():
        assert 1 < version <= SCHEMA_VERSION
        for table, column in columns:
            assert SCHEMAS[table].field(column).nullable
    assert ("samples", "temperature") in ADDED_COLUMNS[2] and SAMPLES == "samples"


def test_duckdb_reads_old_and_new_objects_side_by_side(
    store: Store,
    lake_config,
    s3,
    bucket: str,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    """`lake ddl --duckdb` views: an object without the column gives NULL, not an error."""
    duckdb = pytest.importorskip("duckdb")
    old = record_session(store, "Me", T0, n=30, seed=1)
    new = record_session(store, "Me", T0 + DAY, n=30, seed=2)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 2
    _as_version_1(s3, bucket, store.get_session(old).uid)  # type: ignore[union-attr]
    root = tmp_path / "lake"
    for key in all_keys(s3, bucket):
        target = root / key.removeprefix(f"{lake_config.prefix}/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(_get(s3, bucket, key))
    con = duckdb.connect()
    con.execute(duckdb_views(str(root)))
    rows = con.execute(
        "SELECT session_id, count(temperature), sum(temperature) FROM samples GROUP BY ALL"
    ).fetchall()
    got = {uid: (n, total) for uid, n, total in rows}
    temps = [s.temperature for s in store.load_samples(new) if s.temperature is not None]
    assert got[store.get_session(old).uid] == (0, None)  # type: ignore[union-attr]
    assert got[store.get_session(new).uid] == (len(temps), pytest.approx(sum(temps)))  # type: ignore[union-attr]
