"""A small fake BlueZ (org.bluez over D-Bus) for driving bleak's REAL BlueZ backend in tests.

It runs dbus-fast services on a private `dbus-daemon` in its own thread and event loop, so the
code under test talks to it exactly as it would talk to bluetoothd: ObjectManager,
Adapter1 (with the `central` role), Device1, GattService1 and GattCharacteristic1 with
ReadValue/StartNotify/StopNotify and `PropertiesChanged(Value)` notifications. Only what bleak
calls is implemented (see bleak/backends/bluezdbus/{manager,client,scanner}.py).
"""

import asyncio
import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbus_fast import BusType, DBusError
from dbus_fast.aio import MessageBus
from dbus_fast.service import PropertyAccess, ServiceInterface, dbus_property, method

ADAPTER = "/org/bluez/hci0"
# D-Bus signatures for dbus-fast's annotations (kept as values, not forward references).
S, B, OBJ, N, Q, AS, AY, ASV, AQV = "s", "b", "o", "n", "q", "as", "ay", "a{sv}", "a{qv}"
BASE = "-0000-1000-8000-00805f9b34fb"
#: How often a discovering adapter re-reports advertising devices (real BlueZ: per packet).
ADVERTISE_EVERY_S = 0.05


def uuid16(n: int) -> str:
    return f"{n:08x}{BASE}"


@dataclass
class FakeChar:
    uuid: str
    flags: tuple[str, ...]
    value: bytes = b""


@dataclass
class FakeService:
    uuid: str
    chars: list[FakeChar]


@dataclass
class FakeSensor:
    address: str
    name: str
    services: list[FakeService]
    advertised: tuple[str, ...] = ()
    rssi: int = -55
    #: Set by the fake: notifications actually emitted, per characteristic UUID.
    sent: dict[str, list[bytes]] = field(default_factory=dict)


def hr_strap(address: str, name: str = "Fake HRM") -> FakeSensor:
    """Heart-rate strap: 0x180D (2A37 notify, 2A38 read), battery, device information."""
    return FakeSensor(
        address,
        name,
        [
            FakeService(
                uuid16(0x180D),
                [
                    FakeChar(uuid16(0x2A37), ("notify",)),
                    FakeChar(uuid16(0x2A38), ("read",), b"\x01"),
                ],
            ),
            FakeService(uuid16(0x180F), [FakeChar(uuid16(0x2A19), ("read",), bytes([87]))]),
            FakeService(
                uuid16(0x180A),
                [
                    FakeChar(uuid16(0x2A29), ("read",), b"Pulsedeck Test\x00"),
                    FakeChar(uuid16(0x2A24), ("read",), b"H-1"),
                ],
            ),
        ],
        advertised=(uuid16(0x180D),),
    )


def cadence_sensor(address: str, name: str = "Fake Cadence") -> FakeSensor:
    """Crank-only CSC sensor: 0x1816 with 2A5B notify."""
    return FakeSensor(
        address,
        name,
        [FakeService(uuid16(0x1816), [FakeChar(uuid16(0x2A5B), ("notify",))])],
        advertised=(uuid16(0x1816),),
    )


class Adapter1(ServiceInterface):
    def __init__(self, fake: "FakeBlueZ") -> None:
        super().__init__("org.bluez.Adapter1")
        self.fake = fake
        self.discovering = False

    @method()
    def StartDiscovery(self) -> None:  # noqa: N802 - D-Bus names
        self.discovering = True
        self.emit_properties_changed({"Discovering": True})
        self.fake._start_advertising_loop()

    @method()
    def StopDiscovery(self) -> None:  # noqa: N802
        self.discovering = False
        self.emit_properties_changed({"Discovering": False})

    @method()
    def SetDiscoveryFilter(self, filters: ASV) -> None:  # noqa: N802
        return None

    @method()
    def RemoveDevice(self, device: OBJ) -> None:  # noqa: N802
        return None

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> S:  # noqa: N802
        return "00:00:5E:00:53:00"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> S:  # noqa: N802
        return "fake-hci0"

    @dbus_property(access=PropertyAccess.READ)
    def Powered(self) -> B:  # noqa: N802
        return self.fake.powered

    @dbus_property(access=PropertyAccess.READ)
    def Discovering(self) -> B:  # noqa: N802
        return self.discovering

    @dbus_property(access=PropertyAccess.READ)
    def Roles(self) -> AS:  # noqa: N802
        return list(self.fake.roles)


