"""The `pulsedeck` command: a stable contract for scripts and edge boxes.

Exit codes: 0 ok, 1 unexpected error, 2 usage error, 3 storage problem (locked, full, corrupt,
newer schema), 4 not found, 5 another instance is recording, 6 no usable Bluetooth,
130 interrupted before start. Commands map errors to them through app.commands.common.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.commands import (
    EXIT_ERROR,
    EXIT_NO_BLUETOOTH,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    UserError,
    recording_store,
)
from app.commands.common import (
    EXIT_INTERRUPTED,
    CommandContext,
    clip,
    command,
    report_error,
    sport_help,
)
from app.commands.sessions import register_sessions
from app.domain.text import escape_controls
from app.paths import resolve_data_dir

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: imported lazily for a fast GUI start
    from app.store.repo import AthleteInfo, SessionInfo, Store


def _version() -> str:
    try:
        return version("pulsedeck")
    except PackageNotFoundError:
        return "0+unknown"


def iso(ms: int | None, tz_name: str | None = None) -> str | None:
    """ISO 8601 with offset in the session's zone (else the machine's local zone)."""
    if ms is None:
        return None
    dt = datetime.fromtimestamp(ms / 1000, UTC)
    tz = None
    if tz_name:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo(tz_name)
    return dt.astimezone(tz).isoformat(timespec="seconds")


def session_json(s: SessionInfo) -> dict[str, object]:
    """The stable JSON shape of a session (keys are a public contract)."""
    data = asdict(s)
    data["started_at"] = iso(s.started_ms, s.timezone)
    data["ended_at"] = iso(s.ended_ms, s.timezone)
    data["zone_s"] = list(s.zone_s)
    return data


def _fmt(value: float | None, spec: str = ".0f", unit: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{unit}"


def _hms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def format_summary(s: SessionInfo) -> str:
    """Human-readable session summary for the terminal."""
    zones = " ".join(f"Z{i}:{_hms(z)}" for i, z in enumerate(s.zone_s, start=1))
    lines = [
        f"Session {s.id} ({s.status}) {escape_controls(s.athlete)} - {escape_controls(s.sport)}"
        f" - {iso(s.started_ms, s.timezone)}",
        f"  duration {_hms(s.duration_s)}  moving {_hms(s.moving_s)}  samples {s.samples}",
        f"  HR avg {_fmt(s.avg_hr)} max {_fmt(s.max_hr)} bpm   TRIMP {_fmt(s.trimp, '.1f')}",
        f"  zones {zones}",
        f"  kcal {_fmt(s.kcal)} ({s.kcal_method or '-'})   cadence avg {_fmt(s.avg_cadence)}/min"
        f"   distance {_fmt(None if s.distance_m is None else s.distance_m / 1000, '.2f', ' km')}",
        f"  RR intervals {s.rr_count or 0}   RMSSD {_fmt(s.rmssd_ms, '.1f', ' ms')}",
    ]
    if s.kcal_method == "none":
        lines.append(
            "  (kcal needs at least a body weight: pulsedeck athlete set --weight KG"
            " --birth-year Y --sex male|female)"
        )
    if s.avg_hr is not None and not any(s.zone_s):
        lines.append(
            "  (all the time was below zone 1: zones follow your profile; set it with"
            " pulsedeck athlete set --resting-hr BPM --max-hr BPM, or --birth-year Y)"
        )
    return "\n".join(lines)


# Commands --------------------------------------------------------------------------------


@command
def cmd_record(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Record from the simulator, the given BLE sensors, or the remembered ones."""
    from app.recorder.controller import RecordingError
    from app.recorder.job import RecordOptions, run_recording
    from device.ble.manager import BluetoothUnavailable

    if args.duration is not None and args.duration <= 0:
        raise UserError("--duration must be positive")
    if args.readiness:  # a morning HRV reading at rest: its own kind of session (sport)
        from app.domain.readiness import READINESS_SPORT

        if args.feed or not 120 <= (args.duration or 180) <= 300:
            raise UserError("--readiness records 120-300 s at rest from a strap (default 180)")
        args.sport, args.duration = READINESS_SPORT, args.duration or 180.0
    if not 0 < args.rate <= 1000:  # checked before a session exists: no phantom session
        raise UserError("--rate must be between 0 and 1000 samples per second")
    if args.simulate and args.device:
        raise UserError("use either --simulate or --device, not both")
    route = None
    if args.route is not None:  # read before a session exists: a bad file leaves none
        from device.simulator import RouteError, RouteNotFound, route_from_option

        if not args.simulate:
            raise UserError("--route is for the simulator: add --simulate")
        try:
            route = route_from_option(args.route)
        except RouteNotFound as exc:
            raise UserError(f"--route: {exc}", EXIT_NOT_FOUND) from None
        except RouteError as exc:
            raise UserError(f"--route: {exc}") from None
    if args.feed:  # the same job as `pulsedeck feeds record`, which owns the feed options
        if args.simulate or args.device:
            raise UserError("use --feed on its own, without --simulate or --device")
        argv = ["--data-dir", str(resolve_data_dir(args.data_dir)), "feeds", "record", args.feed]
        argv += ["--token", args.token] if args.token else []
        argv += ["--token-file", args.token_file] if args.token_file else []
        argv += ["--fingerprint", args.fingerprint] if args.fingerprint else []
        argv += ["--duration", str(args.duration)] if args.duration else []
        argv += ["--json"] if args.json else []
        return main(argv)
    options = RecordOptions(
        athlete=args.athlete,
        sport=args.sport,
        duration_s=args.duration,
        simulate=args.simulate,
        seed=args.seed,
        rate_hz=args.rate,
        devices=tuple(args.device or ()),
        title=args.title,
        route=route,
    )
    with recording_store(resolve_data_dir(args.data_dir)) as store:
        try:
            session_id = run_recording(store, options, progress=not args.quiet)
        except BluetoothUnavailable as exc:
            raise UserError(str(exc), EXIT_NO_BLUETOOTH) from exc
        except RecordingError as exc:  # e.g. an imported client is read-only
            raise UserError(str(exc)) from exc
        info = store.get_session(session_id)
        assert info is not None
        print(json.dumps(session_json(info)) if args.json else format_summary(info))
        _report_goals(store, info.athlete_id)
    return EXIT_OK


