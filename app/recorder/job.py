"""Run one recording to completion on a fresh asyncio loop (the CLI's `record`, the edge box).

Sources: the simulator (`--simulate`), the sensors named with `--device`, or else the sensors
remembered for the athlete. With no usable Bluetooth and no explicit `--device`, it records
from the simulator after a one-line notice. The lifecycle itself is RecordingController's.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.recorder.bluetooth import (
    BleSetup,
    BluetoothSensors,
    NoSensors,
    Notice,
    bluetooth_problem,
    sensor_specs,
)
from app.recorder.controller import RecordingController
from app.recorder.recording import Recording
from app.recorder.sources import simulated_strap
from app.sensors import SensorService
from app.store.repo import AthleteInfo, Store, resolve_athlete

if TYPE_CHECKING:
    from device.simulator import Route


@dataclass(frozen=True, slots=True)
class RecordOptions:
    athlete: str | None = None
    sport: str = "run"
    duration_s: float | None = None
    simulate: bool = True
    seed: int | None = None
    rate_hz: float = 1.0
    #: BLE addresses from --device; empty = remembered sensors (when not simulating).
    devices: tuple[str, ...] = ()
    #: The session's title (a child's name in it routes a Strava child copy).
    title: str | None = None
    #: Outdoors: the simulator follows this route (`--route FILE.gpx|loop`), with positions.
    route: Route | None = None


def _stderr(message: str) -> None:
    print(f"pulsedeck: {message}", file=sys.stderr, flush=True)


def _progress_line(rec: Recording, started: float) -> str:
    last = rec.last_sample
    hr = "-" if last is None or last.hr is None else str(last.hr)
    return f"\r{time.time() - started:6.0f} s  HR {hr:>3}  stored {rec.stats.stored:>6}"


def _install_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            pass


#: Without a terminal (a log file, journald) progress is one plain line this often.
PLAIN_PROGRESS_EVERY_S = 10.0


async def _wait(
    stop: asyncio.Event, duration_s: float | None, progress: bool, line: Callable[[], str]
) -> None:
    """Until `stop` is set or the duration has passed, showing progress as it goes.

    On a terminal the line is redrawn each second; elsewhere (a pipe, a log, journald) a
    plain line is written every PLAIN_PROGRESS_EVERY_S, so an edge box's log shows life too.
    """
    tty = sys.stderr.isatty()
    started = time.time()
    deadline = None if duration_s is None else started + duration_s
    last_plain = started
    try:
        while not stop.is_set():
            timeout = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.time()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await stop.wait()
            now = time.time()
            if progress and tty:
                print(line(), end="", file=sys.stderr, flush=True)
            elif progress and now - last_plain >= PLAIN_PROGRESS_EVERY_S:
                last_plain = now
                print(line().lstrip("\r").strip(), file=sys.stderr, flush=True)
            if deadline is not None and now >= deadline:
                break
    finally:
        if progress and tty:
            print(file=sys.stderr)


async def _connected_or_stopped(controller: RecordingController, stop: asyncio.Event) -> None:
    """Wait for the sensors' first connection tries unless the user stops first."""
    connecting = asyncio.ensure_future(controller.connected())
    stopper = asyncio.ensure_future(stop.wait())
    await asyncio.wait({connecting, stopper}, return_when=asyncio.FIRST_COMPLETED)
    stopper.cancel()
    if connecting.done():
        connecting.result()  # BluetoothUnavailable surfaces here
    else:
        connecting.cancel()


async def _bluetooth(
    store: Store, options: RecordOptions, athlete: AthleteInfo, ble: BleSetup, notice: Notice
) -> BluetoothSensors | None:
    """The sensors to record, or None (after a notice) when the simulator stands in."""
    from device.ble.manager import BluetoothUnavailable

    service = SensorService(store)
    try:
        specs = await asyncio.to_thread(sensor_specs, service, athlete.id, options.devices)
    except NoSensors:
        notice(
            "no remembered sensors (pair one with `pulsedeck record --device ADDRESS`): "
            "recording from the simulator instead"
        )
        return None
    problem = await bluetooth_problem(ble)
    if problem:
        if options.devices:
            raise BluetoothUnavailable(problem)
        notice(f"{problem} Recording from the simulator instead.")
        return None
    return BluetoothSensors(store, athlete.id, specs, ble=ble, notice=notice)


async def record(
    store: Store,
    options: RecordOptions,
    progress: bool = False,
    *,
    stop: asyncio.Event | None = None,
    ble: BleSetup | None = None,
    notice: Notice = _stderr,
) -> int:
    """Record until the duration elapses, `stop` is set, or SIGINT/SIGTERM; always save.

    The caller holds the data directory's lock (`recording_store`). Raises
    device.ble.manager.BluetoothUnavailable when --device was given on a machine without
    usable Bluetooth.
    """
    # SQLite never runs on the loop thread: BLE notifications must not wait for the disk.
    # Recording is the one command that creates the athlete it names.
    athlete = await asyncio.to_thread(resolve_athlete, store, options.athlete, create=True)
    if stop is None:
        stop = asyncio.Event()
        _install_signals(stop)
    sensors = None
    if not options.simulate:
        sensors = await _bluetooth(store, options, athlete, ble or BleSetup(), notice)
    sources = []
    if sensors is None:
        sources.append(
            simulated_strap(
                athlete, seed=options.seed, rate_hz=options.rate_hz, route=options.route
            )
        )
    controller = RecordingController(store)
    started = await controller.start(
        athlete, options.sport, sources, bluetooth=sensors, title=options.title
    )
    recording = controller.require()
    t0 = time.time()

    def line() -> str:
        text = _progress_line(recording, t0)
        if sensors is not None:
            text += f"  sensors {sensors.connected}/{len(sensors.specs)}"
        return text

    async def stop_on_failure() -> None:
        await recording.failed.wait()  # storage failed for good: stop now, stop() says why
        stop.set()

    watch = asyncio.ensure_future(stop_on_failure())
    try:
        if sensors is not None:
            await _connected_or_stopped(controller, stop)
        await _wait(stop, options.duration_s, progress, line)
    finally:
        watch.cancel()
        await controller.stop()
    if sensors is not None and sensors.unavailable:
        notice(sensors.unavailable)
    return started.session.id


def run_recording(store: Store, options: RecordOptions, progress: bool = False) -> int:
    """Blocking wrapper used by the CLI; returns the session id."""
    return asyncio.run(record(store, options, progress))