class Device1(ServiceInterface):
    def __init__(self, fake: "FakeBlueZ", sensor: FakeSensor, path: str) -> None:
        super().__init__("org.bluez.Device1")
        self.fake = fake
        self.sensor = sensor
        self.path = path
        self.connected = False
        self.resolved = False
        self.rssi = sensor.rssi
        self.connects = 0

    @method()
    async def Connect(self) -> None:  # noqa: N802
        if self.sensor.address not in self.fake.advertising:
            raise DBusError("org.bluez.Error.Failed", "le-connection-abort-by-local")
        self.connects += 1
        self.fake._export_gatt(self)
        self.connected = True
        self.emit_properties_changed({"Connected": True})
        await asyncio.sleep(0.005)  # BlueZ resolves services a moment after the link is up
        self.resolved = True
        self.emit_properties_changed({"ServicesResolved": True})

    @method()
    def Disconnect(self) -> None:  # noqa: N802
        self.fake._drop(self)

    @dbus_property(access=PropertyAccess.READ)
    def Address(self) -> S:  # noqa: N802
        return self.sensor.address

    @dbus_property(access=PropertyAccess.READ)
    def AddressType(self) -> S:  # noqa: N802
        return "public"

    @dbus_property(access=PropertyAccess.READ)
    def Name(self) -> S:  # noqa: N802
        return self.sensor.name

    @dbus_property(access=PropertyAccess.READ)
    def Alias(self) -> S:  # noqa: N802
        return self.sensor.name

    @dbus_property(access=PropertyAccess.READ)
    def Adapter(self) -> OBJ:  # noqa: N802
        return ADAPTER

    @dbus_property(access=PropertyAccess.READ)
    def Paired(self) -> B:  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Bonded(self) -> B:  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Trusted(self) -> B:  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Blocked(self) -> B:  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def LegacyPairing(self) -> B:  # noqa: N802
        return False

    @dbus_property(access=PropertyAccess.READ)
    def Connected(self) -> B:  # noqa: N802
        return self.connected

    @dbus_property(access=PropertyAccess.READ)
    def ServicesResolved(self) -> B:  # noqa: N802
        return self.resolved

    @dbus_property(access=PropertyAccess.READ)
    def RSSI(self) -> N:  # noqa: N802
        return self.rssi

    @dbus_property(access=PropertyAccess.READ)
    def UUIDs(self) -> AS:  # noqa: N802
        return list(self.sensor.advertised)

    @dbus_property(access=PropertyAccess.READ)
    def ManufacturerData(self) -> AQV:  # noqa: N802
        return {}

    @dbus_property(access=PropertyAccess.READ)
    def ServiceData(self) -> ASV:  # noqa: N802
        return {}


class GattService1(ServiceInterface):
    def __init__(self, service: FakeService, device_path: str) -> None:
        super().__init__("org.bluez.GattService1")
        self.service = service
        self.device_path = device_path

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> S:  # noqa: N802
        return self.service.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Device(self) -> OBJ:  # noqa: N802
        return self.device_path

    @dbus_property(access=PropertyAccess.READ)
    def Primary(self) -> B:  # noqa: N802
        return True


