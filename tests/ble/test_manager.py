"""SensorManager logic with injected client/scanner classes (the bleak-retry-connector pattern).

The radio is the one thing that cannot run here, so these tests pass small in-process stand-ins
for BleakClient/BleakScanner to exercise reconnect, watchdog and one-at-a-time connects fast;
test_e2e_bluez.py runs the same manager through bleak's real BlueZ backend.
"""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from device.ble import uuids as U
from device.ble.backoff import ReconnectPolicy
from device.ble.manager import (
    BluetoothUnavailable,
    SensorEvent,
    SensorManager,
    SensorSpec,
    kind_of,
    scan,
    unavailable_reason,
)

FAST = ReconnectPolicy(
    first_backoff_s=0.01,
    max_backoff_s=0.05,
    watchdog_s=0.3,
    scan_timeout_s=0.2,
    connect_timeout_s=1.0,
    io_timeout_s=1.0,
    first_connect_wait_s=2.0,
)


@dataclass
class Char:
    uuid: str


@dataclass
class Service:
    uuid: str
    characteristics: list[Char]


@dataclass
class Device:
    address: str
    name: str


@dataclass
class World:
    """What the stand-in radio knows: who advertises, who is connected, what they say."""

    services: dict[str, list[Service]]
    advertising: set[str] = field(default_factory=set)
    clients: list[FakeClient] = field(default_factory=list)
    scans: int = 0
    connecting: int = 0
    max_connecting: int = 0
    scan_error: Exception | None = None

    def client(self, address: str) -> FakeClient:
        return [c for c in self.clients if c.device.address == address][-1]


def make_classes(world: World) -> tuple[type, type]:
    class FakeScanner:
        @staticmethod
        async def find_device_by_address(address: str, timeout: float) -> Device | None:
            world.scans += 1
            if world.scan_error is not None:
                raise world.scan_error
            await asyncio.sleep(0)
            return Device(address, f"dev {address[-2:]}") if address in world.advertising else None

    class Client(FakeClient):
        def __init__(
            self, device: Device, disconnected_callback: Callable[..., None], timeout: float
        ):
            super().__init__(world, device, disconnected_callback)

    return Client, FakeScanner


class FakeClient:
    def __init__(self, world: World, device: Device, on_disconnect: Callable[..., None]) -> None:
        self.world = world
        self.device = device
        self.on_disconnect = on_disconnect
        self.connected = False
        self.callbacks: dict[str, Callable[[Any, bytearray], None]] = {}
        self.name = device.name
        world.clients.append(self)

    async def connect(self) -> None:
        assert not self.connected, "a client is never reused"
        self.world.connecting += 1
        self.world.max_connecting = max(self.world.max_connecting, self.world.connecting)
        await asyncio.sleep(0.02)
        self.world.connecting -= 1
        self.connected = True

    @property
    def services(self) -> list[Service]:
        return self.world.services[self.device.address]

    async def read_gatt_char(self, uuid: str) -> bytearray:
        return bytearray([55]) if uuid == U.BATTERY_LEVEL else bytearray(b"Acme")

    async def start_notify(self, uuid: str, callback: Callable[[Any, bytearray], None]) -> None:
        self.callbacks[uuid] = callback

    async def disconnect(self) -> None:
        self.connected = False

    def notify(self, uuid: str, payload: bytes) -> None:
        assert self.connected
        self.callbacks[uuid](None, bytearray(payload))

    def drop(self) -> None:
        self.connected = False
        self.on_disconnect(self)


HR = "AA:00:00:00:00:01"
CSC = "AA:00:00:00:00:02"


def world() -> World:
    return World(
        services={
            HR: [
                Service(U.HEART_RATE_SERVICE, [Char(U.HEART_RATE_MEASUREMENT)]),
                Service(U.BATTERY_SERVICE, [Char(U.BATTERY_LEVEL)]),
                Service(U.DEVICE_INFO_SERVICE, [Char(U.uuid16(0x2A29))]),
            ],
            CSC: [Service(U.CSC_SERVICE, [Char(U.CSC_MEASUREMENT)])],
        },
        advertising={HR, CSC},
    )


