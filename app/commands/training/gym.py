"""`pulsedeck exercises|sets|prs`: the exercise catalog, strength sets and personal records."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import tzinfo

from app.commands import EXIT_OK, UserError
from app.commands.common import CommandContext
from app.domain.edits import KEEP, Keep
from app.domain.strength import Record
from app.services.training_log import TrainingLogService
from app.store.repo import Store
from app.training import catalog, strength
from app.training.daily import load_context

from .common import (
    add_common,
    athlete,
    catalog_athlete,
    command,
    dump,
    editor,
    instant,
    iso,
    number_or_none,
    withdrawn,
    writer,
)

# exercises -------------------------------------------------------------------------------


def _exercise_json(e: catalog.ExerciseInfo) -> dict[str, object]:
    return {**asdict(e), "builtin": e.builtin}


@command
def cmd_exercises_search(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = catalog_athlete(ctx)
    found = catalog.search(catalog.exercises(store, athlete_id), args.query, limit=args.limit)
    if args.json:
        dump(
            [{**_exercise_json(f.exercise), "score": f.score, "matched": f.matched} for f in found]
        )
    elif not found:
        print(f"nothing resembles {args.query!r}")
    for f in [] if args.json else found:
        print(
            f"{f.score:5.1f}  {f.exercise.name}"
            + (f"  (as {f.matched!r})" if f.matched != f.exercise.name else "")
        )
    return EXIT_OK


@command
def cmd_exercises_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    entries = catalog.exercises(store, catalog_athlete(ctx))
    if args.json:
        dump([_exercise_json(e) for e in entries])
        return EXIT_OK
    for e in entries:
        mine = "" if e.builtin else "  (yours)"
        print(f"{e.name:32} {e.kind:8} {e.equipment or '-':10} {', '.join(e.muscle_groups)}{mine}")
    return EXIT_OK


@command
def cmd_exercises_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    e = catalog.add_custom(
        store,
        writer(ctx),
        args.name,
        aliases=args.alias or (),
        muscle_groups=args.muscle or (),
        equipment=args.equipment,
        kind=args.kind,
    )
    print(json.dumps(_exercise_json(e)) if args.json else f"added exercise {e.name!r}")
    return EXIT_OK


@command
def cmd_exercises_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = editor(ctx)
    found = catalog.lookup(store, athlete_id, args.exercise)
    e = catalog.edit_custom(
        store,
        athlete_id,
        found,
        name=args.name,
        aliases=args.alias,
        muscle_groups=args.muscle,
        equipment=args.equipment,
        kind=args.kind,
    )
    print(json.dumps(_exercise_json(e)) if args.json else f"exercise {e.name!r} saved")
    return EXIT_OK


@command
def cmd_exercises_delete(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = editor(ctx)
    found = catalog.lookup(store, athlete_id, args.exercise)
    catalog.delete_custom(store, athlete_id, found)
    print(f"exercise {found.name!r} deleted")
    return EXIT_OK


# sets ------------------------------------------------------------------------------------


def _record_text(r: Record) -> str:
    prev = "first" if r.previous is None else f"was {r.previous:g}"
    what = {
        "e1rm": "estimated 1RM",
        "volume": "set volume",
        "max_reps": "max reps",
        "weight_for_reps": f"{r.reps}-rep max",
    }[r.kind]
    return f"PR {what}: {r.value:.1f} ({prev})"


def _ask(question: str) -> bool:
    """Ask yes/no on a terminal; a script (no terminal) never gets a question: no."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
    except EOFError:
        return False


def _exercise_to_log(
    store: Store, athlete_id: int, name: str, create: bool
) -> catalog.ExerciseInfo:
    """The exercise a set goes under: sure matches only; asks on a terminal, else refuses."""
    try:
        return catalog.lookup(store, athlete_id, name)
    except catalog.UnknownExercise as exc:
        if create:
            return catalog.add_custom(store, athlete_id, name)
        if exc.suggestions and _ask(
            f"no exercise called {name!r}; log it as {exc.suggestions[0]}?"
        ):
            found = catalog.resolve(store, athlete_id, exc.suggestions[0])
            if found is not None:
                return found
        raise UserError(f"{exc} (--create adds it as your own exercise)") from exc


def _span(args: argparse.Namespace, start: int, tz: tzinfo) -> int | None:
    """The set's end from --end or --duration (needed for HR during the set)."""
    if args.end is not None and args.duration is not None:
        raise UserError("give --end or --duration, not both")
    if args.duration is not None:
        if not 0 < args.duration <= 3600:
            raise UserError("--duration must be 1-3600 seconds")
        return start + round(float(args.duration) * 1000)
    if args.end is not None:
        end = instant(args.end, tz)
        if end < start:
            raise UserError("--end is before the set's start (--at)")
        return end
    return None


