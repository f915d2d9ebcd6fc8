"""The outbox state machine on a real SQLite file: idempotent enqueue, leases, retry or dead."""

from __future__ import annotations

import asyncio
import random

import pytest

from sync import outbox as ob
from sync.errors import (
    AuthRevoked,
    NetworkError,
    RateLimited,
    Rejected,
    ServerError,
    Uncertain,
)


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def box(store, clock) -> ob.Outbox:
    return ob.Outbox(store, clock=clock, rng=random.Random(1))


def test_enqueue_is_idempotent_per_dedupe_key(box) -> None:
    a = box.enqueue("k", "key-1", payload={"x": 1})
    assert box.enqueue("k", "key-1", payload={"x": 2}) == a
    b = box.enqueue("k", "key-2")
    assert a != b and box.counts() == {ob.PENDING: 2}
    assert box.get(a).payload == {"x": 1}


def test_claim_leases_and_an_expired_lease_is_reclaimed(box, clock) -> None:
    jid = box.enqueue("k", "key")
    job = box.claim(lease_s=60)
    assert job.id == jid and job.state == ob.RUNNING and job.attempts == 1
    assert box.claim(lease_s=60) is None  # leased
    clock.now += 61  # the worker died
    again = box.claim()
    assert again.id == jid and again.attempts == 2
    assert box.claim(kinds=["other"]) is None


@pytest.mark.parametrize(
    ("exc", "state"),
    [
        (Rejected("no"), ob.DEAD),
        (AuthRevoked("x"), ob.DEAD),
        (Uncertain("?"), ob.DEAD),
        (ServerError("5xx"), ob.PENDING),
        (NetworkError("t/o"), ob.PENDING),
        (ValueError("bug"), ob.PENDING),
    ],
)
def test_fail_decides_by_type(box, exc, state) -> None:
    box.enqueue("k", "key")
    job = box.claim()
    failed = box.fail(job.id, exc)
    assert failed.state == state
    assert failed.last_error == f"{type(exc).__name__}: {exc}"


def test_backoff_grows_and_is_capped(box, clock) -> None:
    assert ob.backoff_s(1, random.Random(0)) <= ob.BACKOFF_BASE_S
    assert ob.backoff_s(30, random.Random(0)) <= ob.BACKOFF_CAP_S
    assert ob.backoff_s(30, random.Random(0)) >= ob.BACKOFF_CAP_S / 2
    box.enqueue("k", "key")
    job = box.fail(box.claim().id, ServerError("x"))
    assert 15_000 <= job.next_attempt_ms - clock.now * 1000 <= 30_000


def test_rate_limited_waits_as_told_and_costs_no_attempt(box, clock) -> None:
    box.enqueue("k", "key")
    job = box.fail(box.claim().id, RateLimited("429", retry_after_s=840))
    assert job.state == ob.PENDING and job.attempts == 0
    assert job.next_attempt_ms == int((clock.now + 840) * 1000)


def test_retryable_goes_dead_after_the_limit_and_user_retry_revives(box, clock) -> None:
    jid = box.enqueue("k", "key")
    for _ in range(ob.MAX_RETRYABLE_ATTEMPTS):
        clock.now += ob.BACKOFF_CAP_S
        job = box.fail(box.claim().id, ServerError("down"))
    assert job.state == ob.DEAD and "down" in job.last_error
    box.retry(jid)
    assert box.get(jid).state == ob.PENDING and box.get(jid).attempts == 0
    with pytest.raises(LookupError):
        box.retry(99999)


def test_unclassified_errors_go_dead_after_a_few_tries(box, clock) -> None:
    box.enqueue("k", "key")
    for _ in range(ob.MAX_UNCLASSIFIED_ATTEMPTS):
        clock.now += ob.BACKOFF_CAP_S
        job = box.fail(box.claim().id, KeyError("bug"))
    assert job.state == ob.DEAD


def test_retry_dead_by_kind(box) -> None:
    for i, kind in enumerate(["a", "a", "b"]):
        box.enqueue(kind, f"k{i}")
        box.fail(box.claim().id, Rejected("no"))
    assert box.retry_dead(["a"]) == 2
    assert box.counts() == {ob.PENDING: 2, ob.DEAD: 1}
    assert box.retry_dead() == 1


def test_drain_runs_due_jobs_and_records_results(box) -> None:
    box.enqueue("ok", "1")
    box.enqueue("bad", "2")
    box.enqueue("ignored", "3")

    async def ok(job):
        return {"done": job.dedupe_key}

    async def bad(job):
        raise Rejected("refused")

    ran = asyncio.run(ob.drain(box, {"ok": ok, "bad": bad}))
    assert ran == 2
    states = {j.kind: (j.state, j.result) for j in box.jobs()}
    assert states == {
        "ok": (ob.DONE, {"done": "1"}),
        "bad": (ob.DEAD, None),
        "ignored": (ob.PENDING, None),
    }
