"""The desktop app records Bluetooth through the same recorder as the CLI (issue 15).

Found from outside: the GUI's "remembered" list held a sensor only seen in a scan and one
`devices forget` had un-paired, and a GUI recording connected to them; GUI Forget deleted the
device row (past samples lost their sensor); GUI recordings wrote no sensor ids on samples and
no "sensor lost/back" markers. Runs bleak's real BlueZ backend against the fake bluetoothd.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.recorder.bluetooth import BleSetup
from app.sensors import SensorService
from app.store.repo import Store
from app.ui.services import BLUETOOTH, Services

from .fake_bluez import cadence_sensor, hr_strap, uuid16
from .test_e2e_bluez import POLICY, Watch, hr_payload

STRAP = "C0:FF:EE:00:00:01"
SCANNED = "C0:FF:EE:00:00:02"  # seen in a scan, never paired
FORGOTTEN = "C0:FF:EE:00:00:03"  # paired once, then `devices forget`
HRM = uuid16(0x2A37)


def _devices(store: Store, athlete_id: int) -> None:
    sensors = SensorService(store)
    sensors.remember(athlete_id, STRAP, "hr", "Fake H10")
    sensors.upsert(athlete_id, SCANNED, kind="csc", name="Scanned only")
    sensors.remember(athlete_id, FORGOTTEN, "hr", "Old strap")
    sensors.forget(athlete_id, FORGOTTEN)


def test_gui_lists_only_paired_sensors(store: Store, data_dir: Path) -> None:
    me = store.default_athlete()
    _devices(store, me.id)
    listed = Services.build(store, data_dir).devices.remembered(me.id)
    assert [d.address for d in listed] == [STRAP]


def test_gui_forget_unpairs_and_keeps_history(store: Store, data_dir: Path) -> None:
    from app.domain.samples import Sample

    me = store.default_athlete()
    device_id = SensorService(store).remember(me.id, STRAP, "hr", "Fake H10")
    sid = store.create_session(me.id, sport="run", source="ble", started_ms=1_000)
    store.insert_samples(sid, [Sample(t_ms=1_000, hr=120, source=STRAP)], {STRAP: device_id})
    Services.build(store, data_dir).devices.forget(me.id, STRAP)
    with store.engine.connect() as conn:
        paired = conn.exec_driver_sql("SELECT paired FROM devices WHERE id = ?", (device_id,))
        assert paired.scalar() == 0  # un-paired, not deleted
        kept = conn.exec_driver_sql("SELECT device_id FROM samples WHERE session_id = ?", (sid,))
        assert kept.scalar() == device_id  # the past sample still names its sensor
    assert SensorService(store).remembered(me.id) == []


def test_gui_bluetooth_recording_uses_the_shared_recorder(
    fake_bluez: Callable[..., Any], store: Store, data_dir: Path
) -> None:
    fake = fake_bluez(
        [hr_strap(STRAP, "Fake H10"), cadence_sensor(SCANNED), hr_strap(FORGOTTEN, "Old strap")]
    )
    me = store.default_athlete()
    _devices(store, me.id)
    watch = Watch()
    services = Services.build(store, data_dir, ble=BleSetup(policy=POLICY, on_event=watch))
    services.source_mode = BLUETOOTH
    arrived: list[Any] = []

    async def session() -> int:
        started = await services.recorder.start(me.id, "run", arrived.append)
        assert [s[0] for s in started.sources] == [STRAP]
        await watch.until(lambda: watch.count(STRAP, "connected") == 1)
        assert await fake.notify(STRAP, HRM, [hr_payload(i) for i in range(20)]) == 20
        await fake.drop_out(STRAP)
        await watch.until(lambda: watch.count(STRAP, "disconnected") == 1)
        await fake.come_back(STRAP)
        await watch.until(lambda: watch.count(STRAP, "connected") == 2)
        assert await fake.notify(STRAP, HRM, [hr_payload(50 + i) for i in range(10)]) == 10
        await asyncio.sleep(0.3)
        await services.recorder.stop()
        return started.session_id

    session_id = asyncio.run(session())

    # Only the paired strap was ever connected.
    assert {e.address for e in watch.events} == {STRAP}
    with store.engine.connect() as conn:
        strap_id = conn.exec_driver_sql(
            "SELECT id FROM devices WHERE address = ?", (STRAP,)
        ).scalar()
        ids = [
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT device_id FROM samples WHERE session_id = ?", (session_id,)
            )
        ]
    assert len(ids) == 30 and set(ids) == {strap_id}  # every sample names its sensor
    labels = [label for kind, _, label in store.load_markers(session_id) if kind == "marker"]
    assert labels == ["sensor lost: Fake H10", "sensor back: Fake H10"]
    assert len(arrived) == 30
    info = store.get_session(session_id)
    assert info is not None and info.source == "ble" and info.status == "finished"
    strap = SensorService(store).remembered(me.id)[0]
    assert strap.battery_pct == 87  # battery reached the devices table from the GUI too