async def wait_for(
    predicate: Callable[[], bool], events: asyncio.Event, timeout: float = 5
) -> None:
    async def loop() -> None:
        while not predicate():
            events.clear()
            await events.wait()

    await asyncio.wait_for(loop(), timeout)


class Harness:
    def __init__(self, w: World, specs: list[SensorSpec], policy: ReconnectPolicy = FAST) -> None:
        client_cls, scanner_cls = make_classes(w)
        self.events: list[SensorEvent] = []
        self.changed = asyncio.Event()
        self.manager = SensorManager(
            specs,
            client_cls=client_cls,
            scanner_cls=scanner_cls,
            policy=policy,
            on_event=self.on_event,
        )

    def on_event(self, event: SensorEvent) -> None:
        self.events.append(event)
        self.changed.set()

    def states(self, address: str) -> list[str]:
        return [e.state for e in self.events if e.address == address]

    async def drain(self) -> list[Any]:
        await self.manager.stop()
        return [s async for s in self.manager.samples()]


def test_two_sensors_connect_one_at_a_time_and_samples_carry_identity() -> None:
    async def run() -> None:
        w = world()
        h = Harness(w, [SensorSpec(HR), SensorSpec(CSC)])
        await h.manager.start()
        assert w.max_connecting == 1
        assert h.states(HR)[:1] == ["connecting"] and "connected" in h.states(HR)
        assert h.states(HR).index("connected") < len(h.events)
        w.client(HR).notify(U.HEART_RATE_MEASUREMENT, bytes.fromhex("16481104"))
        for i in range(3):
            w.client(CSC).notify(U.CSC_MEASUREMENT, struct.pack("<BHH", 2, i, i * 1024))
        samples = await h.drain()
        assert [s.source for s in samples] == [HR, CSC, CSC]
        assert samples[0].hr == 72 and samples[0].rr == (1016.6016,)
        assert [s.cadence for s in samples[1:]] == [60.0, 60.0]
        battery = [e.battery_pct for e in h.events if e.state == "battery"]
        assert battery == [55]
        info = [e.info for e in h.events if e.state == "info"]
        assert info == [{"manufacturer_name": "Acme"}]
        assert h.manager.links[0].kind == "hr" and h.manager.links[1].kind == "csc"

    asyncio.run(run())


def test_a_drop_means_a_fresh_scan_a_new_client_and_a_gap() -> None:
    async def run() -> None:
        w = world()
        h = Harness(w, [SensorSpec(HR, kind="hr")])
        await h.manager.start()
        first = w.client(HR)
        first.notify(U.HEART_RATE_MEASUREMENT, bytes.fromhex("0048"))
        scans = w.scans
        w.advertising.discard(HR)  # walks away
        first.drop()
        await wait_for(lambda: w.scans >= scans + 2, h.changed)  # keeps scanning, backing off
        assert "disconnected" in h.states(HR)
        w.advertising.add(HR)
        await wait_for(lambda: h.states(HR).count("connected") == 2, h.changed)
        second = w.client(HR)
        assert second is not first and not first.connected
        second.notify(U.HEART_RATE_MEASUREMENT, bytes.fromhex("0050"))
        samples = await h.drain()
        assert [s.hr for s in samples] == [72, 80]  # nothing invented for the gap
        assert h.manager.links[0].connections == 2

    asyncio.run(run())


def test_a_silent_sensor_is_reconnected_by_the_watchdog() -> None:
    async def run() -> None:
        w = world()
        h = Harness(w, [SensorSpec(HR, kind="hr")])
        await h.manager.start()
        first = w.client(HR)
        await wait_for(lambda: "silent" in h.states(HR), h.changed, timeout=3)
        await wait_for(lambda: h.states(HR).count("connected") == 2, h.changed)
        assert w.client(HR) is not first
        await h.drain()

    asyncio.run(run())


