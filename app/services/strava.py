"""Strava: upload a session, the linked accounts and children's consent, link (OAuth), unlink
and backfill.

The same code as `pulsedeck strava ...` and `accounts ...` (sync.strava). The account calls
run in a worker thread, each with its own event loop; the upload enqueue is `async` and
sends nothing itself: `wake` lets the background sync send it within seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from app.store.settings import Settings

if TYPE_CHECKING:
    import httpx

    from app.store.repo import Store
    from sync.progress import CancelCheck
    from sync.strava.accounts import Account
    from sync.strava.config import StravaConfig
    from sync.strava.consent import Consent
    from sync.strava.engine import BackfillProgress

T = TypeVar("T")

#: How often a Strava link waiting for the browser looks at its Cancel button.
CANCEL_POLL_S = 0.1


class NotLinked(LookupError):
    """No Strava account is linked, so there is nowhere to upload to."""


class NotAChild(LookupError):
    """Consent is kept per child account; this one is an owner or gone."""


@dataclass(frozen=True, slots=True)
class LinkedAccount:
    """A linked account with, for a child, what the user agreed to (None for an owner)."""

    account: Account
    consent: Consent | None


@dataclass(frozen=True, slots=True)
class UnlinkPlan:
    """What unlinking an account removes, for the question before it.

    `targets`: an owner's children first, then the account (`unlink_targets`).
    `freed_secrets`: client ids whose kept secret no linked account uses once they are gone.
    """

    targets: list[Account]
    freed_secrets: list[str]


@dataclass(frozen=True, slots=True)
class UnlinkResult:
    """What `unlink` did: the accounts removed, warnings, and the application secrets it
    forgot or left in the keyring for the next link."""

    targets: list[Account]
    warnings: list[str]
    forgotten_secrets: list[str]
    kept_secrets: list[str]


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

    def linked(self) -> list[LinkedAccount]:
        """The linked accounts, each child with its consent (what `accounts list` shows)."""
        from sync.strava.accounts import CHILD, list_accounts
        from sync.strava.consent import consent

        return [
            LinkedAccount(a, consent(self.store, a.id) if a.role == CHILD else None)
            for a in list_accounts(self.store)
        ]

    def _child(self, account_id: int) -> Account:
        from sync.strava.accounts import CHILD, get_account

        account = get_account(self.store, account_id)
        if account is None or account.role != CHILD:
            raise NotAChild(f"account {account_id} is not a linked child account")
        return account

    def set_copy_watch(self, account_id: int, on: bool) -> Consent:
        """`accounts set ID --copy-watch on|off`: a child's opt-in to copies from elsewhere."""
        from sync.strava.consent import consent, set_copy_watch

        self._child(account_id)
        set_copy_watch(self.store, account_id, on)
        return consent(self.store, account_id)

    def confirm_control(self, account_id: int) -> Consent:
        """`accounts set ID --controlled`: the user controls this child account (from now)."""
        from sync.strava.consent import consent, record_control

        self._child(account_id)
        record_control(self.store, account_id)
        return consent(self.store, account_id)

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
        controlled: bool = False,
        copy_watch: bool | None = None,
    ) -> Account:
        """The desktop OAuth flow of `accounts link strava`; a cancel leaves nothing stored.

        A child is linked only when the user confirmed they control it (`controlled`);
        `copy_watch` is its opt-in to copies of activities from elsewhere (None: unchanged).
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
        if child_names and not controlled:
            raise ValueError(
                "confirm that you control this Strava account (your child's or your pet's)"
            )
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
                        controlled=controlled, copy_watch=copy_watch,
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

    def unlink_plan(self, account_id: int) -> UnlinkPlan:
        """What `unlink(account_id)` would remove, and which application secrets it frees."""
        from sync.strava.accounts import client_ids, list_accounts, unlink_targets
        from sync.strava.tokens import stored_client

        targets = unlink_targets(self.store, account_id)
        gone = {a.id for a in targets}
        remaining = [a for a in list_accounts(self.store) if a.id not in gone]
        freed = client_ids(targets) - client_ids(remaining)
        return UnlinkPlan(targets, sorted(c for c in freed if stored_client(c) is not None))

    def unlink(self, account_id: int, *, forget_secret: bool = False) -> UnlinkResult:
        """`accounts unlink [--forget-secret]`: revoke at Strava, delete the keyring secrets
        and the rows (an owner's children too); the application secret stays unless asked."""
        from sync.strava.accounts import client_ids, unlink, unlink_targets, unused_client_secrets
        from sync.strava.tokens import forget_client

        config = self.config()
        targets = unlink_targets(self.store, account_id)
        apps = client_ids(targets)

        async def main(http: httpx.AsyncClient) -> list[str]:
            return await unlink(self.store, http, config, account_id)

        warnings = _with_client(main)
        unused = unused_client_secrets(self.store, apps)
        if forget_secret:
            for client_id in unused:
                forget_client(client_id)
            return UnlinkResult(targets, warnings, unused, [])
        return UnlinkResult(targets, warnings, [], unused)

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
