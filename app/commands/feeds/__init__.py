"""`pulsedeck simulate` and `pulsedeck feeds record|add|list|remove|serve-live`.

Exit codes follow app.cli: 0 ok, 1 unexpected error or gave up reconnecting, 2 usage, 3
storage problem, 4 not found (unknown stored feed, HTTP 404), 5 another Pulsedeck is
recording here, 7 the feed refused the token (one line names the authentication failure).
Tokens come from --token-file, else --token (visible in `ps`), else $PULSEDECK_FEED_TOKEN,
else the keyring for stored feeds; they are never printed or logged.
"""

from __future__ import annotations

import argparse

from . import live, manage, record, simulate
from .common import TOKEN_ENV as TOKEN_ENV
from .live import cmd_feeds_serve_live as cmd_feeds_serve_live
from .manage import cmd_feeds_add as cmd_feeds_add
from .manage import cmd_feeds_list as cmd_feeds_list
from .manage import cmd_feeds_remove as cmd_feeds_remove
from .record import FEED_ERRORS as FEED_ERRORS
from .record import cmd_feeds_record as cmd_feeds_record
from .simulate import END_GRACE_S as END_GRACE_S
from .simulate import cmd_simulate as cmd_simulate


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `simulate` and `feeds ...` to the `pulsedeck` parser."""
    simulate.register(sub)

    feeds = sub.add_parser("feeds", help="record websocket trace feeds; broadcast live")
    fsub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)

    record.register(fsub)
    manage.register(fsub)  # add, list, remove
    live.register(fsub)  # serve-live
