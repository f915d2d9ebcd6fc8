"""Serve the Pulsedeck trace protocol: a hub of per-athlete ring buffers and a websocket server.

The simulator (`pulsedeck simulate`) and the live LAN broadcast both publish into a TraceHub;
the TraceServer authenticates clients, replays each athlete after the client's cursor, then
streams live batches. Call everything on the event loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import ssl
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import cast
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from app.domain.samples import Sample

from .protocol import (
    MAX_MESSAGE_BYTES,
    PATH,
    RemoteAthlete,
    Subscribe,
    athlete_object,
    encode_batch,
    encode_control,
    encode_hello,
    encode_sample,
    parse_subscribe,
)

log = logging.getLogger(__name__)
#: websockets logs request lines (with any ?access_token=) at DEBUG and every refused
#: handshake at INFO: keep the server's wire log at WARNING, so `pulsedeck -v` never prints a
#: token and a flood of bad logins is not a flood of log lines (we log them thinned).
WIRE_LOG = logging.getLogger("device.feeds.server.wire")
WIRE_LOG.setLevel(logging.WARNING)

#: Samples kept per athlete for replay: 2 minutes at 10 Hz covers a reconnect with backoff.
BUFFER_SAMPLES = 1200
#: How long a client may take to send `subscribe` before it gets the live stream only.
SUBSCRIBE_WAIT_S = 5.0
#: Messages queued for one client before it is judged too slow and closed (it can resume).
MAX_QUEUE = 2000
#: Samples per replayed message: well under the client's message cap.
REPLAY_CHUNK = 500
#: Open sockets the server holds at most (handshaking or streaming): beyond, new ones are
#: closed at once, so idle sockets cannot use up the process's file descriptors.
MAX_CONNECTIONS = 256
#: ... and at most this many from one address (a coach's laptop needs a handful).
MAX_PER_ADDRESS = 32
#: A socket must complete its TLS and websocket handshakes this fast, else it is closed: an
#: idle socket holds a slot for this long at most.
HANDSHAKE_TIMEOUT_S = 5.0
#: Failed logins from one address before it is refused for a while (HTTP 429, the token is
#: not even checked), and that while: doubled for each further failure, up to the cap.
LOGIN_FAILURES = 5
LOCKOUT_S = 30.0
MAX_LOCKOUT_S = 900.0
#: Addresses remembered by the throttle (the oldest is forgotten beyond: memory is bounded).
THROTTLE_MEMORY = 10_000
#: Close codes (docs/trace-protocol.md).
CLOSE_END = 1000
CLOSE_POLICY = 1008
CLOSE_TOO_SLOW = 1013

_END = object()
_CLOSED = object()


def bearer_token(request: Request) -> str | None:
    """The token from `Authorization: Bearer` or the `access_token` query parameter."""
    header = request.headers.get("Authorization")
    if header and header.lower().startswith("bearer "):
        return header[7:].strip()
    values = parse_qs(urlsplit(request.path).query).get("access_token")
    return values[0] if values else None


def token_matches(given: str | None, expected: str) -> bool:
    """Constant-time comparison so the token cannot be guessed byte by byte from timings."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def _thinned(count: int) -> bool:
    """Log the 1st, 2nd, 4th, 8th... occurrence only: a flood is not a log flood."""
    return count & (count - 1) == 0