def _set_text(saved: strength.SavedSet) -> str:
    e1 = "" if saved.e1rm_kg is None else f", e1RM {saved.e1rm_kg:.1f} kg (Epley)"
    weight = f" x {saved.weight_kg:g} kg" if saved.weight_kg else ""
    rpe = "" if saved.rpe is None else f", RPE {saved.rpe:g}"
    hr = ""
    if saved.avg_hr is not None:
        hr = f", HR avg {saved.avg_hr:.0f} max {saved.max_hr}"
        if saved.hr_recovery is not None:
            hr += f", recovery {saved.hr_recovery:.0f} bpm/60 s"
    return f"{saved.exercise} {saved.reps}{weight}, volume {saved.volume_kg:g} kg{e1}{rpe}{hr}"


def _exercise_arg(store: Store, athlete_id: int, name: str | None) -> catalog.ExerciseInfo | None:
    """An --exercise filter: sure matches only; look-alikes are suggested (exit 2)."""
    if name is None:
        return None
    try:
        return catalog.lookup(store, athlete_id, name)
    except catalog.UnknownExercise as exc:
        if exc.suggestions:
            raise
        raise LookupError(f"no exercise matches {name!r}") from exc


@command
def cmd_sets_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = writer(ctx)
    tz = load_context(store, athlete_id).tz
    started = instant(args.at, tz)
    ended = _span(args, started, tz)
    exercise = _exercise_to_log(store, athlete_id, args.exercise, args.create)
    saved = strength.log_set(
        store,
        athlete_id,
        exercise,
        args.reps,
        args.weight,
        started,
        ended_ms=ended,
        session_id=args.session,
        rpe=args.rpe,
    )
    if args.json:
        dump({**asdict(saved), "is_pr": saved.is_pr})
        return EXIT_OK
    print(f"set {saved.id}: {_set_text(saved)}")
    if args.session is not None and ended is None:
        print("  (no HR during the set: give --end or --duration with --session)")
    for r in saved.records:
        print(f"  {_record_text(r)}")
    return EXIT_OK


@command
def cmd_sets_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = athlete(ctx)
    tz = load_context(store, athlete_id).tz
    rows = strength.sets(store, athlete_id, _exercise_arg(store, athlete_id, args.exercise))
    if args.json:
        dump([{**asdict(r), "at": iso(r.started_ms, tz)} for r in rows])
        return EXIT_OK
    for r in rows:
        w = "-" if r.weight_kg is None else f"{r.weight_kg:g}"
        e1 = "-" if r.e1rm_kg is None else f"{r.e1rm_kg:.1f}"
        rpe = "-" if r.rpe is None else f"{r.rpe:g}"
        hr = "" if r.avg_hr is None else f"  HR {r.avg_hr:.0f}/{r.max_hr}"
        print(
            f"{r.id:>5} {iso(r.started_ms, tz):25} {r.exercise:24} {r.reps:>4} x {w:>6} kg"
            f"  e1RM {e1:>6}  RPE {rpe:>3}{hr}"
        )
    return EXIT_OK


@command
def cmd_sets_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    """An option left out keeps its field (KEEP); `--rpe none` clears the RPE."""
    store = ctx.store
    athlete_id = editor(ctx)
    tz = load_context(store, athlete_id).tz
    exercise: catalog.ExerciseInfo | Keep = KEEP
    if not isinstance(args.exercise, Keep):
        exercise = _exercise_to_log(store, athlete_id, args.exercise, create=False)
    edit = TrainingLogService(store).edit_set(
        athlete_id,
        args.id,
        exercise=exercise,
        reps=args.reps,
        weight_kg=args.weight,
        rpe=args.rpe,
        started_ms=KEEP if isinstance(args.at, Keep) else instant(args.at, tz),
    )
    print(f"set {edit.saved.id}: {_set_text(edit.saved)}")
    for r in edit.saved.records:
        print(f"  {_record_text(r)}")
    withdrawn(edit.withdrawn)
    return EXIT_OK


