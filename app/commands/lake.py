"""`pulsedeck lake ...`: Athena DDL, push to S3, status, coach pull, settings.

Exit codes follow app.cli: 0 ok, 1 some work failed (details on stderr), 2 usage, 3 storage,
4 not found. Pulled athletes are created by `lake pull` itself (read-only clients). No safe
keyring for stored S3 keys (app.secrets): exit 2. The secret key is never a command-line
argument (visible in `ps`): a hidden prompt or standard input.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

from app.commands import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, UserError
from app.commands.common import CommandContext, ErrorCodes, command

if TYPE_CHECKING:
    from app.store.repo import Store
    from sync.lake.config import LakeConfig


#: Stored S3 keys need a safe keyring: SecretsUnavailable (the message says which backend to
#: configure) exits 2 through every command's table (exit_codes), without importing keyring
#: for commands that never read a secret.
LAKE_ERRORS: ErrorCodes = {}


def _err(message: str) -> None:
    """A warning or a per-item failure that does not end the command."""
    print(f"pulsedeck: {message}", file=sys.stderr)


def _overrides(args: argparse.Namespace) -> dict[str, object]:
    return {
        "bucket": getattr(args, "bucket", None),
        "prefix": getattr(args, "prefix", None),
        "endpoint_url": getattr(args, "endpoint_url", None),
        "region": getattr(args, "region", None),
        "path_style": getattr(args, "path_style", None),
        "profile": getattr(args, "profile", None),
    }


def _config(store: Store, args: argparse.Namespace) -> LakeConfig:
    from sync.lake.config import LakeNotConfigured, resolve_config

    try:
        return resolve_config(store, **_overrides(args))
    except LakeNotConfigured as exc:
        raise UserError(str(exc)) from exc


def _since(args: argparse.Namespace) -> int | None:
    from sync.lake.push import parse_since

    try:
        return parse_since(args.since)
    except ValueError as exc:
        raise UserError(str(exc)) from exc


@command
def cmd_ddl(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.lake.config import load_settings
    from sync.lake.ddl import ddl, duckdb_views
    from sync.lake.layout import BadKey

    if args.duckdb:
        print(duckdb_views(args.duckdb), end="")
        return EXIT_OK
    bucket, prefix = args.bucket, args.prefix
    if bucket is None or prefix is None:
        settings = load_settings(ctx.store)
        bucket = bucket or settings["bucket"]
        prefix = prefix if prefix is not None else settings["prefix"]
    if not bucket:
        bucket = "YOUR-BUCKET"
        _err("no bucket configured: LOCATION uses YOUR-BUCKET (pass --bucket)")
    years = _years(args.years)
    ids: list[str] | None = None
    if args.projection == "enum":
        ids = sorted(set(args.athlete_id or []) or _known_ids(ctx.store))
        if not ids:
            raise UserError("--projection enum needs athlete ids: pass --athlete-id ID")
    elif args.athlete_id:
        raise UserError("--athlete-id goes with --projection enum")
    try:
        text = ddl(str(bucket), str(prefix or ""), args.database, athlete_ids=ids, years=years)
    except BadKey as exc:
        raise UserError(str(exc)) from exc
    print(text, end="")
    return EXIT_OK


def _years(value: str | None) -> tuple[int, int]:
    from sync.lake.ddl import DEFAULT_YEARS

    if value is None:
        return DEFAULT_YEARS
    first, sep, last = value.partition("-")
    if not (sep and first.isdigit() and last.isdigit()):
        raise UserError(f"--years {value!r}: give FIRST-LAST, e.g. 2015-2040")
    lo, hi = int(first), int(last)
    if not 1970 <= lo <= hi <= 9998:
        raise UserError(f"--years {value!r}: years from 1970 to 9998, first <= last")
    return lo, hi


def _known_ids(store: Store) -> list[str]:
    """Lake ids known here: this machine's athletes and the clients pulled."""
    from sqlalchemy import select

    from app.store import models as m

    with store.orm() as s:
        return [str(r) for r in s.scalars(select(m.Athlete.remote_ref)) if r]


