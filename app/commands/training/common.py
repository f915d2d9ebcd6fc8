"""What the training-log commands share: their errors, date parsing, athlete lookup, output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from datetime import date, datetime, time, tzinfo

from app.commands import EXIT_NOT_FOUND, EXIT_USAGE, UserError
from app.commands.common import CommandContext
from app.commands.common import command as _plumbing
from app.domain.goals import Achievement
from app.store.repo import now_ms
from app.training import body as body_mod
from app.training import catalog
from app.training.goals import GoalError

#: This area's mistakes: unknown goal, session or exercise (LookupError), bad values.
TRAINING_ERRORS: dict[type[BaseException], int] = {
    LookupError: EXIT_NOT_FOUND,
    GoalError: EXIT_USAGE,
    catalog.CatalogError: EXIT_USAGE,
    body_mod.MetricError: EXIT_USAGE,
    ValueError: EXIT_USAGE,
}

#: Every command here: @command with this area's errors (app.commands.common).
command = _plumbing(errors=TRAINING_ERRORS)


#: Dates outside these years are typos (and 9999 would overflow the date arithmetic).
MIN_YEAR, MAX_YEAR = 1900, 2200


def parse_date(text: str) -> date:
    """An argparse type for YYYY-MM-DD, so a typo is a usage error before anything runs."""
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"the year must be {MIN_YEAR}-{MAX_YEAR}: {text!r}")
    return day


def instant(text: str | None, tz: tzinfo) -> int:
    """UTC ms for an ISO date or date-time; naive values are in the athlete's zone."""
    if text is None:
        return now_ms()
    try:
        dt = datetime.fromisoformat(text)
    except ValueError as exc:
        raise UserError(f"not a date or date-time: {text!r}") from exc
    if not MIN_YEAR <= dt.year <= MAX_YEAR:
        raise UserError(f"the year must be {MIN_YEAR}-{MAX_YEAR}: {text!r}")
    if len(text) == 10:
        dt = datetime.combine(dt.date(), time(7, 0))
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    return int(dt.timestamp() * 1000)


def number_or_none(text: str) -> float | None:
    """An argparse type for an option that can be emptied: a number, or "none" to clear."""
    if text.strip().casefold() in ("none", "-"):
        return None
    try:
        return float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"a number or 'none' (to clear), got {text!r}") from exc


def athlete(ctx: CommandContext) -> int:
    """--athlete or yourself; read commands never create one (exit 4)."""
    return ctx.athlete().id


def writer(ctx: CommandContext) -> int:
    """--athlete (never created) or yourself, created on first use: for commands that write.

    An imported (read-only) client is refused (exit 2): pulled data is never changed here.
    """
    return ctx.athlete(create=ctx.args.athlete is None, write=True).id


def editor(ctx: CommandContext) -> int:
    """--athlete or yourself, never created, read-only clients refused: edits and deletes."""
    return ctx.athlete(write=True).id


def catalog_athlete(ctx: CommandContext) -> int | None:
    """Whose own exercises join the built-ins; before yourself exists, only the built-ins."""
    if ctx.args.athlete is None and ctx.store.self_athlete() is None:
        return None
    return athlete(ctx)


def withdrawn(achievements: Sequence[Achievement]) -> None:
    """After an edit: say which achievements the data no longer supports (now withdrawn)."""
    for a in achievements:
        print(f"withdrawn: goal {a.goal_id} for the period starting {a.period_start}")


def iso(ms: int, tz: tzinfo) -> str:
    """An instant as the athlete reads it: local ISO time to the second."""
    return datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="seconds")


def dump(data: object) -> None:
    """Print --json output: indented, dates and other values as strings."""
    print(json.dumps(data, indent=2, default=str))


def opt(value: object) -> str:
    """A table cell: "-" for a missing value, floats rounded to whole numbers."""
    if value is None:
        return "-"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


def num(value: float | None, digits: int) -> str:
    """A table cell with `digits` decimals, "-" for a missing value."""
    return "-" if value is None else f"{value:.{digits}f}"


def add_common(p: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    """The options every training command takes: --athlete and usually --json."""
    p.add_argument("--athlete", help="athlete name (default: yourself)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="machine-readable output")
