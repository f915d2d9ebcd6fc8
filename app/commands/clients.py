"""`pulsedeck clients [--json]`: the coach's roster, the same rows as the app's Roster screen.

Rows come from app.services.roster (load ratio, readiness, goals, last sync); this module only
parses flags and prints. Exit codes as app.cli: 0 ok (also with no clients: an empty table),
2 usage.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from datetime import UTC, date, datetime

from app.commands import EXIT_OK, UserError
from app.commands.common import CommandContext, clip, command
from app.domain.text import escape_controls


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def _json_value(value: object) -> object:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    return value


@command
def cmd_clients(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.services.roster import (
        filter_rows,
        goals_text,
        readiness_text,
        roster,
        sort_rows,
    )

    if args.inactive is not None and args.inactive < 0:
        raise UserError("--inactive takes a number of days (0 or more)")
    rows = roster(ctx.store, include_own=args.all)
    rows = filter_rows(rows, name=args.name, flagged=args.flagged, inactive_days=args.inactive)
    try:
        rows = sort_rows(rows, args.sort, descending=args.desc)
    except ValueError as exc:
        raise UserError(str(exc)) from exc
    if args.json:
        out = [{k: _json_value(v) for k, v in asdict(r).items()} for r in rows]
        print(json.dumps(out, indent=2))
        return EXIT_OK
    print(
        f"{'client':24} {'last session':16} {'days':>4} {'week':>6} {'4-wk':>6} {'ratio':>6}  "
        f"{'readiness':22} {'goals':>5}  last sync (UTC)"
    )
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}"
        flag = {"high": "!", "low": "v"}.get(r.load_flag or "", " ")
        ready = readiness_text(r)
        goals = goals_text(r)
        days = "-" if r.days_since is None else str(r.days_since)
        name = clip(escape_controls(r.name), 24)
        print(
            f"{name:24} {_when(r.last_session_ms):16} {days:>4} {r.acute:6.1f} "
            f"{r.chronic:6.1f} {ratio:>6}{flag} {clip(ready, 22):22} {goals:>5}  "
            f"{_when(r.last_sync_ms)}"
        )
    if not rows:
        print("(no clients: pull them with `pulsedeck lake pull --all-clients`)")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `clients` to the `pulsedeck` parser."""
    from app.services.roster import RATIO_HIGH, RATIO_LOW, SORTS

    p = sub.add_parser(
        "clients",
        help="coach: one row per client (last session, load ratio, readiness, goals, sync)",
        description=f"Load ratio = this week's mean daily TRIMP / the 4-week mean; flagged "
        f"'!' above {RATIO_HIGH}, 'v' below {RATIO_LOW}.",
    )
    p.add_argument("--sort", choices=list(SORTS), default="name", help="sort by (default: name)")
    p.add_argument("--desc", action="store_true", help="sort descending")
    p.add_argument("--name", help="only clients whose name contains this")
    p.add_argument("--flagged", action="store_true", help="only clients with a load/HRV flag")
    p.add_argument("--inactive", type=int, metavar="DAYS", help="only clients idle DAYS+ days")
    p.add_argument("--all", action="store_true", help="this machine's own athletes too")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_clients)
