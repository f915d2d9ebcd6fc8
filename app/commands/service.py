"""`pulsedeck service install|status|logs|remove`: run Pulsedeck on an edge box under systemd.

Two units, each one process that systemd restarts when it fails:

- `pulsedeck-record.service`: `pulsedeck record --quiet` from the given BLE sensors (or the
  remembered ones, or the simulator) or `record --feed URL|NAME`;
- `pulsedeck-sync.service`: `pulsedeck sync run --forever` (Strava and the data lake).

Both log to journald (stdout and stderr), stop with SIGTERM (the recorder saves its session)
and read secrets from the headless encrypted-file keyring (docs/secrets.md): system units
get the key as the systemd credential `pulsedeck-keyring-key` (LoadCredential=), user units
through `PULSEDECK_KEYRING_KEY_FILE` (a 0600 file: no credential support needed in the user
manager). The key is created (32 random bytes, mode 0600) when missing.
`build_units` is pure, so the unit text is tested without systemd.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from app.commands import EXIT_OK, EXIT_USAGE, UserError
from app.commands.common import CommandContext, command
from app.paths import resolve_data_dir

RECORD_UNIT = "pulsedeck-record.service"
SYNC_UNIT = "pulsedeck-sync.service"
UNITS = (RECORD_UNIT, SYNC_UNIT)
CREDENTIAL = "pulsedeck-keyring-key"  # app.secret_backend reads $CREDENTIALS_DIRECTORY/this
BACKEND = "app.secret_backend.EncryptedFileKeyring"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")
SYSTEM_KEY = Path("/etc/pulsedeck/keyring.key")
SYSTEM_HOME = Path("/var/lib/pulsedeck")  # StateDirectory=pulsedeck
#: Seconds between a failure and the restart: long enough not to spin on a missing adapter or
#: a dead network, short enough to lose little of a session.
RESTART_SEC = 10
#: Seconds systemd waits after SIGTERM: the recorder flushes its last batch and closes the
#: session within a second or two, the sync worker finishes its current request.
STOP_TIMEOUT_SEC = 30


@dataclass(frozen=True)
class UnitPlan:
    """What `service install` writes: unit texts by name, where, and the key file."""

    user: bool
    unit_dir: Path
    key_file: Path
    units: dict[str, str]


def pulsedeck_command() -> list[str]:
    """How systemd starts this Pulsedeck: the bundle's binary, the venv's script, or -m."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve())]
    script = Path(sys.executable).parent / "pulsedeck"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "app.cli"]


def record_args(record: str | None, feed: str | None, athlete: str | None) -> list[str] | None:
    """The recorder's arguments: `--record A,B|remembered|simulate` or `--feed URL|NAME`."""
    if feed:
        return ["record", "--feed", feed]
    if not record:
        return None
    args = ["record", "--quiet"]
    if record == "simulate":
        args.append("--simulate")
    elif record != "remembered":
        for address in filter(None, (a.strip() for a in record.split(","))):
            args += ["--device", address]
    if athlete:
        args += ["--athlete", athlete]
    return args


def _quote(args: Sequence[str]) -> str:
    """An ExecStart= command line: systemd splits words like a shell, `%` must be doubled."""
    return " ".join(shlex.quote(a).replace("%", "%%") for a in args)


def build_units(
    *,
    user: bool,
    command: Sequence[str],
    record: list[str] | None,
    sync: bool,
    data_dir: Path,
    key_file: Path,
    service_user: str = "pulsedeck",
) -> dict[str, str]:
    """The unit files' text by name (pure: the tests read it without systemd)."""
    jobs = {RECORD_UNIT: record, SYNC_UNIT: ["sync", "run", "--forever"] if sync else None}
    what = {RECORD_UNIT: "recorder", SYNC_UNIT: "sync worker (Strava, data lake)"}
    ble = record is not None and "--feed" not in record and "--simulate" not in record
    units: dict[str, str] = {}
    for name, args in jobs.items():
        if args is None:
            continue
        bluetooth = ble and name == RECORD_UNIT
        lines = [
            "[Unit]",
            f"Description=Pulsedeck {what[name]}",
            "Wants=network-online.target",
            "After=network-online.target" + (" bluetooth.target" if bluetooth else ""),
            "StartLimitIntervalSec=0",  # never give up: a box by the track has no one to ask
            "",
            "[Service]",
            "Type=exec",
            f"ExecStart={_quote([*command, *args])}",
            "Restart=on-failure",
            f"RestartSec={RESTART_SEC}",
            f"TimeoutStopSec={STOP_TIMEOUT_SEC}",
            "KillSignal=SIGTERM",
            "StandardOutput=journal",
            "StandardError=journal",
            f"SyslogIdentifier={name.removesuffix('.service')}",
            "Environment=PYTHONUNBUFFERED=1",
            f"Environment={_env('PULSEDECK_HOME', data_dir)}",
            f"Environment={_env('PULSEDECK_KEYRING_FILE', data_dir / 'keyring.enc')}",
            f"Environment=PYTHON_KEYRING_BACKEND={BACKEND}",
        ]
        if user:
            lines.append(f"Environment={_env('PULSEDECK_KEYRING_KEY_FILE', key_file)}")
        else:
            lines += [
                f"User={service_user}",
                *(["SupplementaryGroups=bluetooth"] if bluetooth else []),  # BlueZ's D-Bus policy
                "StateDirectory=pulsedeck",
                "StateDirectoryMode=0700",
                f"LoadCredential={CREDENTIAL}:{key_file}",
                "NoNewPrivileges=yes",
                "ProtectSystem=strict",
                "ProtectHome=yes",
                "PrivateTmp=yes",
            ]
            if not data_dir.is_relative_to(SYSTEM_HOME):
                lines.append(f"ReadWritePaths={_quote([str(data_dir)])}")
        lines += ["", "[Install]", f"WantedBy={'default' if user else 'multi-user'}.target", ""]
        units[name] = "\n".join(lines)
    return units


