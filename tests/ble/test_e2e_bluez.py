"""End to end through bleak's REAL BlueZ backend, against a fake bluetoothd on a private bus.

Scan, connect a heart-rate strap (with RR) and a cadence sensor, record, drop the strap mid
session and bring it back, stop: the SQLite session holds every notification sent while
connected, the strap's gap stays empty, and each row says which sensor it came from.
"""

from __future__ import annotations

import asyncio
import json
import struct
import time
from collections.abc import Callable
from typing import Any

import pytest

from app.cli import main
from app.recorder.bluetooth import BleSetup
from app.recorder.job import RecordOptions, record
from app.sensors import SensorService
from app.store.repo import Store
from device.ble.backoff import ReconnectPolicy

from .fake_bluez import cadence_sensor, hr_strap, uuid16

pytestmark = pytest.mark.slow

HR = "C0:FF:EE:00:00:01"
CSC = "C0:FF:EE:00:00:02"
HRM = uuid16(0x2A37)
CSCM = uuid16(0x2A5B)

POLICY = ReconnectPolicy(
    first_backoff_s=0.05,
    max_backoff_s=0.2,
    watchdog_s=30.0,  # longer than the test: only the explicit drop may disconnect
    scan_timeout_s=2.0,
    connect_timeout_s=10.0,
    io_timeout_s=5.0,
    first_connect_wait_s=10.0,
)


def hr_payload(i: int) -> bytes:
    """Contact detected, RR present: HR 60..89 and two RR intervals per notification."""
    return struct.pack("<BBHH", 0x16, 60 + i % 30, 700 + i, 900 + i)


def crank_payload(revs: int) -> bytes:
    """Crank-only CSC at exactly 60 rpm (one revolution per 1024 ticks), wrapping uint16."""
    return struct.pack("<BHH", 0x02, revs % 65536, (revs * 1024) % 65536)


class Watch:
    """Sensor events from the recording job, awaitable."""

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.changed = asyncio.Event()

    def __call__(self, event: Any) -> None:
        self.events.append(event)
        self.changed.set()

    def count(self, address: str, state: str) -> int:
        return sum(1 for e in self.events if e.address == address and e.state == state)

    def nth(self, address: str, state: str, n: int) -> Any:
        return [e for e in self.events if e.address == address and e.state == state][n]

    async def until(self, predicate: Callable[[], bool], timeout: float = 20) -> None:
        async def loop() -> None:
            while not predicate():
                self.changed.clear()
                await self.changed.wait()

        await asyncio.wait_for(loop(), timeout)


def test_record_two_sensors_drop_and_resume(fake_bluez: Callable[..., Any], store: Store) -> None:
    fake = fake_bluez([hr_strap(HR, "Fake H10"), cadence_sensor(CSC)])
    watch = Watch()
    notices: list[str] = []

    async def session() -> int:
        stop = asyncio.Event()
        ble = BleSetup(policy=POLICY, on_event=watch)
        options = RecordOptions(sport="ride", simulate=False, devices=(HR.lower(), CSC))
        job = asyncio.create_task(record(store, options, stop=stop, ble=ble, notice=notices.append))
        await watch.until(lambda: watch.count(HR, "connected") == 1)
        await watch.until(lambda: watch.count(CSC, "connected") == 1)
        # Both sensors talk at once, ~1 ms apart each.
        sent = await asyncio.gather(
            fake.notify(HR, HRM, [hr_payload(i) for i in range(60)]),
            fake.notify(CSC, CSCM, [crank_payload(65500 + i) for i in range(80)]),
        )
        assert sent == [60, 80]
        await fake.drop_out(HR)  # the strap slips off and stops advertising
        await watch.until(lambda: watch.count(HR, "disconnected") == 1)
        assert await fake.notify(HR, HRM, [hr_payload(999)]) == 0  # nobody is listening
        assert await fake.notify(CSC, CSCM, [crank_payload(65580 + i) for i in range(150)]) == 150
        await fake.come_back(HR)
        await watch.until(lambda: watch.count(HR, "connected") == 2)
        sent = await asyncio.gather(
            fake.notify(HR, HRM, [hr_payload(100 + i) for i in range(40)]),
            fake.notify(CSC, CSCM, [crank_payload(65730 + i) for i in range(20)]),
        )
        assert sent == [40, 20]
        stop.set()
        return await asyncio.wait_for(job, 30)

    session_id = asyncio.run(session())

    hr_sent = fake.sensors[HR].sent[HRM]
    csc_sent = fake.sensors[CSC].sent[CSCM]
    assert len(hr_sent) == 100 and len(csc_sent) == 250
    with store.engine.connect() as conn:
        ids = dict(conn.exec_driver_sql("SELECT address, id FROM devices WHERE paired = 1").all())
        rows = conn.exec_driver_sql(
            "SELECT device_id, t_ms, hr, cadence FROM samples WHERE session_id = ? "
            "ORDER BY t_ms, id",
            (session_id,),
        ).all()
        rr = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT rr_ms FROM rr_intervals WHERE session_id = ? ORDER BY id", (session_id,)
            )
        ]
    assert set(ids) == {HR, CSC}
    hr_rows = [r for r in rows if r[0] == ids[HR]]
    csc_rows = [r for r in rows if r[0] == ids[CSC]]
    assert len(rows) == len(hr_rows) + len(csc_rows)  # every row names its sensor

    # Every strap notification sent while connected is stored, with every RR interval.
    assert [r[2] for r in hr_rows] == [p[1] for p in hr_sent]
    expected_rr = [
        round(v * 1000 / 1024, 4) for p in hr_sent for v in struct.unpack_from("<HH", p, 2)
    ]
    assert rr == expected_rr
    # The cadence sensor never dropped: one baseline notification, then one sample each,
    # 60 rpm straight through the uint16 rollovers of count and event time.
    assert watch.count(CSC, "connected") == 1
    assert len(csc_rows) == len(csc_sent) - 1
    assert all(r[3] == pytest.approx(60.0) for r in csc_rows)

    # The gap: no strap sample between "lost" and "back"; the session resumed after it.
    lost = watch.nth(HR, "disconnected", 0).t_ms
    back = watch.nth(HR, "connected", 1).t_ms
    assert back > lost
    assert not [r for r in hr_rows if lost < r[1] < back]
    assert len([r for r in hr_rows if r[1] >= back]) == 40
    # ...while the cadence sensor kept recording through it.
    assert len([r for r in csc_rows if lost < r[1] < back]) >= 100

    markers = [(k, label) for k, _, label in store.load_markers(session_id)]
    assert ("marker", "sensor lost: Fake H10") in markers
    assert ("marker", "sensor back: Fake H10") in markers
    info = store.get_session(session_id)
    assert info is not None and info.status == "finished" and info.source == "ble"
    assert info.rr_count == 200 and info.samples == len(rows)

    strap = next(s for s in SensorService(store).remembered(info.athlete_id) if s.address == HR)
    assert strap.battery_pct == 87 and strap.kind == "hr"
    assert strap.info["manufacturer_name"] == "Pulsedeck Test"
    assert strap.info["body_sensor_location"] == "Chest"
    assert any("reconnected" in n for n in notices)