class LoginThrottle:
    """Per-address failed-login throttle: after LOGIN_FAILURES, refuse for a growing while."""

    def __init__(
        self,
        failures: int = LOGIN_FAILURES,
        lockout_s: float = LOCKOUT_S,
        max_lockout_s: float = MAX_LOCKOUT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.failures = failures
        self.lockout_s = lockout_s
        self.max_lockout_s = max_lockout_s
        self.clock = clock
        #: address -> (failures in a row, refused until)
        self._state: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def blocked(self, address: str) -> bool:
        state = self._state.get(address)
        return state is not None and self.clock() < state[1]

    def failed(self, address: str) -> None:
        count, _ = self._state.pop(address, (0, 0.0))
        count += 1
        until = 0.0
        if count >= self.failures:
            extra = min(count - self.failures, 30)
            until = self.clock() + min(self.max_lockout_s, self.lockout_s * 2.0**extra)
        self._state[address] = (count, until)
        while len(self._state) > THROTTLE_MEMORY:
            self._state.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._state.pop(address, None)


@dataclass
class _Subscriber:
    queue: asyncio.Queue[object] = field(default_factory=lambda: asyncio.Queue(MAX_QUEUE))
    lagging: bool = False


@dataclass
class _Buffer:
    items: deque[tuple[int, str]] = field(default_factory=lambda: deque(maxlen=BUFFER_SAMPLES))
    evicted_upto: int | None = None


class TraceHub:
    """What a server streams: athlete descriptors, per-athlete ring buffers, live subscribers."""

    def __init__(self, buffer_samples: int = BUFFER_SAMPLES) -> None:
        self.buffer_samples = buffer_samples
        self.athletes: dict[str, RemoteAthlete] = {}
        self.ended = False
        self._buffers: dict[str, _Buffer] = {}
        self._subscribers: list[_Subscriber] = []
        self._changed = asyncio.Condition()

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def describe(self, athlete: RemoteAthlete) -> None:
        """Add or update an athlete; live clients get an `athlete` message."""
        known = self.athletes.get(athlete.key)
        self.athletes[athlete.key] = athlete
        if known != athlete:
            self._broadcast(encode_control("athlete", **athlete_object(athlete)))

    def publish(self, samples: Iterable[tuple[str, Sample]]) -> str | None:
        """Buffer samples and send them to every live client as one batch; returns the text."""
        fragments: list[str] = []
        for athlete, sample in samples:
            fragment = encode_sample(athlete, sample)
            buf = self._buffers.get(athlete)
            if buf is None:
                buf = self._buffers[athlete] = _Buffer(deque(maxlen=self.buffer_samples))
            if len(buf.items) == buf.items.maxlen:
                buf.evicted_upto = buf.items[0][0]
            buf.items.append((sample.t_ms, fragment))
            fragments.append(fragment)
        if not fragments:
            return None
        text = encode_batch(fragments)
        self._broadcast(text)
        return text

    def latest(self) -> dict[str, int]:
        """Newest buffered measured_at per athlete."""
        return {a: buf.items[-1][0] for a, buf in self._buffers.items() if buf.items}

    def inject(self, text: str) -> None:
        """Send raw text to every live client without buffering it (fault injection)."""
        self._broadcast(text)

    def end(self) -> None:
        """The stream is over: clients get `end` after what is queued, new ones after replay."""
        self.ended = True
        for sub in self._subscribers:
            self._put(sub, _END)

    def _put(self, sub: _Subscriber, item: object) -> None:
        try:
            sub.queue.put_nowait(item)
        except asyncio.QueueFull:
            sub.lagging = True

    def _broadcast(self, text: str) -> None:
        for sub in self._subscribers:
            self._put(sub, text)

    def subscribe(self, request: Subscribe) -> tuple[_Subscriber, list[str]]:
        """Register a live subscriber and return the replay it needs first, atomically."""
        sub = _Subscriber()
        self._subscribers.append(sub)
        replay: list[str] = []
        for athlete, buf in self._buffers.items():
            since = request.since.get(athlete, request.default)
            if since is None:
                continue  # the client did not ask for this athlete's past
            if buf.evicted_upto is not None and since < buf.evicted_upto:
                replay.append(
                    encode_control(
                        "gap", athlete=athlete, **{"from": since + 1, "to": buf.evicted_upto}
                    )
                )
            fragments = [frag for t_ms, frag in buf.items if t_ms > since]
            for i in range(0, len(fragments), REPLAY_CHUNK):
                replay.append(encode_batch(fragments[i : i + REPLAY_CHUNK]))
        if self.ended:
            sub.queue.put_nowait(_END)
        self._notify()
        return sub, replay

    def unsubscribe(self, sub: _Subscriber) -> None:
        if sub in self._subscribers:
            self._subscribers.remove(sub)
            self._notify()

    def _notify(self) -> None:
        async def wake() -> None:
            async with self._changed:
                self._changed.notify_all()

        asyncio.get_running_loop().create_task(wake())

    async def wait_idle(self) -> None:
        """Until no client is subscribed (after `end`, every client has been told)."""
        async with self._changed:
            await self._changed.wait_for(lambda: not self._subscribers)

    async def wait_subscribers(self, count: int) -> None:
        """Until at least `count` clients have subscribed (tests, --wait-for-client)."""
        async with self._changed:
            await self._changed.wait_for(lambda: len(self._subscribers) >= count)


@dataclass
class ServerStats:
    handshakes: int = 0
    auth_failures: int = 0
    #: Handshakes refused with 429 because their address failed too often.
    throttled: int = 0
    #: Sockets closed at once because the server (or their address) was at its cap.
    over_capacity: int = 0
    subscribed: int = 0
    messages_sent: int = 0
    slow_clients: int = 0


class TraceServer:
    """A websocket server speaking the trace protocol for one hub, behind one token."""

    def __init__(
        self,
        hub: TraceHub,
        token: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        path: str = PATH,
        name: str = "pulsedeck",
        max_message_bytes: int = MAX_MESSAGE_BYTES,
        tls: ssl.SSLContext | None = None,
        max_connections: int = MAX_CONNECTIONS,
        max_per_address: int = MAX_PER_ADDRESS,
        handshake_timeout_s: float = HANDSHAKE_TIMEOUT_S,
        throttle: LoginThrottle | None = None,
    ) -> None:
        if not token:
            raise ValueError("a token is required to serve a feed")
        self.hub = hub
        self._token = token
        self.host = host
        self.port = port
        self.path = path
        self.name = name
        self.max_message_bytes = max_message_bytes
        self.tls = tls
        self.max_connections = max_connections
        self.max_per_address = max_per_address
        self.handshake_timeout_s = handshake_timeout_s
        self.throttle = throttle or LoginThrottle()
        self.stats = ServerStats()
        self._server: Server | None = None
        self._connections: set[ServerConnection] = set()
        #: Open sockets (handshaking or streaming), per remote address.
        self._open: dict[str, int] = {}

    def __repr__(self) -> str:  # never show the token
        return f"TraceServer({self.url!r})"

    @property
    def url(self) -> str:
        scheme = "wss" if self.tls is not None else "ws"
        return f"{scheme}://{self.host}:{self.port}{self.path}"

    @property
    def open_sockets(self) -> int:
        """Sockets held now, handshaking or streaming."""
        return sum(self._open.values())

    def _connection_class(self) -> type[ServerConnection]:
        """ServerConnection that counts sockets and closes those above the caps at once."""
        server = self

        class Capped(ServerConnection):
            address = ""

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                peer = transport.get_extra_info("peername")
                self.address = str(peer[0]) if peer else "?"
                held = server._open.get(self.address, 0)
                if server.open_sockets >= server.max_connections or held >= server.max_per_address:
                    server.stats.over_capacity += 1
                    if _thinned(server.stats.over_capacity):
                        log.warning(
                            "live server at its connection cap (%d, %d per address): closed "
                            "%d sockets so far",
                            server.max_connections,
                            server.max_per_address,
                            server.stats.over_capacity,
                        )
                    self.address = ""
                    cast(asyncio.Transport, transport).abort()
                    return
                server._open[self.address] = held + 1
                super().connection_made(transport)

            def connection_lost(self, exc: Exception | None) -> None:
                if self.address:
                    left = server._open.get(self.address, 1) - 1
                    if left > 0:
                        server._open[self.address] = left
                    else:
                        server._open.pop(self.address, None)
                    self.address = ""
                    super().connection_lost(exc)

        return Capped

    async def start(self) -> None:
        self._server = await serve(
            self._handle,
            self.host,
            self.port,
            process_request=self._authorize,
            max_size=64 * 1024,  # clients only send `subscribe`
            logger=WIRE_LOG,
            ssl=self.tls,
            open_timeout=self.handshake_timeout_s,
            create_connection=self._connection_class(),
        )
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]
        log.info("serving the trace protocol on %s", self.url)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def __aenter__(self) -> TraceServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def drop_connections(self) -> int:
        """Abort every client's TCP connection without a close frame (fault injection)."""
        count = 0
        for conn in list(self._connections):
            transport = conn.transport
            if transport is not None:
                transport.abort()
                count += 1
        return count

    def _authorize(self, connection: ServerConnection, request: Request) -> Response | None:
        self.stats.handshakes += 1
        address = getattr(connection, "address", "") or "?"
        if self.throttle.blocked(address):  # the token is not even looked at
            self.stats.throttled += 1
            if _thinned(self.stats.throttled):
                log.warning(
                    "refused %s: too many failed logins (%d refused so far)",
                    address,
                    self.stats.throttled,
                )
            return connection.respond(
                HTTPStatus.TOO_MANY_REQUESTS, "too many failed logins: try again later\n"
            )
        if urlsplit(request.path).path != self.path:
            return connection.respond(HTTPStatus.NOT_FOUND, f"no feed here; use {self.path}\n")
        if not token_matches(bearer_token(request), self._token):
            self.stats.auth_failures += 1
            self.throttle.failed(address)
            if _thinned(self.stats.auth_failures):
                log.warning(
                    "refused a client from %s: missing or invalid token (%d so far)",
                    address,
                    self.stats.auth_failures,
                )
            return connection.respond(
                HTTPStatus.UNAUTHORIZED, "authentication failed: missing or invalid token\n"
            )
        self.throttle.succeeded(address)
        return None

    async def _subscription(self, connection: ServerConnection) -> Subscribe:
        request = connection.request
        assert request is not None
        since = parse_qs(urlsplit(request.path).query).get("since")
        if since:
            try:
                return Subscribe({}, int(since[0]))
            except ValueError:
                await connection.close(CLOSE_POLICY, "since must be epoch milliseconds")
                raise
        try:
            raw = await asyncio.wait_for(connection.recv(), SUBSCRIBE_WAIT_S)
        except TimeoutError:
            return Subscribe({})  # live only
        try:
            return parse_subscribe(raw)
        except ValueError as exc:
            await connection.close(CLOSE_POLICY, f"bad subscribe: {exc}"[:120])
            raise

    async def _handle(self, connection: ServerConnection) -> None:
        self._connections.add(connection)
        try:
            hello = encode_hello(self.name, self.hub.athletes.values(), self.hub.latest())
            await connection.send(hello)
            try:
                request = await self._subscription(connection)
            except ValueError:
                return
            sub, replay = self.hub.subscribe(request)
            self.stats.subscribed += 1
            try:
                await self._stream(connection, sub, replay)
            finally:
                self.hub.unsubscribe(sub)
        except ConnectionClosed:
            pass
        finally:
            self._connections.discard(connection)

    async def _stream(
        self, connection: ServerConnection, sub: _Subscriber, replay: Sequence[str]
    ) -> None:
        # The handler waits on the queue, not the socket: wake it when the client goes away.
        def wake(_: object) -> None:
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(_CLOSED)

        watcher = asyncio.ensure_future(connection.wait_closed())
        watcher.add_done_callback(wake)
        try:
            for text in replay:
                await connection.send(text)
                self.stats.messages_sent += 1
            await self._pump(connection, sub)
        finally:
            watcher.cancel()

    async def _pump(self, connection: ServerConnection, sub: _Subscriber) -> None:
        while True:
            item = await sub.queue.get()
            if item is _CLOSED:
                return
            if sub.lagging:
                self.stats.slow_clients += 1
                await connection.close(CLOSE_TOO_SLOW, "client too slow: reconnect and resume")
                return
            if item is _END:
                await connection.send(encode_control("end"))
                await connection.close(CLOSE_END, "end of stream")
                return
            assert isinstance(item, str)
            await connection.send(item)
            self.stats.messages_sent += 1
