"""Strava API v3 client for one linked account: auth, refresh, rate budget, typed errors.

Every request: wait for (or refuse on) the application's rate budget, attach a fresh access
token (refreshed shortly before expiry, the rotated refresh token stored at once), send, read
the rate headers, and map the status to the sync exception tree:
401 -> one refresh and one retry, then AuthRevoked (account marked `needs_reauth`);
403 Application/Status/Inactive -> AppInactive (account marked `inactive`); 404 -> NotFound;
429 -> RateLimited(retry_after to the next quarter hour or UTC midnight); 5xx -> ServerError;
timeouts and refused connections -> NetworkError; other 4xx -> Rejected.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from ..errors import (
    AppInactive,
    AuthRevoked,
    NetworkError,
    NotFound,
    RateLimited,
    Rejected,
    ServerError,
)
from . import oauth
from .config import StravaConfig
from .ratelimit import RateBudget
from .tokens import TokenSet, client_secret, load_tokens, save_tokens

log = logging.getLogger(__name__)

NEEDS_REAUTH, INACTIVE, OK = "needs_reauth", "inactive", "ok"

INACTIVE_MESSAGE = oauth.INACTIVE_MESSAGE

StatusCallback = Callable[[str], None]


class AccountAuth:
    """The tokens of one account in the keyring; refreshes are serialised per account."""

    def __init__(
        self,
        key: str,
        http: httpx.AsyncClient,
        config: StravaConfig,
        *,
        clock: Callable[[], float] = time.time,
        on_status: StatusCallback | None = None,
    ) -> None:
        self.key = key
        self.http = http
        self.config = config
        self.clock = clock
        self.on_status = on_status or (lambda status: None)
        self._lock = asyncio.Lock()

    async def _load(self) -> TokenSet:
        tokens = await asyncio.to_thread(load_tokens, self.key)
        if tokens is None:
            self.on_status(NEEDS_REAUTH)
            raise AuthRevoked("no Strava tokens in the keyring for this account; link it again")
        return tokens

    async def _refresh(self, tokens: TokenSet) -> TokenSet:
        secret = await asyncio.to_thread(client_secret, tokens.client_id)
        try:
            fresh = await oauth.refresh(self.http, self.config, tokens, secret, self.clock)
        except AuthRevoked:
            # Another Pulsedeck process (the GUI beside a CLI run) may have rotated the
            # refresh token first: then the keyring holds a newer, working grant.
            stored = await asyncio.to_thread(load_tokens, self.key)
            if stored is not None and stored.refresh_token != tokens.refresh_token:
                return stored
            self.on_status(NEEDS_REAUTH)
            raise
        # Store before use: Strava has already invalidated the old refresh token.
        await asyncio.to_thread(save_tokens, self.key, fresh)
        log.info("refreshed Strava tokens for %s", self.key.rsplit("/", 1)[-1])
        return fresh

    async def access_token(self) -> str:
        async with self._lock:
            tokens = await self._load()
            if tokens.expiring(self.clock(), self.config.refresh_margin_s):
                tokens = await self._refresh(tokens)
            return tokens.access_token

    async def refresh_after_401(self, rejected_access: str) -> str:
        """Refresh unless another request already did since `rejected_access` was issued."""
        async with self._lock:
            tokens = await self._load()
            if tokens.access_token != rejected_access:
                return tokens.access_token
            return (await self._refresh(tokens)).access_token


def fault_text(response: httpx.Response) -> str:
    return oauth._fault_message(response)


class StravaClient:
    """API calls for one account; share `budget` between accounts of the same application."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: StravaConfig,
        auth: AccountAuth,
        budget: RateBudget,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        background: bool = True,
    ) -> None:
        self.http = http
        self.config = config
        self.auth = auth
        self.budget = budget
        self.clock = clock
        self.sleep = sleep
        self.background = background

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        on_send: Callable[[], None] | None = None,
        **kw: Any,
    ) -> httpx.Response:
        url = f"{self.config.api_url}{path}"
        headers = {"Authorization": f"Bearer {token}"}
        self.budget.spend(self.clock(), method == "GET")
        if on_send is not None:
            on_send()
        try:
            response = await self.http.request(
                method, url, headers=headers, timeout=self.config.timeout_s, **kw
            )
        except httpx.TimeoutException as exc:
            raise NetworkError(f"Strava {method} {path} timed out ({type(exc).__name__})") from None
        except httpx.ConnectError as exc:
            err = NetworkError(f"cannot reach Strava ({type(exc).__name__})")
            err.request_sent = False
            raise err from None
        except httpx.TransportError as exc:
            raise NetworkError(f"cannot reach Strava ({type(exc).__name__})") from None
        self.budget.observe(response.headers, self.clock())
        log.debug("strava %s %s -> %s", method, path, response.status_code)
        return response

    async def request(
        self, method: str, path: str, *, on_send: Callable[[], None] | None = None, **kw: Any
    ) -> Any:
        """One API call with the full error mapping; returns the decoded JSON body.

        `on_send` runs right before bytes go out (after budget and token checks), so a
        caller can mark a non-idempotent request as possibly done.
        """
        wait = self.budget.wait_s(self.clock(), method == "GET", self.background)
        if wait > 0:
            if wait > self.config.max_inline_wait_s:
                raise RateLimited(
                    f"Strava rate budget spent; next window in {wait:.0f} s", retry_after_s=wait
                )
            await self.sleep(wait)
        token = await self.auth.access_token()
        response = await self._send(method, path, token, on_send, **kw)
        if response.status_code == 401:
            token = await self.auth.refresh_after_401(token)
            response = await self._send(method, path, token, on_send, **kw)
            if response.status_code == 401:
                self.auth.on_status(NEEDS_REAUTH)
                raise AuthRevoked(
                    f"Strava rejected the account's authorization ({fault_text(response)}); "
                    "run `pulsedeck accounts link strava` again"
                )
        status = response.status_code
        if status == 429:
            retry = self.budget.retry_after_429(response.headers, self.clock())
            raise RateLimited(f"Strava rate limit reached on {method} {path}", retry_after_s=retry)
        if status == 403 and oauth.is_inactive(response):
            self.auth.on_status(INACTIVE)
            raise AppInactive(INACTIVE_MESSAGE)
        if status == 404:
            raise NotFound(f"Strava {method} {path}: {fault_text(response)}")
        if status >= 500:
            raise ServerError(f"Strava {method} {path} failed: {fault_text(response)}")
        if status >= 400:
            raise Rejected(f"Strava {method} {path} refused: {fault_text(response)}")
        if status == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ServerError(f"Strava {method} {path} returned malformed JSON") from None

    # Endpoints -----------------------------------------------------------------------------

    async def athlete(self) -> dict[str, Any]:
        return dict(await self.request("GET", "/athlete"))

    async def create_upload(
        self,
        content: bytes,
        *,
        data_type: str,
        external_id: str,
        name: str | None = None,
        description: str | None = None,
        trainer: bool = False,
    ) -> dict[str, Any]:
        data = {"data_type": data_type, "external_id": external_id}
        if name:
            data["name"] = name
        if description:
            data["description"] = description
        if trainer:
            data["trainer"] = "1"
        files = {"file": (f"{external_id}.{data_type}", content, "application/octet-stream")}
        return dict(await self.request("POST", "/uploads", data=data, files=files))

    async def get_upload(self, upload_id: int | str) -> dict[str, Any]:
        return dict(await self.request("GET", f"/uploads/{int(upload_id)}"))

    async def list_activities(
        self,
        *,
        after: int | None = None,
        before: int | None = None,
        page: int = 1,
        per_page: int | None = None,
    ) -> list[dict[str, Any]]:
        params: dict[str, int] = {"page": page, "per_page": per_page or self.config.page_size}
        if after is not None:
            params["after"] = int(after)
        if before is not None:
            params["before"] = int(before)
        body = await self.request("GET", "/athlete/activities", params=params)
        if not isinstance(body, list):
            raise ServerError("Strava returned a non-list for /athlete/activities")
        return [a for a in body if isinstance(a, dict)]

    async def get_activity(self, activity_id: int | str) -> dict[str, Any]:
        return dict(await self.request("GET", f"/activities/{int(activity_id)}"))

    async def update_activity(self, activity_id: int | str, **fields: Any) -> dict[str, Any]:
        return dict(await self.request("PUT", f"/activities/{int(activity_id)}", json=fields))

    async def create_activity(
        self, on_send: Callable[[], None] | None = None, **fields: Any
    ) -> dict[str, Any]:
        data = {k: str(v) for k, v in fields.items() if v is not None}
        return dict(await self.request("POST", "/activities", data=data, on_send=on_send))

    async def streams(self, activity_id: int | str, keys: list[str]) -> dict[str, Any]:
        """Streams keyed by type; {} for activities without streams (manual ones)."""
        try:
            body = await self.request(
                "GET",
                f"/activities/{int(activity_id)}/streams",
                params={"keys": ",".join(keys), "key_by_type": "true"},
            )
        except NotFound:
            return {}
        if isinstance(body, list):  # key_by_type ignored by a proxy: rebuild the mapping
            return {s["type"]: s for s in body if isinstance(s, dict) and "type" in s}
        return dict(body or {})