def test_scan_through_bluez_lists_sensors_with_kind_and_rssi(
    fake_bluez: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    fake_bluez([hr_strap(HR, "Fake H10"), cadence_sensor(CSC, "Fake Cadence")])
    assert main(["devices", "scan", "--timeout", "0.5", "--json"]) == 0
    found = {d["address"]: d for d in json.loads(capsys.readouterr().out)}
    assert {a: (d["kind"], d["name"]) for a, d in found.items()} == {
        HR: ("hr", "Fake H10"),
        CSC: ("csc", "Fake Cadence"),
    }
    assert all(isinstance(d["rssi"], int) for d in found.values())
    assert main(["devices", "list", "--all", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {d["address"] for d in listed} == {HR, CSC} and not any(d["paired"] for d in listed)


@pytest.mark.parametrize(
    ("roles", "powered", "says"),
    [
        (("peripheral",), True, "cannot act as a Bluetooth LE central"),
        (("central", "peripheral"), False, "the adapter is off"),
    ],
)
def test_unusable_adapter_falls_back_to_the_simulator(
    fake_bluez: Callable[..., Any],
    data_dir: Any,
    capsys: pytest.CaptureFixture[str],
    roles: tuple[str, ...],
    powered: bool,
    says: str,
) -> None:
    fake = fake_bluez([hr_strap(HR)], roles=roles)
    fake.powered = powered
    store = Store.open(data_dir)
    service = SensorService(store)
    service.remember(service.store.default_athlete().id, HR, "hr")
    store.close()
    started = time.monotonic()
    code = main(["record", "--duration", "0.5", "--rate", "10", "--json", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert time.monotonic() - started < 10
    (notice,) = [line for line in captured.err.splitlines() if line.strip()]
    assert says in notice and "Recording from the simulator instead." in notice
    assert json.loads(captured.out)["source"] == "simulator"


def test_cli_records_from_a_sensor_then_remembers_it(
    fake_bluez: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = fake_bluez([hr_strap(HR, "Fake H10")])
    fake.stream(HR, HRM, hr_payload, every_s=0.05)
    code = main(["record", "--device", HR, "--duration", "1.5", "--sport", "ride", "--json", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    first = json.loads(captured.out)
    assert first["source"] == "ble" and first["samples"] >= 5
    assert first["avg_hr"] is not None and first["rr_count"] == 2 * first["samples"]
    assert "Fake H10 (hr) connected" in captured.err
    assert main(["devices", "list", "--json"]) == 0
    (remembered,) = json.loads(capsys.readouterr().out)
    assert (remembered["address"], remembered["paired"], remembered["battery_pct"]) == (
        HR,
        True,
        87,
    )
    # No --device, no --simulate: the remembered strap is used again.
    code = main(["record", "--duration", "1.5", "--json", "-q"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    second = json.loads(captured.out)
    assert second["source"] == "ble" and second["samples"] >= 5 and second["id"] != first["id"]
