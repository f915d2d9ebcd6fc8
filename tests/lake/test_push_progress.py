"""Lake push with progress and cancel, against moto's S3 on 127.0.0.1 (through a counting proxy).

A cancelled push stops between sessions: every pushed session's job is `done`, none is left
running, and the next push uploads only the rest (proved by counting PUTs at the proxy).
"""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from sync.lake.push import KIND, push
from sync.lake.schema import TABLES
from sync.outbox import DONE, PENDING, Outbox
from sync.progress import Cancelled, CancelToken

from .conftest import T0, all_keys, record_session

DAY = 86_400_000


def _sessions(store, n: int, athlete: str = "Me") -> list[int]:  # noqa: ANN001
    return [record_session(store, athlete, T0 + i * DAY, n=30, seed=i) for i in range(n)]


@pytest.fixture
def via_proxy(lake_config, proxy):  # noqa: ANN001, ANN201 - the lake, every request counted
    return dataclasses.replace(lake_config, endpoint_url=proxy.url)


def test_progress_is_reported_per_session(store, lake_config, s3, bucket) -> None:
    _sessions(store, 3)
    seen: list[tuple[int, int]] = []
    report = asyncio.run(
        push(store, Outbox(store), lake_config, progress=lambda d, t: seen.append((d, t)))
    )
    assert seen == [(0, 3), (1, 3), (2, 3), (3, 3), (3, 3)]
    assert report.done == 3
    assert len(all_keys(s3, bucket)) == 3 * len(TABLES)


def test_cancel_after_the_first_session_then_push_the_rest_once(
    store, via_proxy, proxy, s3, bucket
) -> None:
    ids = _sessions(store, 4)
    outbox = Outbox(store)
    token = CancelToken()

    def progress(done: int, _total: int) -> None:
        if done == 1:
            token.cancel()

    with pytest.raises(Cancelled, match="after 1 session"):
        asyncio.run(push(store, outbox, via_proxy, progress=progress, cancel=token))
    first_puts = proxy.faults.puts_seen
    assert first_puts == len(TABLES)  # exactly one session went up
    keys = all_keys(s3, bucket)
    assert len(keys) == len(TABLES)
    jobs = {j.session_id: j for j in outbox.jobs(kind=KIND)}
    assert [jobs[i].state for i in ids] == [DONE, PENDING, PENDING, PENDING]  # none half-run
    pushed_uid = store.get_session(ids[0]).uid
    assert all(pushed_uid in k for k in keys)

    seen: list[tuple[int, int]] = []
    again = asyncio.run(push(store, outbox, via_proxy, progress=lambda d, t: seen.append((d, t))))
    assert (again.enqueued, again.ran, again.done) == (0, 3, 4)
    assert proxy.faults.puts_seen - first_puts == 3 * len(TABLES)  # the first was not resent
    assert seen[-1] == (3, 3)
    assert len(all_keys(s3, bucket)) == 4 * len(TABLES)
    done_jobs = outbox.jobs(kind=KIND)
    assert [j.state for j in done_jobs] == [DONE] * 4
    assert next(j for j in done_jobs if j.session_id == ids[0]).attempts == 1


def test_cancel_before_the_first_session_pushes_nothing(store, via_proxy, proxy) -> None:
    _sessions(store, 2)
    outbox = Outbox(store)
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        asyncio.run(push(store, outbox, via_proxy, cancel=token))
    assert proxy.faults.puts_seen == 0
    assert [j.state for j in outbox.jobs(kind=KIND)] == [PENDING, PENDING]  # next time


def test_athlete_id_limits_what_is_queued(store, lake_config, s3, bucket) -> None:
    mine = _sessions(store, 2)
    _sessions(store, 1, athlete="Zoe")
    me = store.get_session(mine[0]).athlete_id
    seen: list[tuple[int, int]] = []
    report = asyncio.run(push(store, Outbox(store), lake_config, athlete_id=me,
                              progress=lambda d, t: seen.append((d, t))))  # fmt: skip
    assert (report.enqueued, report.done) == (2, 2)
    assert seen[-1] == (2, 2)
    assert {j.session_id for j in Outbox(store).jobs(kind=KIND)} == set(mine)
