"""`pulsedeck import PATH... [--athlete NAME] [--watch [DIR]] [--json]`: activity files in.

Prints one line per file (imported, duplicate, refused with the reason) and a final report.
Exit codes: 0 every file imported or already there; 1 some file refused (the report says
why; the others are imported); 2 usage (no PATH, a read-only athlete); 3 storage; 4 a PATH
that does not exist; 130 Ctrl+C (files imported before it are kept, none half-stored).
`--watch` runs until Ctrl+C, which ends it normally once the file being imported is done:
the report then covers the watched files too and the exit code is 0 or 1 as above (a
second Ctrl+C interrupts at once: 130).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from app.commands import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, UserError
from app.commands.common import CommandContext, command

if TYPE_CHECKING:
    from sync.imports import FileResult


def _line(result: object) -> str:
    from sync.imports import FileResult, Outcome

    assert isinstance(result, FileResult)
    r = result
    if r.outcome is Outcome.IMPORTED:
        note = f" ({r.reason})" if r.reason else ""
        return (
            f"imported   {r.label} -> session {r.session_id}: {r.samples} samples, {r.rr} RR{note}"
        )
    if r.outcome is Outcome.DUPLICATE:
        return f"duplicate  {r.label}: {r.reason}"
    return f"{r.outcome.value:10} {r.label}: {r.reason}"


@command
def cmd_import(args: argparse.Namespace, ctx: CommandContext) -> int:
    from app.commands.progress import terminal_progress
    from app.store.repo import ReadOnlyAthlete, resolve_athlete
    from app.store.settings import IMPORT_WATCH_DIR, Settings
    from sync.imports import Outcome, import_paths

    paths = [Path(p) for p in args.paths]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise UserError(f"no such file or folder: {', '.join(missing)}", EXIT_NOT_FOUND)
    watch: Path | None = None
    if args.watch is not None:
        stored = Settings(ctx.store).get(IMPORT_WATCH_DIR)
        watch = Path(args.watch or stored or "")
        if not (args.watch or stored):
            raise UserError("--watch needs a folder (or set the watched folder in Settings)")
        if not watch.is_dir():
            raise UserError(f"not a folder: {watch}", EXIT_NOT_FOUND)
    elif not paths:
        raise UserError("name at least one file or folder to import (or --watch DIR)")
    try:  # importing for a client is how a coach loads their files: created if new
        athlete = resolve_athlete(ctx.store, args.athlete, create=True, write=True)
    except ReadOnlyAthlete as exc:
        raise UserError(str(exc)) from exc

    def show(r: FileResult) -> None:
        if not args.json:
            if bar is not None:
                bar.clear()  # the file's line, then the bar again below it
            print(_line(r), flush=True)

    with terminal_progress("import", "files") as bar:
        report = import_paths(ctx.store, athlete.id, paths, on_result=show, progress=bar)
    if watch is not None:

        def watched(r: FileResult) -> None:  # in the report and the exit code like the rest
            report.results.append(r)
            show(r)

        _watch(ctx, athlete.id, watch, watched)
    if args.json:
        print(
            json.dumps(
                {
                    "athlete": athlete.name,
                    "imported": report.count(Outcome.IMPORTED),
                    "duplicates": report.count(Outcome.DUPLICATE),
                    "refused": report.count(Outcome.REFUSED),
                    "files": [
                        {
                            "file": r.label,
                            "outcome": r.outcome.value,
                            "reason": r.reason,
                            "session": r.session_id,
                            "samples": r.samples,
                            "rr": r.rr,
                        }
                        for r in report.results
                    ],
                },
                indent=2,
            )
        )
    else:
        print(report.summary())
    return EXIT_ERROR if report.count(Outcome.REFUSED) else EXIT_OK


def _watch(
    ctx: CommandContext, athlete_id: int, folder: Path, on_result: Callable[[FileResult], None]
) -> None:
    """Watch `folder` until Ctrl+C, which lets the file being imported finish and be reported.

    A second Ctrl+C interrupts at once (exit 130; that file is rolled back, nothing half-stored).
    """
    from sync.imports.watch import POLL_S, watch_folder

    stop = threading.Event()
    on_main = threading.current_thread() is threading.main_thread()  # signals go there only
    previous = signal.getsignal(signal.SIGINT)

    def first_ctrl_c(signum: int, frame: FrameType | None) -> None:
        stop.set()
        signal.signal(signal.SIGINT, previous)

    if on_main:
        signal.signal(signal.SIGINT, first_ctrl_c)
    try:
        print(f"watching {folder} (Ctrl+C stops)", file=sys.stderr, flush=True)
        # POLL_S is read now, not frozen in watch_folder's default (as the app's watcher does);
        # the sleep is the event's wait, so Ctrl+C ends it at once.
        watch_folder(
            ctx.store, athlete_id, folder, on_result=on_result, stop=stop.is_set,
            poll_s=POLL_S, sleep=stop.wait,
        )  # fmt: skip
    finally:
        if on_main:
            signal.signal(signal.SIGINT, previous)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `import PATH...` to the `pulsedeck` parser."""
    p = sub.add_parser(
        "import",
        help="import FIT/TCX/GPX files, folders, .zip/.gz, a Strava bulk export",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="file, folder, .zip or .gz")
    p.add_argument("--athlete", help="whose activities (default: yourself; created if new)")
    p.add_argument(
        "--watch",
        nargs="?",
        const="",
        metavar="DIR",
        help="then keep importing new files from DIR (default: the watched folder setting)",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_import)