def _env(name: str, value: Path | str) -> str:
    return shlex.quote(f"{name}={value}").replace("%", "%%")


def systemd_running() -> bool:
    """True when systemd is PID 1 (sd_booted's test); else units are written, not started."""
    return Path("/run/systemd/system").is_dir() and shutil.which("systemctl") is not None


def _plan(args: argparse.Namespace) -> UnitPlan:
    user = bool(args.user)
    needs_root = not (user or args.unit_dir or getattr(args, "print", False))
    if needs_root and hasattr(os, "geteuid") and os.geteuid() != 0:
        raise UserError("system units need root: run with sudo, or use --user")
    if user:
        config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        unit_dir = Path(args.unit_dir) if args.unit_dir else config / "systemd" / "user"
        key_file = Path(args.key_file) if args.key_file else config / "pulsedeck" / "keyring.key"
        data_dir = resolve_data_dir(args.data_dir)
    else:
        unit_dir = Path(args.unit_dir) if args.unit_dir else SYSTEM_UNIT_DIR
        key_file = Path(args.key_file) if args.key_file else SYSTEM_KEY
        data_dir = Path(args.data_dir) if args.data_dir else SYSTEM_HOME
    record = record_args(args.record, args.feed, args.athlete)
    if record is None and not args.sync:
        raise UserError("nothing to install: give --record SENSORS, --feed URL and/or --sync")
    units = build_units(
        user=user,
        command=pulsedeck_command(),
        record=record,
        sync=args.sync,
        data_dir=data_dir.absolute(),
        key_file=key_file.absolute(),
        service_user=args.service_user,
    )
    return UnitPlan(user=user, unit_dir=unit_dir, key_file=key_file, units=units)


def ensure_key(path: Path) -> bool:
    """Create the keyring key (32 random bytes, 0600) unless it exists; True if created."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(32))
    return True


def _ensure_service_user(name: str) -> None:
    """The system units' user (README: Running on an edge box), created when missing."""
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        home = str(SYSTEM_HOME)
        subprocess.run(
            ["useradd", "--system", "--home-dir", home, "--shell", "/usr/sbin/nologin", name],
            check=True,
        )
        print(f"created the system user {name}")


def _systemctl(user: bool, *args: str, check: bool = True) -> int:
    cmd = ["systemctl", *(["--user"] if user else []), *args]
    return subprocess.run(cmd, check=check).returncode


def _installed(args: argparse.Namespace) -> tuple[bool, list[str]]:
    """The Pulsedeck units present in the unit directory (user or system)."""
    user = bool(args.user)
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    default = config / "systemd" / "user" if user else SYSTEM_UNIT_DIR
    unit_dir = Path(args.unit_dir) if args.unit_dir else default
    return user, [name for name in UNITS if (unit_dir / name).is_file()]


