"""`pulsedeck sessions rename|set|delete`: edit a recorded session from the CLI (the edge box).

The local edits go through the History service the desktop app uses (read-only clients'
sessions are refused, exit 2). A session already on Strava follows: its activities get the new
title and sport type, and a child the new title names gets a copy. Those Strava jobs are sent
by the background sync (`pulsedeck sync run`, or `sync run --forever` beside `record`).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from app.commands import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, UserError
from app.commands.common import CommandContext, command, sport_help

if TYPE_CHECKING:
    from app.services.history import Followed
    from app.store.repo import Store

#: A client's imported session may not be edited: a mistake the user sees, exit 2.
SESSION_ERRORS: dict[type[BaseException], int] = {PermissionError: EXIT_USAGE}


def _exists(store: Store, session_id: int) -> None:
    if store.get_session(session_id) is None:
        raise UserError(f"no session {session_id}", EXIT_NOT_FOUND)


def _writable(store: Store, session_id: int) -> None:
    """History's rule for notes too: imported clients' sessions are read-only."""
    info = store.get_session(session_id)
    owner = store.athlete(info.athlete_id) if info is not None else None
    if owner is not None and owner.read_only:
        raise PermissionError("sessions of imported clients are read-only")


def _queued(followed: Followed) -> str:
    """The CLI's note on what an edit queued ('' when nothing)."""
    note = followed.note()
    return f"; queued {note} (sent by `pulsedeck sync run`)" if note else ""


@command(errors=SESSION_ERRORS)
def cmd_sessions_rename(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.domain.validation import session_title
    from app.services.history import HistoryService

    store = ctx.store
    _exists(store, args.id)
    title = session_title(args.title)  # InvalidInput (exit 2): control characters, too long
    note = _queued(HistoryService(store).rename(args.id, title or ""))
    shown = repr(title) if title else "no title"
    print(f"session {args.id} renamed to {shown}{note}")
    return EXIT_OK


@command(errors=SESSION_ERRORS)
def cmd_sessions_set(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.domain.validation import note_text
    from app.services.history import Followed, HistoryService
    from app.services.rows import SPORTS
    from app.store import models as m

    if args.sport is None and args.notes is None:
        raise UserError("give --sport and/or --notes")
    if args.sport is not None and args.sport not in SPORTS:
        raise UserError(f"unknown sport {args.sport!r}; one of: {', '.join(SPORTS)}")
    notes = note_text(args.notes) if args.notes is not None else None
    store = ctx.store
    _exists(store, args.id)
    history = HistoryService(store)
    changed = []
    followed = Followed()
    if args.sport is not None:
        followed = history.change_sport(args.id, args.sport)
        changed.append(f"sport {args.sport}")
    if args.notes is not None:
        _writable(store, args.id)
        with store.orm() as s, s.begin():
            row = s.get(m.Session, args.id)
            if row is not None:
                row.notes = notes
        changed.append("notes" if notes else "notes cleared")
    note = _queued(followed)
    print(f"session {args.id}: {', '.join(changed)}{note}")
    return EXIT_OK


@command(errors=SESSION_ERRORS)
def cmd_sessions_delete(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.services.history import HistoryService

    store = ctx.store
    _exists(store, args.id)
    HistoryService(store).delete(args.id)
    print(f"session {args.id} deleted (its activities on Strava stay)")
    return EXIT_OK


def register_sessions(ssub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add rename, set and delete under `pulsedeck sessions`."""
    rn = ssub.add_parser("rename", help="set a session's title (a child's name routes a copy)")
    rn.add_argument("id", type=int, help="session id")
    rn.add_argument("title", help="the new title ('' clears it)")
    rn.set_defaults(func=cmd_sessions_rename)
    st = ssub.add_parser("set", help="change a session's sport or notes")
    st.add_argument("id", type=int, help="session id")
    st.add_argument("--sport", help=sport_help())
    st.add_argument("--notes", help="free text ('' clears them)")
    st.set_defaults(func=cmd_sessions_set)
    dl = ssub.add_parser("delete", help="delete a session (hidden at once, like the app)")
    dl.add_argument("id", type=int, help="session id")
    dl.set_defaults(func=cmd_sessions_delete)
