"""Run one recording to completion on a fresh asyncio loop (CLI and edge box).

Sources: the simulator (`--simulate`), the sensors named with `--device`, or else the sensors
remembered for the athlete. With no usable Bluetooth and no explicit `--device`, it records
from the simulator after a one-line notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.recorder import Recorder, Recording
from app.store.repo import AthleteInfo, Store

Notice = Callable[[str], None]

#: Upper bound for handing queued samples to the writer at stop; draining is in-memory work.
DRAIN_TIMEOUT_S = 10.0


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


@dataclass
class BleSetup:
    """How to reach Bluetooth; tests pass a short policy (the real bleak classes by default)."""

    client_cls: Any = None
    scanner_cls: Any = None
    policy: Any = None  # device.ble.backoff.ReconnectPolicy
    events: list[Any] = field(default_factory=list)  # every SensorEvent, for tests and the UI
    on_event: Callable[[Any], None] | None = None  # also told of every SensorEvent


def _stderr(message: str) -> None:
    print(f"pulsedeck: {message}", file=sys.stderr, flush=True)


def _progress_line(rec: Recording, started: float) -> str:
    last = rec.last_sample
    hr = "-" if last is None or last.hr is None else str(last.hr)
    return f"\r{time.time() - started:6.0f} s  HR {hr:>3}  stored {rec.stats.stored:>6}"


async def _bluetooth_problem(ble: BleSetup) -> str | None:
    """One sentence if this machine cannot do BLE (no bus, no adapter, off), else None."""
    from device.ble.manager import probe_bluetooth

    return await probe_bluetooth(ble.scanner_cls)


def _install_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            pass


async def _wait(
    stop: asyncio.Event,
    options: RecordOptions,
    recording: Recording,
    progress: bool,
    line: Callable[[], str],
) -> None:
    started = time.time()
    deadline = None if options.duration_s is None else started + options.duration_s
    try:
        while not stop.is_set():
            timeout = 1.0 if deadline is None else min(1.0, max(0.0, deadline - time.time()))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await stop.wait()
            if progress and sys.stderr.isatty():
                print(line(), end="", file=sys.stderr, flush=True)
            if deadline is not None and time.time() >= deadline:
                break
    finally:
        if progress and sys.stderr.isatty():
            print(file=sys.stderr)


async def _record_simulated(
    store: Store,
    options: RecordOptions,
    athlete: AthleteInfo,
    progress: bool,
    stop: asyncio.Event,
) -> int:
    from device.simulator import SimulatedStrap

    recording = await Recorder(store).start(athlete.id, sport=options.sport, source="simulator")
    strap = SimulatedStrap(
        seed=options.seed,
        rate_hz=options.rate_hz,
        resting_hr=athlete.profile.resting_hr or 60,
        max_hr=athlete.profile.max_hr or 185,
    )
    recording.attach(strap.samples(), name=strap.name)
    started = time.time()
    try:
        await _wait(stop, options, recording, progress, lambda: _progress_line(recording, started))
    finally:
        await recording.stop()
    return recording.session_id


async def _record_ble(
    store: Store,
    options: RecordOptions,
    athlete: AthleteInfo,
    specs: list[Any],
    progress: bool,
    stop: asyncio.Event,
    ble: BleSetup,
    notice: Notice,
) -> int:
    from app.sensors import SensorService
    from device.ble.manager import SensorEvent, SensorManager

    service = SensorService(store)
    device_ids: dict[str, int] = {}
    for spec in specs:
        device_ids[spec.address] = await asyncio.to_thread(
            service.remember, athlete.id, spec.address, spec.kind, spec.name
        )
    recording = await Recorder(store).start(athlete.id, sport=options.sport, source="ble")
    recording.device_ids.update(device_ids)
    pending: set[asyncio.Future[Any]] = set()
    seen_connected: set[str] = set()
    failing: set[str] = set()

    def in_background(func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        fut = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
        pending.add(fut)
        fut.add_done_callback(pending.discard)

    def on_event(event: SensorEvent) -> None:
        ble.events.append(event)
        if ble.on_event is not None:
            ble.on_event(event)
        label = event.name or event.address
        device_id = device_ids.get(event.address)
        if event.state == "connected":
            again = event.address in seen_connected
            failing.discard(event.address)
            seen_connected.add(event.address)
            notice(f"{label} ({event.kind}) {'reconnected' if again else 'connected'}")
            if again:
                in_background(
                    store.add_marker,
                    recording.session_id,
                    "marker",
                    event.t_ms,
                    f"sensor back: {label}",
                )
            if device_id is not None:
                in_background(service.update_status, device_id, name=event.name, kind=event.kind)
        elif event.state == "failed" and event.address not in failing:
            failing.add(event.address)  # said once until it connects again
            notice(f"{label}: {event.detail}")
        elif event.state == "disconnected":
            notice(f"{label} lost: reconnecting (the gap stays empty)")
            in_background(
                store.add_marker,
                recording.session_id,
                "marker",
                event.t_ms,
                f"sensor lost: {label}",
            )
        elif event.state == "battery" and device_id is not None:
            in_background(service.update_status, device_id, battery_pct=event.battery_pct)
        elif event.state == "info" and device_id is not None:
            in_background(service.update_status, device_id, info=event.info)

    manager = SensorManager(
        specs,
        client_cls=ble.client_cls,
        scanner_cls=ble.scanner_cls,
        policy=ble.policy,
        on_event=on_event,
    )
    recording.attach(manager.samples(), name="ble")
    started = time.time()

    def line() -> str:
        up = sum(1 for link in manager.links if link.connected)
        return _progress_line(recording, started) + f"  sensors {up}/{len(manager.links)}"

    try:
        start = asyncio.ensure_future(manager.start())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({start, stopper}, return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if start.done():
            start.result()  # BluetoothUnavailable surfaces here
        else:
            start.cancel()
        await _wait(stop, options, recording, progress, line)
    finally:
        await manager.stop()  # disconnect first: nothing arrives after this
        try:  # drain what is queued (a few ms of work even for thousands of samples)
            async with asyncio.timeout(DRAIN_TIMEOUT_S):
                await recording.wait_sources()
        except TimeoutError:
            notice("some sensor samples were still queued at stop and were not saved")
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        await recording.stop()
    if manager.unavailable:
        notice(manager.unavailable)
    return recording.session_id


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

    Raises device.ble.manager.BluetoothUnavailable when --device was given on a machine
    without usable Bluetooth.
    """
    # SQLite never runs on the loop thread: BLE notifications must not wait for the disk.
    if options.athlete:
        athlete = await asyncio.to_thread(store.ensure_athlete, options.athlete)
    else:
        athlete = await asyncio.to_thread(store.default_athlete)
    if stop is None:
        stop = asyncio.Event()
        _install_signals(stop)
    if options.simulate:
        return await _record_simulated(store, options, athlete, progress, stop)

    from app.sensors import SensorService
    from device.ble.manager import BluetoothUnavailable, SensorSpec

    ble = ble or BleSetup()
    service = SensorService(store)
    if options.devices:
        seen = await asyncio.to_thread(service.remembered, athlete.id, include_unpaired=True)
        known = {s.address: s for s in seen}
        specs = []
        for address in dict.fromkeys(a.strip().upper() for a in options.devices):
            row = known.get(address)
            specs.append(SensorSpec(address, row.kind if row else None, row.name if row else None))
    else:
        remembered = await asyncio.to_thread(service.remembered, athlete.id)
        specs = [SensorSpec(s.address, s.kind, s.name) for s in remembered]
        if not specs:
            notice(
                "no remembered sensors (pair one with `pulsedeck record --device ADDRESS`): "
                "recording from the simulator instead"
            )
            return await _record_simulated(store, options, athlete, progress, stop)
    problem = await _bluetooth_problem(ble)
    if problem:
        if options.devices:
            raise BluetoothUnavailable(problem)
        notice(f"{problem} Recording from the simulator instead.")
        return await _record_simulated(store, options, athlete, progress, stop)
    return await _record_ble(store, options, athlete, specs, progress, stop, ble, notice)


def run_recording(store: Store, options: RecordOptions, progress: bool = False) -> int:
    """Blocking wrapper used by the CLI; returns the session id."""
    return asyncio.run(record(store, options, progress))