@command
def cmd_sets_delete(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = editor(ctx)
    gone = TrainingLogService(store).delete_set(athlete_id, args.id)
    print(f"set {args.id} deleted; records recomputed")
    withdrawn(gone)
    return EXIT_OK


# prs -------------------------------------------------------------------------------------


@command
def cmd_prs(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = athlete(ctx)
    tz = load_context(store, athlete_id).tz
    history = strength.pr_history(
        store, athlete_id, _exercise_arg(store, athlete_id, args.exercise)
    )
    rows = history if args.history else strength.current_records(history)
    if args.json:
        dump([{**asdict(r), "at": iso(r.achieved_ms, tz)} for r in rows])
        return EXIT_OK
    if not rows:
        print("no personal records yet: log sets with `pulsedeck sets add`")
    for r in rows:
        kind = f"{r.reps}-rep max" if r.kind == "weight_for_reps" else r.kind
        print(f"{r.exercise:24} {kind:16} {r.value:8.1f}  {iso(r.achieved_ms, tz)}")
    return EXIT_OK


# parser ----------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `prs`, `exercises` and `sets` to the `pulsedeck` parser, in that order."""
    p = sub.add_parser("prs", help="personal records")
    add_common(p)
    p.add_argument("--exercise", help="one exercise (typos are fine)")
    p.add_argument("--history", action="store_true", help="every record, not just standing ones")
    p.set_defaults(func=cmd_prs)

    ex = sub.add_parser("exercises", help="the exercise catalog")
    esub = ex.add_subparsers(dest="exercises_command", metavar="ACTION", required=True)
    e = esub.add_parser("search", help="typo-tolerant search")
    add_common(e)
    e.add_argument("query", help="part of a name or alias")
    e.add_argument("--limit", type=int, default=5, help="at most N matches (default: 5)")
    e.set_defaults(func=cmd_exercises_search)
    e = esub.add_parser("list", help="built-in and your own exercises")
    add_common(e)
    e.set_defaults(func=cmd_exercises_list)
    e = esub.add_parser("add", help="define your own exercise")
    add_common(e)
    e.add_argument("name", help="the exercise's name")
    e.add_argument("--alias", action="append", help="another name (repeatable)")
    e.add_argument("--muscle", action="append", help="a muscle worked (repeatable)")
    e.add_argument("--equipment", help="e.g. barbell, dumbbell, none")
    e.add_argument("--kind", default="strength", choices=list(catalog.KINDS), help="the kind")
    e.set_defaults(func=cmd_exercises_add)
    e = esub.add_parser("edit", help="change one of your own exercises")
    add_common(e)
    e.add_argument("exercise", help="exercise name or id")
    e.add_argument("--name", help="new name (its sets follow)")
    e.add_argument("--alias", action="append", help="replaces the aliases")
    e.add_argument("--muscle", action="append", help="replaces the muscle groups")
    e.add_argument("--equipment", help="e.g. barbell, dumbbell, none")
    e.add_argument("--kind", choices=list(catalog.KINDS), help="the kind")
    e.set_defaults(func=cmd_exercises_edit)
    e = esub.add_parser("delete", help="delete one of your own exercises (unused ones)")
    add_common(e, json_flag=False)
    e.add_argument("exercise", help="exercise name or id")
    e.set_defaults(func=cmd_exercises_delete)

    st = sub.add_parser("sets", help="log and list strength sets")
    ssub = st.add_subparsers(dest="sets_command", metavar="ACTION", required=True)
    s = ssub.add_parser("add", help="log a set; prints any record it breaks")
    add_common(s)
    s.add_argument("exercise", help="exercise name or id")
    s.add_argument("reps", type=int, help="repetitions")
    s.add_argument("weight", type=float, nargs="?", help="kg (omit for bodyweight)")
    s.add_argument("--at", help="when (ISO date-time; default now)")
    s.add_argument("--end", help="when the set ended (ISO date-time), for HR during it")
    s.add_argument("--duration", type=float, help="the set's length in seconds (instead of --end)")
    s.add_argument("--session", type=int, help="session id, for HR during the set and after it")
    s.add_argument("--rpe", type=float, help="rating of perceived exertion, 1-10")
    s.add_argument("--create", action="store_true", help="add EXERCISE as your own if unknown")
    s.set_defaults(func=cmd_sets_add)
    s = ssub.add_parser("edit", help="correct a set; records and goals are recomputed")
    add_common(s, json_flag=False)
    s.add_argument("id", type=int, help="set id (sets list)")
    # An option left out keeps its field (KEEP); "none" empties one that may be empty.
    s.add_argument("--exercise", default=KEEP, help="exercise name or id")
    s.add_argument("--reps", type=int, default=KEEP, help="repetitions")
    s.add_argument("--weight", type=number_or_none, default=KEEP, help="kg (0 or none: bodyweight)")
    s.add_argument("--rpe", type=number_or_none, default=KEEP, help="RPE 1-10 (none: no RPE)")
    s.add_argument("--at", default=KEEP, help="new start (ISO date-time)")
    s.set_defaults(func=cmd_sets_edit)
    s = ssub.add_parser("delete", help="delete a set; records and goals are recomputed")
    add_common(s, json_flag=False)
    s.add_argument("id", type=int, help="set id (sets list)")
    s.set_defaults(func=cmd_sets_delete)
    s = ssub.add_parser("list", help="list sets")
    add_common(s)
    s.add_argument("--exercise", help="only this exercise")
    s.set_defaults(func=cmd_sets_list)