class GattCharacteristic1(ServiceInterface):
    def __init__(self, fake: "FakeBlueZ", char: FakeChar, service_path: str, device: Device1):
        super().__init__("org.bluez.GattCharacteristic1")
        self.fake = fake
        self.char = char
        self.service_path = service_path
        self.device = device
        self.notifying = False

    @method()
    def ReadValue(self, options: ASV) -> AY:  # noqa: N802
        if not self.device.connected:
            raise DBusError("org.bluez.Error.NotConnected", "Not Connected")
        return self.char.value

    @method()
    def StartNotify(self) -> None:  # noqa: N802
        if "notify" not in self.char.flags:
            raise DBusError("org.bluez.Error.NotSupported", "Operation is not supported")
        self.notifying = True
        self.emit_properties_changed({"Notifying": True})

    @method()
    def StopNotify(self) -> None:  # noqa: N802
        self.notifying = False
        self.emit_properties_changed({"Notifying": False})

    @dbus_property(access=PropertyAccess.READ)
    def UUID(self) -> S:  # noqa: N802
        return self.char.uuid

    @dbus_property(access=PropertyAccess.READ)
    def Service(self) -> OBJ:  # noqa: N802
        return self.service_path

    @dbus_property(access=PropertyAccess.READ)
    def Value(self) -> AY:  # noqa: N802
        return self.char.value

    @dbus_property(access=PropertyAccess.READ)
    def Notifying(self) -> B:  # noqa: N802
        return self.notifying

    @dbus_property(access=PropertyAccess.READ)
    def Flags(self) -> AS:  # noqa: N802
        return list(self.char.flags)

    @dbus_property(access=PropertyAccess.READ)
    def MTU(self) -> Q:  # noqa: N802
        return 23


def _device_path(address: str) -> str:
    return f"{ADAPTER}/dev_{address.replace(':', '_').upper()}"


