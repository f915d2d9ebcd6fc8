"""One rate budget per Strava application, shared by every caller in the process.

Strava counts requests per API application, so all accounts linked through one
application spend one budget. The background sync, the Settings panel and a CLI command
each build their own `StravaSync` (on different threads and event loops); they take their
budgets from one `BudgetRegistry`, so a backfill started in Settings sees what the background
sync spent a second ago. The registry is keyed by (API URL, client id): two hosts (Strava and
an emulator) never share counts. The last usage seen is saved as the setting `STRAVA_RATE_USAGE` for
`sync status` in another process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from app.store.repo import Store
from app.store.settings import STRAVA_RATE_USAGE, Settings

from .ratelimit import RateBudget, Usage


@dataclass(frozen=True, slots=True)
class BudgetKey:
    """Which application a budget counts for, and at which host."""

    api_url: str
    client_id: str


class BudgetRegistry:
    """Budgets by application; get-or-create is atomic, the budgets are thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._budgets: dict[BudgetKey, RateBudget] = {}

    def get(self, api_url: str, client_id: str) -> RateBudget:
        """The one budget of `client_id` at `api_url`, created on first use."""
        key = BudgetKey(api_url, client_id)
        with self._lock:
            budget = self._budgets.get(key)
            if budget is None:
                budget = self._budgets[key] = RateBudget()
            return budget

    def at(self, api_url: str) -> dict[str, RateBudget]:
        """The budgets of every application seen at `api_url`, by client id."""
        with self._lock:
            return {k.client_id: b for k, b in self._budgets.items() if k.api_url == api_url}

    def clear(self) -> None:
        """Forget every budget (tests start from nothing)."""
        with self._lock:
            self._budgets.clear()


_PROCESS = BudgetRegistry()


def process_budgets() -> BudgetRegistry:
    """The registry every `StravaSync` of this process uses unless given another."""
    return _PROCESS


def _usage(u: Usage | None) -> list[int] | None:
    return None if u is None else [u.usage_15, u.limit_15, u.usage_day, u.limit_day]


def save_rate_usage(store: Store, budgets: dict[str, RateBudget]) -> None:
    """Keep the last rate-limit usage seen, for `sync status` in another process."""
    settings = Settings(store)
    for client_id, budget in budgets.items():
        snap = budget.snapshot()
        if snap.seen_s is None:
            continue
        settings.set(
            STRAVA_RATE_USAGE,
            {"seen_s": snap.seen_s, "overall": _usage(snap.overall), "read": _usage(snap.read)},
            client_id or "default",
        )


def rate_usage(store: Store) -> dict[str, Any]:
    """What `save_rate_usage` stored, per application (no HTTP client needed)."""
    return Settings(store).owners(STRAVA_RATE_USAGE)
