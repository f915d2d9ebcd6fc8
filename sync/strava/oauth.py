"""Strava OAuth for a desktop app: loopback redirect, checked state, token exchange/refresh.

The browser is sent to `{oauth_url}/authorize`; Strava redirects to
`http://127.0.0.1:<random port>/callback?code=...&state=...`, where a one-shot server
takes the code. The browser tab waits for the token exchange and shows its verdict: "linked"
only once Strava handed out tokens, otherwise the reason. Token requests carry the secrets in
the POST body only, so no URL (and so no log line of httpx) ever contains one.
"""

from __future__ import annotations

import http.server
import secrets as pysecrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import httpx

from ..errors import AppInactive, AuthRevoked, NetworkError, Rejected, ServerError
from .config import StravaConfig
from .tokens import TokenSet

#: How long the browser tab waits for the verdict after delivering the code: one token
#: request (StravaConfig.timeout_s, 30 s) plus storing the account, with room to spare.
VERDICT_WAIT_S = 60.0

SETTINGS_API_URL = "https://www.strava.com/settings/api"

INACTIVE_MESSAGE = (
    "Strava says your API application is inactive (403 Application/Status/Inactive). Open "
    f"{SETTINGS_API_URL}, check the application is approved and active, then "
    "run `pulsedeck accounts link strava` again"
)


class OAuthError(Rejected):
    """The authorization did not complete (denied, wrong state, timed out)."""


def is_inactive(response: httpx.Response) -> bool:
    """Strava's 403 Application/Status/Inactive (the user's API application is switched off)."""
    try:
        body = response.json()
    except ValueError:
        return False
    for err in (body.get("errors") or []) if isinstance(body, dict) else []:
        if not isinstance(err, dict):
            continue
        triple = tuple(str(err.get(k) or "").lower() for k in ("resource", "field", "code"))
        if triple == ("application", "status", "inactive"):
            return True
    return False


def _error_fields(response: httpx.Response) -> set[str]:
    """The `field` of each error in a Strava fault, lower-cased."""
    try:
        body = response.json()
    except ValueError:
        return set()
    errors = body.get("errors") if isinstance(body, dict) else None
    return {str(e.get("field") or "").lower() for e in errors or [] if isinstance(e, dict)}


def authorize_url(
    config: StravaConfig, client_id: str, redirect_uri: str, scopes: str, state: str
) -> str:
    """Where the browser goes; `approval_prompt=force` so a child can pick its own login."""
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "response_type": "code",
            "approval_prompt": "force",
            "scope": scopes,
            "state": state,
        }
    )
    return f"{config.oauth_url}/authorize?{query}"


@dataclass(frozen=True, slots=True)
class Callback:
    code: str
    scopes: str