def test_an_absent_sensor_does_not_block_the_others() -> None:
    async def run() -> None:
        w = world()
        w.advertising.discard(HR)
        h = Harness(w, [SensorSpec(HR, kind="hr"), SensorSpec(CSC)])
        await h.manager.start()
        assert "connected" in h.states(CSC)
        assert "failed" in h.states(HR)
        failed = next(e for e in h.events if e.state == "failed")
        assert "not advertising" in (failed.detail or "")
        await h.drain()

    asyncio.run(run())


def test_garbage_notifications_are_counted_not_fatal() -> None:
    async def run() -> None:
        w = world()
        h = Harness(w, [SensorSpec(HR, kind="hr")])
        await h.manager.start()
        client = w.client(HR)
        client.notify(U.HEART_RATE_MEASUREMENT, b"")
        client.notify(U.HEART_RATE_MEASUREMENT, b"\x01\x3c")
        client.notify(U.HEART_RATE_MEASUREMENT, b"\x00\x3c")
        samples = await h.drain()
        assert [s.hr for s in samples] == [60]
        assert h.manager.links[0].stats.rejected == 2

    asyncio.run(run())


@pytest.mark.parametrize(
    "error",
    [FileNotFoundError(2, "No such file or directory"), PermissionError(13, "Permission denied")],
)
def test_no_bluetooth_is_one_clear_sentence(error: Exception) -> None:
    async def run() -> None:
        w = world()
        w.scan_error = error
        h = Harness(w, [SensorSpec(HR, kind="hr"), SensorSpec(CSC)])
        with pytest.raises(BluetoothUnavailable) as info:
            await h.manager.start()
        message = str(info.value)
        assert message.startswith("Bluetooth is not available on this machine")
        assert message.count(".") == 1 and message.endswith(".")
        assert w.scans == 1  # it gave up at once, and did not try the second sensor
        await h.drain()

    asyncio.run(run())


def test_unavailable_reasons_from_bleak() -> None:
    from bleak.exc import (
        BleakBluetoothNotAvailableError,
        BleakBluetoothNotAvailableReason,
        BleakDBusError,
    )

    off = BleakBluetoothNotAvailableError("x", BleakBluetoothNotAvailableReason.POWERED_OFF)
    assert "turn Bluetooth on" in (unavailable_reason(off) or "")
    none = BleakBluetoothNotAvailableError("x", BleakBluetoothNotAvailableReason.NO_BLUETOOTH)
    assert "no Bluetooth adapter" in (unavailable_reason(none) or "")
    svc = BleakDBusError("org.freedesktop.DBus.Error.ServiceUnknown", [])
    assert "bluetoothd" in (unavailable_reason(svc) or "")
    assert unavailable_reason(TimeoutError()) is None
    assert unavailable_reason(BleakDBusError("org.bluez.Error.Failed", [])) is None


def test_scan_filters_by_service_and_sorts_by_signal() -> None:
    @dataclass
    class Adv:
        local_name: str | None
        rssi: int
        service_uuids: list[str]

    class Scanner:
        kwargs: dict[str, Any] = {}

        @classmethod
        async def discover(cls, **kwargs: Any) -> dict[str, Any]:
            cls.kwargs = kwargs
            return {
                "a": (Device("aa:01", "x"), Adv("Strap", -70, [U.HEART_RATE_SERVICE])),
                "b": (
                    Device("aa:02", "y"),
                    Adv(None, -40, [U.CYCLING_POWER_SERVICE, U.CSC_SERVICE]),
                ),
                "c": (Device("aa:03", "z"), Adv("Mouse", -30, ["00001812" + U.BASE_SUFFIX])),
            }

    found = asyncio.run(scan(1.0, scanner_cls=Scanner))
    assert [(f.address, f.kind, f.name) for f in found] == [
        ("AA:02", "power", "y"),
        ("AA:01", "hr", "Strap"),
    ]
    assert set(Scanner.kwargs["service_uuids"]) == {
        U.HEART_RATE_SERVICE,
        U.RSC_SERVICE,
        U.CSC_SERVICE,
        U.CYCLING_POWER_SERVICE,
        U.FTMS_SERVICE,
    }
    assert kind_of([U.FTMS_SERVICE]) == "ftms" and kind_of([]) is None


