"""`pulsedeck summary`: daily summaries in the athlete's time zone, as text, JSON or CSV."""

from __future__ import annotations

import argparse
import csv
import sys
from datetime import timedelta

from app.commands import EXIT_OK
from app.commands.common import CommandContext
from app.domain.calendar import local_date
from app.domain.days import KCAL_BASIS, DaySummary
from app.domain.validation import check_day_range
from app.store.repo import now_ms
from app.training.daily import DailyService, load_context

from .common import add_common, athlete, command, dump, opt, parse_date

SUMMARY_FIELDS = (
    "date",
    "steps",
    "distance_km",
    "active_min",
    "avg_hr",
    "max_hr",
    "kcal",
    "sessions",
    "trimp",
    "z1_min",
    "z2_min",
    "z3_min",
    "z4_min",
    "z5_min",
)


def summary_row(d: DaySummary) -> dict[str, object]:
    """The stable shape of one day in --json and --csv."""
    row: dict[str, object] = {
        "date": d.day.isoformat(),
        "steps": d.steps,
        "distance_km": round(d.distance_m / 1000, 3),
        "active_min": round(d.active_s / 60, 1),
        "avg_hr": None if d.avg_hr is None else round(d.avg_hr, 1),
        "max_hr": d.max_hr,
        "kcal": None if d.kcal is None else round(d.kcal, 1),
        "sessions": d.sessions,
        "trimp": round(d.trimp, 1),
    }
    for i, z in enumerate(d.zone_s, start=1):
        row[f"z{i}_min"] = round(z / 60, 1)
    return row


@command
def cmd_summary(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = athlete(ctx)
    who = load_context(store, athlete_id)
    today = local_date(now_ms(), who.tz)
    last = args.to or (args.from_ + timedelta(days=6) if args.from_ else today)
    first = args.from_ or last - timedelta(days=6)
    check_day_range(first, last)
    days = DailyService(store).days(athlete_id, first, last)
    rows = [summary_row(d) for d in days]
    if args.json:
        dump(
            {
                "athlete": who.name,
                "timezone": who.tz_name or str(who.tz),
                "kcal_basis": KCAL_BASIS,
                "days": [
                    {**r, "kcal_methods": list(d.kcal_methods)}
                    for r, d in zip(rows, days, strict=True)
                ],
            }
        )
    elif args.csv:
        w = csv.DictWriter(sys.stdout, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    else:
        print(f"{who.name} ({who.tz_name or who.tz}); kcal = {KCAL_BASIS}")
        print(
            f"{'date':10} {'steps':>7} {'km':>7} {'active':>7} {'avgHR':>5} {'maxHR':>5} "
            f"{'kcal':>6} {'sess':>4}  zones (min)"
        )
        for r in rows:
            zones = " ".join(f"{r[f'z{i}_min']:g}" for i in range(1, 6))
            print(
                f"{r['date']:10} {r['steps']:>7} {r['distance_km']:>7.2f} "
                f"{r['active_min']:>7.1f} {opt(r['avg_hr']):>5} {opt(r['max_hr']):>5} "
                f"{opt(r['kcal']):>6} {r['sessions']:>4}  {zones}"
            )
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `summary` to the `pulsedeck` parser."""
    p = sub.add_parser("summary", help="daily summaries in the athlete's time zone")
    add_common(p, json_flag=False)
    p.add_argument(
        "--from", dest="from_", metavar="DATE", type=parse_date, help="first day (YYYY-MM-DD)"
    )
    p.add_argument("--to", metavar="DATE", type=parse_date, help="last day (default: today)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print JSON")
    fmt.add_argument("--csv", action="store_true", help="print CSV")
    p.set_defaults(func=cmd_summary)
