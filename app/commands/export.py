"""`pulsedeck export ...`: daily CSV, one session (CSV/GPX/TCX/Parquet), XLSX, GDPR.

Exit codes follow app.cli: 0 ok, 1 failed, 2 usage, 3 storage, 4 not found (session or
athlete: never created here), 5 a recorder is running (delete-all).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from app.commands import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, UserError
from app.commands.common import CommandContext, command


@command
def cmd_daily(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.exports.daily import summary_rows, write_daily_csv

    athlete_id = None if args.athlete is None else ctx.athlete().id
    rows = summary_rows(ctx.store, athlete_id)
    path = write_daily_csv(rows, Path(args.output))
    print(f"{len(rows)} day(s) written to {path}")
    return EXIT_OK


@command
def cmd_session(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.exports.session import ExportError, export_session

    if ctx.store.get_session(args.id) is None:
        raise UserError(f"no session {args.id}", EXIT_NOT_FOUND)
    out = Path(args.output or f"session-{args.id}.{args.format}")
    try:
        export_session(ctx.store, args.id, args.format, out)
    except ExportError as exc:
        raise UserError(str(exc), EXIT_ERROR) from exc
    print(f"session {args.id} written to {out}")
    return EXIT_OK


@command
def cmd_xlsx(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.exports.workbook import write_workbook

    athlete_id = None if args.athlete is None else ctx.athlete().id
    sessions = ctx.store.list_sessions(athlete_id)
    path = write_workbook(ctx.store, sessions, Path(args.output))
    print(f"{len(sessions)} session(s) written to {path}")
    return EXIT_OK


@command
def cmd_all(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.exports.gdpr import export_all

    athlete = ctx.athlete()
    report = export_all(ctx.store, athlete.id, Path(args.output))
    print(f"everything about {athlete.name} written to {report.path}")
    print(json.dumps(report.rows))
    return EXIT_OK


@command
def cmd_delete_all(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Erase an athlete, but never under a running recorder (it would write into the void)."""
    from app.instance import InstanceLock

    with InstanceLock(ctx.data_dir):  # AlreadyRunning: exit 5
        return _delete_all(args, ctx)


def _delete_all(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.errors import SyncError
    from sync.exports.gdpr import delete_all, delete_lake_objects
    from sync.lake.config import LakeNotConfigured, resolve_config
    from sync.lake.s3 import LakeClient
    from sync.lake.schema import TABLES

    store = ctx.store
    athlete = ctx.athlete()
    if args.confirm != athlete.name:
        raise UserError(f"refusing: pass --confirm {athlete.name!r} to erase this athlete for good")
    lake_objects = 0
    if args.lake:
        with store.orm() as s:
            from app.store import models as m

            ref = s.get(m.Athlete, athlete.id).remote_ref  # type: ignore[union-attr]
        if ref:
            try:
                config = resolve_config(
                    store, bucket=args.bucket, prefix=args.prefix,
                    endpoint_url=args.endpoint_url, region=args.region,
                )  # fmt: skip
                lake_objects = delete_lake_objects(LakeClient(config), ref, TABLES)
            except LakeNotConfigured as exc:
                raise UserError(str(exc)) from exc
            except SyncError as exc:
                raise UserError(
                    f"lake objects not deleted, nothing erased locally: {exc}", EXIT_ERROR
                ) from exc
    report = delete_all(store, athlete.id)
    total = sum(report.rows.values())
    print(
        f"erased {athlete.name}: {total} row(s), {report.secrets_deleted} keyring entr(y/ies), "
        f"{lake_objects} lake object(s)"
    )
    if report.left_behind:
        print(f"pulsedeck: rows left behind: {report.left_behind}", file=sys.stderr)
        return EXIT_ERROR
    return EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `export daily|session|xlsx|all|delete-all` to the `pulsedeck` parser."""
    exp = sub.add_parser("export", help="export data (CSV, GPX, TCX, Parquet, XLSX, GDPR)")
    esub = exp.add_subparsers(dest="export_command", metavar="WHAT", required=True)

    d = esub.add_parser("daily", help="daily summary CSV (steps, distance, HR, kcal...)")
    d.add_argument("-o", "--output", required=True)
    d.add_argument("--athlete", help="only this athlete (default: all)")
    d.set_defaults(func=cmd_daily)

    s = esub.add_parser("session", help="one session as CSV, GPX, TCX or Parquet")
    s.add_argument("id", type=int)
    s.add_argument("--format", choices=["csv", "gpx", "tcx", "parquet"], default="csv")
    s.add_argument("-o", "--output", help="file (default: session-ID.FORMAT)")
    s.set_defaults(func=cmd_session)

    x = esub.add_parser("xlsx", help="workbook of sessions and strength sets")
    x.add_argument("-o", "--output", required=True)
    x.add_argument("--athlete", help="only this athlete (default: all)")
    x.set_defaults(func=cmd_xlsx)

    a = esub.add_parser("all", help="GDPR: everything about an athlete as one zip")
    a.add_argument("-o", "--output", required=True)
    a.add_argument("--athlete", help="athlete name (default: yourself)")
    a.set_defaults(func=cmd_all)

    r = esub.add_parser("delete-all", help="GDPR: erase an athlete (and their lake objects)")
    r.add_argument("--athlete", help="athlete name (default: yourself)")
    r.add_argument("--confirm", required=True, metavar="NAME", help="the athlete's name again")
    r.add_argument("--lake", action="store_true", help="also delete their objects in the lake")
    r.add_argument("--bucket")
    r.add_argument("--prefix")
    r.add_argument("--endpoint-url")
    r.add_argument("--region")
    r.set_defaults(func=cmd_delete_all)
