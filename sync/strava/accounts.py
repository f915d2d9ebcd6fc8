"""Linked Strava accounts (owner and children) in `remote_accounts`; tokens stay in keyring."""

from __future__ import annotations

import asyncio
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
from .config import CHILD_SCOPES, OWNER_SCOPES, StravaConfig
from .tokens import client_secret, delete_tokens, load_tokens, save_client, save_tokens, token_key

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
) -> Account:
    """Run the desktop OAuth flow and store the account; a child links under the owner.

    `announce` receives the authorize URL (the CLI prints it); `open_browser` opens it.
    """
    parent_id: int | None = None
    if child_names:
        owners = [a for a in list_accounts(store, OWNER) if a.athlete_id == athlete_id]
        if not owners:
            raise SyncError("link your own Strava account first; children are linked under it")
        parent_id = owners[0].id
    scopes = CHILD_SCOPES if child_names else OWNER_SCOPES
    await asyncio.to_thread(save_client, client_id, client_secret)
    with oauth.LoopbackReceiver() as receiver:
        url = oauth.authorize_url(config, client_id, receiver.redirect_uri, scopes, receiver.state)
        if announce is not None:
            announce(url)
        if open_browser is not None:
            await asyncio.to_thread(open_browser, url)
        callback = await asyncio.to_thread(receiver.wait, timeout_s)
    granted = set(callback.scopes.split(",")) if callback.scopes else set(scopes.split(","))
    missing = {"activity:write"} - granted
    if missing:
        raise oauth.OAuthError(
            "the authorization lacks activity:write (untick nothing on Strava's consent page)"
        )
    grant = await oauth.exchange_code(http, config, client_id, client_secret, callback, clock)
    remote_id = str(grant.athlete.get("id") or "")
    if not remote_id:
        raise ServerError("Strava's token answer did not name the athlete")
    tokens = grant.tokens
    await asyncio.to_thread(save_tokens, token_key(remote_id), tokens)
    account = await asyncio.to_thread(
        lambda: save_account(
            store,
            athlete_id=athlete_id,
            remote_id=remote_id,
            display_name=_display(grant.athlete),
            role=CHILD if child_names else OWNER,
            parent_id=parent_id,
            child_names=child_names,
            scopes=",".join(sorted(granted)),
            clock=clock,
        )
    )
    await asyncio.to_thread(revive_jobs, store, account.id)
    return account


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


async def unlink(
    store: Store, http: httpx.AsyncClient, config: StravaConfig, account_id: int
) -> list[str]:
    """Revoke at Strava (best effort), forget the tokens, delete the row (children first).

    Returns warnings for the user (e.g. Strava could not be reached to revoke).
    """
    account = get_account(store, account_id)
    if account is None:
        raise LookupError(f"no Strava account {account_id}")
    warnings: list[str] = []
    targets = [*children_of(store, account_id), account] if account.role == OWNER else [account]
    for acc in targets:
        key = acc.keyring_key or token_key(acc.remote_id)
        tokens = await asyncio.to_thread(load_tokens, key)
        if tokens is not None:
            try:
                if tokens.expiring(time.time(), config.refresh_margin_s):
                    secret = await asyncio.to_thread(client_secret, tokens.client_id)
                    tokens = await oauth.refresh(http, config, tokens, secret)
                if not await oauth.deauthorize(http, config, tokens.access_token):
                    warnings.append(f"Strava did not confirm revoking account {acc.id}")
            except (NetworkError, ServerError, AuthRevoked) as exc:
                warnings.append(
                    f"could not revoke account {acc.id} at Strava ({exc}); revoke it at "
                    "https://www.strava.com/settings/apps"
                )
        await asyncio.to_thread(delete_tokens, key)
        with store.orm() as s, s.begin():
            row = s.get(m.RemoteAccount, acc.id)
            if row is not None:
                s.delete(row)
    return warnings
