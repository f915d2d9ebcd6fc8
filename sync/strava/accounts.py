"""Linked Strava accounts (owner and children) in `remote_accounts`; tokens stay in keyring."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import select, update

from app.store import models as m
from app.store.repo import Store

from ..errors import AuthRevoked, NetworkError, ServerError, SyncError
from ..outbox import DEAD, Outbox
from . import oauth
from .client import OK
from .config import CHILD_NEEDS, CHILD_SCOPES, OWNER_NEEDS, OWNER_SCOPES, StravaConfig
from .consent import copies_watch, forget, record_control, set_copy_watch
from .tokens import (
    TokenSet,
    client_secret,
    delete_tokens,
    load_tokens,
    save_client,
    save_tokens,
    stored_client,
    token_key,
)

PROVIDER = "strava"
OWNER, CHILD = "owner", "child"


@dataclass(frozen=True, slots=True)
class Account:
    id: int
    athlete_id: int
    remote_id: str
    display_name: str | None
    role: str
    parent_id: int | None
    child_names: tuple[str, ...]
    scopes: str | None
    status: str
    keyring_key: str | None
    created_ms: int


def _account(row: m.RemoteAccount) -> Account:
    return Account(
        id=row.id,
        athlete_id=row.athlete_id,
        remote_id=row.remote_id,
        display_name=row.display_name,
        role=row.role,
        parent_id=row.parent_id,
        child_names=tuple(row.child_names or ()),
        scopes=row.scopes,
        status=row.status,
        keyring_key=row.keyring_key,
        created_ms=row.created_ms,
    )


def list_accounts(store: Store, role: str | None = None) -> list[Account]:
    q = select(m.RemoteAccount).where(m.RemoteAccount.provider == PROVIDER)
    if role is not None:
        q = q.where(m.RemoteAccount.role == role)
    with store.orm() as s:
        return [_account(r) for r in s.scalars(q.order_by(m.RemoteAccount.id))]


def get_account(store: Store, account_id: int) -> Account | None:
    with store.orm() as s:
        row = s.get(m.RemoteAccount, account_id)
        return None if row is None or row.provider != PROVIDER else _account(row)


def children_of(store: Store, owner_id: int) -> list[Account]:
    return [a for a in list_accounts(store, CHILD) if a.parent_id == owner_id]


def watch_children(store: Store, owner_id: int) -> list[Account]:
    """The owner's children (with names) that opted in to copies of activities from elsewhere."""
    return [c for c in children_of(store, owner_id) if c.child_names and copies_watch(store, c.id)]


def set_status(store: Store, account_id: int, status: str) -> None:
    """Mark an account ok / needs_reauth / inactive (shown by `accounts list`)."""
    with store.engine.begin() as conn:
        conn.execute(
            update(m.RemoteAccount).where(m.RemoteAccount.id == account_id).values(status=status)
        )


def save_account(
    store: Store,
    *,
    athlete_id: int,
    remote_id: str,
    display_name: str | None,
    role: str,
    parent_id: int | None,
    child_names: Sequence[str] | None,
    scopes: str,
    clock: Callable[[], float] = time.time,
) -> Account:
    """Insert or update the row for (strava, remote_id); relinking resets the status to ok."""
    with store.orm() as s, s.begin():
        row = s.scalar(
            select(m.RemoteAccount).where(
                m.RemoteAccount.provider == PROVIDER, m.RemoteAccount.remote_id == remote_id
            )
        )
        if row is None:
            row = m.RemoteAccount(
                provider=PROVIDER, remote_id=remote_id, created_ms=int(clock() * 1000)
            )
            s.add(row)
        row.athlete_id = athlete_id
        row.display_name = display_name
        row.role = role
        row.parent_id = parent_id
        row.child_names = list(child_names) if child_names else None
        row.scopes = scopes
        row.status = OK
        row.keyring_key = token_key(remote_id)
        s.flush()
        return _account(row)


def _display(athlete: dict[str, object]) -> str | None:
    name = " ".join(str(athlete.get(k) or "") for k in ("firstname", "lastname")).strip()
    return name or None


BrowserOpener = Callable[[str], object]


#: What Strava's consent page calls each scope, to say which one the user unticked.
SCOPE_LABELS = {
    "activity:write": "Upload your activities from Pulsedeck to Strava",
    "activity:read_all": "View data about your private activities",
    "activity:read": "View data about your activities",
}


