"""The feed client: connect with a token, validate every message, reconnect and resume.

`FeedClient.events()` yields `FeedSample`s (one remote athlete's Sample, device time in
`t_ms`, arrival time in `received_ms`), `RemoteAthlete` descriptors, `Gap`s and
`FeedStatus` changes. It survives bad messages (counted and logged, never raised), dropped
connections (backoff with jitter, then resume after the last accepted sample per athlete)
and ends only when the server says `end`, the task is cancelled, or the failure is permanent
(`FeedAuthError`, `FeedUnavailable`, or too many attempts).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import random
import ssl
import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, cast
from urllib.parse import urlsplit

from websockets.asyncio.client import ClientConnection
from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    InvalidURI,
    WebSocketException,
)

from app.domain.samples import Sample
from app.domain.text import escape_controls

from .backoff import BackoffPolicy, backoff_delay, next_attempt
from .errors import FeedAuthError, FeedCertificateError, FeedConnectionError, FeedUnavailable
from .formats import FeedFormat, make_format, redact_url
from .guard import SequenceGuard, Verdict
from .protocol import (
    CLOCK_AHEAD,
    MAX_MESSAGE_BYTES,
    NON_MONOTONIC,
    OVERSIZE,
    Gap,
    Reject,
    RemoteAthlete,
)

log = logging.getLogger(__name__)
#: websockets logs handshakes (URL with ?access_token=, headers) at DEBUG: never show them.
WIRE_LOG = logging.getLogger("device.feeds.wire")
WIRE_LOG.setLevel(logging.INFO)

#: The transport refuses (and closes on) frames above this many times the message cap, so a
#: hostile server cannot make us buffer an unbounded frame; smaller oversize messages are
#: rejected one by one and the feed goes on.
HARD_CAP_FACTOR = 4
#: A handshake that has not completed in this long is a dead network path: retry.
OPEN_TIMEOUT_S = 10.0
#: Websocket pings detect a silently dead TCP connection (Wi-Fi gone) within ~40 s.
PING_INTERVAL_S = 20.0
PING_TIMEOUT_S = 20.0
#: Clock-offset estimate: minimum of (arrival - device time) over this many recent samples,
#: the classic NTP-style filter (network delay only ever adds to the offset).
OFFSET_WINDOW = 50
#: Close codes a server uses to say the token is wrong or revoked (docs/trace-protocol.md).
AUTH_CLOSE_CODES = {4401, 4403}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


@dataclass(frozen=True, slots=True)
class FeedEndpoint:
    """Where and how to connect; the token is hidden from repr so it never reaches a log."""

    url: str
    token: str = field(repr=False)
    format: str = "pulsedeck"
    #: The athlete id for single-athlete feeds (HypeRate id; Pulsoid's label).
    remote_id: str | None = None
    #: Send the token as `?access_token=` instead of an Authorization header.
    token_in_query: bool = False
    #: wss:// only: the SHA-256 fingerprint of the server's certificate (a self-signed one,
    #: e.g. `feeds serve-live --tls`); the connection is refused before the token is sent
    #: when the server shows another certificate. None: the usual CA verification.
    fingerprint: str | None = None

    @property
    def label(self) -> str:
        return redact_url(self.url)


def normalize_fingerprint(text: str) -> str:
    """A SHA-256 fingerprint as 64 lowercase hex digits ("AB:CD:..." or "abcd..." accepted)."""
    digits = text.strip().lower().removeprefix("sha256:").replace(":", "")
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise ValueError("a certificate fingerprint is 64 hex digits (SHA-256), colons allowed")
    return digits


def certificate_fingerprint(der: bytes) -> str:
    """The SHA-256 fingerprint of a DER certificate as AB:CD:... (how it is shown)."""
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _pinned_connection(expected: str, seen: list[str]) -> type[ClientConnection]:
    """ClientConnection that aborts right after the TLS handshake unless the certificate's
    SHA-256 is `expected`: the HTTP upgrade (with the token) is then never written."""

    class Pinned(ClientConnection):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            tls = transport.get_extra_info("ssl_object")
            der = tls.getpeercert(binary_form=True) if tls is not None else None
            actual = hashlib.sha256(der).hexdigest() if der else "none"
            if actual != expected:
                seen.append(actual)
                cast(asyncio.Transport, transport).abort()

    return Pinned


@dataclass(frozen=True, slots=True)
class FeedSample:
    athlete: str
    sample: Sample


@dataclass(frozen=True, slots=True)
class FeedStatus:
    """`connected`, `disconnected` (with the reason and the retry delay) or `ended`."""

    state: str
    detail: str = ""
    retry_in_s: float | None = None


FeedEvent = FeedSample | RemoteAthlete | Gap | FeedStatus


@dataclass
class FeedStats:
    """Counters for the status line, reports and tests: nothing is dropped silently."""

    messages: int = 0
    accepted: int = 0
    duplicates: int = 0
    no_reading: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    connects: int = 0
    disconnects: int = 0
    gaps: list[Gap] = field(default_factory=list)
    last_error: str | None = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())


class ClockOffsets:
    """Per-athlete device clock offset (arrival minus device time, ms), robust to delay jitter."""

    def __init__(self, window: int = OFFSET_WINDOW) -> None:
        self._recent: dict[str, deque[int]] = {}
        self.window = window

    def add(self, athlete: str, offset_ms: int) -> None:
        recent = self._recent.get(athlete)
        if recent is None:
            recent = self._recent[athlete] = deque(maxlen=self.window)
        recent.append(offset_ms)

    def get(self, athlete: str) -> int | None:
        recent = self._recent.get(athlete)
        return min(recent) if recent else None

    def all(self) -> dict[str, int]:
        return {a: min(r) for a, r in self._recent.items() if r}


Connect = Callable[..., Any]


class FeedClient:
    """One websocket feed; iterate `events()` once."""

    def __init__(
        self,
        endpoint: FeedEndpoint,
        *,
        cursors: Mapping[str, int] | None = None,
        policy: BackoffPolicy | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        source_key: str | None = None,
        connect: Connect = ws_connect,
        rand: Callable[[], float] = random.random,
        sleep: Callable[[float], Any] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
        feed_format: FeedFormat | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.format = feed_format or make_format(endpoint.format, endpoint.remote_id)
        self.policy = policy or BackoffPolicy()
        self.max_message_bytes = max_message_bytes
        #: Prefix of Sample.source: `<source_key>/<remote athlete>`.
        self.source_key = source_key or endpoint.label
        self.guard = SequenceGuard(cursors)
        self.offsets = ClockOffsets()
        self.stats = FeedStats()
        self.ended = False
        self._latest: dict[str, int] = {}
        self._baseline: dict[str, int] | None = None
        self._connect = connect
        #: Fingerprints of certificates refused by the pin (the connection was aborted).
        self._pin_mismatch: list[str] = []
        self._rand = rand
        self._sleep = sleep
        self._clock = clock

    def __repr__(self) -> str:
        return f"FeedClient({self.endpoint.label!r}, {self.format.name})"

    def source_of(self, athlete: str) -> str:
        return f"{self.source_key}/{athlete}"

    def _reject(self, reject: Reject) -> None:
        self.stats.rejected[reject.reason] += 1
        who = f" athlete {reject.athlete}" if reject.athlete else ""
        log.warning(
            "feed %s:%s rejected (%s): %s", self.endpoint.label, who, reject.reason, reject.detail
        )

    def _connect_kwargs(self) -> tuple[str, dict[str, Any]]:
        url, headers = self.format.request(
            self.endpoint.url, self.endpoint.token, self.endpoint.token_in_query
        )
        host = urlsplit(self.endpoint.url).hostname or ""
        kwargs: dict[str, Any] = {
            "additional_headers": headers,
            "max_size": self.max_message_bytes * HARD_CAP_FACTOR,
            "open_timeout": OPEN_TIMEOUT_S,
            "ping_interval": PING_INTERVAL_S,
            "ping_timeout": PING_TIMEOUT_S,
            "logger": WIRE_LOG,
            "user_agent_header": "Pulsedeck",
        }
        if host in LOOPBACK:
            kwargs["proxy"] = None  # a system proxy must never see loopback traffic
        pin = self.endpoint.fingerprint
        if pin is not None and urlsplit(self.endpoint.url).scheme == "wss":
            # The pin replaces CA and host name checks (a self-signed certificate).
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            kwargs["ssl"] = context
            kwargs["create_connection"] = _pinned_connection(
                normalize_fingerprint(pin), self._pin_mismatch
            )
        return url, kwargs

    async def events(self) -> AsyncIterator[FeedEvent]:
        """Yield feed events until the stream ends; raise only on a permanent failure."""
        attempt = 0
        while True:
            opened_at: float | None = None
            reason = ""
            try:
                url, kwargs = self._connect_kwargs()
                async with self._connect(url, **kwargs) as ws:
                    opened_at = self._clock()
                    self.stats.connects += 1
                    log.info("feed %s: connected", self.endpoint.label)
                    async for event in self._session(ws):
                        yield event
                    if self.ended:
                        yield FeedStatus("ended", "the server ended the stream")
                        return
                    reason = "the server closed the connection"
            except InvalidStatus as exc:
                status = exc.response.status_code
                if status in (401, 403):
                    raise self._auth_error(f"HTTP {status}") from None
                if status in (400, 404, 405, 410):
                    raise FeedUnavailable(
                        f"feed {self.endpoint.label} refused the request (HTTP {status})"
                    ) from None
                reason = f"HTTP {status}"
            except InvalidURI:
                raise FeedUnavailable(f"invalid feed URL {self.endpoint.label!r}") from None
            except ConnectionClosed as exc:
                reason = self._closed_reason(exc)
            except FeedAuthError:
                raise
            except (OSError, TimeoutError, InvalidHandshake, WebSocketException) as exc:
                text = escape_controls(str(exc)[:120])  # may quote what the server sent
                reason = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
            if self._pin_mismatch:
                self.stats.last_error = "certificate mismatch"
                raise FeedCertificateError(
                    f"authentication failed: feed {self.endpoint.label} showed a TLS certificate "
                    f"with SHA-256 {self._pin_mismatch[-1]}, not the pinned fingerprint; "
                    "the token was not sent"
                )
            self.stats.disconnects += 1
            self.stats.last_error = reason
            connected_s = 0.0 if opened_at is None else self._clock() - opened_at
            attempt = next_attempt(attempt, connected_s, self.policy)
            if self.policy.max_attempts is not None and attempt > self.policy.max_attempts:
                raise FeedConnectionError(
                    f"feed {self.endpoint.label}: gave up after {attempt - 1} attempts ({reason})"
                )
            delay = backoff_delay(max(attempt - 1, 0), self.policy, self._rand())
            log.info(  # callers show FeedStatus events; a warning here would say it twice
                "feed %s: disconnected (%s); retrying in %.2f s", self.endpoint.label, reason, delay
            )
            yield FeedStatus("disconnected", reason, delay)
            await self._sleep(delay)

    def _auth_error(self, how: str) -> FeedAuthError:
        self.stats.last_error = f"authentication failed ({how})"
        return FeedAuthError(
            f"authentication failed: feed {self.endpoint.label} refused the token ({how})"
        )

    def _closed_reason(self, exc: ConnectionClosed) -> str:
        rcvd, sent = exc.rcvd, exc.sent
        said = escape_controls(rcvd.reason[:80]) if rcvd is not None else ""  # the server's
        if rcvd is not None and rcvd.code in AUTH_CLOSE_CODES:
            raise self._auth_error(f"close code {rcvd.code}: {said}")
        if sent is not None and sent.code == 1009:
            self._reject(Reject(OVERSIZE, "message above the transport's hard cap; reconnecting"))
            return "message too big"
        if rcvd is not None:
            return f"closed by server ({rcvd.code} {said})".strip()
        return "connection lost"

    def _resume_point(self) -> tuple[dict[str, int], int | None]:
        """`since` per athlete and the default for athletes we have never heard of.

        First connection: live from the hello's `latest` (plus stored cursors). Reconnects:
        after each cursor, or after the first hello's `latest` for athletes that sent
        nothing yet; athletes that appeared meanwhile are replayed from the start (0).
        """
        first = self._baseline is None
        if self._baseline is None:
            self._baseline = dict(self._latest)
        since = {**self._baseline, **self.guard.cursors()}
        return since, None if first else 0

    async def _session(self, ws: Any) -> AsyncIterator[FeedEvent]:
        greeting: list[FeedEvent] = []
        if self.format.hello_first:
            raw = await asyncio.wait_for(ws.recv(decode=False), OPEN_TIMEOUT_S)
            greeting = self._handle(raw)
        since, default = self._resume_point()
        for text in self.format.opening(since, default):
            await ws.send(text)  # before yielding: the server waits for it
        yield FeedStatus("connected", self.endpoint.label)
        for event in greeting:
            yield event
        heartbeat: asyncio.Task[None] | None = None
        if self.format.heartbeat_s is not None:
            heartbeat = asyncio.create_task(self._heartbeat(ws, self.format.heartbeat_s))
        try:
            while True:
                raw = await ws.recv(decode=False)
                for event in self._handle(raw):
                    yield event
                if self.ended:
                    return
        finally:
            if heartbeat is not None:
                heartbeat.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
                    await heartbeat

    async def _heartbeat(self, ws: Any, every_s: float) -> None:
        while True:
            await self._sleep(every_s)
            await ws.send(self.format.heartbeat())

    def _handle(self, raw: bytes) -> list[FeedEvent]:
        arrival = int(self._clock() * 1000)
        parsed = self.format.parse(raw, arrival, self.max_message_bytes)
        self.stats.messages += 1
        self.stats.no_reading += parsed.no_reading
        for reject in parsed.rejects:
            self._reject(reject)
        if parsed.auth_failed:
            raise self._auth_error(parsed.error or "refused")
        if parsed.hello:
            self._latest = dict(parsed.latest)
        if parsed.error:
            log.warning("feed %s: server error: %s", self.endpoint.label, parsed.error)
        out: list[FeedEvent] = list(parsed.athletes)
        for gap in parsed.gaps:
            self.stats.gaps.append(gap)
            log.warning(
                "feed %s: athlete %s: the server no longer has samples %d..%d (lost)",
                self.endpoint.label,
                gap.athlete,
                gap.from_ms,
                gap.to_ms,
            )
            out.append(gap)
        for athlete, sample in parsed.samples:
            verdict = self.guard.check(athlete, sample.t_ms, arrival)
            if verdict is Verdict.ACCEPT:
                self.stats.accepted += 1
                self.offsets.add(athlete, arrival - sample.t_ms)
                out.append(FeedSample(athlete, replace(sample, source=self.source_of(athlete))))
            elif verdict is Verdict.DUPLICATE:
                self.stats.duplicates += 1
            elif verdict is Verdict.CLOCK_AHEAD:
                ahead_s = (sample.t_ms - arrival) / 1000
                detail = f"measured_at {sample.t_ms} is {ahead_s:.0f} s after its arrival"
                self._reject(Reject(CLOCK_AHEAD, detail, athlete))
            else:
                self._reject(
                    Reject(
                        NON_MONOTONIC,
                        f"measured_at {sample.t_ms} is before the last accepted sample",
                        athlete,
                    )
                )
        if parsed.end:
            self.ended = True
        return out


__all__ = [
    "ClockOffsets",
    "FeedClient",
    "FeedEndpoint",
    "FeedEvent",
    "FeedSample",
    "FeedStats",
    "FeedStatus",
]
