"""Serve live samples of local recordings with the trace protocol (opt-in, token, TLS).

Safe by default: bound to 127.0.0.1 unless a LAN address is asked for, a token of real
strength (generated when none is given), optional TLS, and the server's caps: failed logins
throttled per address, a connection cap with handshake timeouts, thinned logs.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import ssl

from app.domain.samples import Sample
from app.recorder import Recording
from device.feeds.protocol import RemoteAthlete
from device.feeds.server import TraceHub, TraceServer

log = logging.getLogger(__name__)

#: On close, clients get this long to read what is queued and the `end` message.
END_DRAIN_S = 2.0
#: The address served unless the user asks for the LAN (e.g. 0.0.0.0).
DEFAULT_HOST = "127.0.0.1"
#: Shortest token accepted (characters), and the entropy of a generated one (bytes, 256 bits).
MIN_TOKEN_CHARS = 16
TOKEN_BYTES = 32


class WeakToken(ValueError):
    """A broadcast token too short to resist guessing."""


def generate_token() -> str:
    """A fresh random token (256 bits, URL-safe): shown once, never stored."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def check_token(token: str) -> str:
    """`token` if it is long enough to resist guessing, else WeakToken."""
    if len(token) < MIN_TOKEN_CHARS:
        raise WeakToken(
            f"a broadcast token needs at least {MIN_TOKEN_CHARS} characters; "
            "leave it out to get a generated one"
        )
    return token


class LiveBroadcast:
    """Serve live samples of local recordings with the trace protocol (opt-in, token required)."""

    def __init__(
        self,
        token: str,
        *,
        host: str = DEFAULT_HOST,
        port: int = 0,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.hub = TraceHub()
        self.server = TraceServer(
            self.hub, check_token(token), host=host, port=port, name="pulsedeck-live", tls=tls
        )
        self._pending: list[tuple[str, Sample]] = []
        self._scheduled = False

    @property
    def url(self) -> str:
        return self.server.url

    async def start(self) -> None:
        await self.server.start()

    async def close(self) -> None:
        """Tell every client the stream ended (so they do not reconnect), then stop serving."""
        self.hub.end()
        try:
            await asyncio.wait_for(self.hub.wait_idle(), END_DRAIN_S)
        except TimeoutError:
            log.warning("live broadcast: %d clients did not take `end`", self.hub.subscribers)
        await self.server.close()

    def attach(self, recording: Recording, key: str, athlete: RemoteAthlete | None = None) -> None:
        """Publish every sample `recording` accepts as athlete `key`."""
        self.hub.describe(athlete or RemoteAthlete(key))
        recording.listeners.append(lambda sample: self.publish(key, sample))

    def publish(self, key: str, sample: Sample) -> None:
        """Queue one sample; samples of one loop iteration go out as one batch."""
        self._pending.append((key, sample))
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        self.hub.publish(batch)
