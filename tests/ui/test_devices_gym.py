"""Devices (Bluetooth state, feeds with keyring tokens) and gym-set HR maths via the services."""

from __future__ import annotations

import asyncio

import pytest

from app.ui import viewmodels as vm
from app.ui.services import BLUETOOTH, Services
from device.simulator import SimulatedStrap

pytestmark = pytest.mark.gui

T0 = 1_764_000_000_000


def test_devices_screen_shows_the_machines_bluetooth_state(qtbot, window) -> None:
    from device.ble.manager import probe_bluetooth

    reason = asyncio.run(probe_bluetooth())
    devices = window.show_screen("devices")
    qtbot.waitUntil(lambda: devices.banner.text() != "Checking Bluetooth…", timeout=20_000)
    if reason:  # e.g. this CI box: no BlueZ / no adapter
        text = devices.banner.text()
        assert text.startswith("No Bluetooth on this computer (")  # why, said once
        assert "not available" not in text and text.endswith("the simulated strap.")
        assert not devices.scan_btn.isEnabled()
    else:
        assert devices.banner.text().startswith("Bluetooth is ready")
        assert devices.scan_btn.isEnabled()


def test_recording_from_bluetooth_without_it_fails_clearly(qtbot, window) -> None:
    from device.ble.manager import probe_bluetooth

    if asyncio.run(probe_bluetooth()) is None:
        pytest.skip("this machine has Bluetooth; the no-Bluetooth path cannot be shown here")
    dash = window.screen_named("dashboard")
    dash.source_box.setCurrentIndex(dash.source_box.findData(BLUETOOTH))
    assert window.services.source_mode == BLUETOOTH
    with qtbot.waitSignal(window.ctx.message, timeout=20_000) as msg:
        window.ctx.start()
    assert msg.args[0].startswith("Could not start: Bluetooth is not available")
    assert window.ctx.state == "idle" and window.services.recorder.recording is None


def test_remember_and_forget_a_sensor(qtbot, window) -> None:
    devices = window.show_screen("devices")
    athlete = window.ctx.athlete.id
    item = vm.DeviceItem("AA:BB:CC:DD:EE:FF", "Polar H10", "hr", -60, 90, False)
    window.services.devices.remember(athlete, item)
    devices.reload()
    qtbot.waitUntil(lambda: len(devices.remembered) == 1, timeout=15_000)
    assert devices.mem_table.item(0, 0).text() == "Polar H10"
    devices.mem_table.selectRow(0)
    devices._forget_selected()
    qtbot.waitUntil(lambda: devices.remembered == [], timeout=15_000)


def test_feed_token_goes_to_the_keyring_not_the_database(qtbot, window, store) -> None:
    import keyring

    devices = window.show_screen("devices")
    devices.feed_name.setText("club")
    devices.feed_url.setText("ws://127.0.0.1:9/feed")
    devices.feed_token.setText("s3cret-token")
    devices._add_feed()
    qtbot.waitUntil(lambda: len(devices.feed_items) == 1, timeout=15_000)
    assert devices.feed_table.item(0, 3).text() == "in keyring"
    assert keyring.get_password("pulsedeck", "feed:club") == "s3cret-token"
    dump = "\n".join(store.engine.raw_connection().iterdump())
    assert "s3cret-token" not in dump
    # A bad URL is refused with a message, not a crash.
    devices.feed_name.setText("bad")
    devices.feed_url.setText("http://example.org")
    devices.feed_token.setText("x")
    devices._add_feed()
    qtbot.waitUntil(lambda: devices.feed_status.text().startswith("Feed not added"), timeout=15_000)


def test_set_hr_and_recovery_from_stored_samples(store, data_dir) -> None:
    gym = Services.build(store, data_dir).gym
    me = store.default_athlete()
    sid = store.create_session(me.id, sport="gym", source="simulator", started_ms=T0)
    samples = list(SimulatedStrap(seed=4, start_ms=T0, realtime=False).generate(400))
    store.insert_samples(sid, samples)
    start, end = T0 + 120_000, T0 + 180_000  # the first hard interval
    row = gym.log_set(sid, me.id, "bench pres", 5, 80.0, 8.0, start, end)
    during = [s.hr for s in samples if start <= s.t_ms <= end]
    assert row.exercise == "Bench Press"  # resolved through the catalog despite the typo
    assert row.avg_hr == pytest.approx(sum(during) / len(during))
    assert row.max_hr == max(during)
    assert row.is_pr  # the first set of an exercise is a record
    later = gym.set_recovery(row.id)
    at_end = next(s.hr for s in reversed(samples) if s.t_ms <= end)
    after = next(s.hr for s in samples if s.t_ms >= end + 60_000)
    assert later is not None and later.hr_recovery == at_end - after
    reloaded = gym.sets(sid)  # what Gym and the session detail show after a reload
    assert [r.id for r in reloaded] == [row.id] and reloaded[0].is_pr  # the PR star stays


def test_gym_set_without_exercise_or_with_bad_rpe_is_refused(qtbot, window) -> None:
    gym = window.show_screen("gym")
    gym.exercise.setText("-")
    with qtbot.waitSignal(window.ctx.message, timeout=15_000) as msg:
        gym.set_done()
    assert msg.args[0] == "Pick an exercise first"
    with pytest.raises(ValueError, match="RPE"):
        window.services.gym.log_set(
            None, window.ctx.athlete.id, "Squat", 5, 100.0, 11.0, T0, T0 + 1
        )


def test_session_detail_shows_a_dropout_as_a_gap(store, data_dir) -> None:
    import numpy as np

    history = Services.build(store, data_dir).history
    me = store.default_athlete()
    sid = store.create_session(me.id, sport="run", source="simulator", started_ms=T0)
    samples = list(SimulatedStrap(seed=5, start_ms=T0, realtime=False).generate(300))
    store.insert_samples(sid, samples[:100] + samples[140:])  # 40 s without a signal
    store.add_marker(sid, "lap", T0 + 150_000)
    store.finish_session(sid, T0 + 300_000)
    d = history.detail(sid)
    assert np.isnan(d.channels["hr"]).sum() == 1
    assert np.isnan(d.channels["cadence"]).sum() == 1
    assert (np.diff(d.t) > 0).all()
    gap_at = float(d.t[np.isnan(d.channels["hr"])][0])
    assert 99 < gap_at < 140
    assert [lap.number for lap in d.laps] == [1, 2]
    assert d.laps[0].duration_s == 150 and d.laps[1].duration_s == 150
    assert d.rr_count and len(d.rr_ms) == d.rr_count
