"""`pulsedeck accounts link|list|set|unlink`: linked Strava accounts and a child's consent."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
import webbrowser
from typing import TYPE_CHECKING, Any

from app.commands import EXIT_NOT_FOUND, EXIT_OK, UserError
from app.commands.common import CommandContext, command

from .common import (
    ENV_SECRET,
    STATUS_TEXT,
    STRAVA_ERRORS,
    account_json,
    consent_text,
    err,
    with_sync,
)

if TYPE_CHECKING:
    from app.store.repo import Store


@command(errors=STRAVA_ERRORS)
def cmd_accounts_link(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.secrets import SecretFileError, read_secret_file  # keyring: only when linking
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

    return with_sync(ctx, work)


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


@command
def cmd_accounts_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.strava.accounts import list_accounts

    accounts = list_accounts(ctx.store)
    rows = [account_json(a, ctx.store) for a in accounts]
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
            + consent_text(data)
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
    data = account_json(account, ctx.store)
    print(f"account {account.id}:{consent_text(data)}")
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
            err(warning)
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

    return with_sync(ctx, work)


def add_link_args(p: argparse.ArgumentParser) -> None:
    """The options of `accounts link strava`, shared with `strava link`."""
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `accounts` to the `pulsedeck` parser."""
    accounts = sub.add_parser("accounts", help="linked Strava accounts (owner and children)")
    asub = accounts.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)
    al = asub.add_parser("link", help="authorize Pulsedeck on Strava in the browser")
    al.add_argument("provider", choices=["strava"], help="the service")
    add_link_args(al)
    al.set_defaults(func=cmd_accounts_link)
    ls = asub.add_parser("list", help="linked accounts and their state")
    ls.add_argument("--json", action="store_true", help="print JSON")
    ls.set_defaults(func=cmd_accounts_list)
    un = asub.add_parser("unlink", help="revoke at Strava and forget an account (and children)")
    un.add_argument("id", type=int, help="account id (accounts list)")
    un.add_argument(
        "--forget-secret", action="store_true", help="also delete the app's client secret"
    )
    un.set_defaults(func=cmd_accounts_unlink)
    aset = asub.add_parser("set", help="a child account's consent: control, watch copies")
    aset.add_argument("id", type=int, help="account id (accounts list)")
    aset.add_argument("--copy-watch", choices=["on", "off"], help="copies of watch activities")
    aset.add_argument("--controlled", action="store_true", help="you control this account")
    aset.set_defaults(func=cmd_accounts_set)
