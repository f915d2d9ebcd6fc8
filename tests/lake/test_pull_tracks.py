"""Issue 18: a lake pull stores each pulled session's pieces from the Arrow columns it pulled,
so a coach's first days over a large lake read no samples back; the stored track is the one
DailyService computes from the samples, bit for bit (real S3 on moto)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from app.store.repo import Store
from app.training import tracks
from app.training.daily import DailyService
from sync.lake.config import LakeConfig
from sync.lake.pull import import_session, pull
from sync.lake.push import push
from sync.lake.s3 import LakeClient
from sync.lake.schema import SAMPLES
from sync.lake.tables import session_tables
from sync.outbox import Outbox
from tests.training.track_checks import (
    assert_days_read_no_samples,
    assert_tracks_as_from_samples,
    athletes,
)

from .conftest import T0, record_session

DAY = 86_400_000


def _push_all(store: Store, config: LakeConfig, n: int) -> None:
    assert asyncio.run(push(store, Outbox(store), config)).done == n


def test_a_pull_stores_every_pulled_sessions_track(
    store: Store, lake_config: LakeConfig, tmp_path: Path
) -> None:
    for i in range(3):
        record_session(store, "Me", T0 + i * 3 * DAY, n=600, seed=i, laps=2)
    record_session(store, "Alice", T0 + DAY, n=400, seed=5, is_self=False, gps=False)
    _push_all(store, lake_config, 4)
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert report.imported == 4 and report.tracks_unstored == 0
        assert_tracks_as_from_samples(coach)
        assert_days_read_no_samples(coach)
    finally:
        coach.close()


def test_a_pulled_session_paused_at_the_athlete_gets_the_track_of_its_samples(
    store: Store, lake_config: LakeConfig, tmp_path: Path
) -> None:
    sid = record_session(store, "Me", T0, n=900, seed=3)
    with store.engine.begin() as conn:  # paused 2 min, then an open pause to the end
        conn.exec_driver_sql(
            "INSERT INTO markers (session_id, kind, t_ms) VALUES (?, 'pause', ?), "
            "(?, 'resume', ?), (?, 'pause', ?)",
            (sid, T0 + 100_000, sid, T0 + 220_000, sid, T0 + 800_000),
        )
    store.finish_session(sid, T0 + 900_000)
    _push_all(store, lake_config, 1)
    coach = Store.open(tmp_path / "coach")
    try:
        assert pull(coach, LakeClient(lake_config)).imported == 1
        assert_tracks_as_from_samples(coach)
        assert_days_read_no_samples(coach)
    finally:
        coach.close()


def test_samples_out_of_order_in_the_lake_make_the_track_the_store_reads_back(
    store: Store, tmp_path: Path
) -> None:
    """Lake objects are not trusted to be sorted: ties keep their written (id) order."""
    sid = record_session(store, "Me", T0, n=300, seed=2)
    tables = session_tables(store, sid).tables
    samples = tables[SAMPLES]
    order = list(range(samples.num_rows))[::-1]
    order[10], order[11] = order[11], order[10]
    shuffled = samples.take(pa.array(order))
    dup = shuffled.slice(0, 5)  # the same instants twice, other readings
    hr = dup.schema.get_field_index("hr")
    other = dup.set_column(hr, dup.schema.field(hr), pa.array([99] * 5, pa.int16()))
    tables[SAMPLES] = pa.concat_tables([shuffled, other])
    coach = Store.open(tmp_path / "coach")
    try:
        assert import_session(coach, "ref1", tables) == "imported"
        assert_tracks_as_from_samples(coach)
    finally:
        coach.close()


def test_a_track_that_cannot_be_stored_never_fails_the_pull(
    store: Store, lake_config: LakeConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_session(store, "Me", T0, n=120)
    record_session(store, "Me", T0 + DAY, n=120, seed=1)
    _push_all(store, lake_config, 2)

    def broken(*_args: object) -> bool:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(tracks, "store_track", broken)
    coach = Store.open(tmp_path / "coach")
    try:
        report = pull(coach, LakeClient(lake_config))
        assert (report.imported, report.failed, report.tracks_unstored) == (2, 0, 2)
        with coach.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM session_tracks").scalar() == 0
        monkeypatch.undo()
        a = athletes(coach)[0]
        first = datetime.fromtimestamp(T0 / 1000, UTC).date()
        svc = DailyService(coach)
        svc.days(a, first, first + timedelta(days=2))
        assert svc.computed_tracks == 2  # computed from the samples, as before
    finally:
        coach.close()
