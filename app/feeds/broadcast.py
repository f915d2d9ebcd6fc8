"""Serve live samples of local recordings on the LAN with the trace protocol (opt-in, token)."""

from __future__ import annotations

import asyncio
import logging

from app.domain.samples import Sample
from app.recorder import Recording
from device.feeds.protocol import RemoteAthlete
from device.feeds.server import TraceHub, TraceServer

log = logging.getLogger(__name__)

#: On close, clients get this long to read what is queued and the `end` message.
END_DRAIN_S = 2.0


class LiveBroadcast:
    """Serve live samples of local recordings with the trace protocol (opt-in, token required)."""

    def __init__(self, token: str, *, host: str = "0.0.0.0", port: int = 0) -> None:
        self.hub = TraceHub()
        self.server = TraceServer(self.hub, token, host=host, port=port, name="pulsedeck-live")
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
