"""One rate budget per Strava application for the whole process, whoever asks."""

from __future__ import annotations

import asyncio
import sys
import threading
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CLIENT_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402

from sync.errors import RateLimited  # noqa: E402
from sync.strava.budgets import BudgetRegistry, process_budgets, rate_usage  # noqa: E402
from sync.strava.engine import StravaSync  # noqa: E402


def _in_own_thread(work):  # noqa: ANN001, ANN202
    """Run `work(http)` on a new event loop in a new thread (the GUI's worker, the CLI...)."""
    out: dict[str, object] = {}

    def main() -> None:
        try:
            out["result"] = run(work)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            out["error"] = exc

    thread = threading.Thread(target=main)
    thread.start()
    thread.join(30)
    return out


def test_two_syncs_on_two_threads_spend_one_budget(store, emulator, config, clock, family) -> None:
    emulator.set_limits(overall=(5, 1000), read=(5, 1000))
    emulator.usage[(CLIENT_ID, "overall", str(int(clock() // 900)))] = 4  # another device
    emulator.usage[(CLIENT_ID, "read", str(int(clock() // 900)))] = 4

    async def background(http: httpx.AsyncClient) -> StravaSync:
        sync = make_sync(store, http, config, clock)
        await sync.client(family.owner).athlete()  # the 5th of 5: the window is spent
        return sync

    first = _in_own_thread(background)
    assert "error" not in first
    sent = len(emulator.requests)

    async def settings_panel(http: httpx.AsyncClient) -> StravaSync:
        sync = make_sync(store, http, config, clock)
        await sync.client(family.owner).athlete()
        return sync

    second = _in_own_thread(settings_panel)
    assert isinstance(second["error"], RateLimited)  # refused here, before any request
    assert len(emulator.requests) == sent and emulator.count_429 == 0
    bg = first["result"]
    assert isinstance(bg, StravaSync)
    assert bg.budget(CLIENT_ID) is process_budgets().get(config.api_url, CLIENT_ID)


def test_usage_is_saved_and_read_without_an_http_client(
    store, emulator, config, clock, family
) -> None:
    make_session(store, clock(), title="Run")
    run(lambda http: make_sync(store, http, config, clock).run_once())
    usage = StravaSync(store, config=config).rate_usage()
    assert usage == rate_usage(store)
    (app,) = usage
    assert app == CLIENT_ID and usage[app]["seen_s"] == clock()
    u15, l15, uday, lday = usage[app]["overall"]
    assert (l15, lday) == emulator.limits["overall"] and 0 < u15 <= uday


def test_registry_hands_out_one_budget_per_application_and_host() -> None:
    registry = BudgetRegistry()
    seen: list[object] = []
    barrier = threading.Barrier(8)

    def grab() -> None:
        barrier.wait()
        seen.append(registry.get("http://a", "1"))

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(b) for b in seen}) == 1
    assert registry.get("http://a", "2") is not seen[0]
    assert registry.get("http://b", "1") is not seen[0]
    assert set(registry.at("http://a")) == {"1", "2"}
    registry.clear()
    assert registry.at("http://a") == {} and registry.get("http://a", "1") is not seen[0]


def test_database_only_operations_need_no_http_client(store, config, clock, family) -> None:
    sid = make_session(store, clock(), title="Run with Max")
    sync = StravaSync(store, config=config, clock=clock)
    assert len(sync.enqueue_session(sid)) == 2  # owner and Max
    assert sync.next_due_s() == 0.0
    assert sync.remote_for_session(sid) == []
    sync.start_backfill(family.owner.id, clock() - 86400)
    with pytest.raises(RuntimeError, match="no HTTP client"):
        sync.client(family.owner)
    with pytest.raises(RuntimeError):
        asyncio.run(sync.poll(family.owner))