def missing_scopes(role: str, granted: set[str]) -> list[str]:
    """The scopes `role` needs that `granted` lacks (one of each alternative group)."""
    needs = OWNER_NEEDS if role == OWNER else CHILD_NEEDS
    return [group[0] for group in needs if not granted & set(group)]


def _scope_message(role: str, missing: list[str]) -> str:
    unticked = ", ".join(f"{s} ({SCOPE_LABELS.get(s, s)})" for s in missing)
    why = (
        "Pulsedeck reads your activities to copy them to children and uploads your sessions"
        if role == OWNER
        else "Pulsedeck uploads copies to this account"
    )
    return (
        f"you unticked {unticked} on Strava's page; {why}. Nothing was linked: link again "
        "and leave it ticked"
    )


async def link(
    store: Store,
    http: httpx.AsyncClient,
    config: StravaConfig,
    *,
    client_id: str,
    client_secret: str,
    athlete_id: int,
    child_names: Sequence[str] | None = None,
    open_browser: BrowserOpener | None = None,
    timeout_s: float = 300.0,
    clock: Callable[[], float] = time.time,
    announce: Callable[[str], None] | None = None,
    controlled: bool = False,
    copy_watch: bool | None = None,
) -> Account:
    """Run the desktop OAuth flow and store the account; a child links under the owner.

    `announce` receives the authorize URL (the CLI prints it); `open_browser` opens it.
    The client secret is kept only once Strava accepted it in the token exchange, so a
    failed link never replaces a working secret. The browser tab says "linked" only once
    the account is stored. For a child, `controlled` records that the user controls that
    account and `copy_watch` its opt-in to copies of activities from elsewhere.
    """
    parent_id: int | None = None
    role = CHILD if child_names else OWNER
    if child_names:
        owners = [a for a in list_accounts(store, OWNER) if a.athlete_id == athlete_id]
        if not owners:
            raise SyncError("link your own Strava account first; children are linked under it")
        parent_id = owners[0].id
    scopes = CHILD_SCOPES if child_names else OWNER_SCOPES
    # No usable keyring: say so before the browser round trip (SecretsUnavailable).
    await asyncio.to_thread(stored_client, client_id)
    with oauth.LoopbackReceiver() as receiver:
        url = oauth.authorize_url(config, client_id, receiver.redirect_uri, scopes, receiver.state)
        if announce is not None:
            announce(url)
        # The browser's request waits for the verdict below: never wait for the opener here.
        opener = (
            asyncio.ensure_future(asyncio.to_thread(open_browser, url))
            if open_browser is not None
            else None
        )
        try:
            callback = await asyncio.to_thread(receiver.wait, timeout_s)
        except BaseException:
            if opener is not None and opener.done() and (err := opener.exception()) is not None:
                raise err from None  # the browser never opened: say so, not "no answer"
            raise
        try:
            account = await _complete(
                store,
                http,
                config,
                callback,
                client_id=client_id,
                client_secret=client_secret,
                athlete_id=athlete_id,
                role=role,
                parent_id=parent_id,
                child_names=child_names,
                clock=clock,
            )
        except BaseException as exc:
            receiver.finish(str(exc) or type(exc).__name__)
            await _settle(opener)
            raise
        if role == CHILD:
            if controlled:
                await asyncio.to_thread(record_control, store, account.id, clock)
            if copy_watch is not None:
                await asyncio.to_thread(set_copy_watch, store, account.id, copy_watch)
        receiver.finish()
    await _settle(opener)
    await asyncio.to_thread(revive_jobs, store, account.id)
    return account


async def _settle(opener: asyncio.Future[object] | None) -> None:
    """Let the browser's request finish (it was only waiting for the verdict)."""
    if opener is not None:
        with contextlib.suppress(Exception):
            await opener


