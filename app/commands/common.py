"""CLI plumbing written once: open the store, resolve the athlete, map errors to exit codes.

A command is a handler that takes its arguments and a `CommandContext`, decorated with
`@command`:

    @command
    def cmd_list(args: argparse.Namespace, ctx: CommandContext) -> int:
        athlete = ctx.athlete()  # --athlete NAME, else the self; never creates: exit 4
        rows = query(ctx.store, athlete.id)  # opened on first use, closed after the command
        ...
        return EXIT_OK

Handlers raise instead of printing errors: `UserError(message, code)` for anything the user
can fix; storage errors, unknown athletes and a running recorder map by type (`exit_codes`).
A module adds its own types with `@command(errors={GoalError: EXIT_USAGE})`. Only commands
that create athletes say so: `ctx.athlete(create=True)`. `@command(recover=True)` also closes
sessions a crash left open when no Pulsedeck is running. Anything else is a bug: one line,
exit 1, the traceback with -v. `app.cli.main` maps errors of undecorated commands the same way.

To adopt it in a module that still returns codes by hand (feeds.py, record): replace each
`_fail(message, code)` / `_err(...); return CODE` with `raise UserError(message, CODE)`, each
`Store.open(...)`/`close()` pair with `ctx.store`, and declare the area's exception types once,
e.g. `@command(errors={FeedAuthError: EXIT_AUTH, FeedUnavailable: EXIT_NOT_FOUND})`. A
recorder keeps `recording_store(ctx.data_dir)` (it takes the instance lock) instead of
`ctx.store`.
"""

from __future__ import annotations

import argparse
import functools
import logging
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, overload

from app.commands import (
    EXIT_ERROR,
    EXIT_NOT_FOUND,
    EXIT_RUNNING,
    EXIT_STORE,
    EXIT_USAGE,
    UserError,
)
from app.instance import AlreadyRunning, InstanceLock
from app.paths import resolve_data_dir
from app.store.errors import StoreError, classify

if TYPE_CHECKING:  # the store pulls in SQLAlchemy: imported lazily for a fast GUI start
    from app.store.repo import AthleteInfo, Store

log = logging.getLogger("pulsedeck")

#: Exit code of a command stopped by Ctrl+C before it could finish on its own.
EXIT_INTERRUPTED = 130

ErrorCodes = Mapping[type[BaseException], int]


def exit_codes() -> ErrorCodes:
    """Which exception means which exit code, for every command (first match wins)."""
    from app.domain.validation import InvalidInput
    from app.secrets import SecretFileError, SecretsUnavailable  # keyring: error path only
    from app.store.repo import AthleteNotFound, ReadOnlyAthlete  # error path: no SQLAlchemy

    return {
        SecretsUnavailable: EXIT_USAGE,  # no safe keyring: configuration the user must fix
        SecretFileError: EXIT_USAGE,
        StoreError: EXIT_STORE,  # locked, full, corrupt, newer schema: the file is untouched
        AthleteNotFound: EXIT_NOT_FOUND,
        InvalidInput: EXIT_USAGE,  # a blank name, a control character, a profile out of range
        ReadOnlyAthlete: EXIT_USAGE,  # a write for an imported client
        AlreadyRunning: EXIT_RUNNING,
    }


def _message(exc: BaseException) -> str:
    if isinstance(exc, LookupError) and exc.args:  # KeyError's str() adds quotes
        return str(exc.args[0])
    return str(exc)


def report_error(exc: BaseException, errors: ErrorCodes | None = None) -> int:
    """Print one line for `exc` on stderr and return its exit code."""
    exc = classify(exc)  # a full disk or corrupt page from deep inside is a storage error
    if isinstance(exc, UserError):
        code, message = exc.code, str(exc)
    elif isinstance(exc, KeyboardInterrupt):
        code, message = EXIT_INTERRUPTED, "interrupted"
    else:
        table = [*(errors or {}).items(), *exit_codes().items()]
        known = next((c for t, c in table if isinstance(exc, t)), None)
        if known is None:  # a bug: one line for the user, the traceback with --verbose
            log.debug("unexpected error", exc_info=exc)
            code = EXIT_ERROR
            message = f"unexpected error: {type(exc).__name__}: {exc} (run with -v for details)"
        else:
            code, message = known, _message(exc)
    print(f"pulsedeck: {message}", file=sys.stderr, flush=True)
    return code


def open_store(data_dir: Path, *, recover: bool = False) -> Store:
    """Open the store; with `recover`, close sessions a crash left open if nobody records."""
    from app.store.repo import Store

    store = Store.open(data_dir)
    if not recover or store.read_only:  # a read-only folder: nothing can be recovered there
        return store
    lock = InstanceLock(data_dir)
    try:
        lock.acquire()
    except AlreadyRunning:
        return store  # the running instance owns its open session
    try:
        for sid in store.recover_sessions():
            print(f"recovered session {sid} left open by an earlier crash", file=sys.stderr)
    finally:
        lock.release()
    return store


class CommandContext:
    """What a handler gets besides its arguments: the store (opened on first use), the athlete."""

    def __init__(self, args: argparse.Namespace, *, recover: bool = False) -> None:
        self.args = args
        self._recover = recover
        self._store: Store | None = None

    @property
    def data_dir(self) -> Path:
        return resolve_data_dir(getattr(self.args, "data_dir", None))

    @property
    def store(self) -> Store:
        if self._store is None:
            self._store = open_store(self.data_dir, recover=self._recover)
        return self._store

    def athlete(
        self, name: str | None = None, *, create: bool = False, write: bool = False
    ) -> AthleteInfo:
        """`name`, else --athlete, else the self athlete; missing ones exit 4 unless `create`.

        With `write`, an imported (read-only) client is refused with exit 2.
        """
        from app.store.repo import resolve_athlete

        wanted = name if name is not None else getattr(self.args, "athlete", None)
        return resolve_athlete(self.store, wanted, create=create, write=write)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


Handler = Callable[[argparse.Namespace, CommandContext], int]
Command = Callable[[argparse.Namespace], int]


@overload
def command(func: Handler, /) -> Command: ...


@overload
def command(
    *, errors: ErrorCodes | None = None, recover: bool = False
) -> Callable[[Handler], Command]: ...


def command(
    func: Handler | None = None, /, *, errors: ErrorCodes | None = None, recover: bool = False
) -> Command | Callable[[Handler], Command]:
    """Make `func(args, ctx)` a command: the store opened once and closed, errors as exit codes.

    Args:
        func: the handler; returns the exit code of a normal end.
        errors: this command's own exception types and their exit codes (message: str(exc)).
        recover: recover sessions a crash left open when the store is opened.
    """

    def decorate(handler: Handler) -> Command:
        @functools.wraps(handler)
        def run(args: argparse.Namespace) -> int:
            ctx = CommandContext(args, recover=recover)
            try:
                return int(handler(args, ctx))
            except (Exception, KeyboardInterrupt) as exc:
                return report_error(exc, errors)
            finally:
                ctx.close()

        return run

    return decorate if func is None else decorate(func)


def sport_help(default: str | None = None) -> str:
    """`--sport` help listing the sports a session may have (the one SPORTS tuple)."""
    from app.services.rows import SPORTS

    tail = f" (default: {default})" if default else ""
    return "one of " + ", ".join(SPORTS) + tail


def clip(text: str, width: int) -> str:
    """`text` fitted to a table column of `width`: a longer one ends with an ellipsis (…)."""
    return text if len(text) <= width else text[: width - 1] + "…"
