"""Scan for, connect to and keep recording from several BLE sensors (the only bleak user).

Shape borrowed from bleak-retry-connector: the client and scanner classes are parameters (a
test passes fakes or the real classes against a fake BlueZ), errors are typed and carry advice,
and timing is the pure `backoff.ReconnectPolicy`. Connects happen one at a time (BlueZ
refuses parallel connects with "Operation already in progress"), then sensors run together.
After a drop or a silent sensor (data watchdog) the link scans again and builds a NEW client.
Notifications become Samples on the loop and reach the recorder through an `asyncio.Queue`;
while a sensor is away nothing is invented: the recording simply has a gap.

Errors: BleError -> BluetoothUnavailable (no adapter, no system bus, adapter off, permission
denied) | SensorNotFound | SensorLost.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import random
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from app.domain.samples import Sample

from . import uuids as U
from .backoff import ReconnectPolicy, backoff_s, watchdog_remaining_s
from .decoders import (
    GattDecodeError,
    decode_battery_level,
    decode_body_sensor_location,
    decode_device_info_string,
)
from .derive import DEFAULT_WHEEL_CIRCUMFERENCE_M
from .ports import ClientClass, GattClient, ScannerClass
from .samples import BuilderStats, SampleBuilder

if TYPE_CHECKING:
    from bleak.backends.device import BLEDevice

log = logging.getLogger(__name__)

SCAN_SERVICES: tuple[str, ...] = tuple(U.KIND_BY_SERVICE)

NO_BLUETOOTH = "Bluetooth is not available on this machine"


class BleError(Exception):
    """Base of the sensor errors; the message is one sentence a user can act on."""


class BluetoothUnavailable(BleError):
    """No adapter, no system bus, adapter powered off, or permission denied."""


class SensorNotFound(BleError):
    """The sensor did not advertise during the scan."""


class SensorLost(BleError):
    """The link dropped or the sensor went silent."""


def unavailable_reason(exc: BaseException) -> str | None:
    """One clear sentence if `exc` means "no usable Bluetooth here", else None."""
    from bleak.exc import (
        BleakBluetoothNotAvailableError,
        BleakBluetoothNotAvailableReason,
        BleakDBusError,
    )

    if isinstance(exc, FileNotFoundError):  # bleak's BlueZ backend: no system D-Bus socket
        return f"{NO_BLUETOOTH} (no system D-Bus: BlueZ is not installed or not running)."
    if isinstance(exc, BleakBluetoothNotAvailableError):
        reasons = {
            BleakBluetoothNotAvailableReason.NO_BLUETOOTH: "no Bluetooth adapter was found",
            BleakBluetoothNotAvailableReason.NO_BLE_CENTRAL_ROLE: (
                "the adapter cannot act as a Bluetooth LE central"
            ),
            BleakBluetoothNotAvailableReason.POWERED_OFF: "the adapter is off: turn Bluetooth on",
            BleakBluetoothNotAvailableReason.DENIED_BY_USER: "access to Bluetooth was denied",
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM: (
                "the system denied access to Bluetooth (permissions)"
            ),
        }
        return f"{NO_BLUETOOTH} ({reasons.get(exc.reason, str(exc))})."
    if isinstance(exc, PermissionError):
        return f"{NO_BLUETOOTH} (permission denied: {exc.strerror or exc})."
    if isinstance(exc, BleakDBusError) and exc.dbus_error in (
        "org.freedesktop.DBus.Error.ServiceUnknown",
        "org.freedesktop.DBus.Error.AccessDenied",
        "org.bluez.Error.NotReady",
    ):
        return f"{NO_BLUETOOTH} ({exc.dbus_error.rsplit('.', 1)[-1]}: is bluetoothd running?)."
    if isinstance(exc, ConnectionRefusedError):
        return f"{NO_BLUETOOTH} (the system D-Bus refused the connection)."
    return None


#: A healthy BlueZ answers GetManagedObjects in milliseconds; a wedged bus must not hang `record`.
PROBE_TIMEOUT_S = 5.0


async def probe_bluetooth(scanner_cls: ScannerClass | None = None) -> str | None:
    """One sentence if this machine has no usable Bluetooth, else None.

    On Linux it asks BlueZ (through bleak's own manager) for a powered central adapter; other
    platforms and injected scanners are only checked when they are used.
    """
    import sys

    from bleak import BleakScanner

    if (scanner_cls is not None and scanner_cls is not BleakScanner) or sys.platform != "linux":
        return None
    try:
        from bleak.backends.bluezdbus.manager import get_global_bluez_manager

        async with asyncio.timeout(PROBE_TIMEOUT_S):
            manager = await get_global_bluez_manager()
        manager.get_default_adapter()
    except Exception as exc:
        return unavailable_reason(exc) or f"{NO_BLUETOOTH} ({type(exc).__name__}: {exc})."
    return None


@dataclass(frozen=True, slots=True)
class FoundSensor:
    """One advertising sensor from a scan."""

    address: str
    name: str | None
    rssi: int | None
    kind: str
    services: tuple[str, ...] = ()

    def as_json(self) -> dict[str, object]:
        return {
            "address": self.address,
            "name": self.name,
            "rssi": self.rssi,
            "kind": self.kind,
            "services": list(self.services),
        }


def kind_of(service_uuids: Iterable[str]) -> str | None:
    """The sensor kind its advertised (or resolved) services say, most specific first."""
    present = {u.lower() for u in service_uuids}
    for service, kind in U.KIND_BY_SERVICE.items():
        if service in present:
            return kind
    return None


async def scan(
    timeout_s: float = 5.0,
    *,
    scanner_cls: ScannerClass | None = None,
) -> list[FoundSensor]:
    """Sensors advertising one of the fitness services, strongest signal first."""
    if scanner_cls is None:
        from bleak import BleakScanner

        scanner_cls = BleakScanner
    try:
        found = await scanner_cls.discover(
            timeout=timeout_s, return_adv=True, service_uuids=list(SCAN_SERVICES)
        )
    except Exception as exc:
        reason = unavailable_reason(exc)
        if reason:
            raise BluetoothUnavailable(reason) from exc
        raise
    sensors = []
    for device, adv in found.values():
        kind = kind_of(adv.service_uuids)
        if kind is None:
            continue
        sensors.append(
            FoundSensor(
                address=device.address.upper(),
                name=adv.local_name or device.name,
                rssi=adv.rssi,
                kind=kind,
                services=tuple(sorted(u.lower() for u in adv.service_uuids)),
            )
        )
    sensors.sort(key=lambda s: -(s.rssi if s.rssi is not None else -999))
    return sensors


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """A sensor to record from: its address and, if known, its kind and name."""

    address: str
    kind: str | None = None
    name: str | None = None
    wheel_circumference_m: float = DEFAULT_WHEEL_CIRCUMFERENCE_M


@dataclass(frozen=True, slots=True)
class SensorEvent:
    """Status for the app (status line, markers, remembered battery and info)."""

    address: str
    state: str  # connecting | connected | disconnected | silent | battery | info | failed
    kind: str | None = None
    name: str | None = None
    battery_pct: int | None = None
    info: dict[str, str] = field(default_factory=dict)
    detail: str | None = None
    t_ms: int = 0


EventCallback = Callable[[SensorEvent], None]


class _Stop(enum.Enum):
    """The end-of-samples marker `stop()` queues after the last sample."""

    STOP = enum.auto()


_STOP = _Stop.STOP
#: What the sensors' shared queue carries: samples, then the end marker.
Queued = Sample | _Stop


class SensorLink:
    """One sensor: find, connect, subscribe, watch, and reconnect after a drop."""

    def __init__(
        self,
        spec: SensorSpec,
        queue: asyncio.Queue[Queued],
        connect_lock: asyncio.Lock,
        *,
        client_cls: ClientClass,
        scanner_cls: ScannerClass,
        policy: ReconnectPolicy,
        on_event: EventCallback | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.spec = spec
        self.address = spec.address.upper()
        self.kind = spec.kind
        self.name = spec.name
        self.queue = queue
        self.connect_lock = connect_lock
        self.client_cls = client_cls
        self.scanner_cls = scanner_cls
        self.policy = policy
        self.on_event = on_event
        self.clock = clock
        self.rng = rng or random.Random()
        self.builder = SampleBuilder(self.address, wheel_circumference_m=spec.wheel_circumference_m)
        self.connected = False
        self.connections = 0
        self.drops = 0
        self.first_attempt_done = asyncio.Event()
        self._last_data_s = 0.0
        self._data = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread = 0

    @property
    def stats(self) -> BuilderStats:
        return self.builder.stats

    def _emit(
        self,
        state: str,
        *,
        battery_pct: int | None = None,
        info: dict[str, str] | None = None,
        detail: str | None = None,
    ) -> None:
        if self.on_event is None:
            return
        event = SensorEvent(
            self.address,
            state,
            self.kind,
            self.name,
            battery_pct=battery_pct,
            info={} if info is None else info,
            detail=detail,
            t_ms=int(self.clock() * 1000),
        )
        try:
            self.on_event(event)
        except Exception:  # a broken status view must not stop recording
            log.exception("sensor event callback failed")

    def _in_loop(self, func: Callable[[], None]) -> None:
        """Run `func` on our loop, whichever thread the backend calls us from."""
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(func)
        else:
            func()

    def _on_notify(self, uuid: str, data: bytes | bytearray) -> None:
        """Bleak's callback; a backend calling from a foreign thread hops onto our loop."""
        if self._loop is not None and threading.get_ident() != self._loop_thread:
            self._loop.call_soon_threadsafe(self._on_notify, uuid, bytes(data))
            return
        now = self.clock()
        self._last_data_s = now
        self._data.set()
        sample = self.builder.feed(uuid, bytes(data), int(now * 1000))
        if sample is not None:
            self.queue.put_nowait(sample)

    async def run(self) -> None:
        """Keep this sensor connected until cancelled; BluetoothUnavailable ends it."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        attempt = 0
        while True:
            try:
                had_data = await self._session()
                attempt = 0 if had_data else attempt + 1
            except BluetoothUnavailable as exc:
                self._emit("failed", detail=str(exc))
                self.first_attempt_done.set()
                raise
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # bleak, D-Bus and timeout errors: retry with backoff
                attempt += 1
                reason = unavailable_reason(exc)
                if reason:
                    self._emit("failed", detail=reason)
                    self.first_attempt_done.set()
                    raise BluetoothUnavailable(reason) from exc
                log.info("%s: attempt %d failed: %s", self.address, attempt, exc)
                self._emit("failed", detail=str(exc) or type(exc).__name__)
            self.first_attempt_done.set()
            await asyncio.sleep(backoff_s(attempt, self.policy, self.rng.random()))

    async def _find(self) -> BLEDevice:
        device = await self.scanner_cls.find_device_by_address(
            self.address, timeout=self.policy.scan_timeout_s
        )
        if device is None:
            raise SensorNotFound(
                f"sensor {self.address} is not advertising: wake it (wear the strap, spin "
                "the crank) and keep it within a few metres"
            )
        return device

    async def _connect(self, disconnected: asyncio.Event) -> GattClient:
        """Fresh scan + NEW client, under the shared lock (one connect at a time)."""
        async with self.connect_lock:
            self._emit("connecting")
            device = await self._find()
            client = self.client_cls(
                device,
                disconnected_callback=lambda _c: self._in_loop(disconnected.set),
                timeout=self.policy.connect_timeout_s,
            )
            try:
                await client.connect()
                await self._setup(client)
            except BaseException:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(self.policy.io_timeout_s):
                        await client.disconnect()
                raise
            return client

    async def _read(self, client: GattClient, uuid: str) -> bytes | None:
        try:
            async with asyncio.timeout(self.policy.io_timeout_s):
                return bytes(await client.read_gatt_char(uuid))
        except TimeoutError:
            raise
        except Exception as exc:  # optional characteristic absent or unreadable
            log.debug("%s: read %s failed: %s", self.address, uuid, exc)
            return None

    async def _setup(self, client: GattClient) -> None:
        services = client.services
        chars = {c.uuid.lower() for s in services for c in s.characteristics}
        if self.kind is None:
            self.kind = kind_of(s.uuid for s in services) or "hr"
        if self.name is None:
            self.name = getattr(client, "name", None)
        info: dict[str, str] = {}
        for uuid, key in U.DEVICE_INFO_STRINGS.items():
            if uuid in chars:
                raw = await self._read(client, uuid)
                with contextlib.suppress(GattDecodeError):
                    if raw is not None:
                        info[key] = decode_device_info_string(raw).value
        if U.BODY_SENSOR_LOCATION in chars:
            raw = await self._read(client, U.BODY_SENSOR_LOCATION)
            with contextlib.suppress(GattDecodeError):
                if raw is not None:
                    info["body_sensor_location"] = decode_body_sensor_location(
                        raw
                    ).body_sensor_location_name
        if info:
            self._emit("info", info=info)
        if U.BATTERY_LEVEL in chars:
            raw = await self._read(client, U.BATTERY_LEVEL)
            with contextlib.suppress(GattDecodeError):
                if raw is not None:
                    self._emit(
                        "battery", battery_pct=decode_battery_level(raw).battery_level_percent
                    )
        self.builder.rebaseline()
        subscribed = 0
        wanted = U.MEASUREMENTS_BY_KIND.get(self.kind, ())
        for uuid in wanted + U.EXTRA_MEASUREMENTS_BY_KIND.get(self.kind, ()):
            if uuid not in chars:
                continue

            def callback(_char: object, data: bytearray, uuid: str = uuid) -> None:
                self._on_notify(uuid, data)

            async with asyncio.timeout(self.policy.io_timeout_s):
                await client.start_notify(uuid, callback)
            subscribed += 1
        if not subscribed:
            raise SensorLost(
                f"sensor {self.address} has no {self.kind} measurement to subscribe to"
            )

    async def _session(self) -> bool:
        """One connection, until it drops or goes silent; True if any data arrived."""
        disconnected = asyncio.Event()
        client = await self._connect(disconnected)
        self.connected = True
        self.connections += 1
        self._last_data_s = self.clock()
        self._data.clear()
        had_data = False
        self._emit("connected")
        self.first_attempt_done.set()
        try:
            while not disconnected.is_set():
                remaining = watchdog_remaining_s(self._last_data_s, self.clock(), self.policy)
                if remaining <= 0:
                    log.warning(
                        "%s: silent for %.0f s, reconnecting", self.address, self.policy.watchdog_s
                    )
                    self._emit("silent", detail=f"no data for {self.policy.watchdog_s:.0f} s")
                    break
                data_wait = asyncio.ensure_future(self._data.wait())
                drop_wait = asyncio.ensure_future(disconnected.wait())
                try:
                    await asyncio.wait(
                        {data_wait, drop_wait},
                        timeout=remaining,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    data_wait.cancel()
                    drop_wait.cancel()
                if self._data.is_set():
                    had_data = True
                    self._data.clear()
        finally:
            self.connected = False
            self.drops += 1
            self._emit("disconnected")
            with contextlib.suppress(Exception):
                async with asyncio.timeout(self.policy.io_timeout_s):
                    await client.disconnect()
        return had_data


class SensorManager:
    """Several sensors as one sample source for the recorder."""

    kind = "ble"

    def __init__(
        self,
        sensors: Sequence[SensorSpec],
        *,
        client_cls: ClientClass | None = None,
        scanner_cls: ScannerClass | None = None,
        policy: ReconnectPolicy | None = None,
        on_event: EventCallback | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if client_cls is None or scanner_cls is None:
            from bleak import BleakClient, BleakScanner

            client_cls = client_cls or BleakClient
            scanner_cls = scanner_cls or BleakScanner
        self.name = ", ".join(s.name or s.address for s in sensors) or "no sensors"
        self.policy = policy or ReconnectPolicy()
        self.queue: asyncio.Queue[Queued] = asyncio.Queue()
        self._lock = asyncio.Lock()
        self.links = [
            SensorLink(
                spec,
                self.queue,
                self._lock,
                client_cls=client_cls,
                scanner_cls=scanner_cls,
                policy=self.policy,
                on_event=on_event,
                clock=clock,
            )
            for spec in sensors
        ]
        self._tasks: list[asyncio.Task[None]] = []
        self.unavailable: str | None = None
        self._stopped = False

    async def start(self) -> None:
        """Connect sensors one after another (each gets its first try), then run together.

        Raises BluetoothUnavailable if the machine has no usable Bluetooth.
        """
        for link in self.links:
            task = asyncio.create_task(link.run(), name=f"ble-{link.address}")
            task.add_done_callback(self._link_done)
            self._tasks.append(task)
            waiter = asyncio.ensure_future(link.first_attempt_done.wait())
            await asyncio.wait(
                {waiter, task},
                timeout=self.policy.first_connect_wait_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            waiter.cancel()
            if task.done() and not task.cancelled():
                exc = task.exception()
                if isinstance(exc, BluetoothUnavailable):
                    await self.stop()
                    raise exc

    def _link_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, BluetoothUnavailable):
            self.unavailable = str(exc)
        elif exc is not None:
            log.error("sensor task %s ended: %r", task.get_name(), exc)

    async def stop(self) -> None:
        """Disconnect every sensor; samples already queued are still delivered."""
        if self._stopped:
            return
        self._stopped = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.queue.put_nowait(_STOP)

    async def samples(self) -> AsyncIterator[Sample]:
        """Every sample from every sensor, until `stop()` and the queue is drained."""
        while True:
            item = await self.queue.get()
            if item is _STOP:
                return
            yield item
