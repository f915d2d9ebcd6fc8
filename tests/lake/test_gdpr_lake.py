"""GDPR erase on request also removes the athlete's objects from the lake, and only theirs."""

from __future__ import annotations

import asyncio

from app.cli import main
from sync.lake.push import push
from sync.lake.schema import TABLES
from sync.outbox import Outbox

from .conftest import T0, all_keys, record_session


def test_delete_all_with_lake_removes_only_that_athletes_objects(
    store, lake_config, s3, bucket, capsys
):
    record_session(store, "Me", T0)
    record_session(store, "Me", T0 + 40 * 86_400_000)
    record_session(store, "Other", T0, is_self=False)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 3
    assert len(all_keys(s3, bucket)) == 3 * len(TABLES)
    code = main(
        ["export", "delete-all", "--confirm", "Me", "--lake", "--bucket", bucket, "--prefix",
         lake_config.prefix, "--endpoint-url", lake_config.endpoint_url]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert f"{2 * len(TABLES)} lake object(s)" in capsys.readouterr().out
    left = all_keys(s3, bucket)
    data = [k for k in left if "/_deleted/" not in k]
    assert len(data) == len(TABLES)  # Other's session; Me's two sessions are tombstoned (next test)
    assert len(left) - len(data) == 2
    assert [s.athlete for s in store.list_sessions()] == ["Other"]


def test_delete_all_with_lake_reaches_a_coachs_next_pull(
    tmp_path, store, lake_config, s3, bucket, capsys
):
    """An erased athlete's sessions leave the coach's copy too (tombstones, as a delete)."""
    from app.store.repo import Store
    from sync.lake.pull import pull
    from sync.lake.s3 import LakeClient

    record_session(store, "Me", T0)
    record_session(store, "Me", T0 + 40 * 86_400_000)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 2
    coach = Store.open(tmp_path / "coach")
    try:
        assert pull(coach, LakeClient(lake_config)).imported == 2
        code = main(
            ["export", "delete-all", "--confirm", "Me", "--lake", "--bucket", bucket,
             "--prefix", lake_config.prefix, "--endpoint-url", lake_config.endpoint_url]
        )  # fmt: skip
        assert code == 0, capsys.readouterr().err
        report = pull(coach, LakeClient(lake_config))
        assert report.removed == 2
        assert coach.list_sessions() == []
        assert pull(coach, LakeClient(lake_config)).removed == 0  # idempotent
    finally:
        coach.close()


def test_lake_failure_erases_nothing(store, proxy, bucket, capsys):
    record_session(store, "Me", T0)
    # Give the athlete a lake id, as a first push would.
    from sync.lake.push import athlete_ref

    athlete_ref(store, store.default_athlete().id)
    proxy.stop()
    code = main(["export", "delete-all", "--confirm", "Me", "--lake", "--bucket", bucket,
                 "--endpoint-url", proxy.url])  # fmt: skip
    assert code == 1
    assert "nothing erased" in capsys.readouterr().err
    assert len(store.list_sessions()) == 1
