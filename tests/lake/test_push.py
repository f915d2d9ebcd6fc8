"""Pushing sessions to a real S3 server on 127.0.0.1: layout, replace, retries, crashes."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from app.store.repo import Store
from sync.lake.config import LakeConfig
from sync.lake.push import KIND, push
from sync.lake.s3 import LakeClient
from sync.lake.schema import SCHEMA_VERSION, SCHEMAS, TABLES
from sync.outbox import DEAD, DONE, PENDING, RUNNING, Outbox

from .conftest import T0, all_keys, record_session

ROOT = Path(__file__).resolve().parents[2]


def run_push(store: Store, config: LakeConfig, outbox: Outbox | None = None, **kw: object):
    return asyncio.run(push(store, outbox or Outbox(store), config, **kw))  # type: ignore[arg-type]


def test_push_writes_five_objects_per_session_in_hive_layout(store, lake_config, s3, bucket):
    a = record_session(store, "Me", T0)
    b = record_session(store, "Me", T0 + 40 * 86_400_000, seed=3)  # next month
    report = run_push(store, lake_config)
    assert (report.enqueued, report.done, report.pending, report.dead) == (2, 2, 0, 0)

    keys = all_keys(s3, bucket)
    assert len(keys) == 2 * len(TABLES)
    ref = store.athlete(store.get_session(a).athlete_id)
    uid_a, uid_b = store.get_session(a).uid, store.get_session(b).uid
    with store.orm() as s:
        from app.store import models as m

        athlete_ref = s.get(m.Athlete, ref.id).remote_ref
    for table in TABLES:
        assert (
            f"lake/v1/{table}/athlete_id={athlete_ref}/year=2024/month=06/{uid_a}.parquet" in keys
        )
        assert (
            f"lake/v1/{table}/athlete_id={athlete_ref}/year=2024/month=07/{uid_b}.parquet" in keys
        )

    body = s3.get_object(Bucket=bucket, Key=next(k for k in keys if "/samples/" in k))["Body"]
    pf = pq.ParquetFile(io.BytesIO(body.read()))
    schema = pf.schema_arrow
    assert schema.metadata[b"pulsedeck.schema_version"] == str(SCHEMA_VERSION).encode()
    assert schema.equals(SCHEMAS["samples"], check_metadata=False)
    col = pf.metadata.row_group(0).column(0)
    assert col.compression == "ZSTD"
    assert pf.metadata.num_rows == 120


def test_repush_replaces_and_never_duplicates(store, lake_config, s3, bucket):
    sid = record_session(store)
    run_push(store, lake_config)
    first = {k: s3.head_object(Bucket=bucket, Key=k)["ETag"] for k in all_keys(s3, bucket)}

    again = run_push(store, lake_config)  # nothing new: the done job is not run again
    assert (again.enqueued, again.ran) == (0, 0)

    # Change the session, force a re-push: same keys, new content, still one object each.
    from app.store import models as m

    with store.orm() as s, s.begin():
        s.get(m.Session, sid).title = "renamed"
    forced = run_push(store, lake_config, force=True)
    assert (forced.requeued, forced.done) == (1, 1)
    after = {k: s3.head_object(Bucket=bucket, Key=k)["ETag"] for k in all_keys(s3, bucket)}
    assert after.keys() == first.keys()
    sess_key = next(k for k in after if k.startswith("lake/v1/sessions/"))
    assert after[sess_key] != first[sess_key]
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=sess_key)["Body"].read()))
    assert table.column("title").to_pylist() == ["renamed"]
    assert len(Outbox(store).jobs(kind=KIND)) == 1


def test_transient_500s_are_absorbed_and_persistent_ones_back_off(store, proxy, bucket, s3):
    record_session(store)
    config = LakeConfig(bucket=bucket, endpoint_url=proxy.url, region="us-east-1")
    clock = [time.time()]
    outbox = Outbox(store, clock=lambda: clock[0])

    proxy.faults.fail_next = 10_000  # the store is failing for good
    report = run_push(store, config, outbox)
    assert (report.done, report.pending, report.dead) == (0, 1, 0)
    job = outbox.jobs(kind=KIND)[0]
    assert job.state == PENDING and job.next_attempt_ms > clock[0] * 1000
    assert "ServerError" in job.last_error and "HTTP 500" in job.last_error
    assert all_keys(s3, bucket) == []

    # Before the backoff elapses nothing runs; afterwards the job succeeds. One more 500
    # is retried inside the SDK without failing the job.
    proxy.faults.fail_next = 1
    assert run_push(store, config, outbox).ran == 0
    clock[0] = job.next_attempt_ms / 1000 + 1
    report = run_push(store, config, outbox)
    assert (report.done, report.pending) == (1, 0)
    assert proxy.faults.fail_next == 0  # the injected 500 was really served, and absorbed
    assert len(all_keys(s3, bucket)) == len(TABLES)


def test_server_down_then_up(store, proxy, bucket, s3):
    record_session(store)
    config = LakeConfig(bucket=bucket, endpoint_url=proxy.url, region="us-east-1")
    clock = [time.time()]
    outbox = Outbox(store, clock=lambda: clock[0])
    proxy.stop()
    report = run_push(store, config, outbox)
    assert report.pending == 1
    assert "NetworkError" in outbox.jobs(kind=KIND)[0].last_error
    proxy.start()  # same port again
    clock[0] += 7 * 3600  # past any backoff
    assert run_push(store, config, outbox).done == 1
    assert len(all_keys(s3, bucket)) == len(TABLES)


def test_bad_credentials_are_permanent_and_dead(store, lake_config, monkeypatch, bucket):
    record_session(store)
    calls = []

    def factory(cfg: LakeConfig) -> LakeClient:
        calls.append(cfg)
        raise_on = LakeClient(cfg)
        # moto accepts any key, so answer like AWS does to an unknown key (a real 403 body).
        from botocore.exceptions import ClientError

        def denied(**_kw: object) -> None:
            raise ClientError(
                {
                    "Error": {"Code": "InvalidAccessKeyId"},
                    "ResponseMetadata": {"HTTPStatusCode": 403},
                },
                "PutObject",
            )

        monkeypatch.setattr(raise_on._s3, "put_object", denied)
        return raise_on

    report = run_push(store, lake_config, client_factory=factory)
    assert report.dead == 1
    job = Outbox(store).jobs(kind=KIND)[0]
    assert job.state == DEAD and "AuthRevoked" in job.last_error
    assert "testing" not in job.last_error  # no key material in messages
    # A later `lake push` (credentials fixed) retries dead jobs.
    assert run_push(store, lake_config).done == 1


def test_a_put_cut_mid_body_leaves_no_object(store, proxy, bucket, s3):
    sid = record_session(store)
    config = LakeConfig(bucket=bucket, endpoint_url=proxy.url, region="us-east-1")
    proxy.faults.cut_puts = 100  # every attempt (the SDK retries a cut PUT itself)
    client = LakeClient(config)
    from sync.errors import NetworkError
    from sync.lake.push import push_session

    with pytest.raises(NetworkError):
        push_session(store, client, sid)
    assert all_keys(s3, bucket) == []
    assert proxy.faults.puts_seen >= 1


CHILD = """
import asyncio, sys
from pathlib import Path
from app.store.repo import Store
from sync.lake.config import LakeConfig
from sync.lake.push import push
from sync.outbox import Outbox
store = Store.open(Path(sys.argv[1]))
cfg = LakeConfig(bucket=sys.argv[2], endpoint_url=sys.argv[3], region="us-east-1")
asyncio.run(push(store, Outbox(store), cfg))
"""


def test_killed_mid_push_resumes_without_duplicates(store, data_dir, proxy, bucket, s3):
    record_session(store)
    record_session(store, started_ms=T0 + 3_600_000, seed=1)
    config = LakeConfig(bucket=bucket, endpoint_url=proxy.url, region="us-east-1")

    # Hold the 3rd PUT of the first session forever, then kill the worker process there.
    held = threading.Event()
    release = threading.Event()
    puts = {"n": 0}

    def on_put() -> bool:
        puts["n"] += 1
        if puts["n"] == 3:
            held.set()
            release.wait(30)
            return False  # the request dies with the worker
        return True

    proxy.on_put = on_put  # type: ignore[attr-defined]
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(data_dir), bucket, proxy.url],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert held.wait(60), child.stderr.read().decode() if child.poll() is not None else ""
        child.send_signal(signal.SIGKILL)
        child.wait(10)
    finally:
        release.set()
    assert len(all_keys(s3, bucket)) == 2  # two objects of session 1 made it before the kill
    outbox = Outbox(store)
    jobs = outbox.jobs(kind=KIND)
    assert [j.state for j in jobs] == [RUNNING, PENDING]

    # A new worker after the dead one's lease expired: both sessions complete, once each.
    later = Outbox(store, clock=lambda: time.time() + 601)
    report = run_push(store, config, later)
    assert report.done == 2
    keys = all_keys(s3, bucket)
    assert len(keys) == 2 * len(TABLES) and len(set(keys)) == len(keys)
    for k in keys:
        pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=k)["Body"].read()))
    assert {j.state for j in later.jobs(kind=KIND)} == {DONE}
    assert dataclasses.asdict(report)["dead"] == 0


def test_background_enqueue_uses_the_settings(store, lake_config, s3, bucket):
    from sync.lake.config import save_settings
    from sync.lake.push import enqueue_configured, make_handler
    from sync.outbox import drain

    record_session(store)
    outbox = Outbox(store)
    assert enqueue_configured(store, outbox) is None  # no lake configured: nothing queued
    save_settings(store, bucket=bucket, prefix="bg", endpoint_url=lake_config.endpoint_url)
    assert enqueue_configured(store, outbox).new == 1
    assert enqueue_configured(store, outbox).new == 0  # idempotent
    assert asyncio.run(drain(outbox, {KIND: make_handler(store)})) == 1
    assert len(all_keys(s3, bucket)) == len(TABLES)
    assert all(k.startswith("bg/") for k in all_keys(s3, bucket))


def test_a_job_with_a_broken_payload_goes_dead_not_retried(store, lake_config):
    from sync.lake.push import make_handler
    from sync.outbox import drain

    sid = record_session(store)
    outbox = Outbox(store)
    outbox.enqueue(KIND, "broken", session_id=sid, payload={"config": "nonsense"})
    asyncio.run(drain(outbox, {KIND: make_handler(store)}))
    job = outbox.jobs(kind=KIND)[0]
    assert job.state == DEAD and "no lake destination" in job.last_error


def test_no_credentials_anywhere_is_a_clear_dead_job(store, lake_config, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    record_session(store)
    report = run_push(store, lake_config)
    assert report.dead == 1
    assert "no S3 credentials" in report.errors[0] and "AuthRevoked" in report.errors[0]
