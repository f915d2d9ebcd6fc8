"""GDPR erase on request also removes the athlete's objects from the lake, and only theirs."""

from __future__ import annotations

import asyncio

from app.cli import main
from sync.lake.push import push
from sync.outbox import Outbox

from .conftest import T0, all_keys, record_session


def test_delete_all_with_lake_removes_only_that_athletes_objects(
    store, lake_config, s3, bucket, capsys
):
    record_session(store, "Me", T0)
    record_session(store, "Me", T0 + 40 * 86_400_000)
    record_session(store, "Other", T0, is_self=False)
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 3
    assert len(all_keys(s3, bucket)) == 15
    code = main(
        ["export", "delete-all", "--confirm", "Me", "--lake", "--bucket", bucket, "--prefix",
         lake_config.prefix, "--endpoint-url", lake_config.endpoint_url]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "10 lake object(s)" in capsys.readouterr().out
    left = all_keys(s3, bucket)
    assert len(left) == 5
    assert [s.athlete for s in store.list_sessions()] == ["Other"]


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
