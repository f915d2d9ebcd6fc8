"""The shape of the bleak classes `manager` uses, so a test can pass fakes in their place.

`bleak.BleakClient` and `bleak.BleakScanner` (the class objects) satisfy these protocols; a
fake needs only these members. bleak is imported for type checking only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData

#: What a notification callback receives: the characteristic (unused) and the payload.
NotifyCallback = Callable[[object, bytearray], None]


class GattCharacteristic(Protocol):
    @property
    def uuid(self) -> str: ...


class GattService(Protocol):
    @property
    def uuid(self) -> str: ...

    @property
    def characteristics(self) -> Iterable[GattCharacteristic]: ...


class GattClient(Protocol):
    """A connected (or connecting) sensor: the part of `BleakClient` we use."""

    @property
    def services(self) -> Iterable[GattService]: ...

    async def connect(self) -> None: ...

    async def disconnect(self) -> None: ...

    async def read_gatt_char(self, char_specifier: str, /) -> bytes | bytearray: ...

    async def start_notify(self, char_specifier: str, callback: NotifyCallback, /) -> None: ...


class ClientClass(Protocol):
    """`BleakClient` itself: builds a new client for one scanned device."""

    def __call__(
        self,
        device: BLEDevice,
        /,
        *,
        disconnected_callback: Callable[[object], None],
        timeout: float,
    ) -> GattClient: ...


class ScannerClass(Protocol):
    """`BleakScanner` itself: its two class methods that scan."""

    async def discover(
        self, *, timeout: float, return_adv: Literal[True], service_uuids: list[str]
    ) -> dict[str, tuple[BLEDevice, AdvertisementData]]: ...

    async def find_device_by_address(
        self, device_identifier: str, /, *, timeout: float
    ) -> BLEDevice | None: ...
