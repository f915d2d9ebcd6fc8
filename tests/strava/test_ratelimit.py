"""Rate budgets from headers (pure) and 429 handling against the emulator."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CLIENT_ID, OWNER_ID, T0_S, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402

from sync.outbox import DONE, PENDING  # noqa: E402
from sync.strava import ratelimit as rl  # noqa: E402
from sync.strava.engine import KIND_UPLOAD  # noqa: E402


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("200,2000", (200, 2000)),
        (" 600 , 30000", (600, 30000)),
        ("600", None),
        ("", None),
        (None, None),
        ("a,b", None),
        ("-1,5", None),
        ("1,2,3", (1, 2)),
    ],
)
def test_parse_pair(value, expected) -> None:
    assert rl.parse_pair(value) == expected


def test_windows_are_quarter_hours_and_utc_days() -> None:
    assert rl.next_quarter(T0_S) == T0_S + 900  # T0 is exactly 09:00 UTC
    assert rl.next_quarter(T0_S + 899.5) == T0_S + 900
    assert rl.next_midnight(T0_S) == T0_S + 15 * 3600


def test_wait_keeps_a_reserve_and_prefers_the_daily_limit() -> None:
    u = rl.Usage(limit_15=100, limit_day=1000, usage_15=98, usage_day=500)
    assert rl.wait_s(u, T0_S + 60) == 840  # 98 + 1 > 100 - 2 reserved
    assert rl.wait_s(u, T0_S + 60, reserve=False) == 0
    spent_day = rl.Usage(100, 1000, 0, 1000)
    assert rl.wait_s(spent_day, T0_S) == 15 * 3600
    assert rl.retry_after_429(spent_day, T0_S) == 15 * 3600
    assert rl.retry_after_429(rl.Usage(100, 1000, 100, 10), T0_S + 1) == 899


def test_budget_counts_its_own_requests_and_forgets_old_windows() -> None:
    budget = rl.RateBudget()
    headers = {
        "X-RateLimit-Limit": "10,100",
        "X-RateLimit-Usage": "5,50",
        "X-ReadRateLimit-Limit": "8,80",
        "X-ReadRateLimit-Usage": "6,6",
    }
    budget.observe(headers, T0_S)
    assert budget.wait_s(T0_S, is_read=True) == 0
    budget.spend(T0_S, is_read=True)  # read 7 of 8: one more fits
    assert budget.wait_s(T0_S, is_read=True) == 0
    budget.spend(T0_S, is_read=True)  # 8 of 8
    assert budget.wait_s(T0_S, is_read=True) == 900
    assert budget.wait_s(T0_S, is_read=False) == 0  # writes only count against overall
    assert budget.wait_s(T0_S + 900, is_read=True) == 0  # a new window
    snap = budget.snapshot()
    assert snap.read == rl.Usage(8, 80, 8, 8) and snap.seen_s == T0_S


def test_429_reschedules_to_the_next_window_without_burning_attempts(
    store, emulator, config, clock, family
) -> None:
    make_session(store, clock(), title="Run")
    emulator.set_limits(overall=(5, 1000), read=(5, 1000))
    emulator.usage[(CLIENT_ID, "overall", str(int(clock() // 900)))] = 5  # another device

    async def first(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(first)
    (job,) = sync.outbox.jobs(kind=KIND_UPLOAD)
    assert emulator.count_429 == 1  # the first request learns the budget; no second 429
    assert job.state == PENDING and job.attempts == 0
    assert "RateLimited" in job.last_error
    assert job.next_attempt_ms == (T0_S + 900) * 1000
    clock.advance(900)
    run(first)
    assert sync.outbox.get(job.id).state == DONE
    assert len(emulator.activities_of(OWNER_ID)) == 1
    assert emulator.count_429 == 1


def test_daily_limit_waits_until_utc_midnight(store, emulator, config, clock, family) -> None:
    make_session(store, clock(), title="Run")
    emulator.set_limits(overall=(100, 3), read=(100, 1000))
    emulator.usage[(CLIENT_ID, "overall", str(int(clock() // 86400)))] = 3

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(go)
    (job,) = sync.outbox.jobs(kind=KIND_UPLOAD)
    assert job.next_attempt_ms == rl.next_midnight(clock()) * 1000