@command
def cmd_install(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Write the units (and the key when missing), then enable and start them."""
    plan = _plan(args)
    if args.print:
        for name, text in plan.units.items():
            print(f"# {plan.unit_dir / name}\n{text}")
        return EXIT_OK
    try:
        created = ensure_key(plan.key_file)
        plan.unit_dir.mkdir(parents=True, exist_ok=True)
        for name, text in plan.units.items():
            (plan.unit_dir / name).write_text(text, encoding="utf-8")
    except PermissionError as exc:
        raise UserError(f"cannot write {exc.filename}: run with sudo, or use --user") from exc
    if not plan.user and not args.unit_dir:
        _ensure_service_user(args.service_user)
    if created:
        print(f"created the keyring key {plan.key_file} (back it up with keyring.enc)")
    for name in plan.units:
        print(f"wrote {plan.unit_dir / name}")
    if args.no_start or args.unit_dir:
        return EXIT_OK
    if not systemd_running():
        print("systemd is not running here: the units are written but not started")
        return EXIT_OK
    _systemctl(plan.user, "daemon-reload")
    _systemctl(plan.user, "enable", "--now", *plan.units)
    if plan.user:
        print("user units stop at logout unless lingering is on: sudo loginctl enable-linger $USER")
    return EXIT_OK


@command
def cmd_status(args: argparse.Namespace, ctx: CommandContext) -> int:
    """systemctl status of the installed units."""
    user, names = _installed(args)
    if not names:
        raise UserError("no Pulsedeck units installed (pulsedeck service install ...)", 4)
    if not systemd_running():
        raise UserError(f"systemd is not running here; installed: {', '.join(names)}")
    return _systemctl(user, "status", "--no-pager", *names, check=False)


@command
def cmd_logs(args: argparse.Namespace, ctx: CommandContext) -> int:
    """journalctl of the installed units (-f follows)."""
    user, names = _installed(args)
    if not names:
        raise UserError("no Pulsedeck units installed (pulsedeck service install ...)", 4)
    if shutil.which("journalctl") is None:
        raise UserError("journalctl is not available here")
    cmd = ["journalctl", *(["--user"] if user else []), "--no-pager", "-n", str(args.lines)]
    cmd += [*(["-f"] if args.follow else []), *(a for n in names for a in ("-u", n))]
    return subprocess.run(cmd, check=False).returncode


@command
def cmd_remove(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Stop, disable and delete the units; the data, the key and keyring.enc stay."""
    user, names = _installed(args)
    if not names:
        print("no Pulsedeck units installed")
        return EXIT_OK
    config = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    default = config / "systemd" / "user" if user else SYSTEM_UNIT_DIR
    unit_dir = Path(args.unit_dir) if args.unit_dir else default
    if systemd_running() and not args.unit_dir:
        _systemctl(user, "disable", "--now", *names, check=False)
    try:
        for name in names:
            (unit_dir / name).unlink()
            print(f"removed {unit_dir / name}")
    except PermissionError as exc:
        raise UserError(f"cannot remove {exc.filename}: run with sudo", EXIT_USAGE) from exc
    if systemd_running() and not args.unit_dir:
        _systemctl(user, "daemon-reload", check=False)
    print("kept the data, the keyring key and keyring.enc")
    return EXIT_OK


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", action="store_true", help="user units (systemctl --user)")
    p.add_argument("--unit-dir", help="unit directory (default: systemd's); nothing is started")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `service install|status|logs|remove` to the `pulsedeck` parser."""
    service = sub.add_parser("service", help="run the recorder and sync worker under systemd")
    ssub = service.add_subparsers(dest="service_command", metavar="ACTION", required=True)

    i = ssub.add_parser("install", help="write, enable and start the systemd units")
    _common(i)
    what = i.add_mutually_exclusive_group()
    what.add_argument(
        "--record",
        metavar="SENSORS",
        help="record from these BLE addresses (comma-separated), 'remembered' or 'simulate'",
    )
    what.add_argument("--feed", metavar="URL|NAME", help="record this trace feed (feeds add)")
    i.add_argument("--sync", action="store_true", help="also run the sync worker")
    i.add_argument("--athlete", help="record for this athlete (default: yourself)")
    i.add_argument("--key-file", help="keyring key (default /etc/pulsedeck/keyring.key)")
    i.add_argument("--service-user", default="pulsedeck", help="system units' user")
    i.add_argument("--no-start", action="store_true", help="write the units only")
    i.add_argument("--print", action="store_true", help="print the units, write nothing")
    i.set_defaults(func=cmd_install)

    s = ssub.add_parser("status", help="systemctl status of the units")
    _common(s)
    s.set_defaults(func=cmd_status)

    lg = ssub.add_parser("logs", help="the units' journal")
    _common(lg)
    lg.add_argument("-n", "--lines", type=int, default=100, help="how many lines (default: 100)")
    lg.add_argument("-f", "--follow", action="store_true", help="keep printing new lines")
    lg.set_defaults(func=cmd_logs)

    r = ssub.add_parser("remove", help="stop, disable and delete the units (data is kept)")
    _common(r)
    r.set_defaults(func=cmd_remove)
