"""The shared feed writer: one transaction for many recordings, retried, never lossy."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from app.domain.samples import Sample
from app.feeds import GroupWriter
from app.feeds.writer import Row, RrRow, recording_target, write_rows
from app.recorder import Recording
from app.store.repo import Store

from .helpers import run

T0 = 1_764_000_000_000


class FlakyWrite:
    """Fault injection: the first `failures` commits fail like a locked database would."""

    def __init__(self, failures: int) -> None:
        self.failures = failures

    def __call__(self, engine: Engine, rows: Sequence[Row], rr_rows: Sequence[RrRow]) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        write_rows(engine, rows, rr_rows)


def rows(store: Store, session_id: int) -> list[tuple[int, int]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT t_ms, hr FROM samples WHERE session_id = ? ORDER BY id", (session_id,)
            )
        ]


@pytest.mark.parametrize("queued_writes", [False, True], ids=["to-thread", "queued"])
def test_many_recordings_share_few_transactions_and_lose_nothing_on_failures(
    store: Store, queued_writes: bool
) -> None:
    athlete = store.ensure_athlete("A")
    write = FlakyWrite(failures=3)
    flaky = GroupWriter(store, write=write, retry_s=0.01)

    async def main() -> list[int]:
        sessions = [
            store.create_session(athlete.id, sport="run", source="feed", started_ms=T0)
            for _ in range(10)
        ]
        recordings = [
            Recording(
                recording_target(flaky),
                sid,
                flush_interval_s=0.01,
                max_batch=1,
                queued_writes=queued_writes,
            )
            for sid in sessions
        ]
        for i in range(30):
            for rec in recordings:
                assert rec.submit(Sample(t_ms=T0 + i * 100, hr=100 + i))
            await asyncio.sleep(0.005)
        for rec in recordings:
            await rec.stop()
        await asyncio.to_thread(flaky.close)
        return sessions

    sessions = run(main())
    expected = [(T0 + i * 100, 100 + i) for i in range(30)]
    for sid in sessions:
        assert rows(store, sid) == expected  # retried, in order, once each
        info = store.get_session(sid)
        assert info is not None and info.status == "finished" and info.samples == 30
        assert flaky.committed(sid) == 30
    assert write.failures == 0
    assert flaky.transactions < 300  # 10 recordings x 30 samples, grouped


def test_a_closed_writer_refuses_new_rows_and_finishing_waits_for_commits(store: Store) -> None:
    athlete = store.ensure_athlete("B")
    group = GroupWriter(store)
    sid = store.create_session(athlete.id, sport="run", source="feed", started_ms=T0)
    group.insert_samples(sid, [Sample(t_ms=T0 + i, hr=90) for i in range(5)])
    summary = group.finish_session(sid, T0 + 10)  # waits for the 5 rows
    assert summary.sample_count == 5
    group.close()
    with pytest.raises(RuntimeError, match="closed"):
        group.insert_samples(sid, [Sample(t_ms=T0 + 99, hr=90)])
    assert len(rows(store, sid)) == 5