class LoopbackReceiver:
    """A one-shot HTTP server on 127.0.0.1:<random port> that receives the redirect."""

    PATH = "/callback"

    def __init__(self, state: str | None = None, verdict_wait_s: float = VERDICT_WAIT_S) -> None:
        self.state = state or pysecrets.token_urlsafe(24)
        self.verdict_wait_s = verdict_wait_s
        self._done = threading.Event()
        self._result: Callback | None = None
        self._error: str | None = None
        self._verdict = threading.Event()
        self._verdict_error: str | None = None
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                url = urlparse(self.path)
                if url.path != LoopbackReceiver.PATH:
                    self.send_error(404)
                    return
                receiver._take(parse_qs(url.query))
                error = receiver._error
                if receiver._result is not None:  # a code: wait for the exchange's verdict
                    if receiver._verdict.wait(receiver.verdict_wait_s):
                        error = receiver._verdict_error
                    else:
                        error = "no verdict from Pulsedeck in time; see the app or the terminal"
                ok = error is None
                body = (
                    "Pulsedeck is linked to Strava. You can close this tab."
                    if ok
                    else f"Pulsedeck could not link Strava: {error}"
                ).encode()
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "text/plain; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass  # the query string holds the code: never log it

        self._server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._serve, name="oauth-loopback", daemon=True)

    def _serve(self) -> None:
        while not self._done.is_set():
            self._server.handle_request()

    def _take(self, query: dict[str, list[str]]) -> None:
        if self._done.is_set():
            return
        state = (query.get("state") or [""])[0]
        if not pysecrets.compare_digest(state, self.state):
            self._error = "the state parameter does not match (a stale or forged redirect)"
            return  # keep waiting for the genuine redirect
        if "error" in query:
            reason = query["error"][0]
            self._error = (
                "you declined on Strava's page, so nothing was linked"
                if reason == "access_denied"
                else f"Strava answered {reason!r}; nothing was linked"
            )
        elif not query.get("code"):
            self._error = "the redirect carried no code"
        else:
            self._result = Callback(query["code"][0], (query.get("scope") or [""])[0])
        self._done.set()

    @property
    def redirect_uri(self) -> str:
        host, port = self._server.server_address[:2]
        if isinstance(host, bytes):  # typeshed allows it; an AF_INET server gives str
            host = host.decode()
        return f"http://{host}:{port}{self.PATH}"

    def __enter__(self) -> LoopbackReceiver:
        self._server.timeout = 0.2
        self._thread.start()
        return self

    def finish(self, error: str | None = None) -> None:
        """The verdict for the browser tab: None once linked, else the reason (one line)."""
        if not self._verdict.is_set():
            self._verdict_error = error
            self._verdict.set()

    def __exit__(self, *exc: object) -> None:
        self.finish("Pulsedeck stopped before linking finished")
        self._done.set()
        self._thread.join(timeout=2)
        self._server.server_close()

    def wait(self, timeout_s: float) -> Callback:
        """Block until the redirect arrives; raises OAuthError on denial, bad state, timeout."""
        if not self._done.wait(timeout_s):
            raise OAuthError(self._error or f"no answer from the browser within {timeout_s:.0f} s")
        if self._result is None:
            raise OAuthError(self._error or "authorization failed")
        return self._result


