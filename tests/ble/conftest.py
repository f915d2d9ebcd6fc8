"""BLE test fixtures: the shared vectors, and a fake BlueZ on a private D-Bus daemon."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from .fake_bluez import FakeBlueZ, FakeSensor, private_system_bus


@pytest.fixture
def gatt_vectors(shared_reference: Path) -> dict[str, Any]:
    """../shared/reference/gatt/vectors.json, read in place (never copied)."""
    return json.loads((shared_reference / "gatt" / "vectors.json").read_text())


@pytest.fixture
def system_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private dbus-daemon that bleak (via DBUS_SYSTEM_BUS_ADDRESS) takes for the system bus."""
    if not shutil.which("dbus-daemon") and not Path("/usr/bin/dbus-daemon").exists():
        pytest.skip("dbus-daemon is not installed (apt-get install dbus)")
    with private_system_bus(tmp_path) as address:
        monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", address)
        yield address


@pytest.fixture
def fake_bluez(system_bus: str) -> Iterator[Callable[..., FakeBlueZ]]:
    """Factory: start a fake bluetoothd with these sensors (stopped after the test)."""
    started: list[FakeBlueZ] = []

    def make(sensors: Sequence[FakeSensor], roles: Sequence[str] = ("central", "peripheral")):
        fake = FakeBlueZ(system_bus, sensors, roles)
        fake.start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


@pytest.fixture
def no_system_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without a system D-Bus: bleak raises FileNotFoundError on connect."""
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", f"unix:path={tmp_path}/no-such-bus")


@pytest.fixture(autouse=True)
def blockbuster() -> Iterator[None]:
    """Fail a test when BLE or recording code blocks the event loop (bleak-retry-connector style).

    Skipped when the `blockbuster` package is not installed.
    """
    try:
        from blockbuster import blockbuster_ctx
    except ImportError:
        yield
        return
    # Not our blocking calls: log handlers writing to a stream, and PySide6's import hook
    # (loaded by pytest-qt) that reads sources on every lazy import.
    with blockbuster_ctx(["device", "app.recorder"]) as bb:
        for function in bb.functions.values():
            function.can_block_in("logging/__init__.py", {"emit", "flush"})
            function.can_block_in("shibokensupport/feature.py", {"feature_imported"})
        yield
