"""A complete pull remembers when it began: the next one downloads only session objects S3
modified since (less a margin for clocks), so a week's pull does not re-read every session."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from app.store import models as m
from app.store import settings as st
from app.store.repo import Store
from sync.lake.config import LakeConfig
from sync.lake.pull import list_athletes, pull
from sync.lake.push import push
from sync.lake.s3 import LakeClient
from sync.lake.schema import TABLES
from sync.outbox import Outbox

from .conftest import T0, all_keys, record_session

DAY = 86_400_000


class CountingClient(LakeClient):
    """The real S3 client, remembering every object it downloads."""

    def __init__(self, config: LakeConfig) -> None:
        super().__init__(config)
        self.got: list[str] = []

    def get(self, key: str) -> bytes:
        self.got.append(key)
        return super().get(key)


def _push_three(store: Store, lake_config: LakeConfig) -> list[int]:
    ids = [
        record_session(store, "Me", T0, seed=1),
        record_session(store, "Me", T0 + DAY, seed=2),
        record_session(store, "Alice", T0 + 2 * DAY, seed=3, is_self=False),
    ]
    assert asyncio.run(push(store, Outbox(store), lake_config)).done == 3
    return ids


def test_a_second_pull_reads_only_what_was_rewritten(
    store: Store, lake_config: LakeConfig, tmp_path: Path
) -> None:
    ids = _push_three(store, lake_config)
    coach = Store.open(tmp_path / "coach")
    try:
        client = CountingClient(lake_config)
        first = pull(coach, client, seen_margin_ms=0)
        assert first.imported == 3 and len(client.got) == 3 * len(TABLES)  # every table
        time.sleep(1.1)  # S3 times have whole seconds: the rewrite lands after the pull began

        client.got.clear()
        again = pull(coach, client, seen_margin_ms=0)
        assert (again.imported, again.replaced, again.unchanged) == (0, 0, 3)
        assert client.got == []  # nothing downloaded: every object predates the last pull
        time.sleep(1.1)

        with store.orm() as s, s.begin():
            edited = s.get(m.Session, ids[1])
            assert edited is not None
            edited.title = "edited on the athlete's machine"
            uid = edited.uid
        asyncio.run(push(store, Outbox(store), lake_config, force=True))
        client.got.clear()
        third = pull(coach, client, seen_margin_ms=0)
        assert (third.replaced, third.unchanged) == (1, 2)
        # --force rewrote every object: each header and its markers are read again and
        # compared, and only the edited session's tables are downloaded.
        assert len([key for key in client.got if uid in key]) == len(TABLES)
        others = [key for key in client.got if uid not in key]
        assert all("/sessions/" in key or "/markers/" in key for key in others)
        assert "edited on the athlete's machine" in {s.title for s in coach.list_sessions()}
    finally:
        coach.close()


def test_the_margin_rereads_recent_objects(
    store: Store, lake_config: LakeConfig, tmp_path: Path
) -> None:
    """With the default margin (clock differences), objects written just now are read again."""
    _push_three(store, lake_config)
    coach = Store.open(tmp_path / "coach")
    try:
        client = CountingClient(lake_config)
        pull(coach, client)
        client.got.clear()
        assert pull(coach, client).unchanged == 3
        # each session's header and markers, compared, not imported
        assert len(client.got) == 3 * 2
    finally:
        coach.close()


def test_a_pull_with_failures_marks_nothing_seen(
    store: Store,
    lake_config: LakeConfig,
    s3,
    tmp_path: Path,  # noqa: ANN001
) -> None:
    _push_three(store, lake_config)
    victim = next(k for k in all_keys(s3, lake_config.bucket) if "/laps/" in k)
    s3.delete_object(Bucket=lake_config.bucket, Key=victim)
    coach = Store.open(tmp_path / "coach")
    try:
        client = CountingClient(lake_config)
        assert pull(coach, client, seen_margin_ms=0).failed == 1
        failed_ref = next(r for r in list_athletes(client) if f"athlete_id={r}/" in victim)
        settings = st.Settings(coach)
        assert settings.get(st.LAKE_SEEN_MS, failed_ref) is None
        time.sleep(1.1)
        client.got.clear()
        assert pull(coach, client, seen_margin_ms=0).failed == 1  # tried again, not skipped
        assert any(f"athlete_id={failed_ref}/" in key for key in client.got)
    finally:
        coach.close()