def _fault_message(response: httpx.Response) -> str:
    """Strava's fault `message` and error codes, without echoing anything we sent."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    parts = [str(body.get("message") or f"HTTP {response.status_code}")]
    for err in body.get("errors") or []:
        if isinstance(err, dict):
            parts.append("/".join(str(err.get(k) or "") for k in ("resource", "field", "code")))
    return "; ".join(parts)[:300]


def _tokens(body: Any, client_id: str, scopes: str, now_s: float) -> TokenSet:
    if not isinstance(body, dict) or not body.get("access_token") or not body.get("refresh_token"):
        raise ServerError("Strava's token endpoint returned an unexpected answer")
    expires_at = body.get("expires_at")
    if not isinstance(expires_at, (int, float)):
        expires_at = now_s + float(body.get("expires_in") or 3600)
    return TokenSet(
        access_token=str(body["access_token"]),
        refresh_token=str(body["refresh_token"]),
        expires_at=float(expires_at),
        client_id=client_id,
        scopes=scopes,
    )


async def _token_request(
    http: httpx.AsyncClient, config: StravaConfig, data: dict[str, str]
) -> httpx.Response:
    try:
        return await http.post(f"{config.oauth_url}/token", data=data, timeout=config.timeout_s)
    except httpx.TimeoutException as exc:
        raise NetworkError(f"Strava token endpoint timed out ({type(exc).__name__})") from None
    except httpx.TransportError as exc:
        raise NetworkError(f"cannot reach Strava ({type(exc).__name__})") from None


@dataclass(frozen=True, slots=True)
class Grant:
    tokens: TokenSet
    athlete: dict[str, Any]


async def exchange_code(
    http: httpx.AsyncClient,
    config: StravaConfig,
    client_id: str,
    client_secret: str,
    callback: Callback,
    clock: Callable[[], float] = time.time,
) -> Grant:
    """Trade the redirect's code for tokens and the athlete's summary."""
    response = await _token_request(
        http,
        config,
        {
            "client_id": client_id,
            "client_secret": client_secret,
            "code": callback.code,
            "grant_type": "authorization_code",
        },
    )
    if response.status_code >= 500:
        raise ServerError(f"Strava token endpoint failed: {_fault_message(response)}")
    if response.status_code == 403 and is_inactive(response):
        raise AppInactive(INACTIVE_MESSAGE)
    if response.status_code != 200:
        fields = _error_fields(response)
        if fields & {"client_secret", "client_id"}:
            raise OAuthError(
                f"Strava refused the client secret of application {client_id}: copy it again "
                f"from {SETTINGS_API_URL} (nothing was linked)"
            )
        raise OAuthError(
            "Strava refused the authorization code (expired or used already; link again): "
            + _fault_message(response)
        )
    body = response.json()
    athlete = body.get("athlete") if isinstance(body, dict) else None
    return Grant(_tokens(body, client_id, callback.scopes, clock()), athlete or {})


async def refresh(
    http: httpx.AsyncClient,
    config: StravaConfig,
    tokens: TokenSet,
    client_secret: str,
    clock: Callable[[], float] = time.time,
) -> TokenSet:
    """New tokens; Strava may rotate the refresh token, so the caller stores the result."""
    response = await _token_request(
        http,
        config,
        {
            "client_id": tokens.client_id,
            "client_secret": client_secret,
            "grant_type": "refresh_token",
            "refresh_token": tokens.refresh_token,
        },
    )
    if response.status_code >= 500 or response.status_code == 429:
        raise ServerError(f"Strava token endpoint failed: {_fault_message(response)}")
    if response.status_code != 200:
        raise AuthRevoked(
            f"Strava refused to refresh the grant ({_fault_message(response)}); "
            "link the account again"
        )
    return _tokens(response.json(), tokens.client_id, tokens.scopes, clock())


#: Strava retires `POST /oauth/deauthorize` on this day (00:00 UTC); from then on only
#: `POST /oauth/revoke` (RFC 7009: HTTP Basic with the client id and secret, a `token` field)
#: revokes a grant, and tokens travel in the Authorization header only.
DEAUTHORIZE_RETIRED_S = datetime(2027, 6, 1, tzinfo=UTC).timestamp()


async def revoke(
    http: httpx.AsyncClient,
    config: StravaConfig,
    tokens: TokenSet,
    client_secret: str,
) -> bool | None:
    """Revoke the grant with `POST /oauth/revoke`; None when Strava has no such endpoint (404).

    True when Strava confirmed it; the refresh token names the grant, so no refresh is needed.
    """
    try:
        response = await http.post(
            f"{config.oauth_url}/revoke",
            auth=httpx.BasicAuth(tokens.client_id, client_secret),
            data={"token": tokens.refresh_token, "token_type_hint": "refresh_token"},
            timeout=config.timeout_s,
        )
    except httpx.TransportError as exc:
        raise NetworkError(f"cannot reach Strava to revoke ({type(exc).__name__})") from None
    if response.status_code == 404:
        return None
    if response.status_code >= 500 or response.status_code == 429:
        raise ServerError(f"Strava could not revoke: {_fault_message(response)}")
    if response.status_code == 401:
        raise AuthRevoked(f"Strava refused the client credentials: {_fault_message(response)}")
    return response.status_code == 200


async def deauthorize(http: httpx.AsyncClient, config: StravaConfig, access_token: str) -> bool:
    """The old revoke (before 2027-06-01 only); the token goes in the Authorization header."""
    try:
        response = await http.post(
            f"{config.oauth_url}/deauthorize",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=config.timeout_s,
        )
    except httpx.TransportError as exc:
        raise NetworkError(f"cannot reach Strava to revoke ({type(exc).__name__})") from None
    if response.status_code >= 500:
        raise ServerError(f"Strava could not revoke: {_fault_message(response)}")
    return response.status_code in (200, 401)
