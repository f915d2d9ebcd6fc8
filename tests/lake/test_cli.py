"""`pulsedeck lake ...` end to end against moto on 127.0.0.1 (in-process CLI main)."""

from __future__ import annotations

import io
import json

import pyarrow.parquet as pq

from app.cli import main
from app.store.repo import Store
from sync.lake.schema import TABLES

from .conftest import all_keys, record_session


def test_push_status_pull_via_cli(data_dir, moto_url, bucket, s3, capsys, tmp_path, monkeypatch):
    store = Store.open(data_dir)
    record_session(store)
    record_session(store, started_ms=1_600_000_000_000, seed=4)
    store.close()

    code = main(
        [
            "lake",
            "push",
            "--bucket",
            bucket,
            "--prefix",
            "p",
            "--endpoint-url",
            moto_url,
            "--region",
            "us-east-1",
            "--since",
            "2024-01-01",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and out["done"] == 1 and out["enqueued"] == 1  # the 2020 one is older
    assert len(all_keys(s3, bucket)) == len(TABLES)

    # Saved settings + AWS_ENDPOINT_URL from the environment are enough afterwards.
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_url)
    assert main(["lake", "configure", "--bucket", bucket, "--prefix", "p"]) == 0
    capsys.readouterr()
    assert main(["lake", "push", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["done"] == 2
    assert len(all_keys(s3, bucket)) == 2 * len(TABLES)

    assert main(["lake", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert (status["pushed"], status["pending"], status["failed"]) == (2, 0, 0)
    assert status["destination"].startswith(f"s3://{bucket}/p")
    lake_id = status["athletes"][0]["lake_id"]

    coach_dir = tmp_path / "coach"
    monkeypatch.setenv("PULSEDECK_HOME", str(coach_dir))
    assert (
        main(["lake", "pull", "--athlete", lake_id, "--bucket", bucket, "--prefix", "p", "--json"])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["imported"] == 2
    assert main(["lake", "pull", "--all-clients", "--bucket", bucket, "--prefix", "p"]) == 0
    assert "2 unchanged" in capsys.readouterr().out
    assert main(["lake", "pull", "--athlete", "../x", "--bucket", bucket]) == 2
    assert main(["lake", "pull", "--athlete", "nobody", "--bucket", bucket, "--prefix", "p"]) == 4
    assert "no sessions in the lake for athlete id(s) nobody" in capsys.readouterr().err

    assert main(["lake", "ddl", "--bucket", bucket, "--prefix", "p"]) == 0
    assert f"LOCATION 's3://{bucket}/p/samples/'" in capsys.readouterr().out
    key = next(k for k in all_keys(s3, bucket) if "/sets/" in k)
    table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
    assert table.column("exercise_name").to_pylist() == ["Squat"]


def test_push_without_bucket_is_a_usage_error(data_dir, capsys):
    assert main(["lake", "push"]) == 2
    assert "no bucket" in capsys.readouterr().err


def test_push_to_an_unreachable_store_reports_waiting(data_dir, bucket, capsys, proxy):
    store = Store.open(data_dir)
    record_session(store)
    store.close()
    proxy.stop()
    code = main(["lake", "push", "--bucket", bucket, "--endpoint-url", proxy.url])
    captured = capsys.readouterr()
    assert code == 1
    assert "1 waiting to retry" in captured.out and "NetworkError" in captured.err


def test_keyring_credentials_are_used_and_never_printed(
    data_dir, moto_url, bucket, s3, capsys, monkeypatch
):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setattr("sys.stdin", io.StringIO("s3cr3t-value-xyz\n"))
    assert (
        main(
            [
                "lake",
                "configure",
                "--bucket",
                bucket,
                "--endpoint-url",
                moto_url,
                "--access-key-id",
                "AKIAKEYRING",
                "--secret-access-key-stdin",
            ]
        )
        == 0
    )
    store = Store.open(data_dir)
    record_session(store)
    with store.engine.connect() as c:
        dump = "\n".join(str(r) for r in c.exec_driver_sql("SELECT * FROM settings").all())
    store.close()
    assert "s3cr3t" not in dump
    assert main(["lake", "push"]) == 0
    assert main(["lake", "status", "--json"]) == 0
    out = capsys.readouterr()
    assert "s3cr3t" not in out.out + out.err
    assert "OS keyring" in out.out
    assert len(all_keys(s3, bucket)) == len(TABLES)
