"""Remembered sensors in SQLite, `devices list|forget|scan`, and `record` without Bluetooth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.sensors import SensorService
from app.store.repo import Store
from device.ble.manager import FoundSensor

HR = "AA:BB:CC:DD:EE:01"


def test_seen_remembered_forgotten(store: Store) -> None:
    service = SensorService(store)
    me = service.store.default_athlete()
    other = service.store.ensure_athlete("Coach client")
    seen_id = service.seen(me.id, FoundSensor(HR.lower(), "Strap", -60, "hr"))
    assert service.remembered(me.id) == []  # seen is not paired
    assert [s.address for s in service.remembered(me.id, include_unpaired=True)] == [HR]
    assert service.remember(me.id, HR) == seen_id  # same row, now paired
    service.update_status(seen_id, battery_pct=81, info={"model_number": "H10"})
    service.update_status(seen_id, info={"firmware_revision": "3.1"})
    (row,) = service.remembered(me.id)
    assert (row.name, row.kind, row.paired, row.battery_pct) == ("Strap", "hr", True, 81)
    assert row.info == {"model_number": "H10", "firmware_revision": "3.1"}
    assert service.remembered(other.id) == []  # per athlete
    assert service.forget(me.id, HR.lower())
    assert not service.forget(me.id, HR)
    assert service.remembered(me.id) == []
    # The row stays so samples already recorded keep their sensor identity.
    assert len(service.remembered(me.id, include_unpaired=True)) == 1


def test_devices_list_and_forget_cli(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = Store.open(data_dir)
    service = SensorService(store)
    me = service.store.default_athlete()
    service.remember(me.id, HR, "hr", "Polar H10")
    store.close()
    assert main(["devices", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(d["address"], d["kind"], d["name"], d["paired"]) for d in listed] == [
        (HR, "hr", "Polar H10", True)
    ]
    assert main(["devices", "list"]) == 0
    assert "Polar H10" in capsys.readouterr().out
    assert main(["devices", "forget", HR.lower()]) == 0
    assert main(["devices", "forget", HR]) == 4
    assert "no remembered sensor" in capsys.readouterr().err
    assert main(["devices", "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_devices_scan_without_a_bus_says_so_once(
    no_system_bus: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["devices", "scan", "--timeout", "0.5"]) == 6
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and "Bluetooth is not available on this machine" in lines[0]
    assert "Traceback" not in captured.err
    assert main(["devices", "scan", "--timeout", "0.5", "--json"]) == 6
    out = json.loads(capsys.readouterr().out)
    assert out["bluetooth"] is False and "not available" in out["error"]


def test_record_falls_back_to_the_simulator_without_bluetooth(
    no_system_bus: None, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store.open(data_dir)
    service = SensorService(store)
    service.remember(service.store.default_athlete().id, HR, "hr", "Polar H10")
    store.close()
    code = main(["record", "--duration", "1.2", "--rate", "10", "--seed", "1", "--json", "-q"])
    captured = capsys.readouterr()
    assert code == 0
    notices = [line for line in captured.err.splitlines() if line.strip()]
    assert len(notices) == 1
    assert "Bluetooth is not available on this machine" in notices[0]
    assert "Recording from the simulator instead." in notices[0]
    session = json.loads(captured.out)
    assert session["source"] == "simulator" and session["samples"] >= 5


def test_record_without_remembered_sensors_uses_the_simulator(
    no_system_bus: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["record", "--duration", "0.6", "--rate", "10", "--json", "-q"])
    captured = capsys.readouterr()
    assert code == 0
    assert "no remembered sensors" in captured.err
    assert json.loads(captured.out)["source"] == "simulator"


def test_record_device_without_bluetooth_is_a_clear_error(
    no_system_bus: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["record", "--device", HR, "--duration", "1", "-q"])
    captured = capsys.readouterr()
    assert code == 6
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("pulsedeck: Bluetooth is not available on this machine")
    assert captured.out == ""


def test_simulate_output_is_unchanged(
    no_system_bus: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["record", "--simulate", "--duration", "0.5", "--rate", "10", "--json", "-q"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    assert json.loads(captured.out)["source"] == "simulator"
    assert main(["record", "--simulate", "--device", HR]) == 2