def test_bleak_internals_we_rely_on_still_exist() -> None:
    """Canary: a bleak upgrade that moves these breaks the no-radio detection or the e2e test."""
    import inspect

    from bleak import BleakClient, BleakScanner
    from bleak.backends.bluezdbus.manager import BlueZManager, get_global_bluez_manager
    from bleak.exc import BleakBluetoothNotAvailableReason

    assert inspect.iscoroutinefunction(get_global_bluez_manager)
    assert hasattr(BlueZManager, "get_default_adapter")
    assert {"NO_BLUETOOTH", "POWERED_OFF", "NO_BLE_CENTRAL_ROLE"} <= set(
        BleakBluetoothNotAvailableReason.__members__
    )
    params = inspect.signature(BleakClient.__init__).parameters
    assert {"disconnected_callback", "timeout"} <= set(params)
    assert "return_adv" in inspect.signature(BleakScanner.discover).parameters
    assert hasattr(BleakScanner, "find_device_by_address")


def test_a_strap_with_a_foot_pod_inside_delivers_both() -> None:
    async def run() -> None:
        w = world()
        w.services[HR].append(Service(U.RSC_SERVICE, [Char(U.RSC_MEASUREMENT)]))
        h = Harness(w, [SensorSpec(HR)])
        await h.manager.start()
        client = w.client(HR)
        assert set(client.callbacks) == {U.HEART_RATE_MEASUREMENT, U.RSC_MEASUREMENT}
        client.notify(U.HEART_RATE_MEASUREMENT, bytes.fromhex("0048"))
        client.notify(U.RSC_MEASUREMENT, struct.pack("<BHB", 0x04, 3 * 256, 172))
        samples = await h.drain()
        assert [(s.hr, s.speed, s.cadence) for s in samples] == [(72, None, None), (None, 3.0, 172)]
        assert h.manager.links[0].kind == "hr"

    asyncio.run(run())


def test_callbacks_from_a_foreign_thread_enter_the_loop() -> None:
    """CoreBluetooth/WinRT may call back from their own threads: no data race, no loss."""
    import threading

    async def run() -> None:
        w = world()
        h = Harness(w, [SensorSpec(HR, kind="hr")])
        await h.manager.start()
        client = w.client(HR)
        payload = bytes.fromhex("0048")
        worker = threading.Thread(target=client.notify, args=(U.HEART_RATE_MEASUREMENT, payload))
        worker.start()
        worker.join()
        dropper = threading.Thread(target=client.drop)
        dropper.start()
        dropper.join()
        await wait_for(lambda: "disconnected" in h.states(HR), h.changed)
        samples = await h.drain()
        assert [(s.hr, s.source) for s in samples] == [(72, HR)]

    asyncio.run(run())


def test_stop_while_reconnecting_always_finishes() -> None:
    """Regression: Python 3.11's wait_for could swallow the stop's cancellation mid-setup."""

    async def run() -> None:
        for _ in range(15):
            w = world()
            h = Harness(w, [SensorSpec(HR, kind="hr")])
            await h.manager.start()
            w.client(HR).drop()
            await wait_for(lambda h=h: "disconnected" in h.states(HR), h.changed)
            async with asyncio.timeout(5):
                await h.drain()
            assert all(task.done() for task in h.manager._tasks)

    asyncio.run(run())
