"""`pulsedeck strava link|unlink|status|upload|sync`: shortcuts for one service."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from app.commands import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, UserError
from app.commands.common import CommandContext, command

from .accounts import add_link_args, cmd_accounts_link, cmd_accounts_unlink
from .common import STRAVA_ERRORS, err, with_sync
from .sync_jobs import cmd_sync_run, cmd_sync_status

if TYPE_CHECKING:
    from app.store.repo import Store


@command(errors=STRAVA_ERRORS)
def cmd_strava_upload(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.outbox import DONE
    from sync.strava.enqueue import NotUploaded

    async def work(sync: Any, store: Store) -> int:
        try:
            job_ids = sync.enqueue_session(args.id)
        except LookupError as exc:
            raise UserError(f"no session {args.id}", EXIT_NOT_FOUND) from exc
        except NotUploaded as exc:
            raise UserError(str(exc)) from exc
        if not job_ids:
            raise UserError("no linked Strava account for this session's athlete")
        for job_id in job_ids:
            if sync.outbox.get(job_id).state != DONE:
                sync.outbox.retry(job_id)
        await sync.run_once(poll=False)
        ok = True
        for job_id in job_ids:
            job = sync.outbox.get(job_id)
            if job.state == DONE:
                print(f"account {job.account_id}: activity {job.result.get('activity_id')}")
            else:
                ok = False
                err(f"account {job.account_id}: {job.state}: {job.last_error}")
        return EXIT_OK if ok else EXIT_ERROR

    return with_sync(ctx, work)


@command
def cmd_strava_status(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.id is None:
        return cmd_sync_status(args)
    from sync.strava.engine import StravaSync

    store = ctx.store
    if store.get_session(args.id) is None:
        raise UserError(f"no session {args.id}", EXIT_NOT_FOUND)
    remote = StravaSync(store, http=None).remote_for_session(args.id)
    if args.json:
        print(json.dumps(remote, indent=2))
    elif not remote:
        print(f"session {args.id} is not on Strava")
    for r in remote if not args.json else []:
        print(
            f"account {r['account_id']}: {r['state']} activity {r['activity_id'] or '-'}"
            + (f" error: {r['error']}" if r["error"] else "")
        )
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `strava` to the `pulsedeck` parser."""
    strava = sub.add_parser("strava", help="Strava shortcuts")
    vsub = strava.add_subparsers(dest="strava_command", metavar="ACTION", required=True)
    sl = vsub.add_parser("link", help="same as `accounts link strava`")
    add_link_args(sl)
    sl.set_defaults(func=cmd_accounts_link, provider="strava")
    su = vsub.add_parser("unlink", help="same as `accounts unlink`")
    su.add_argument("id", type=int, help="account id")
    su.add_argument(
        "--forget-secret",
        action="store_true",
        help="also delete an unused Strava client secret from the keyring",
    )
    su.set_defaults(func=cmd_accounts_unlink)
    ss = vsub.add_parser("status", help="sync status, or where one session is on Strava")
    ss.add_argument("id", type=int, nargs="?", help="session id (default: all)")
    ss.add_argument("--json", action="store_true", help="print JSON")
    ss.set_defaults(func=cmd_strava_status)
    sp = vsub.add_parser("upload", help="upload one session now (and to named children)")
    sp.add_argument("id", type=int, help="session id")
    sp.set_defaults(func=cmd_strava_upload)
    sy = vsub.add_parser("sync", help="same as `sync run`")
    sy.add_argument("--until-idle", action="store_true", help="run until nothing is due")
    sy.add_argument(
        "--max-wait",
        type=float,
        default=900.0,
        metavar="S",
        help="with --until-idle: stop when the next job is more than S s away",
    )
    sy.add_argument(
        "--no-poll", action="store_true", help="skip polling Strava for processing results"
    )
    sy.set_defaults(func=cmd_sync_run, forever=False)