class FakeBlueZ:
    """The fake bluetoothd: call its public methods from any thread (they hop to its loop)."""

    def __init__(self, address: str, sensors: Sequence[FakeSensor], roles: Sequence[str]) -> None:
        self.bus_address = address
        self.sensors = {s.address: s for s in sensors}
        self.roles = tuple(roles)
        self.powered = True
        self.advertising: set[str] = set(self.sensors)
        self.devices: dict[str, Device1] = {}
        self.chars: dict[tuple[str, str], GattCharacteristic1] = {}
        self._gatt_exported: set[str] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fake-bluez")
        self._bus: MessageBus | None = None
        self._adapter: Adapter1 | None = None
        self._adv_task: asyncio.Task[None] | None = None
        self._streams: list[Any] = []
        #: Called on the fake's loop just before each Value PropertiesChanged is sent.
        self.on_send: Callable[[str, str, bytes], None] | None = None

    # lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()
        self.call(self._start())

    async def _start(self) -> None:
        self._bus = await MessageBus(
            bus_address=self.bus_address, bus_type=BusType.SYSTEM
        ).connect()
        self._adapter = Adapter1(self)
        self._bus.export(ADAPTER, self._adapter)
        for sensor in self.sensors.values():
            path = _device_path(sensor.address)
            device = Device1(self, sensor, path)
            self.devices[sensor.address] = device
            self._bus.export(path, device)
        await self._bus.request_name("org.bluez")

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    async def _stop(self) -> None:
        for fut in self._streams:
            fut.cancel()
        if self._adv_task:
            self._adv_task.cancel()
        if self._bus:
            self._bus.disconnect()

    def call(self, coro: Any, timeout: float = 10.0) -> Any:
        """Run `coro` on the fake's loop and wait for it (from a non-fake thread)."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    def acall(self, coro: Any) -> asyncio.Future[Any]:
        """Same, awaitable from another event loop."""
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self._loop))

    # behaviour -------------------------------------------------------------------------

    def _start_advertising_loop(self) -> None:
        if self._adv_task is None or self._adv_task.done():
            self._adv_task = asyncio.ensure_future(self._advertise())

    async def _advertise(self) -> None:
        assert self._adapter is not None
        while self._adapter.discovering:
            for address in sorted(self.advertising):
                device = self.devices[address]
                if not device.connected:
                    device.rssi = device.sensor.rssi + (int(time.monotonic() * 10) % 3)
                    device.emit_properties_changed({"RSSI": device.rssi})
            await asyncio.sleep(ADVERTISE_EVERY_S)

    def _export_gatt(self, device: Device1) -> None:
        address = device.sensor.address
        if address in self._gatt_exported:
            return
        assert self._bus is not None
        handle = 0x000C
        for service in device.sensor.services:
            spath = f"{device.path}/service{handle:04x}"
            self._bus.export(spath, GattService1(service, device.path))
            handle += 1
            for char in service.chars:
                cpath = f"{spath}/char{handle:04x}"
                iface = GattCharacteristic1(self, char, spath, device)
                self.chars[(address, char.uuid)] = iface
                self._bus.export(cpath, iface)
                handle += 2
        self._gatt_exported.add(address)

    def _drop(self, device: Device1) -> None:
        for (address, _), char in self.chars.items():
            if address == device.sensor.address:
                char.notifying = False
        if device.connected or device.resolved:
            device.connected = False
            device.resolved = False
            device.emit_properties_changed({"Connected": False, "ServicesResolved": False})

    async def _drop_out(self, address: str) -> None:
        """The strap leaves: the link drops and it stops advertising."""
        self.advertising.discard(address)
        self._drop(self.devices[address])

    def drop_out(self, address: str) -> asyncio.Future[Any]:
        return self.acall(self._drop_out(address))

    async def _come_back(self, address: str) -> None:
        self.advertising.add(address)

    def come_back(self, address: str) -> asyncio.Future[Any]:
        return self.acall(self._come_back(address))

    def is_subscribed(self, address: str, uuid: str) -> bool:
        char = self.chars.get((address, uuid))
        return bool(char and char.notifying and char.device.connected)

    async def _notify(
        self, address: str, uuid: str, payloads: Sequence[bytes], pace_s: float
    ) -> int:
        sent = 0
        char = self.chars.get((address, uuid))
        for payload in payloads:
            if char is None or not (char.notifying and char.device.connected):
                break
            char.char.value = bytes(payload)
            if self.on_send is not None:
                self.on_send(address, uuid, bytes(payload))
            char.emit_properties_changed({"Value": bytes(payload)})
            char.device.sensor.sent.setdefault(uuid, []).append(bytes(payload))
            sent += 1
            # ~1 ms apart: the dbus-fast writer drops the connection when flooded.
            await asyncio.sleep(pace_s)
        return sent

    async def _stream(self, address: str, uuid: str, make: Callable[[int], bytes], every_s: float):
        i = 0
        while True:
            char = self.chars.get((address, uuid))
            if char is not None and char.notifying and char.device.connected:
                await self._notify(address, uuid, [make(i)], 0)
                i += 1
            await asyncio.sleep(every_s)

    def stream(
        self, address: str, uuid: str, make: Callable[[int], bytes], every_s: float = 0.05
    ) -> None:
        """Notify `make(i)` every `every_s` whenever someone is subscribed, until stop()."""
        fut = asyncio.run_coroutine_threadsafe(
            self._stream(address, uuid, make, every_s), self._loop
        )
        self._streams.append(fut)

    def notify(
        self, address: str, uuid: str, payloads: Sequence[bytes], pace_s: float = 0.001
    ) -> asyncio.Future[Any]:
        """Send notifications while subscribed; resolves to how many were really sent."""
        return self.acall(self._notify(address, uuid, payloads, pace_s))


@contextlib.contextmanager
def private_system_bus(tmp: Path) -> Iterator[str]:
    """A private `dbus-daemon --session` whose address tests use as the system bus."""
    daemon = shutil.which("dbus-daemon") or "/usr/bin/dbus-daemon"
    if not os.path.exists(daemon):
        raise FileNotFoundError("dbus-daemon is not installed")
    sock = tmp / "system_bus_socket"
    address = f"unix:path={sock}"
    proc = subprocess.Popen(
        [
            daemon,
            "--session",
            "--nofork",
            "--nopidfile",
            f"--address={address}",
            "--print-address=1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline().decode().strip()  # printed once it listens
        if not line:
            raise RuntimeError(f"dbus-daemon did not start: {proc.stderr.read().decode()}")  # type: ignore[union-attr]
        yield address
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
