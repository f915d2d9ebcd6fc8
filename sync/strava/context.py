"""What every Strava step needs: the store, the ledger, the outbox, clients per account.

The HTTP client is optional: reading the ledger, queueing and status work without one;
asking for an API client then raises `RuntimeError` (a caller bug, not a sync failure).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from app.store.repo import Store

from ..errors import AppInactive, AuthRevoked, Rejected
from ..outbox import Outbox
from .accounts import Account, get_account, set_status
from .budgets import BudgetRegistry, process_budgets
from .client import INACTIVE, INACTIVE_MESSAGE, NEEDS_REAUTH, AccountAuth, StravaClient
from .config import StravaConfig
from .ledger import LedgerStore
from .ratelimit import RateBudget
from .retention import purge_account
from .tokens import load_tokens, token_key

Sleep = Callable[[float], Awaitable[None]]


@dataclass(slots=True)
class StravaContext:
    """Shared plumbing of upload, copy, poll and backfill; one per `StravaSync`."""

    store: Store
    config: StravaConfig
    outbox: Outbox
    ledger: LedgerStore
    http: httpx.AsyncClient | None = None
    clock: Callable[[], float] = time.time
    sleep: Sleep = asyncio.sleep
    budgets: BudgetRegistry = field(default_factory=process_budgets)
    _clients: dict[int, StravaClient] = field(default_factory=dict)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def budget(self, client_id: str = "") -> RateBudget:
        """Strava counts per application, so accounts of one app share one budget."""
        return self.budgets.get(self.config.api_url, client_id)

    def client(self, account: Account) -> StravaClient:
        """The API client of one account (cached), spending its application's budget."""
        existing = self._clients.get(account.id)
        if existing is not None:
            return existing
        if self.http is None:
            raise RuntimeError("this StravaSync has no HTTP client: it can only read and queue")
        key = account.keyring_key or token_key(account.remote_id)
        tokens = load_tokens(key)
        store = self.store

        def on_status(status: str, aid: int = account.id) -> None:
            set_status(store, aid, status)
            if status == NEEDS_REAUTH:  # a revoked grant: nothing derived from it is kept
                purge_account(store, aid)

        auth = AccountAuth(key, self.http, self.config, clock=self.clock, on_status=on_status)
        client = StravaClient(
            self.http,
            self.config,
            auth,
            self.budget(tokens.client_id if tokens else ""),
            clock=self.clock,
            sleep=self.sleep,
        )
        self._clients[account.id] = client
        return client

    def usable(self, account_id: int | None) -> Account:
        """The job's account, or the permanent error that says why it cannot be used."""
        account = get_account(self.store, account_id) if account_id is not None else None
        if account is None:
            raise Rejected("the Strava account of this job was unlinked")
        if account.status == NEEDS_REAUTH:
            raise AuthRevoked(
                f"Strava account {account.id} needs authorizing again: "
                "`pulsedeck accounts link strava`"
            )
        if account.status == INACTIVE:
            raise AppInactive(INACTIVE_MESSAGE)
        return account