def _report_goals(store: Store, athlete_id: int) -> None:
    """After a recording, record goals it completed (once per period) and say so on stderr."""
    from app.training.goals import GoalEngine

    engine = GoalEngine(store)
    achieved = engine.evaluate(athlete_id)
    goals = {g.id: g for g in engine.goals(athlete_id)}
    for a in achieved:
        goal = goals.get(a.goal_id)
        print(f"goal reached: {goal.describe() if goal else a.goal_id}", file=sys.stderr)
    engine.mark_notified([a.id for a in achieved])


@command(recover=True)
def cmd_sessions_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    athlete_id = ctx.athlete().id if args.athlete else None
    sessions = ctx.store.list_sessions(athlete_id)
    if args.json:
        print(json.dumps([session_json(s) for s in sessions], indent=2))
        return EXIT_OK
    if not sessions:
        print("no sessions yet: try `pulsedeck record --simulate --duration 60`")
        return EXIT_OK
    print(
        f"{'id':>5}  {'started':25}  {'athlete':12} {'sport':8} {'status':10} "
        f"{'duration':>8} {'avg':>4} {'max':>4} {'kcal':>5}"
    )
    for s in sessions:
        athlete, sport = clip(escape_controls(s.athlete), 12), clip(escape_controls(s.sport), 8)
        print(
            f"{s.id:>5}  {iso(s.started_ms, s.timezone):25}  {athlete:12} {sport:8} "
            f"{s.status:10} {_hms(s.duration_s):>8} {_fmt(s.avg_hr):>4} "
            f"{_fmt(s.max_hr):>4} {_fmt(s.kcal):>5}"
        )
    return EXIT_OK


