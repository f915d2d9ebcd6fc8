"""`pulsedeck gatt decode` and `pulsedeck devices scan|list|forget`: BLE from the terminal.

Exit codes follow app.cli: 0 ok, 2 invalid input (bad UUID or payload), 4 unknown sensor or
athlete, 6 no Bluetooth here (one sentence says why). Only `scan` creates an athlete: yourself,
on first use; `list` and `forget` never do.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from app.commands import EXIT_NO_BLUETOOTH, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, UserError
from app.commands.common import CommandContext, command


def _print_fields(data: dict[str, Any]) -> None:
    width = max((len(k) for k in data), default=0)
    for key, value in data.items():
        if value is None:
            continue
        print(f"{key:<{width}}  {value}")


@command
def cmd_gatt_decode(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Decode one notification payload, optionally against the previous one."""
    from device.ble.decoders import GattDecodeError, UnknownCharacteristic
    from device.ble.describe import describe
    from device.ble.uuids import InvalidUuid

    try:
        out = describe(args.uuid, args.hex, args.previous, args.wheel_circumference)
    except (GattDecodeError, UnknownCharacteristic, InvalidUuid) as exc:
        reason = str(exc)
        if args.json:
            print(json.dumps({"error": reason}))
        else:
            print(f"pulsedeck: {reason}", file=sys.stderr)
        return EXIT_USAGE
    if args.json:
        print(json.dumps(out))
    else:
        _print_fields(out)
    return EXIT_OK


def _no_bluetooth(args: argparse.Namespace, message: str) -> int:
    if getattr(args, "json", False):
        print(json.dumps({"error": message, "bluetooth": False}))
    else:
        print(f"pulsedeck: {message}", file=sys.stderr)
    return EXIT_NO_BLUETOOTH


@command
def cmd_devices_scan(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Scan for heart-rate, RSC, CSC, power and fitness-machine sensors."""
    import asyncio

    from app.sensors import SensorService
    from device.ble.manager import BluetoothUnavailable, scan

    if args.timeout <= 0:
        raise UserError("--timeout must be positive")
    if args.athlete is not None:
        ctx.athlete()  # a mistyped name fails before the scan, not after it
    try:
        found = asyncio.run(scan(args.timeout))
    except BluetoothUnavailable as exc:
        return _no_bluetooth(args, str(exc))
    # Remembering what was seen is a write: yourself is created on first use, a name never.
    athlete = ctx.athlete(create=args.athlete is None)
    service = SensorService(ctx.store)
    for sensor in found:
        service.seen(athlete.id, sensor)
    if args.json:
        print(json.dumps([s.as_json() for s in found]))
        return EXIT_OK
    if not found:
        print("no sensors found: wake the sensor (wear the strap, spin the crank) and retry")
        return EXIT_OK
    print(f"{'address':20} {'kind':6} {'rssi':>5}  name")
    for s in found:
        rssi = "-" if s.rssi is None else str(s.rssi)
        print(f"{s.address:20} {s.kind:6} {rssi:>5}  {s.name or '-'}")
    return EXIT_OK


@command
def cmd_devices_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Sensors remembered for the athlete (used by `record` when no --device is given)."""
    from app.sensors import SensorService

    athlete = ctx.athlete()
    sensors = SensorService(ctx.store).remembered(athlete.id, include_unpaired=args.all)
    if args.json:
        print(json.dumps([s.as_json() for s in sensors]))
        return EXIT_OK
    if not sensors:
        print("no remembered sensors: `pulsedeck devices scan`, then `record --device ADDRESS`")
        return EXIT_OK
    print(f"{'address':20} {'kind':6} {'paired':6} {'battery':>7}  name")
    for s in sensors:
        battery = "-" if s.battery_pct is None else f"{s.battery_pct}%"
        paired = "yes" if s.paired else "no"
        print(f"{s.address:20} {s.kind:6} {paired:6} {battery:>7}  {s.name or '-'}")
    return EXIT_OK


@command
def cmd_devices_forget(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Stop reconnecting to a sensor automatically (its recorded samples are kept)."""
    from app.sensors import SensorService

    athlete = ctx.athlete()
    if not SensorService(ctx.store).forget(athlete.id, args.address):
        raise UserError(f"no remembered sensor {args.address}", EXIT_NOT_FOUND)
    print(f"forgot {args.address.upper()}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `gatt` and `devices` to the `pulsedeck` parser."""
    gatt = sub.add_parser("gatt", help="decode Bluetooth GATT payloads")
    gsub = gatt.add_subparsers(dest="gatt_command", metavar="ACTION", required=True)
    dec = gsub.add_parser("decode", help="decode one notification payload")
    dec.add_argument("uuid", help="characteristic: 2A37, 0x2A37 or the 128-bit UUID")
    dec.add_argument("hex", help="payload as hex, e.g. 163c1104")
    dec.add_argument("--previous", help="the previous notification (derives cadence/speed)")
    dec.add_argument(
        "--wheel-circumference",
        type=float,
        default=2.105,
        metavar="M",
        help="wheel circumference in metres for speed and distance (default 2.105)",
    )
    dec.add_argument("--json", action="store_true", help="print one JSON object")
    dec.set_defaults(func=cmd_gatt_decode)

    devices = sub.add_parser("devices", help="find, list and forget Bluetooth sensors")
    dsub = devices.add_subparsers(dest="devices_command", metavar="ACTION", required=True)
    scan_p = dsub.add_parser("scan", help="scan for sensors nearby")
    scan_p.add_argument("--timeout", type=float, default=5.0, help="seconds (default 5)")
    scan_p.add_argument("--athlete", help="remember them for this athlete (default: yourself)")
    scan_p.add_argument("--json", action="store_true", help="print JSON")
    scan_p.set_defaults(func=cmd_devices_scan)
    list_p = dsub.add_parser("list", help="sensors remembered for an athlete")
    list_p.add_argument("--athlete", help="athlete name (default: yourself)")
    list_p.add_argument("--all", action="store_true", help="also sensors only seen in scans")
    list_p.add_argument("--json", action="store_true", help="print JSON")
    list_p.set_defaults(func=cmd_devices_list)
    forget_p = dsub.add_parser("forget", help="stop reconnecting to a sensor")
    forget_p.add_argument("address", help="sensor address (devices list)")
    forget_p.add_argument("--athlete", help="athlete name (default: yourself)")
    forget_p.set_defaults(func=cmd_devices_forget)