async def _complete(
    store: Store,
    http: httpx.AsyncClient,
    config: StravaConfig,
    callback: oauth.Callback,
    *,
    client_id: str,
    client_secret: str,
    athlete_id: int,
    role: str,
    parent_id: int | None,
    child_names: Sequence[str] | None,
    clock: Callable[[], float],
) -> Account:
    """Check the scopes, exchange the code, then keep the secret, the tokens and the row."""
    requested = CHILD_SCOPES if role == CHILD else OWNER_SCOPES
    granted = set(callback.scopes.split(",")) if callback.scopes else set(requested.split(","))
    missing = missing_scopes(role, granted)
    if missing:
        raise oauth.OAuthError(_scope_message(role, missing))
    grant = await oauth.exchange_code(http, config, client_id, client_secret, callback, clock)
    remote_id = str(grant.athlete.get("id") or "")
    if not remote_id:
        raise ServerError("Strava's token answer did not name the athlete")
    # Strava accepted the secret: only now may it replace the stored one.
    await asyncio.to_thread(save_client, client_id, client_secret)
    await asyncio.to_thread(save_tokens, token_key(remote_id), grant.tokens)
    return await asyncio.to_thread(
        lambda: save_account(
            store,
            athlete_id=athlete_id,
            remote_id=remote_id,
            display_name=_display(grant.athlete),
            role=role,
            parent_id=parent_id,
            child_names=child_names,
            scopes=",".join(sorted(granted)),
            clock=clock,
        )
    )


def revive_jobs(store: Store, account_id: int) -> int:
    """After relinking, jobs that died for want of authorization run again."""
    outbox = Outbox(store)
    n = 0
    for job in outbox.jobs(state=DEAD):
        if job.account_id == account_id and (job.last_error or "").startswith(
            ("AuthRevoked", "AppInactive")
        ):
            outbox.retry(job.id)
            n += 1
    return n


def unlink_targets(store: Store, account_id: int) -> list[Account]:
    """What unlinking `account_id` removes: an owner's children first, then the account."""
    account = get_account(store, account_id)
    if account is None:
        return []
    return [*children_of(store, account_id), account] if account.role == OWNER else [account]


def client_ids(accounts: Sequence[Account]) -> set[str]:
    """The API applications (client ids) whose grants these accounts hold."""
    out = set()
    for acc in accounts:
        tokens = load_tokens(acc.keyring_key or token_key(acc.remote_id))
        if tokens is not None:
            out.add(tokens.client_id)
    return out


def unused_client_secrets(store: Store, candidates: set[str]) -> list[str]:
    """Client ids among `candidates` whose secret is kept but no linked account uses."""
    used = client_ids(list_accounts(store))
    return sorted(c for c in candidates - used if stored_client(c) is not None)


async def revoke_at_strava(
    http: httpx.AsyncClient,
    config: StravaConfig,
    tokens: TokenSet,
    clock: Callable[[], float] = time.time,
) -> bool:
    """Revoke one grant: `POST /oauth/revoke`; before 2027-06-01 the old deauthorize endpoint
    is the fallback when Strava does not offer the new one yet. True when Strava confirmed."""
    secret = await asyncio.to_thread(client_secret, tokens.client_id)
    done = await oauth.revoke(http, config, tokens, secret)
    if done is not None:
        return done
    if clock() >= oauth.DEAUTHORIZE_RETIRED_S:
        raise ServerError("Strava offers no revoke endpoint (POST /oauth/revoke answered 404)")
    if tokens.expiring(clock(), config.refresh_margin_s):
        tokens = await oauth.refresh(http, config, tokens, secret, clock)
    return await oauth.deauthorize(http, config, tokens.access_token)


async def unlink(
    store: Store,
    http: httpx.AsyncClient,
    config: StravaConfig,
    account_id: int,
    *,
    clock: Callable[[], float] = time.time,
) -> list[str]:
    """Revoke at Strava (best effort), forget the tokens, delete the row (children first).

    Returns warnings for the user (e.g. Strava could not be reached to revoke).
    """
    account = get_account(store, account_id)
    if account is None:
        raise LookupError(f"no Strava account {account_id}")
    warnings: list[str] = []
    for acc in unlink_targets(store, account_id):
        key = acc.keyring_key or token_key(acc.remote_id)
        tokens = await asyncio.to_thread(load_tokens, key)
        if tokens is not None:
            try:
                if not await revoke_at_strava(http, config, tokens, clock):
                    warnings.append(f"Strava did not confirm revoking account {acc.id}")
            except (NetworkError, ServerError, AuthRevoked) as exc:
                warnings.append(
                    f"could not revoke account {acc.id} at Strava ({exc}); revoke it at "
                    "https://www.strava.com/settings/apps"
                )
        await asyncio.to_thread(delete_tokens, key)
        # Its jobs and ledger rows cascade with the row; its settings go explicitly.
        await asyncio.to_thread(forget, store, acc.id)
        with store.orm() as s, s.begin():
            row = s.get(m.RemoteAccount, acc.id)
            if row is not None:
                s.delete(row)
    return warnings
