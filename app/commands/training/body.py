"""`pulsedeck body`: record, list, edit and delete body metrics; a morning HRV reading."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from app.commands import EXIT_OK, UserError
from app.commands.common import CommandContext
from app.services.training_log import TrainingLogService
from app.training import body as body_mod
from app.training.daily import load_context

from .common import add_common, athlete, command, dump, editor, instant, iso, withdrawn, writer

_BODY_FLAGS = {
    "weight": "weight_kg",
    "fat": "body_fat_pct",
    "resting_hr": "resting_hr",
    "rmssd": "rmssd",
    "sdnn": "sdnn",
}


@command
def cmd_body_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = writer(ctx)
    at = instant(args.at, load_context(store, athlete_id).tz)
    given = {
        kind: getattr(args, flag)
        for flag, kind in _BODY_FLAGS.items()
        if getattr(args, flag) is not None
    }
    if not given:
        raise UserError("give at least one of --weight --fat --resting-hr --rmssd --sdnn")
    for kind, value in given.items():
        body_mod.check(kind, value)  # all or nothing
    added = [body_mod.add_metric(store, athlete_id, k, v, at) for k, v in given.items()]
    if args.json:
        dump([asdict(a) for a in added])
    else:
        for a in added:
            print(f"{a.kind} {a.value:g} recorded")
    return EXIT_OK


@command
def cmd_body_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = editor(ctx)
    tz = load_context(store, athlete_id).tz
    if args.value is None and args.at is None:
        raise UserError("give --value and/or --at")
    at = None if args.at is None else instant(args.at, tz)
    edit = TrainingLogService(store).edit_body(
        athlete_id, args.id, value=args.value, measured_ms=at
    )
    got = edit.entry
    print(f"body entry {got.id}: {got.kind} {got.value:g} at {iso(got.measured_ms, tz)}")
    withdrawn(edit.withdrawn)
    return EXIT_OK


@command
def cmd_body_delete(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = editor(ctx)
    gone = TrainingLogService(store).delete_body(athlete_id, args.id)
    print(f"body entry {args.id} deleted")
    withdrawn(gone)
    return EXIT_OK


@command
def cmd_body_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = athlete(ctx)
    if args.entries:
        tz = load_context(store, athlete_id).tz
        entries = body_mod.metrics(store, athlete_id, args.kind)
        if args.json:
            dump([{**asdict(e), "at": iso(e.measured_ms, tz)} for e in entries])
        for e in [] if args.json else entries:
            print(f"{e.id:>5} {iso(e.measured_ms, tz):25} {e.kind:13} {e.value:8g}  {e.source}")
        return EXIT_OK
    series = body_mod.trends(store, athlete_id)
    if args.kind:
        series = {k: v for k, v in series.items() if k == args.kind}
    if args.json:
        dump({k: [{**asdict(p), "drift": round(p.drift, 3)} for p in v] for k, v in series.items()})
        return EXIT_OK
    if not series:
        print("no body metrics yet: try `pulsedeck body add --weight 72.5`")
    for kind, points in series.items():
        print(f"{kind}:")
        for p in points[-args.last :]:
            print(
                f"  {p.day}  {p.value:7.1f}   7d {p.avg7:7.1f}   28d {p.avg28:7.1f}"
                f"   drift {p.drift:+.1f}"
            )
    return EXIT_OK


@command
def cmd_body_measure(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    reading = body_mod.measure_session(store, args.session, save=not args.dry_run)
    h = reading.hrv
    data = {
        "session_id": reading.session_id,
        "resting_hr": None if reading.resting_hr is None else round(reading.resting_hr, 1),
        "rmssd_ms": h.rmssd_ms,
        "sdnn_ms": h.sdnn_ms,
        "beats": h.beats,
        "missed": h.missed,
        "ectopic": h.ectopic,
        "out_of_range": h.out_of_range,
        "reliable": h.reliable,
        "stored": [m.kind for m in reading.stored],
    }
    if args.json:
        dump(data)
    else:
        for k, v in data.items():
            print(f"{k:14} {v if not isinstance(v, float) else round(v, 1)}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `body` and its actions to the `pulsedeck` parser."""
    b = sub.add_parser("body", help="body metrics and their trends")
    bsub = b.add_subparsers(dest="body_command", metavar="ACTION", required=True)
    ba = bsub.add_parser("add", help="record weight, body fat, resting HR or HRV")
    add_common(ba)
    ba.add_argument("--weight", type=float, help="kg")
    ba.add_argument("--fat", type=float, help="body fat %%")
    ba.add_argument("--resting-hr", type=float, help="bpm")
    ba.add_argument("--rmssd", type=float, help="ms")
    ba.add_argument("--sdnn", type=float, help="ms")
    ba.add_argument("--at", help="when (ISO date or date-time; default now)")
    ba.set_defaults(func=cmd_body_add)
    bl = bsub.add_parser("list", help="measurements with 7- and 28-day averages")
    add_common(bl)
    bl.add_argument("--kind", choices=list(body_mod.KINDS), help="only this measure")
    bl.add_argument("--last", type=int, default=14, help="days shown per kind (text output)")
    bl.add_argument("--entries", action="store_true", help="each measurement with its id")
    bl.set_defaults(func=cmd_body_list)
    be = bsub.add_parser("edit", help="correct a measurement (see body list --entries)")
    add_common(be, json_flag=False)
    be.add_argument("id", type=int, help="entry id (body list)")
    be.add_argument("--value", type=float, help="the corrected value")
    be.add_argument("--at", help="new time (ISO date or date-time)")
    be.set_defaults(func=cmd_body_edit)
    bd = bsub.add_parser("delete", help="delete a measurement")
    add_common(bd, json_flag=False)
    bd.add_argument("id", type=int, help="entry id (body list)")
    bd.set_defaults(func=cmd_body_delete)
    bm = bsub.add_parser("measure", help="resting HR and HRV from a quiet morning recording")
    add_common(bm)
    bm.add_argument("session", type=int, help="session id")
    bm.add_argument("--dry-run", action="store_true", help="report without storing")
    bm.set_defaults(func=cmd_body_measure)
