"""Bluetooth sensors as one recording source: pairing, sensor ids, lost/back markers, status.

Every face records BLE through this class, so a sample always names its sensor, a drop-out
always leaves "sensor lost"/"sensor back" markers, and battery and device information reach
the `devices` table the same way from the CLI, the desktop app and the edge box.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.domain.samples import Sample
from app.recorder.recording import Recording
from app.sensors import SensorService, normalize_address
from app.store.repo import Store

if TYPE_CHECKING:
    from device.ble.manager import SensorEvent, SensorManager, SensorSpec

log = logging.getLogger(__name__)

Notice = Callable[[str], None]
#: Upper bound for handing queued samples to the writer at stop; draining is in-memory work.
DRAIN_TIMEOUT_S = 10.0


class NoSensors(LookupError):
    """Bluetooth recording was asked for, but the athlete has no paired sensor."""


@dataclass
class BleSetup:
    """How to reach Bluetooth; tests pass a short policy (the real bleak classes by default)."""

    client_cls: Any = None
    scanner_cls: Any = None
    policy: Any = None  # device.ble.backoff.ReconnectPolicy
    events: list[Any] = field(default_factory=list)  # every SensorEvent, for tests and the UI
    on_event: Callable[[Any], None] | None = None  # also told of every SensorEvent


async def bluetooth_problem(ble: BleSetup) -> str | None:
    """One sentence if this machine cannot do BLE (no bus, no adapter, off), else None."""
    from device.ble.manager import probe_bluetooth

    return await probe_bluetooth(ble.scanner_cls)


def sensor_specs(
    service: SensorService, athlete_id: int, addresses: Sequence[str] = ()
) -> list[SensorSpec]:
    """The sensors to connect: the given addresses, else the athlete's paired ones.

    Raises NoSensors when neither is there. A sensor only seen in a scan or forgotten
    (un-paired) is connected only when named explicitly.
    """
    from device.ble.manager import SensorSpec

    if addresses:
        known = {s.address: s for s in service.remembered(athlete_id, include_unpaired=True)}
        specs = []
        for address in dict.fromkeys(normalize_address(a) for a in addresses):
            row = known.get(address)
            specs.append(SensorSpec(address, row.kind if row else None, row.name if row else None))
        return specs
    specs = [SensorSpec(s.address, s.kind, s.name) for s in service.remembered(athlete_id)]
    if not specs:
        raise NoSensors("no remembered sensors: pair one first")
    return specs


class BluetoothSensors:
    """The chosen sensors as one source of a recording (worker threads for every DB write)."""

    kind = "ble"

    def __init__(
        self,
        store: Store,
        athlete_id: int,
        specs: Sequence[SensorSpec],
        *,
        ble: BleSetup | None = None,
        notice: Notice = log.info,
    ) -> None:
        self.store = store
        self.athlete_id = athlete_id
        self.specs = tuple(specs)
        self.ble = ble or BleSetup()
        self.notice = notice
        self.name = ", ".join(s.name or s.address for s in self.specs)
        self.device_ids: dict[str, int] = {}
        self.manager: SensorManager | None = None
        self._recording: Recording | None = None
        self._pending: set[asyncio.Future[Any]] = set()
        self._seen_connected: set[str] = set()
        self._failing: set[str] = set()
        self._closing = False

    @property
    def described(self) -> tuple[tuple[str, str, str], ...]:
        """(address, name, kind) of each sensor, for the dashboard's sensor list."""
        return tuple((s.address, s.name or s.address, s.kind or "hr") for s in self.specs)

    async def pair(self) -> None:
        """Remember (pair) every chosen sensor so the next recording reconnects to it."""
        service = SensorService(self.store)
        for spec in self.specs:
            self.device_ids[spec.address] = await asyncio.to_thread(
                service.remember, self.athlete_id, spec.address, spec.kind, spec.name
            )

    def bind(self, recording: Recording) -> None:
        """Name each stored sample's sensor and keep this recording's markers."""
        from device.ble.manager import SensorManager

        self._recording = recording
        recording.device_ids.update(self.device_ids)
        self.manager = SensorManager(
            self.specs,
            client_cls=self.ble.client_cls,
            scanner_cls=self.ble.scanner_cls,
            policy=self.ble.policy,
            on_event=self._on_event,
        )

    async def samples(self) -> AsyncIterator[Sample]:
        """Every sensor's samples until `close()` (the manager's queue is drained first)."""
        assert self.manager is not None, "bind() before samples()"
        async for sample in self.manager.samples():
            yield sample

    async def connect(self) -> None:
        """Connect each sensor once; raises BluetoothUnavailable when the machine cannot."""
        assert self.manager is not None, "bind() before connect()"
        await self.manager.start()

    @property
    def connected(self) -> int:
        """How many sensors are connected now."""
        return 0 if self.manager is None else sum(1 for k in self.manager.links if k.connected)

    @property
    def unavailable(self) -> str | None:
        """Why Bluetooth stopped working during the recording, if it did."""
        return None if self.manager is None else self.manager.unavailable

    async def close(self, recording: Recording) -> None:
        """Disconnect, hand what is queued to the writer, finish pending status writes."""
        self._closing = True  # the disconnects of a stop are not "sensor lost"
        if self.manager is not None:
            await self.manager.stop()  # disconnect first: nothing arrives after this
        try:
            async with asyncio.timeout(DRAIN_TIMEOUT_S):
                await recording.wait_sources()
        except TimeoutError:
            self.notice("some sensor samples were still queued at stop and were not saved")
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def _in_background(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        fut = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
        self._pending.add(fut)
        fut.add_done_callback(self._pending.discard)

    def _marker(self, t_ms: int, label: str) -> None:
        if self._recording is not None:
            session_id = self._recording.session_id
            self._in_background(self.store.add_marker, session_id, "marker", t_ms, label)

    def _on_event(self, event: SensorEvent) -> None:
        """Persist and announce one sensor event (runs on the loop thread)."""
        self.ble.events.append(event)
        if self.ble.on_event is not None:
            self.ble.on_event(event)
        label = event.name or event.address
        device_id = self.device_ids.get(event.address)
        service = SensorService(self.store)
        if event.state == "connected":
            again = event.address in self._seen_connected
            self._failing.discard(event.address)
            self._seen_connected.add(event.address)
            self.notice(f"{label} ({event.kind}) {'reconnected' if again else 'connected'}")
            if again:
                self._marker(event.t_ms, f"sensor back: {label}")
            if device_id is not None:
                self._in_background(
                    service.update_status, device_id, name=event.name, kind=event.kind
                )
        elif event.state == "failed" and event.address not in self._failing:
            self._failing.add(event.address)  # said once until it connects again
            self.notice(f"{label}: {event.detail}")
        elif event.state == "disconnected" and not self._closing:
            self.notice(f"{label} lost: reconnecting (the gap stays empty)")
            self._marker(event.t_ms, f"sensor lost: {label}")
        elif event.state == "battery" and device_id is not None:
            self._in_background(service.update_status, device_id, battery_pct=event.battery_pct)
        elif event.state == "info" and device_id is not None:
            self._in_background(service.update_status, device_id, info=event.info)