@command(errors=LAKE_ERRORS)
def cmd_push(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.commands.progress import terminal_progress
    from sync.lake.push import push
    from sync.outbox import Outbox

    since = _since(args)
    store = ctx.store
    config = _config(store, args)
    with terminal_progress("push", "sessions") as bar:
        outbox = Outbox(store)
        report = asyncio.run(push(store, outbox, config, since, force=args.force, progress=bar))
    if args.json:
        print(json.dumps({"destination": config.location(), **asdict(report)}, indent=2))
    else:
        print(
            f"{config.location()}: {report.done - report.removed} pushed, {report.removed} "
            f"removed, {report.pending} waiting to retry, {report.dead} failed "
            f"({report.enqueued} new, {report.requeued} re-queued)"
        )
    for error in report.errors:
        _err(error)
    return EXIT_OK if report.pending == 0 and report.dead == 0 else EXIT_ERROR


@command
def cmd_status(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.lake.status import lake_status

    status = lake_status(ctx.store)
    if args.json:
        print(json.dumps(asdict(status), indent=2))
        return EXIT_OK
    print(f"destination: {status.destination or 'not configured'}")
    print(f"credentials: {status.credentials}")
    print(
        f"sessions: {status.pushed} pushed, {status.pending} pending, {status.failed} failed, "
        f"{status.not_queued} not queued yet, {status.to_update} changed or deleted since "
        f"their push (next push), {status.removed} removed from the lake"
    )
    for a in status.athletes:
        who = " (you)" if a.get("self") else ""
        print(f"athlete {a['name']}{who}: lake id {a['lake_id'] or '(assigned on first push)'}")
    for e in status.recent_errors:
        print(f"  error: {e}")
    return EXIT_OK


@command(errors=LAKE_ERRORS)
def cmd_pull(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.commands.progress import terminal_progress
    from app.services.roster import warm_after_pull
    from sync.errors import SyncError
    from sync.lake.layout import BadKey
    from sync.lake.pull import pull
    from sync.lake.s3 import LakeClient

    since = _since(args)
    store = ctx.store
    config = _config(store, args)
    wanted = None if args.all_clients else args.athlete
    try:
        with terminal_progress("pull", "athletes") as bar:
            report = pull(store, LakeClient(config), wanted, since, progress=bar)
    except BadKey as exc:
        raise UserError(str(exc)) from exc
    except SyncError as exc:
        raise UserError(f"pull from {config.location()} failed: {exc}", EXIT_ERROR) from exc
    with terminal_progress("computing figures", "clients") as bar:
        warm_after_pull(store, report, progress=bar)
    if args.json:
        print(json.dumps(asdict(report), indent=2))
    else:
        print(
            f"{len(report.athletes)} athlete(s): {report.imported} imported, "
            f"{report.replaced} updated, {report.unchanged} unchanged, {report.removed} removed "
            f"(deleted by the athlete), {report.failed} failed"
        )
    for error in report.errors:
        _err(error)
    if report.unknown:
        _err(f"no sessions in the lake for athlete id(s) {', '.join(report.unknown)}")
    if not args.all_clients and len(report.unknown) == len(report.athletes):
        return EXIT_NOT_FOUND
    return EXIT_OK if report.failed == 0 else EXIT_ERROR


@command(errors=LAKE_ERRORS)
def cmd_configure(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.lake.config import DEFAULT_CREDENTIALS_KEY, save_settings, store_credentials

    values = {k: v for k, v in _overrides(args).items() if v is not None}
    if args.access_key_id:
        if not args.secret_access_key_stdin and not sys.stdin.isatty():
            raise UserError("no terminal to ask for the secret key: use --secret-access-key-stdin")
        secret = (
            sys.stdin.readline().strip()
            if args.secret_access_key_stdin
            else getpass.getpass("S3 secret access key: ")
        )
        if not secret:
            raise UserError("no secret access key given")
        store_credentials(DEFAULT_CREDENTIALS_KEY, args.access_key_id, secret)
        values["credentials_key"] = DEFAULT_CREDENTIALS_KEY
    if args.use_aws_chain:
        values["credentials_key"] = None
    if args.athlete_id is not None:
        _set_athlete_id(ctx, args.athlete_id)
    save_settings(ctx.store, **values)
    print("lake settings saved" + (" (keys in the OS keyring)" if args.access_key_id else ""))
    return EXIT_OK


def _set_athlete_id(ctx: CommandContext, ref: str) -> None:
    """Yourself (or --athlete NAME) gets lake id `ref`: one client on every device you use."""
    from app.store.repo import ReadOnlyAthlete, resolve_athlete
    from sync.lake.layout import BadKey
    from sync.lake.push import RefInUse, set_athlete_ref

    try:
        athlete = resolve_athlete(ctx.store, ctx.args.athlete, create=True, write=True)
        set_athlete_ref(ctx.store, athlete.id, ref)
    except (BadKey, RefInUse, ReadOnlyAthlete) as exc:
        raise UserError(str(exc)) from exc
    print(f"{athlete.name}: lake athlete id {ref}")


def _destination_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bucket", help="S3 bucket (default: the saved setting)")
    p.add_argument("--prefix", help="key prefix inside the bucket")
    p.add_argument("--endpoint-url", help="S3-compatible endpoint (MinIO, Ceph, R2...)")
    p.add_argument("--region", help="region (default: AWS_REGION / profile)")
    p.add_argument("--profile", help="AWS shared-config profile")
    style = p.add_mutually_exclusive_group()
    style.add_argument(
        "--path-style",
        dest="path_style",
        action="store_true",
        default=None,
        help="path-style addressing (default with a custom endpoint)",
    )
    style.add_argument(
        "--virtual-hosted",
        dest="path_style",
        action="store_false",
        help="virtual-hosted-style addressing",
    )


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `lake ddl|push|status|pull|configure` to the `pulsedeck` parser."""
    lake = sub.add_parser("lake", help="the S3 data lake (Parquet, Athena/Glue-ready)")
    lsub = lake.add_subparsers(dest="lake_command", metavar="ACTION", required=True)

    d = lsub.add_parser("ddl", help="print Athena DDL (partition projection) or DuckDB views")
    d.add_argument("--bucket", help="S3 bucket (default: the configured one)")
    d.add_argument("--prefix", help="key prefix (default: the configured one)")
    d.add_argument("--database", default="pulsedeck", help="Athena database")
    d.add_argument(
        "--projection",
        choices=("injected", "enum"),
        default="injected",
        help="athlete_id partitions: injected (queries name the athlete) or enum (listed ids)",
    )
    d.add_argument(
        "--athlete-id",
        action="append",
        metavar="ID",
        help="with --projection enum: an athlete id (default: every id known here)",
    )
    d.add_argument("--years", metavar="FIRST-LAST", help="projected years (default 2010-2050)")
    d.add_argument(
        "--duckdb",
        metavar="ROOT",
        help="print DuckDB views over a lake copy or s3://bucket/prefix instead",
    )
    d.set_defaults(func=cmd_ddl)

    p = lsub.add_parser("push", help="upload finished sessions (retried in the background)")
    _destination_flags(p)
    p.add_argument("--since", help="only sessions started on or after DATE (YYYY-MM-DD)")
    p.add_argument("--force", action="store_true", help="upload again what was pushed already")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_push)

    s = lsub.add_parser("status", help="what is pushed, pending or failed")
    s.add_argument("--json", action="store_true", help="print JSON")
    s.set_defaults(func=cmd_status)

    pl = lsub.add_parser("pull", help="coach: import clients' sessions for offline review")
    who = pl.add_mutually_exclusive_group(required=True)
    who.add_argument("--athlete", action="append", metavar="ID", help="lake athlete id")
    who.add_argument("--all-clients", action="store_true", help="every athlete in the lake")
    _destination_flags(pl)
    pl.add_argument("--since", help="only sessions started on or after DATE (YYYY-MM-DD)")
    pl.add_argument("--json", action="store_true", help="print JSON")
    pl.set_defaults(func=cmd_pull)

    c = lsub.add_parser("configure", help="save the lake settings (keys go to the OS keyring)")
    _destination_flags(c)
    c.add_argument("--access-key-id", help="store S3 keys in the keyring (asks for the secret)")
    c.add_argument(
        "--secret-access-key-stdin",
        action="store_true",
        help="read the secret access key from standard input",
    )
    c.add_argument(
        "--athlete-id",
        metavar="ID",
        help="your lake athlete id: give a desktop and an edge box the same one (letters, "
        "digits, _.-)",
    )
    c.add_argument("--athlete", help="with --athlete-id: this local athlete (default: yourself)")
    c.add_argument(
        "--use-aws-chain",
        action="store_true",
        help="forget stored keys; use env vars / AWS profile instead",
    )
    c.set_defaults(func=cmd_configure)