@command(recover=True)
def cmd_sessions_show(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    info = store.get_session(args.id)
    if info is None:
        raise UserError(f"no session {args.id}", EXIT_NOT_FOUND)
    if args.json:
        data = session_json(info)
        data["markers"] = [
            {"kind": k, "at": iso(t, info.timezone), "label": label}
            for k, t, label in store.load_markers(info.id)
        ]
        print(json.dumps(data, indent=2))
    else:
        print(format_summary(info))
    return EXIT_OK


@command(recover=True)
def cmd_athlete_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.domain.profile import Profile, validate_profile
    from app.domain.validation import InvalidInput
    from app.store.repo import ReadOnlyAthlete, resolve_athlete

    fields = {
        k: v
        for k, v in {
            "birth_year": args.birth_year,
            "sex": args.sex,
            "weight_kg": args.weight,
            "resting_hr": args.resting_hr,
            "max_hr": args.max_hr,
            "timezone": args.timezone,
        }.items()
        if v is not None
    }
    store = ctx.store
    try:  # checked once for the CLI and the GUI: app.domain.profile.validate_profile
        validate_profile(Profile(), fields, year=datetime.now(UTC).year)  # before creating
        # No NAME: yourself (the self flag), created as "Me"; imported clients are read-only.
        athlete = resolve_athlete(store, args.name, create=True, write=True)
        info = store.update_profile(athlete.id, **fields) if fields else athlete
    except (InvalidInput, ReadOnlyAthlete) as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        print(json.dumps({"id": info.id, "name": info.name, **asdict(info.profile)}, default=str))
    else:
        print(profile_line(info))
    return EXIT_OK


def profile_line(info: AthleteInfo) -> str:
    """`Ann (id 3): born 1990, female, 60 kg, resting HR 50, max HR 190 bpm, Europe/Paris`."""
    p = info.profile
    parts = [
        f"born {p.birth_year}" if p.birth_year is not None else "",
        str(p.sex) if p.sex is not None else "",
        f"{p.weight_kg:g} kg" if p.weight_kg is not None else "",
        f"resting HR {p.resting_hr} bpm" if p.resting_hr is not None else "",
        f"max HR {p.max_hr} bpm" if p.max_hr is not None else "",
        info.timezone or "",
    ]
    known = ", ".join(x for x in parts if x) or "no profile details yet"
    return f"{escape_controls(info.name)} (id {info.id}): {known}"


def athlete_json(a: AthleteInfo) -> dict[str, object]:
    """The stable JSON shape of an athlete in `athlete list --json` (keys are a contract)."""
    return {
        "id": a.id,
        "name": a.name,
        "role": "self" if a.is_self else "client",
        "read_only": a.read_only,
    }


@command
def cmd_athlete_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Every athlete: the local self and the clients (read-only ones are pulled from a lake)."""
    athletes = ctx.store.list_athletes()
    if args.json:
        print(json.dumps([athlete_json(a) for a in athletes], indent=2))
        return EXIT_OK
    if not athletes:
        print("no athletes yet: `pulsedeck athlete set NAME` or a recording creates one")
        return EXIT_OK
    print(f"{'id':>5}  {'role':6} {'access':10} name")
    for a in athletes:
        role = "self" if a.is_self else "client"
        access = "read-only" if a.read_only else "read-write"
        print(f"{a.id:>5}  {role:6} {access:10} {escape_controls(a.name)}")
    return EXIT_OK


@command
def cmd_gui(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Open the desktop app, or explain why it cannot open here."""
    if not _gui_available():
        raise UserError(GUI_MISSING, EXIT_USAGE)
    try:
        from app.ui.main import run_gui
    except ImportError as exc:
        raise UserError(f"the desktop app is not available: {exc}", EXIT_ERROR) from exc
    return int(run_gui(resolve_data_dir(args.data_dir)))


# Parser ----------------------------------------------------------------------------------

#: Extra subcommands contributed by feature modules: (module, function) that registers them.
EXTENSIONS: list[tuple[str, str]] = [
    ("app.commands.devices", "register"),
    ("app.commands.feeds", "register"),
    ("app.commands.strava", "register"),
    ("app.commands.lake", "register"),
    ("app.commands.clients", "register"),  # the coach's roster
    ("app.commands.export", "register"),
    ("app.commands.imports", "register"),
    ("app.commands.training", "register"),
    ("app.commands.analysis", "register"),  # hrv, power, trends
    ("app.commands.service", "register"),
    ("app.ui.screenshot", "register"),  # imports Qt only when the command runs
]


def build_parser(extensions: bool = True) -> argparse.ArgumentParser:
    """The full parser; without `extensions` only the core (fast start of the GUI)."""
    parser = argparse.ArgumentParser(prog="pulsedeck", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"pulsedeck {_version()}")
    parser.add_argument("--data-dir", help="data directory (default: $PULSEDECK_HOME or user dir)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check this installation offline (database, simulator, GUI, GPX, Parquet) and exit",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    rec = sub.add_parser("record", help="record a session and print its summary")
    rec.add_argument("--simulate", action="store_true", help="use the simulated strap")
    rec.add_argument(
        "--device",
        action="append",
        metavar="ADDRESS",
        help="record from this BLE sensor (repeat for several); default: remembered sensors",
    )
    rec.add_argument("--duration", type=float, help="seconds to record (default: until Ctrl+C)")
    rec.add_argument("--seed", type=int, help="seed for the simulator (deterministic)")
    rec.add_argument("--athlete", help="athlete name (default: yourself)")
    rec.add_argument("--sport", default="run", help=sport_help("run"))
    rec.add_argument(
        "--readiness", action="store_true", help="a 2-5 min HRV reading at rest (readiness)"
    )
    rec.add_argument(
        "--title", help="session title (a linked child's name in it sends them a Strava copy)"
    )
    rec.add_argument("--rate", type=float, default=1.0, help="simulator samples per second")
    rec.add_argument(
        "--route",
        metavar="FILE.gpx|loop",
        help="with --simulate: run outdoors along a GPX track or route (or the built-in loop)",
    )
    rec.add_argument("--json", action="store_true", help="print the summary as JSON")
    rec.add_argument("-q", "--quiet", action="store_true", help="no live progress line")
    rec.add_argument("--feed", metavar="URL|NAME", help="record a websocket trace feed instead")
    rec.add_argument(
        "--token", help="the feed's token (with --feed; visible in `ps`: prefer --token-file)"
    )
    rec.add_argument("--token-file", help="read the feed's token from this file (- = stdin)")
    rec.add_argument(
        "--fingerprint", help="the feed's TLS certificate SHA-256 (pinned; with --feed wss://)"
    )
    rec.set_defaults(func=cmd_record)

    sessions = sub.add_parser("sessions", help="list, show and edit recorded sessions")
    ssub = sessions.add_subparsers(dest="sessions_command", metavar="ACTION", required=True)
    sl = ssub.add_parser("list", help="list sessions, newest first")
    sl.add_argument("--athlete", help="only this athlete")
    sl.add_argument("--json", action="store_true", help="print JSON")
    sl.set_defaults(func=cmd_sessions_list)
    ss = ssub.add_parser("show", help="show one session")
    ss.add_argument("id", type=int, help="session id (sessions list)")
    ss.add_argument("--json", action="store_true", help="print JSON")
    ss.set_defaults(func=cmd_sessions_show)
    register_sessions(ssub)  # rename, set, delete

    athlete = sub.add_parser("athlete", help="athlete profiles")
    asub = athlete.add_subparsers(dest="athlete_command", metavar="ACTION", required=True)
    aset = asub.add_parser("set", help="create or update an athlete's profile")
    aset.add_argument("name", nargs="?", help="athlete name (default: yourself, created as Me)")
    aset.add_argument("--birth-year", type=int, metavar="YEAR", help="year of birth")
    aset.add_argument("--sex", choices=["male", "female"], help="for kcal and zones")
    aset.add_argument("--weight", type=float, help="kg")
    aset.add_argument("--resting-hr", type=int, metavar="BPM", help="resting heart rate")
    aset.add_argument("--max-hr", type=int, metavar="BPM", help="maximum heart rate")
    aset.add_argument("--timezone", help="IANA zone, e.g. Europe/Paris")
    aset.add_argument("--json", action="store_true", help="print the profile as JSON")
    aset.set_defaults(func=cmd_athlete_set)
    alist = asub.add_parser("list", help="every athlete: id, self or client, read-only or not")
    alist.add_argument("--json", action="store_true", help="print JSON")
    alist.set_defaults(func=cmd_athlete_list)

    for module_name, func_name in EXTENSIONS if extensions else ():
        module = __import__(module_name, fromlist=[func_name])
        register: Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None] = getattr(
            module, func_name
        )
        register(sub)
    return parser


def run() -> None:
    """Console-script entry: `pulsedeck ... | head` ends quietly, then exit with main's code."""
    if hasattr(signal, "SIGPIPE"):  # process-wide, so only here and never inside main()
        signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    try:
        code = main()
    except KeyboardInterrupt:  # between loading and a command's own handling: no traceback
        code = EXIT_INTERRUPTED
    sys.exit(code)


def _global_options_first(argv: Sequence[str]) -> list[str]:
    """Accept `--data-dir DIR` anywhere (`pulsedeck sessions list --data-dir X` too)."""
    front: list[str] = []
    rest: list[str] = []
    items = list(argv)
    i = 0
    while i < len(items):
        arg = items[i]
        if arg == "--data-dir" and i + 1 < len(items):
            front += items[i : i + 2]
            i += 2
            continue
        (front if arg.startswith("--data-dir=") else rest).append(arg)
        i += 1
    return front + rest


def _needs_extensions(argv: Sequence[str]) -> bool:
    """False for a bare `pulsedeck [--data-dir D]` (opens the GUI): skip importing commands."""
    rest = list(argv)
    if rest[:1] == ["--data-dir"]:
        rest = rest[2:]
    return any(not a.startswith("--data-dir=") and a not in ("-v", "--verbose") for a in rest)


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _global_options_first(sys.argv[1:] if argv is None else argv)
    parser = build_parser(extensions=_needs_extensions(arguments))
    args = parser.parse_args(arguments)
    from app.domain.text import EscapingFormatter  # every log line: controls escaped

    log_handler = logging.StreamHandler()
    log_handler.setFormatter(EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING, handlers=[log_handler]
    )
    func = getattr(args, "func", None)
    if args.self_test:
        from app.selftest import run_self_test

        return run_self_test()
    if func is None:
        func = cmd_gui  # a headless install (no PySide6) says how to get the app: exit 2
    try:
        return int(func(args))
    except (Exception, KeyboardInterrupt) as exc:  # commands not yet using @command
        return report_error(exc)


#: `pulsedeck` with no command where the desktop extra is not installed (an edge box).
GUI_MISSING = (
    "the desktop app is not installed here (a headless install: record, sessions, sync, lake "
    "and the other commands work; see `pulsedeck --help`). To add it: "
    "pip install 'pulsedeck[desktop]' (PySide6 and pyqtgraph), or use the desktop bundle"
)


def _gui_available() -> bool:
    """True when PySide6 (the desktop extra) and app.ui are installed."""
    import importlib.util

    return (
        importlib.util.find_spec("PySide6") is not None
        and importlib.util.find_spec("app.ui.main") is not None
    )


if __name__ == "__main__":
    run()
