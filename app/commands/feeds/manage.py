"""`pulsedeck feeds add|list|remove`: stored feeds, their tokens in the OS keyring."""

from __future__ import annotations

import argparse
import json

from app.commands import EXIT_NOT_FOUND, EXIT_OK, UserError
from app.commands.common import CommandContext, command

from .common import token_from_args, token_options, user_errors


@command
def cmd_feeds_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Remember a feed; its token goes to the OS keyring, never the database."""
    from app.feeds import add_feed

    token = token_from_args(args)
    athlete_id = ctx.athlete(create=True).id if args.athlete else None
    with user_errors():
        info = add_feed(ctx.store, args.name, args.url, args.format, token, athlete_id)
    print(json.dumps({"id": info.id, "name": info.name, "format": info.protocol}))
    return EXIT_OK


@command
def cmd_feeds_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Stored feeds, one per line or as JSON (no tokens: they live in the keyring)."""
    from app.feeds import list_feeds

    feeds = list_feeds(ctx.store)
    if args.json:
        print(json.dumps([{"name": f.name, "format": f.protocol, "url": f.url} for f in feeds]))
        return EXIT_OK
    if not feeds:
        print("no feeds yet: try `pulsedeck feeds add NAME URL --token-file FILE`")
    from app.domain.text import escape_controls

    for f in feeds:
        print(f"{escape_controls(f.name):20} {f.protocol:10} {escape_controls(f.url)}")
    return EXIT_OK


@command
def cmd_feeds_remove(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Forget a stored feed and its keyring token."""
    from app.feeds import remove_feed

    with user_errors():
        removed = remove_feed(ctx.store, args.name)
    if not removed:
        raise UserError(f"no feed named {args.name!r}", EXIT_NOT_FOUND)
    return EXIT_OK


def register(fsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `add`, `list` and `remove` to `pulsedeck feeds`."""
    from device.feeds.formats import FORMATS

    add = fsub.add_parser("add", help="remember a feed (token in the OS keyring)")
    add.add_argument("name", help="a name for the feed")
    add.add_argument("url", help="ws:// or wss:// address")
    token_options(add, "the feed's token")
    add.add_argument("--format", choices=FORMATS, default="pulsedeck", help="wire format")
    add.add_argument("--athlete", help="local athlete for a single-athlete feed")
    add.set_defaults(func=cmd_feeds_add)

    lst = fsub.add_parser("list", help="stored feeds")
    lst.add_argument("--json", action="store_true", help="print JSON")
    lst.set_defaults(func=cmd_feeds_list)

    rm = fsub.add_parser("remove", help="forget a stored feed and its token")
    rm.add_argument("name", help="feed name (feeds list)")
    rm.set_defaults(func=cmd_feeds_remove)
