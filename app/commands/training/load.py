"""`pulsedeck zones|load|readiness`: the HR zone model, training load and HRV readiness."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import timedelta

from app.commands import EXIT_OK, UserError
from app.commands.common import CommandContext
from app.domain.calendar import local_date
from app.domain.validation import check_day_range
from app.store.repo import now_ms
from app.training.daily import DailyService, load_context, set_zone_model
from app.training.load import LoadService, athlete_load, set_thresholds
from app.training.readiness import ReadinessService
from app.training.zones import ZoneModel

from .common import add_common, athlete, command, dump, num, opt, parse_date, writer


@command
def cmd_zones(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    writes = args.model or args.ftp is not None or args.threshold_hr is not None
    athlete_id = writer(ctx) if writes else athlete(ctx)
    if args.model:
        floors = None
        if args.bounds:
            try:
                floors = [float(x) for x in args.bounds.split(",")]
            except ValueError as exc:
                raise UserError(f"--bounds must be five numbers: {args.bounds!r}") from exc
        set_zone_model(store, athlete_id, args.model, floors)
    thresholds = set_thresholds(store, athlete_id, args.ftp, args.threshold_hr)
    who = load_context(store, athlete_id)
    floors_bpm = [round(f, 1) for f in who.zones.floors_bpm]
    if args.json:
        dump({"model": who.zone_model, "floors_bpm": floors_bpm, **thresholds})
    else:
        print(f"zone model {who.zone_model}")
        for i, f in enumerate(floors_bpm, start=1):
            print(f"  Z{i} from {f:g} bpm")
        print(f"FTP {opt(thresholds['ftp_w'])} W, threshold HR {opt(thresholds['threshold_hr'])}")
    return EXIT_OK


@command
def cmd_load(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = athlete(ctx)
    who = load_context(store, athlete_id)
    last = args.to or local_date(now_ms(), who.tz)
    first = args.from_ or last - timedelta(days=27)
    check_day_range(first, last)
    points = athlete_load(DailyService(store), athlete_id, first, last)
    fitness = {f.point.day: f for f in LoadService(store).fitness(athlete_id, first, last)}
    rows = []
    for p in points:
        f = fitness[p.day]
        rows.append(
            {
                **asdict(p),
                "ratio": p.ratio,
                "load": round(f.point.load, 2),
                "methods": list(f.methods),
                "ctl": round(f.point.ctl, 2),
                "atl": round(f.point.atl, 2),
                "tsb": round(f.point.tsb, 2),
            }
        )
    if args.json:
        dump(rows)
        return EXIT_OK
    print(
        f"{'date':10} {'TRIMP':>6} {'acute':>6} {'chronic':>7} {'ratio':>5} "
        f"{'load':>6} {'CTL':>6} {'ATL':>6} {'TSB':>6}  method"
    )
    shown = [r for r in rows if r["trimp"] or r["load"]]
    for r in shown:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(
            f"{r['day']!s:10} {r['trimp']:6.1f} {r['acute']:6.1f} {r['chronic']:7.1f} "
            f"{ratio:>5} {r['load']:6.1f} {r['ctl']:6.1f} {r['atl']:6.1f} {r['tsb']:6.1f}  "
            f"{','.join(r['methods']) or '-'}"
        )
    empty = len(rows) - len(shown)
    if empty and rows:
        end = rows[-1]
        print(
            f"{empty} of {len(rows)} days without load not shown (--json lists every day); "
            f"on {end['day']}: CTL {end['ctl']:.1f}, ATL {end['atl']:.1f}, TSB {end['tsb']:.1f}"
        )
    return EXIT_OK


@command
def cmd_readiness(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = athlete(ctx)
    who = load_context(store, athlete_id)
    last = args.to or local_date(now_ms(), who.tz)
    first = args.from_ or last - timedelta(days=13)
    check_day_range(first, last)
    points = ReadinessService(store).series(athlete_id, first, last)
    rows = [
        {
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(p).items()},
            "resting_hr_delta": None
            if p.resting_hr_delta is None
            else round(p.resting_hr_delta, 2),
        }
        for p in points
    ]
    if args.json:
        dump(rows)
        return EXIT_OK
    print(f"{'date':10} {'RMSSD':>6} {'lnRMSSD':>7} {'7d':>6} {'band':>13} {'rHR':>5} {'drift':>6}")
    for p in points:
        band = "-" if p.band_low is None else f"{p.band_low:.2f}-{p.band_high:.2f}"
        drift = "-" if p.resting_hr_delta is None else f"{p.resting_hr_delta:+.1f}"
        print(
            f"{p.day!s:10} {opt(p.rmssd_ms):>6} {num(p.ln_rmssd, 2):>7} {num(p.mean7, 2):>6} "
            f"{band:>13} {opt(p.resting_hr):>5} {drift:>6}  {p.flag or ''}"
        )
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `zones`, `load` and `readiness` to the `pulsedeck` parser."""
    z = sub.add_parser("zones", help="show or set the HR zone model")
    add_common(z)
    z.add_argument("--model", choices=[m.value for m in ZoneModel], help="the zone model to use")
    z.add_argument("--bounds", help="custom: five lower bounds in bpm, e.g. 110,125,140,155,170")
    z.add_argument("--ftp", type=float, help="functional threshold power, W (power TSS in load)")
    z.add_argument("--threshold-hr", type=int, help="lactate threshold heart rate, bpm")
    z.set_defaults(func=cmd_zones)

    ld = sub.add_parser(
        "load",
        help="daily load, fitness (CTL), fatigue (ATL), form (TSB): the days with load "
        "and one line for the others (--json: every day)",
    )
    add_common(ld)
    ld.add_argument(
        "--from",
        dest="from_",
        metavar="DATE",
        type=parse_date,
        help="first day (default: 4 weeks back)",
    )
    ld.add_argument("--to", metavar="DATE", type=parse_date, help="last day (default: today)")
    ld.set_defaults(func=cmd_load)

    rd = sub.add_parser("readiness", help="HRV readiness: 7-day ln RMSSD against the 60-day band")
    add_common(rd)
    rd.add_argument(
        "--from",
        dest="from_",
        metavar="DATE",
        type=parse_date,
        help="first day (default: 2 weeks back)",
    )
    rd.add_argument("--to", metavar="DATE", type=parse_date, help="last day (default: today)")
    rd.set_defaults(func=cmd_readiness)
