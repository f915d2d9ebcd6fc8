"""Strava: upload a session, the linked accounts, link (OAuth), unlink and backfill.

The same code as `pulsedeck strava ...` and `accounts ...` (sync.strava). The account calls
run in a worker thread, each with its own event loop; the upload enqueue is `async` and
sends nothing itself: `wake` lets the background sync send it within seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from app.store.settings import Settings

if TYPE_CHECKING:
    import httpx

    from app.store.repo import Store
    from sync.progress import CancelCheck
    from sync.strava.accounts import Account
    from sync.strava.config import StravaConfig
    from sync.strava.engine import BackfillProgress

T = TypeVar("T")

#: How often a Strava link waiting for the browser looks at its Cancel button.
CANCEL_POLL_S = 0.1


class NotLinked(LookupError):
    """No Strava account is linked, so there is nowhere to upload to."""


class StravaService:
    """Strava for one store; `wake()` (if given) is called on the loop after an enqueue."""

    def __init__(
        self,
        store: Store,
        settings: Settings | None = None,
        *,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings or Settings(store)
        self.wake = wake

    def config(self) -> StravaConfig:
        """Endpoints from the stored settings, then the environment (as the background sync)."""
        from sync.strava.config import stored_config

        return stored_config(self.settings)

    def accounts(self) -> list[Account]:
        """Linked Strava accounts, owners and children (sync.strava.accounts' rows)."""
        from sync.strava.accounts import list_accounts

        return list_accounts(self.store)

    async def upload(self, session_id: int) -> int:
        """Queue the session for every linked Strava account; how many jobs were queued."""
        from sync.strava.engine import StravaSync

        def enqueue() -> list[int]:  # enqueueing sends nothing: no HTTP client needed
            return StravaSync(self.store, None, self.config()).enqueue_session(session_id)

        jobs = await asyncio.to_thread(enqueue)
        if not jobs:
            raise NotLinked("no Strava account is linked: run `pulsedeck strava link`")
        if self.wake is not None:
            self.wake()  # sent within seconds, not at the next scheduled run
        return len(jobs)

    def link(
        self,
        client_id: str,
        client_secret: str,
        child_names: Sequence[str] | None,
        *,
        athlete_id: int,
        open_browser: Callable[[str], object],
        announce: Callable[[str], None] | None = None,
        cancel: Callable[[], bool] | None = None,
        timeout_s: float = 300.0,
    ) -> Account:
        """The desktop OAuth flow of `accounts link strava`; a cancel leaves nothing stored.

        Cancel while waiting for the browser stops the loopback server (the flow's task is
        cancelled and its receiver closes). Once Strava is answering the code exchange the
        flow finishes and a new account is then unlinked again (revoked, secrets deleted,
        the client secret as before). A failed link keeps the working secret: `link()`
        stores the new one only once Strava accepted it.
        """
        import httpx

        from sync.progress import Cancelled
        from sync.strava import tokens
        from sync.strava.accounts import link, list_accounts, unlink

        config = self.config()
        client_id = client_id.strip()
        if not client_id or not client_secret:
            raise ValueError("enter the client id and secret of your Strava API application")
        before_secret = tokens.stored_client(client_id)  # put back if a cancel undoes the link
        before = {a.id for a in list_accounts(self.store)}
        exchanging = False

        async def mark(request: httpx.Request) -> None:
            nonlocal exchanging
            if request.url.path.endswith("/token"):
                exchanging = True  # Strava is answering: too late to stop halfway

        async def main() -> Account:
            async with httpx.AsyncClient(event_hooks={"request": [mark]}) as http:
                flow = asyncio.ensure_future(
                    link(
                        self.store, http, config,
                        client_id=client_id, client_secret=client_secret, athlete_id=athlete_id,
                        child_names=list(child_names) if child_names else None,
                        open_browser=open_browser, announce=announce, timeout_s=timeout_s,
                    )
                )  # fmt: skip
                while not flow.done():
                    await asyncio.wait({flow}, timeout=CANCEL_POLL_S)
                    if cancel is not None and cancel() and not exchanging and not flow.done():
                        flow.cancel()
                try:
                    account = await flow
                except asyncio.CancelledError:
                    raise Cancelled("nothing was linked") from None
                if cancel is not None and cancel() and account.id not in before:
                    await unlink(self.store, http, config, account.id)
                    await asyncio.to_thread(tokens.restore_client, client_id, before_secret)
                    raise Cancelled("Strava had already answered; the new link was undone")
                return account

        return asyncio.run(main())

    def unlink(self, account_id: int) -> list[str]:
        """`accounts unlink`: revoke at Strava, delete the keyring secrets and the rows."""
        from sync.strava.accounts import unlink

        config = self.config()

        async def main(http: httpx.AsyncClient) -> list[str]:
            return await unlink(self.store, http, config, account_id)

        return _with_client(main)

    def backfill(
        self,
        account_id: int,
        since_s: float | None,
        *,
        progress: Callable[[BackfillProgress], None] | None = None,
        cancel: CancelCheck | None = None,
    ) -> BackfillProgress:
        """Walk an owner's Strava history now, queueing child copies (StravaSync.backfill)."""
        from sync.strava.engine import StravaSync

        config = self.config()

        async def main(http: httpx.AsyncClient) -> BackfillProgress:
            sync = StravaSync(self.store, http, config)
            try:
                return await sync.backfill(account_id, since_s, progress=progress, cancel=cancel)
            finally:
                await asyncio.to_thread(sync.save_rate_usage)

        return _with_client(main)


def _with_client(main: Callable[[httpx.AsyncClient], Coroutine[Any, Any, T]]) -> T:
    """Run `main(http)` on a fresh event loop in this (worker) thread, then close the client."""
    import httpx

    async def run() -> T:
        async with httpx.AsyncClient() as http:
            return await main(http)

    return asyncio.run(run())
