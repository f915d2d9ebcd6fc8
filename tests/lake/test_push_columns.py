"""The push reads samples straight into Arrow (issue 23) and uploads the same Parquet as before.

The reference is the former path, kept here: SQLAlchemy rows, one Python list per column,
`build_table`. Objects pushed to a real S3 server on 127.0.0.1 must read back equal to it,
byte for byte, with NULLs in the first rows, devices, RR intervals and an empty session.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from app.store.repo import Store
from sync.lake.config import LakeConfig
from sync.lake.push import push
from sync.lake.schema import RR_INTERVALS, SAMPLES, SCHEMAS
from sync.lake.tables import RR_SQL, SAMPLE_SQL, build_table, session_tables
from sync.lake.writer import to_parquet_bytes
from sync.outbox import Outbox

from .conftest import T0, all_keys, record_session


def reference(store: Store, session_id: int, name: str, sql: str) -> pa.Table:
    """The former reading: Row objects, column lists, one pa.array per column."""
    uid = store.get_session(session_id).uid  # type: ignore[union-attr]
    with store.engine.connect() as conn:
        rows: Sequence[Sequence[object]] = conn.exec_driver_sql(sql, (session_id,)).all()
    width = len(SCHEMAS[name]) - 1
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[]] * width
    return build_table(name, uid, columns)


def test_pushed_samples_and_rr_read_back_equal_to_the_row_by_row_reading(
    store: Store, lake_config: LakeConfig, s3, bucket: str
) -> None:
    full = record_session(store, "Me", T0, n=300)  # power NULL in row 0, devices, RR
    bare = record_session(store, "Me", T0 + 86_400_000, n=50, gps=False, seed=5)
    athlete = store.ensure_athlete("Me")
    empty = store.create_session(athlete.id, sport="run", source="simulator", started_ms=T0 + 5)
    store.finish_session(empty, T0 + 10)
    report = asyncio.run(push(store, Outbox(store), lake_config))
    assert report.done == 3 and report.dead == 0
    keys = all_keys(s3, bucket)
    for sid in (full, bare, empty):
        uid = store.get_session(sid).uid  # type: ignore[union-attr]
        tables = session_tables(store, sid).tables
        for name, sql in ((SAMPLES, SAMPLE_SQL), (RR_INTERVALS, RR_SQL)):
            [key] = [k for k in keys if f"/{name}/" in k and k.endswith(f"{uid}.parquet")]
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            expected = reference(store, sid, name, sql)
            pushed = pq.read_table(io.BytesIO(body))
            assert pushed.equals(pq.read_table(io.BytesIO(to_parquet_bytes(name, expected))))
            assert tables[name].equals(expected)
            assert body == to_parquet_bytes(name, expected)  # the very same object
    samples = session_tables(store, full).tables[SAMPLES]
    assert samples.num_rows == 300 and samples.column("power").null_count == 75
    assert samples.column("device").null_count == 100  # every third sample has no source
