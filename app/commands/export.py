"""`pulsedeck export ...`: daily CSV, one session (CSV/GPX/TCX/Parquet), XLSX, GDPR.

Exit codes follow app.cli: 0 ok, 1 failed, 2 usage (also a refused target: not a regular
file, a symbolic link, an existing file without --force, a missing directory, a format the
file name contradicts), 3 storage (also a file that cannot be written: full disk,
permissions), 4 not found (session or athlete: never created here), 5 a recorder is running
(delete-all). `-o DIR` writes the default file name inside DIR.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from app.commands import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, EXIT_STORE, UserError
from app.commands.common import CommandContext, command

#: What `export session --format` offers (a one-session workbook too).
SESSION_FORMATS = ("csv", "gpx", "tcx", "parquet", "xlsx", "fit")


def _target(output: str | None, default_name: str, fmt: str, force: bool) -> Path:
    """The file to write: `output` (a directory: `default_name` in it), checked, or exit 2."""
    from sync.exports.common import TargetRefused, export_target, format_of

    path = Path(output) if output else Path(default_name)
    try:
        if not path.is_dir():
            format_of(path, fmt, (fmt,))  # `export xlsx -o days.csv` is refused
        return export_target(path, default_name, force=force)
    except TargetRefused as exc:
        raise UserError(str(exc)) from exc


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A target refused at the last moment is exit 2; a file that cannot be written exit 3."""
    from sync.exports.common import TargetRefused

    try:
        yield
    except TargetRefused as exc:
        raise UserError(str(exc)) from exc
    except OSError as exc:
        raise UserError(f"cannot write {str(path)!r}: {exc.strerror or exc}", EXIT_STORE) from exc


@command
def cmd_daily(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.exports.daily import summary_rows, write_daily_csv

    out = _target(args.output, "pulsedeck-daily.csv", "csv", args.force)
    athlete_id = None if args.athlete is None else ctx.athlete().id
    rows = summary_rows(ctx.store, athlete_id)
    with _writing(out):
        path = write_daily_csv(rows, out, force=args.force)
    print(f"{len(rows)} day(s) written to {path}")
    return EXIT_OK


def _session_target(args: argparse.Namespace) -> tuple[str, Path]:
    """The format (--format, else the file's extension, else CSV) and the file to write."""
    from sync.exports.common import TargetRefused, format_of

    fmt = args.format
    if args.output and not Path(args.output).is_dir():
        try:
            fmt = format_of(Path(args.output), args.format, SESSION_FORMATS)
        except TargetRefused as exc:
            raise UserError(str(exc)) from exc
    fmt = fmt or "csv"
    return fmt, _target(args.output, f"session-{args.id}.{fmt}", fmt, args.force)


@command
def cmd_session(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.exports.session import ExportError, export_session

    if ctx.store.get_session(args.id) is None:
        raise UserError(f"no session {args.id}", EXIT_NOT_FOUND)
    fmt, out = _session_target(args)
    notes: list[str] = []
    try:
        with _writing(out):
            export_session(ctx.store, args.id, fmt, out, force=args.force, on_note=notes.append)
    except ExportError as exc:
        raise UserError(str(exc), EXIT_ERROR) from exc
    print(f"session {args.id} written to {out}")
    for note in notes:  # what the format could not hold: said, not silently dropped
        print(f"note: {note}", file=sys.stderr)
    return EXIT_OK


@command
def cmd_xlsx(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.exports.workbook import write_workbook

    out = _target(args.output, "pulsedeck.xlsx", "xlsx", args.force)
    athlete_id = None if args.athlete is None else ctx.athlete().id
    sessions = ctx.store.list_sessions(athlete_id)
    with _writing(out):
        path = write_workbook(ctx.store, sessions, out, force=args.force)
    print(f"{len(sessions)} session(s) written to {path}")
    return EXIT_OK


@command
def cmd_all(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.commands.progress import terminal_progress
    from sync.exports.gdpr import export_all

    athlete = ctx.athlete()
    out = _target(args.output, f"pulsedeck-athlete-{athlete.id}.zip", "zip", args.force)
    with _writing(out), terminal_progress("export", "rows") as bar:
        report = export_all(ctx.store, athlete.id, out, force=args.force, progress=bar)
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `export daily|session|xlsx|all|delete-all` to the `pulsedeck` parser."""
    exp = sub.add_parser("export", help="export data (CSV, GPX, TCX, Parquet, XLSX, GDPR)")
    esub = exp.add_subparsers(dest="export_command", metavar="WHAT", required=True)

    def output(p: argparse.ArgumentParser, default: str, required: bool = True) -> None:
        p.add_argument(
            "-o",
            "--output",
            required=required,
            metavar="FILE|DIR",
            help=f"file to write; a directory means {default} inside it; never a device, FIFO "
            "or symbolic link, and the directory must exist",
        )
        p.add_argument("--force", action="store_true", help="replace an existing file")

    d = esub.add_parser("daily", help="daily summary CSV (steps, distance, HR, kcal...)")
    output(d, "pulsedeck-daily.csv")
    d.add_argument("--athlete", help="only this athlete (default: all)")
    d.set_defaults(func=cmd_daily)

    s = esub.add_parser("session", help="one session as CSV, GPX, TCX, Parquet or XLSX")
    s.add_argument("id", type=int, help="session id")
    s.add_argument(
        "--format",
        choices=SESSION_FORMATS,
        help="default: from the -o file's extension, else csv",
    )
    output(s, "session-ID.FORMAT", required=False)
    s.set_defaults(func=cmd_session)

    x = esub.add_parser("xlsx", help="workbook of sessions and strength sets")
    output(x, "pulsedeck.xlsx")
    x.add_argument("--athlete", help="only this athlete (default: all)")
    x.set_defaults(func=cmd_xlsx)

    a = esub.add_parser("all", help="GDPR: everything about an athlete as one zip")
    output(a, "pulsedeck-athlete-ID.zip")
    a.add_argument("--athlete", help="athlete name (default: yourself)")
    a.set_defaults(func=cmd_all)

    r = esub.add_parser("delete-all", help="GDPR: erase an athlete (and their lake objects)")
    r.add_argument("--athlete", help="athlete name (default: yourself)")
    r.add_argument("--confirm", required=True, metavar="NAME", help="the athlete's name again")
    r.add_argument("--lake", action="store_true", help="also delete their objects in the lake")
    r.add_argument("--bucket", help="also erase from this lake bucket")
    r.add_argument("--prefix", help="the lake's key prefix")
    r.add_argument("--endpoint-url", metavar="URL", help="S3-compatible endpoint")
    r.add_argument("--region", help="S3 region")
    r.set_defaults(func=cmd_delete_all)
