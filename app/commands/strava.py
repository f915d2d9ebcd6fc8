"""`pulsedeck accounts ...`, `pulsedeck sync ...` and `pulsedeck strava ...`.

Exit codes follow app.cli: 0 ok, 1 some work failed (details on stderr), 2 usage, 3 storage,
4 not found. `accounts link --athlete NAME` creates the local athlete it links (the one
command here that creates one). Secrets never appear in output: the client secret is read from
--client-secret-file, --client-secret (visible in `ps`), $PULSEDECK_STRAVA_CLIENT_SECRET, or
typed at a hidden prompt. No safe keyring (app.secrets): exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import webbrowser
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.commands import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, UserError
from app.commands.common import CommandContext, command
from app.secrets import SecretFileError, SecretsUnavailable, read_secret_file
from sync.errors import SyncError

if TYPE_CHECKING:
    from app.store.repo import Store

ENV_SECRET = "PULSEDECK_STRAVA_CLIENT_SECRET"


def _err(message: str) -> None:
    """A warning or a per-item failure that does not end the command."""
    print(f"pulsedeck: {message}", file=sys.stderr)


#: Strava or the network failed: one line with the error's message, exit 1; no safe keyring
#: (the message says which backend to configure): exit 2.
STRAVA_ERRORS: dict[type[BaseException], int] = {
    SyncError: EXIT_ERROR,
    SecretsUnavailable: EXIT_USAGE,
}


def _with_sync(ctx: CommandContext, work: Callable[[Any, Store], Awaitable[int]]) -> int:
    """Run `work(sync, store)` with an HTTP client; SyncError exits 1 with its message."""
    import httpx

    from app.store.settings import Settings
    from sync.strava.config import stored_config
    from sync.strava.engine import StravaSync

    store = ctx.store
    config = stored_config(Settings(store))  # the endpoints the app and the worker use

    async def main() -> int:
        async with httpx.AsyncClient() as http:
            sync = StravaSync(store, http, config)
            return await work(sync, store)

    return asyncio.run(main())


# accounts ----------------------------------------------------------------------------------


@command(errors=STRAVA_ERRORS)
def cmd_accounts_link(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.strava.accounts import link
    from sync.strava.children import parse_names

    if args.provider != "strava":
        raise UserError(f"unknown provider {args.provider!r} (only strava)")
    try:
        secret = read_secret_file(args.client_secret_file) if args.client_secret_file else None
    except SecretFileError as exc:
        raise UserError(str(exc)) from exc
    secret = secret or args.client_secret or os.environ.get(ENV_SECRET)
    if not secret:
        if not sys.stdin.isatty():
            raise UserError(f"give --client-secret-file FILE or set {ENV_SECRET}")
        secret = getpass.getpass("Strava client secret: ")
    names = parse_names(args.child) if args.child else None
    if args.child and not names:
        raise UserError("--child needs at least one name")
    copy_watch = args.copy_watch == "on" if args.copy_watch else None
    if names:
        _confirm_control(args, names, bool(copy_watch))

    async def work(sync: Any, store: Store) -> int:
        athlete = ctx.athlete(create=True)  # linking sets up a local athlete, like `athlete set`

        def announce(url: str) -> None:
            print("Open this address to authorize Pulsedeck on Strava:", file=sys.stderr)
            print(url, flush=True)

        account = await link(
            store,
            sync.http,
            sync.config,
            client_id=str(args.client_id),
            client_secret=secret,
            athlete_id=athlete.id,
            child_names=names,
            open_browser=None if args.no_browser else webbrowser.open,
            timeout_s=args.timeout,
            announce=announce,
            controlled=bool(names),
            copy_watch=copy_watch,
        )
        role = f"child ({', '.join(account.child_names)})" if names else "owner"
        print(
            f"linked Strava account {account.id}: {account.display_name or account.remote_id} "
            f"as {role}"
        )
        return EXIT_OK

    return _with_sync(ctx, work)


def _confirm_control(args: argparse.Namespace, names: list[str], copy_watch: bool) -> None:
    """A child account is linked only by someone who controls it (a kid's, a dog's)."""
    from sync.strava.consent import what_is_copied

    print(what_is_copied(names, copy_watch) + ".", file=sys.stderr)
    if args.controlled:
        return
    if not sys.stdin.isatty():
        raise UserError(
            "linking a child account needs --controlled: confirm that you control that Strava "
            "account (your child's or your pet's)"
        )
    answer = input("Do you control this Strava account (your child's or your pet's)? [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise UserError("nothing was linked: only accounts you control can be linked as children")


def _account_json(a: Any, store: Store | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": a.id,
        "provider": "strava",
        "remote_id": a.remote_id,
        "name": a.display_name,
        "role": a.role,
        "parent_id": a.parent_id,
        "child_names": list(a.child_names),
        "scopes": a.scopes,
        "status": a.status,
    }
    if store is not None and a.role == "child":
        from sync.strava.consent import consent

        c = consent(store, a.id)
        data["controlled_since"] = _iso(c.controlled_ms)
        data["copy_watch"] = c.copy_watch
    return data


def _consent_text(data: dict[str, Any]) -> str:
    if "copy_watch" not in data:
        return ""
    since = data["controlled_since"]
    controlled = f"controlled since {since[:10]}" if since else "control NOT CONFIRMED"
    return f"  [{controlled}; watch copies {'on' if data['copy_watch'] else 'off'}]"


STATUS_TEXT = {
    "ok": "ok",
    "needs_reauth": "NEEDS RE-AUTHORIZATION (run `pulsedeck accounts link strava ...`)",
    "inactive": "APPLICATION INACTIVE (check https://www.strava.com/settings/api)",
}


@command
def cmd_accounts_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.strava.accounts import list_accounts

    accounts = list_accounts(ctx.store)
    rows = [_account_json(a, ctx.store) for a in accounts]
    if args.json:
        print(json.dumps(rows, indent=2))
        return EXIT_OK
    if not accounts:
        print("no linked accounts: `pulsedeck accounts link strava --client-id ID ...`")
    for a, data in zip(accounts, rows, strict=True):
        who = a.display_name or a.remote_id
        role = (
            f"child of {a.parent_id}, names: {', '.join(a.child_names)}"
            if a.parent_id
            else ("owner")
        )
        print(
            f"{a.id:>3}  strava  {who:24} {role:32} {STATUS_TEXT.get(a.status, a.status)}"
            + _consent_text(data)
        )
    return EXIT_OK


@command
def cmd_accounts_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.strava.accounts import get_account
    from sync.strava.consent import record_control, set_copy_watch, what_is_copied

    account = get_account(ctx.store, args.id)
    if account is None:
        raise UserError(f"no account {args.id}", EXIT_NOT_FOUND)
    if account.role != "child":
        raise UserError(f"account {args.id} is an owner: consent is set per child account")
    if args.copy_watch is None and not args.controlled:
        raise UserError("give --copy-watch on|off and/or --controlled")
    if args.controlled:
        record_control(ctx.store, account.id)
    if args.copy_watch is not None:
        set_copy_watch(ctx.store, account.id, args.copy_watch == "on")
    data = _account_json(account, ctx.store)
    print(f"account {account.id}:{_consent_text(data)}")
    print(what_is_copied(account.child_names, data["copy_watch"]))
    return EXIT_OK


@command(errors=STRAVA_ERRORS)
def cmd_accounts_unlink(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.strava.accounts import (
        client_ids,
        unlink,
        unlink_targets,
        unused_client_secrets,
    )
    from sync.strava.tokens import forget_client

    async def work(sync: Any, store: Store) -> int:
        targets = unlink_targets(store, args.id)
        if not targets:
            raise UserError(f"no account {args.id}", EXIT_NOT_FOUND)
        apps = await asyncio.to_thread(client_ids, targets)
        for warning in await unlink(store, sync.http, sync.config, args.id):
            _err(warning)
        children = [a for a in targets if a.id != args.id]
        also = (
            " and its child accounts "
            + ", ".join(f"{c.id} ({', '.join(c.child_names)})" for c in children)
            if children
            else ""
        )
        print(f"unlinked account {args.id}{also}; their Strava data here is deleted")
        for client_id in await asyncio.to_thread(unused_client_secrets, store, apps):
            if args.forget_secret:
                await asyncio.to_thread(forget_client, client_id)
                print(f"forgot the client secret of Strava application {client_id}")
            else:
                print(
                    f"the client secret of Strava application {client_id} stays in the keyring "
                    f"for the next link; `pulsedeck accounts unlink ... --forget-secret` deletes it"
                )
        return EXIT_OK

    return _with_sync(ctx, work)


# sync ----------------------------------------------------------------------------------------


async def _run(sync: Any, store: Store, *, poll: bool, until_idle: bool, max_wait_s: float) -> int:
    from sync.background import lake_handlers
    from sync.outbox import drain

    # Other areas sharing the outbox (the lake), after queueing their work.
    others = await asyncio.to_thread(lake_handlers, store, sync.outbox)
    report = await sync.run_once(poll=poll)
    ran = report.ran + (await drain(sync.outbox, others) if others else 0)
    while until_idle:
        due = sync.next_due_s()
        if due is None or due > max_wait_s:
            break
        await asyncio.sleep(due)
        ran += (await sync.run_once(poll=False)).ran
        ran += await drain(sync.outbox, others) if others else 0
    counts = sync.outbox.counts()
    print(
        f"queued {report.enqueued}, copies found {report.polled}, ran {ran}; outbox: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    for error in report.errors:
        _err(error)
    return EXIT_OK if not report.errors and not counts.get("dead") else EXIT_ERROR


def _report_line(report: Any) -> str:
    """One line for a background run that did something (`sync run --forever`)."""
    parts = [f"queued {report.enqueued}", f"copies found {report.polled}"]
    parts.append(f"ran {report.ran + report.lake_ran}")
    if report.uploaded:
        parts.append(f"on Strava {report.uploaded}")
    if report.pushed:
        parts.append(f"pushed to the lake {report.pushed}")
    if report.errors:
        parts.append(f"errors {len(report.errors)}")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return f"{stamp} {'poll' if report.poll else 'outbox'}: " + ", ".join(parts)


async def _forever(store: Store, *, poll: bool) -> int:
    """The background sync until SIGINT/SIGTERM; one line per run that did something."""
    import signal

    from sync.background import BackgroundSync

    def printed(report: Any) -> None:
        if report.did_something:
            print(_report_line(report), flush=True)
        for error in report.errors:
            _err(error)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    background = await asyncio.to_thread(
        lambda: BackgroundSync(store, after_run=printed, poll=poll)
    )
    background.start()
    try:
        await stop.wait()
    finally:
        await background.aclose()
        for sig in signals:
            loop.remove_signal_handler(sig)
    return EXIT_OK


@command(errors=STRAVA_ERRORS)
def cmd_sync_run(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.forever:
        if args.until_idle:
            raise UserError("--forever already waits for retries: leave out --until-idle")
        # No instance lock: `pulsedeck record` may run meanwhile.
        return asyncio.run(_forever(ctx.store, poll=not args.no_poll))
    return _with_sync(
        ctx,
        lambda sync, store: _run(
            sync,
            store,
            poll=not args.no_poll,
            until_idle=args.until_idle,
            max_wait_s=args.max_wait,
        ),
    )


def _iso(ms: int | None) -> str | None:
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


@command
def cmd_sync_status(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.outbox import DEAD, PENDING, Outbox
    from sync.strava.accounts import list_accounts
    from sync.strava.engine import StravaSync

    store = ctx.store
    outbox = Outbox(store)
    counts = outbox.counts()
    dead = outbox.jobs(state=DEAD)
    pending = outbox.jobs(state=PENDING)
    accounts = list_accounts(store)
    usage = StravaSync(store, http=None).rate_usage()
    data: dict[str, Any] = {
        "jobs": counts,
        "dead": [
            {
                "id": j.id,
                "kind": j.kind,
                "session_id": j.session_id,
                "account_id": j.account_id,
                "attempts": j.attempts,
                "error": j.last_error,
            }
            for j in dead
        ],
        "pending": [
            {
                "id": j.id,
                "kind": j.kind,
                "session_id": j.session_id,
                "account_id": j.account_id,
                "attempts": j.attempts,
                "next_attempt": _iso(j.next_attempt_ms),
                "error": j.last_error,
            }
            for j in pending
            if j.last_error
        ],
        "next_attempt": _iso(min((j.next_attempt_ms for j in pending), default=None)),
        "accounts": [_account_json(a, store) for a in accounts],
        "rate_limit": usage,
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    print("jobs: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    if data["next_attempt"]:
        print(f"next attempt: {data['next_attempt']}")
    for j in data["pending"]:
        when = j["next_attempt"] or "now"
        print(
            f"  waiting job {j['id']} ({j['kind']}, session {j['session_id']}): next try {when}, "
            f"attempt {j['attempts'] + 1}; last error: {j['error']}"
        )
    for j in data["dead"]:
        print(f"  dead job {j['id']} ({j['kind']}, session {j['session_id']}): {j['error']}")
    for a in accounts:
        if a.status != "ok":
            print(f"account {a.id}: {STATUS_TEXT.get(a.status, a.status)}")
    for app_id, u in usage.items():
        for label in ("overall", "read"):
            if u.get(label):
                u15, l15, uday, lday = u[label]
                print(f"Strava app {app_id} {label}: {u15}/{l15} this 15 min, {uday}/{lday} today")
    return EXIT_OK


@command
def cmd_sync_retry(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.outbox import Outbox

    if args.job is None and not args.dead:
        raise UserError("give a JOB id or --dead")
    outbox = Outbox(ctx.store)
    if args.dead:
        print(f"{outbox.retry_dead()} dead jobs will run again")
    else:
        try:
            outbox.retry(args.job)
        except LookupError as exc:
            raise UserError(f"no job {args.job}", EXIT_NOT_FOUND) from exc
        print(f"job {args.job} will run again")
    return EXIT_OK


def _parse_date(text: str) -> float:
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


@command(errors=STRAVA_ERRORS)
def cmd_sync_backfill(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.strava.accounts import OWNER, list_accounts

    try:
        since = _parse_date(args.since)
    except ValueError as exc:
        raise UserError(f"--since wants a date like 2026-01-31, not {args.since!r}") from exc

    async def work(sync: Any, store: Store) -> int:
        owners = [
            a for a in list_accounts(store, OWNER) if args.account is None or a.id == args.account
        ]
        if not owners:
            account = f" {args.account}" if args.account else ""
            raise UserError(f"no linked owner account{account}", EXIT_NOT_FOUND)
        for owner in owners:
            sync.start_backfill(owner.id, since)
        print(f"backfill from {args.since} queued for {len(owners)} account(s)")
        if args.queue_only:
            return EXIT_OK
        return await _run(sync, store, poll=True, until_idle=False, max_wait_s=0)

    return _with_sync(ctx, work)


# strava (shortcuts) ------------------------------------------------------------------------


@command(errors=STRAVA_ERRORS)
def cmd_strava_upload(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.outbox import DONE

    async def work(sync: Any, store: Store) -> int:
        try:
            job_ids = sync.enqueue_session(args.id)
        except LookupError as exc:
            raise UserError(f"no session {args.id}", EXIT_NOT_FOUND) from exc
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
                _err(f"account {job.account_id}: {job.state}: {job.last_error}")
        return EXIT_OK if ok else EXIT_ERROR

    return _with_sync(ctx, work)


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


# Parser ------------------------------------------------------------------------------------


def _add_link_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--client-id", required=True, help="your Strava API application's id")
    p.add_argument(
        "--client-secret-file", metavar="FILE", help="read its secret from FILE ('-': stdin)"
    )
    p.add_argument(
        "--client-secret",
        help=f"its secret; visible in `ps`: prefer --client-secret-file, ${ENV_SECRET} or the "
        "hidden prompt (the default on a terminal)",
    )
    p.add_argument("--child", metavar="NAME[,ALIAS...]", help="link a child account")
    p.add_argument(
        "--controlled",
        action="store_true",
        help="with --child: you control that account (your child's or your pet's)",
    )
    p.add_argument(
        "--copy-watch",
        choices=["on", "off"],
        help="with --child: also copy activities from elsewhere (a watch); default off",
    )
    p.add_argument("--athlete", help="local athlete (default: yourself)")
    p.add_argument("--no-browser", action="store_true", help="only print the address")
    p.add_argument("--timeout", type=float, default=300.0, help="seconds to wait for Strava")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `accounts`, `sync` and `strava` to the `pulsedeck` parser."""
    accounts = sub.add_parser("accounts", help="linked Strava accounts (owner and children)")
    asub = accounts.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)
    al = asub.add_parser("link", help="authorize Pulsedeck on Strava in the browser")
    al.add_argument("provider", choices=["strava"])
    _add_link_args(al)
    al.set_defaults(func=cmd_accounts_link)
    ls = asub.add_parser("list", help="linked accounts and their state")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_accounts_list)
    un = asub.add_parser("unlink", help="revoke at Strava and forget an account (and children)")
    un.add_argument("id", type=int)
    un.add_argument(
        "--forget-secret", action="store_true", help="also delete the app's client secret"
    )
    un.set_defaults(func=cmd_accounts_unlink)
    aset = asub.add_parser("set", help="a child account's consent: control, watch copies")
    aset.add_argument("id", type=int)
    aset.add_argument("--copy-watch", choices=["on", "off"], help="copies of watch activities")
    aset.add_argument("--controlled", action="store_true", help="you control this account")
    aset.set_defaults(func=cmd_accounts_set)

    sync = sub.add_parser("sync", help="background sync: outbox, polling, retries")
    ssub = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    run = ssub.add_parser("run", help="run the outbox and the poll once, in the foreground")
    run.add_argument(
        "--until-idle",
        action="store_true",
        help="also wait for retries that fall due within --max-wait",
    )
    run.add_argument("--max-wait", type=float, default=900.0, help="seconds (with --until-idle)")
    run.add_argument("--no-poll", action="store_true", help="skip polling Strava")
    run.add_argument(
        "--forever",
        action="store_true",
        help="keep syncing on a schedule until SIGINT/SIGTERM (the edge box's sync worker)",
    )
    run.set_defaults(func=cmd_sync_run)
    st = ssub.add_parser("status", help="jobs by state, dead jobs and why, rate-limit usage")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_sync_status)
    rt = ssub.add_parser("retry", help="run a dead job (or all of them) again")
    rt.add_argument("job", type=int, nargs="?")
    rt.add_argument("--dead", action="store_true", help="every dead job")
    rt.set_defaults(func=cmd_sync_retry)
    bf = ssub.add_parser("backfill", help="copy older Strava activities to children")
    bf.add_argument("--since", required=True, help="date, e.g. 2026-01-01")
    bf.add_argument("--account", type=int, help="only this owner account")
    bf.add_argument("--queue-only", action="store_true", help="leave it to the background")
    bf.set_defaults(func=cmd_sync_backfill)

    strava = sub.add_parser("strava", help="Strava shortcuts")
    vsub = strava.add_subparsers(dest="strava_command", metavar="ACTION", required=True)
    sl = vsub.add_parser("link", help="same as `accounts link strava`")
    _add_link_args(sl)
    sl.set_defaults(func=cmd_accounts_link, provider="strava")
    su = vsub.add_parser("unlink", help="same as `accounts unlink`")
    su.add_argument("id", type=int)
    su.add_argument("--forget-secret", action="store_true")
    su.set_defaults(func=cmd_accounts_unlink)
    ss = vsub.add_parser("status", help="sync status, or where one session is on Strava")
    ss.add_argument("id", type=int, nargs="?")
    ss.add_argument("--json", action="store_true")
    ss.set_defaults(func=cmd_strava_status)
    sp = vsub.add_parser("upload", help="upload one session now (and to named children)")
    sp.add_argument("id", type=int)
    sp.set_defaults(func=cmd_strava_upload)
    sy = vsub.add_parser("sync", help="same as `sync run`")
    sy.add_argument("--until-idle", action="store_true")
    sy.add_argument("--max-wait", type=float, default=900.0)
    sy.add_argument("--no-poll", action="store_true")
    sy.set_defaults(func=cmd_sync_run, forever=False)
