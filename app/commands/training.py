"""Training-log commands: summary, goals, prs, exercises, sets, body, zones, load.

Exit codes follow app.cli: 2 for a usage mistake, 3 storage, 4 when an athlete, goal or
exercise does not exist. No command here creates a named athlete; the ones that write (goals
add, sets add, body add/measure, exercises add, zones --model) create yourself on first use.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import asdict
from datetime import date, datetime, time, timedelta, tzinfo

from app.commands import EXIT_NOT_FOUND, EXIT_OK, EXIT_USAGE, UserError
from app.commands.common import CommandContext
from app.commands.common import command as _plumbing
from app.store.repo import Store, now_ms
from app.training import body as body_mod
from app.training import catalog, strength
from app.training.calendar import local_date
from app.training.daily import DailyService, load_context, set_zone_model
from app.training.days import KCAL_BASIS, DaySummary
from app.training.goals import GoalEngine, GoalError, GoalKind, GoalProgress, Period
from app.training.load import LoadService, athlete_load, set_thresholds
from app.training.readiness import ReadinessService
from app.training.zones import ZoneModel

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


def _date(text: str) -> date:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from exc
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise argparse.ArgumentTypeError(f"the year must be {MIN_YEAR}-{MAX_YEAR}: {text!r}")
    return day


def _instant(text: str | None, tz: tzinfo) -> int:
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


def _athlete(ctx: CommandContext) -> int:
    """--athlete or yourself; read commands never create one (exit 4)."""
    return ctx.athlete().id


def _writer(ctx: CommandContext) -> int:
    """--athlete (never created) or yourself, created on first use: for commands that write.

    An imported (read-only) client is refused (exit 2): pulled data is never changed here.
    """
    return ctx.athlete(create=ctx.args.athlete is None, write=True).id


def _editor(ctx: CommandContext) -> int:
    """--athlete or yourself, never created, read-only clients refused: edits and deletes."""
    return ctx.athlete(write=True).id


def _catalog_athlete(ctx: CommandContext) -> int | None:
    """Whose own exercises join the built-ins; before yourself exists, only the built-ins."""
    if ctx.args.athlete is None and ctx.store.self_athlete() is None:
        return None
    return _athlete(ctx)


def _iso(ms: int, tz: tzinfo) -> str:
    return datetime.fromtimestamp(ms / 1000, tz).isoformat(timespec="seconds")


def _dump(data: object) -> None:
    print(json.dumps(data, indent=2, default=str))


# summary ---------------------------------------------------------------------------------

SUMMARY_FIELDS = (
    "date",
    "steps",
    "distance_km",
    "active_min",
    "avg_hr",
    "max_hr",
    "kcal",
    "sessions",
    "trimp",
    "z1_min",
    "z2_min",
    "z3_min",
    "z4_min",
    "z5_min",
)


def summary_row(d: DaySummary) -> dict[str, object]:
    """The stable shape of one day in --json and --csv."""
    row: dict[str, object] = {
        "date": d.day.isoformat(),
        "steps": d.steps,
        "distance_km": round(d.distance_m / 1000, 3),
        "active_min": round(d.active_s / 60, 1),
        "avg_hr": None if d.avg_hr is None else round(d.avg_hr, 1),
        "max_hr": d.max_hr,
        "kcal": None if d.kcal is None else round(d.kcal, 1),
        "sessions": d.sessions,
        "trimp": round(d.trimp, 1),
    }
    for i, z in enumerate(d.zone_s, start=1):
        row[f"z{i}_min"] = round(z / 60, 1)
    return row


@command
def cmd_summary(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _athlete(ctx)
    ctx = load_context(store, athlete_id)
    today = local_date(now_ms(), ctx.tz)
    last = args.to or (args.from_ + timedelta(days=6) if args.from_ else today)
    first = args.from_ or last - timedelta(days=6)
    if last < first:
        raise UserError("--to is before --from")
    if (last - first).days > 3660:
        raise UserError("at most ten years at a time")
    days = DailyService(store).days(athlete_id, first, last)
    rows = [summary_row(d) for d in days]
    if args.json:
        _dump(
            {
                "athlete": ctx.name,
                "timezone": ctx.tz_name or str(ctx.tz),
                "kcal_basis": KCAL_BASIS,
                "days": [
                    {**r, "kcal_methods": list(d.kcal_methods)}
                    for r, d in zip(rows, days, strict=True)
                ],
            }
        )
    elif args.csv:
        w = csv.DictWriter(sys.stdout, fieldnames=SUMMARY_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    else:
        print(f"{ctx.name} ({ctx.tz_name or ctx.tz}); kcal = {KCAL_BASIS}")
        print(
            f"{'date':10} {'steps':>7} {'km':>7} {'active':>7} {'avgHR':>5} {'maxHR':>5} "
            f"{'kcal':>6} {'sess':>4}  zones (min)"
        )
        for r in rows:
            zones = " ".join(f"{r[f'z{i}_min']:g}" for i in range(1, 6))
            print(
                f"{r['date']:10} {r['steps']:>7} {r['distance_km']:>7.2f} "
                f"{r['active_min']:>7.1f} {_opt(r['avg_hr']):>5} {_opt(r['max_hr']):>5} "
                f"{_opt(r['kcal']):>6} {r['sessions']:>4}  {zones}"
            )
    return EXIT_OK


def _opt(value: object) -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if isinstance(value, float) else str(value)


# goals -----------------------------------------------------------------------------------


def goal_json(g: GoalProgress) -> dict[str, object]:
    return {
        "goal_id": g.goal.id,
        "kind": g.goal.kind.value,
        "period": g.goal.period.value,
        "target": g.goal.target,
        "unit": g.goal.unit,
        "zone": g.goal.zone,
        "period_start": g.period_start.isoformat(),
        "period_end": g.period_end.isoformat(),
        "value": None if g.value is None else round(g.value, 3),
        "fraction": round(g.fraction, 4),
        "met": g.met,
        "achieved_at": g.achieved_ms,
        "description": g.goal.describe(),
    }


@command
def cmd_goals_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    engine = GoalEngine(store)
    goals = engine.goals(_athlete(ctx), include_inactive=args.all)
    if args.json:
        _dump([{**asdict(g), "description": g.describe(), "unit": g.unit} for g in goals])
    elif not goals:
        print("no goals yet: try `pulsedeck goals add steps 10000 --period daily`")
    for g in [] if args.json else goals:
        print(f"{g.id:>4}  {g.describe()}{'' if g.active else '  (removed)'}")
    return EXIT_OK


@command
def cmd_goals_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    engine = GoalEngine(store)
    athlete_id = _writer(ctx)
    exercise_id = None
    if args.exercise is not None:
        if args.kind != GoalKind.REPS.value:
            raise UserError("--exercise is for reps goals")
        exercise_id = catalog.lookup(store, athlete_id, args.exercise).id
    goal = engine.add(
        athlete_id,
        args.kind,
        args.period,
        args.target,
        zone=args.zone,
        start=args.from_,
        end=args.to,
        exercise_id=exercise_id,
    )
    if args.json:
        _dump({**asdict(goal), "description": goal.describe()})
    else:
        print(f"goal {goal.id}: {goal.describe()}")
    return EXIT_OK


@command
def cmd_goals_remove(args: argparse.Namespace, ctx: CommandContext) -> int:
    engine = GoalEngine(ctx.store)
    goal = engine.get(args.id)
    if goal is None or goal.athlete_id != _editor(ctx) or not engine.remove(args.id):
        raise LookupError(f"no goal {args.id}")
    print(f"goal {args.id} removed")
    return EXIT_OK


@command
def cmd_goals_progress(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    engine = GoalEngine(store)
    athlete_id = _athlete(ctx)
    new = engine.evaluate(athlete_id)
    progress = engine.progress(athlete_id)
    history = (
        {p.goal.id: engine.history(p.goal.id, args.history) for p in progress}
        if args.history
        else {}
    )
    if args.json:
        _dump(
            {
                "goals": [
                    {**goal_json(p), "history": [goal_json(h) for h in history.get(p.goal.id, [])]}
                    for p in progress
                ],
                "new_achievements": [asdict(a) for a in new],
            }
        )
        return EXIT_OK
    if not progress:
        print("no goals yet: try `pulsedeck goals add steps 10000 --period daily`")
    for p in progress:
        value = "-" if p.value is None else f"{p.value:.4g}"
        bar = "#" * round(p.fraction * 20)
        flag = "  achieved" if p.achieved_ms else ""
        print(
            f"{p.goal.id:>4}  [{bar:20}] {value}/{p.goal.target:g} {p.goal.unit}  "
            f"{p.goal.describe()} ({p.period_start}..{p.period_end}){flag}"
        )
        for h in history.get(p.goal.id, [])[1:]:
            hv = "-" if h.value is None else f"{h.value:.4g}"
            print(f"        {h.period_start}  {hv}{'  achieved' if h.achieved_ms else ''}")
    for a in new:
        print(f"achieved: goal {a.goal_id} for the period starting {a.period_start}")
    return EXIT_OK


# exercises, sets, prs --------------------------------------------------------------------


def _exercise_json(e: catalog.ExerciseInfo) -> dict[str, object]:
    return {**asdict(e), "builtin": e.builtin}


@command
def cmd_exercises_search(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _catalog_athlete(ctx)
    found = catalog.search(catalog.exercises(store, athlete_id), args.query, limit=args.limit)
    if args.json:
        _dump(
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
    entries = catalog.exercises(store, _catalog_athlete(ctx))
    if args.json:
        _dump([_exercise_json(e) for e in entries])
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
        _writer(ctx),
        args.name,
        aliases=args.alias or (),
        muscle_groups=args.muscle or (),
        equipment=args.equipment,
        kind=args.kind,
    )
    print(json.dumps(_exercise_json(e)) if args.json else f"added exercise {e.name!r}")
    return EXIT_OK


def _record_text(r: strength.Record) -> str:
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
        return start + round(args.duration * 1000)
    if args.end is not None:
        end = _instant(args.end, tz)
        if end < start:
            raise UserError("--end is before the set's start (--at)")
        return end
    return None


@command
def cmd_sets_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _writer(ctx)
    tz = load_context(store, athlete_id).tz
    started = _instant(args.at, tz)
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
        _dump({**asdict(saved), "is_pr": saved.is_pr})
        return EXIT_OK
    print(f"set {saved.id}: {_set_text(saved)}")
    if args.session is not None and ended is None:
        print("  (no HR during the set: give --end or --duration with --session)")
    for r in saved.records:
        print(f"  {_record_text(r)}")
    return EXIT_OK


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
def cmd_sets_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _athlete(ctx)
    tz = load_context(store, athlete_id).tz
    rows = strength.sets(store, athlete_id, _exercise_arg(store, athlete_id, args.exercise))
    if args.json:
        _dump([{**asdict(r), "at": _iso(r.started_ms, tz)} for r in rows])
        return EXIT_OK
    for r in rows:
        w = "-" if r.weight_kg is None else f"{r.weight_kg:g}"
        e1 = "-" if r.e1rm_kg is None else f"{r.e1rm_kg:.1f}"
        rpe = "-" if r.rpe is None else f"{r.rpe:g}"
        hr = "" if r.avg_hr is None else f"  HR {r.avg_hr:.0f}/{r.max_hr}"
        print(
            f"{r.id:>5} {_iso(r.started_ms, tz):25} {r.exercise:24} {r.reps:>4} x {w:>6} kg"
            f"  e1RM {e1:>6}  RPE {rpe:>3}{hr}"
        )
    return EXIT_OK


@command
def cmd_prs(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _athlete(ctx)
    tz = load_context(store, athlete_id).tz
    history = strength.pr_history(
        store, athlete_id, _exercise_arg(store, athlete_id, args.exercise)
    )
    rows = history if args.history else strength.current_records(history)
    if args.json:
        _dump([{**asdict(r), "at": _iso(r.achieved_ms, tz)} for r in rows])
        return EXIT_OK
    if not rows:
        print("no personal records yet: log sets with `pulsedeck sets add`")
    for r in rows:
        kind = f"{r.reps}-rep max" if r.kind == "weight_for_reps" else r.kind
        print(f"{r.exercise:24} {kind:16} {r.value:8.1f}  {_iso(r.achieved_ms, tz)}")
    return EXIT_OK


def _withdrawn(store: Store, athlete_id: int) -> None:
    """After an edit: achievements the data no longer supports are withdrawn (and said so)."""
    for a in GoalEngine(store).withdraw_stale(athlete_id):
        print(f"withdrawn: goal {a.goal_id} for the period starting {a.period_start}")


@command
def cmd_sets_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _editor(ctx)
    tz = load_context(store, athlete_id).tz
    exercise = None
    if args.exercise is not None:
        exercise = _exercise_to_log(store, athlete_id, args.exercise, create=False)
    saved = strength.edit_set(
        store,
        athlete_id,
        args.id,
        exercise=exercise,
        reps=args.reps,
        weight_kg=args.weight,
        rpe=args.rpe,
        started_ms=None if args.at is None else _instant(args.at, tz),
    )
    print(f"set {saved.id}: {_set_text(saved)}")
    for r in saved.records:
        print(f"  {_record_text(r)}")
    _withdrawn(store, athlete_id)
    return EXIT_OK


@command
def cmd_sets_delete(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _editor(ctx)
    strength.delete_set(store, athlete_id, args.id)
    print(f"set {args.id} deleted; records recomputed")
    _withdrawn(store, athlete_id)
    return EXIT_OK


@command
def cmd_exercises_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _editor(ctx)
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
    athlete_id = _editor(ctx)
    found = catalog.lookup(store, athlete_id, args.exercise)
    catalog.delete_custom(store, athlete_id, found)
    print(f"exercise {found.name!r} deleted")
    return EXIT_OK


@command
def cmd_goals_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    engine = GoalEngine(store)
    goal = engine.get(args.id)
    if goal is None or goal.athlete_id != _editor(ctx):
        raise LookupError(f"no goal {args.id}")
    goal = engine.edit(args.id, args.target)
    print(f"goal {goal.id}: {goal.describe()}")
    return EXIT_OK


# body ------------------------------------------------------------------------------------

_BODY_FLAGS = {
    "weight": "weight_kg",
    "fat": "body_fat_pct",
    "resting_hr": "resting_hr",
    "rmssd": "rmssd",
    "sdnn": "sdnn",
}


@command
def cmd_body_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _writer(ctx)
    at = _instant(args.at, load_context(store, athlete_id).tz)
    given = {
        kind: getattr(args, flag)
        for flag, kind in _BODY_FLAGS.items()
        if getattr(args, flag) is not None
    }
    if not given:
        raise UserError("give at least one of --weight --fat --resting-hr --rmssd --sdnn")
    for kind, value in given.items():
        body_mod.check(kind, value)  # all or nothing
    added = [body_mod.add_metric(store, athlete_id, k, v, at) for k, v in given.items()]
    if args.json:
        _dump([asdict(a) for a in added])
    else:
        for a in added:
            print(f"{a.kind} {a.value:g} recorded")
    return EXIT_OK


@command
def cmd_body_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _editor(ctx)
    tz = load_context(store, athlete_id).tz
    if args.value is None and args.at is None:
        raise UserError("give --value and/or --at")
    at = None if args.at is None else _instant(args.at, tz)
    got = body_mod.edit_metric(store, athlete_id, args.id, value=args.value, measured_ms=at)
    print(f"body entry {got.id}: {got.kind} {got.value:g} at {_iso(got.measured_ms, tz)}")
    _withdrawn(store, athlete_id)
    return EXIT_OK


@command
def cmd_body_delete(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _editor(ctx)
    body_mod.delete_metric(store, athlete_id, args.id)
    print(f"body entry {args.id} deleted")
    _withdrawn(store, athlete_id)
    return EXIT_OK


@command
def cmd_body_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _athlete(ctx)
    if args.entries:
        tz = load_context(store, athlete_id).tz
        entries = body_mod.metrics(store, athlete_id, args.kind)
        if args.json:
            _dump([{**asdict(e), "at": _iso(e.measured_ms, tz)} for e in entries])
        for e in [] if args.json else entries:
            print(f"{e.id:>5} {_iso(e.measured_ms, tz):25} {e.kind:13} {e.value:8g}  {e.source}")
        return EXIT_OK
    series = body_mod.trends(store, athlete_id)
    if args.kind:
        series = {k: v for k, v in series.items() if k == args.kind}
    if args.json:
        _dump(
            {k: [{**asdict(p), "drift": round(p.drift, 3)} for p in v] for k, v in series.items()}
        )
        return EXIT_OK
    if not series:
        print("no body metrics yet: try `pulsedeck body add --weight 72.5`")
    for kind, points in series.items():
        print(f"{kind}:")
        for p in points[-args.last :]:
            print(
                f"  {p.day}  {p.value:7.1f}   7d {p.avg7:7.1f}   28d {p.avg28:7.1f}"
                f"   drift {p.drift:+.1f}"
            )
    return EXIT_OK


@command
def cmd_body_measure(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    reading = body_mod.measure_session(store, args.session, save=not args.dry_run)
    h = reading.hrv
    data = {
        "session_id": reading.session_id,
        "resting_hr": None if reading.resting_hr is None else round(reading.resting_hr, 1),
        "rmssd_ms": h.rmssd_ms,
        "sdnn_ms": h.sdnn_ms,
        "beats": h.beats,
        "missed": h.missed,
        "ectopic": h.ectopic,
        "out_of_range": h.out_of_range,
        "reliable": h.reliable,
        "stored": [m.kind for m in reading.stored],
    }
    if args.json:
        _dump(data)
    else:
        for k, v in data.items():
            print(f"{k:14} {v if not isinstance(v, float) else round(v, 1)}")
    return EXIT_OK


# zones, load -----------------------------------------------------------------------------


@command
def cmd_zones(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    writes = args.model or args.ftp is not None or args.threshold_hr is not None
    athlete_id = _writer(ctx) if writes else _athlete(ctx)
    if args.model:
        floors = None
        if args.bounds:
            try:
                floors = [float(x) for x in args.bounds.split(",")]
            except ValueError as exc:
                raise UserError(f"--bounds must be five numbers: {args.bounds!r}") from exc
        set_zone_model(store, athlete_id, args.model, floors)
    thresholds = set_thresholds(store, athlete_id, args.ftp, args.threshold_hr)
    ctx = load_context(store, athlete_id)
    floors_bpm = [round(f, 1) for f in ctx.zones.floors_bpm]
    if args.json:
        _dump({"model": ctx.zone_model, "floors_bpm": floors_bpm, **thresholds})
    else:
        print(f"zone model {ctx.zone_model}")
        for i, f in enumerate(floors_bpm, start=1):
            print(f"  Z{i} from {f:g} bpm")
        print(f"FTP {_opt(thresholds['ftp_w'])} W, threshold HR {_opt(thresholds['threshold_hr'])}")
    return EXIT_OK


@command
def cmd_load(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _athlete(ctx)
    ctx = load_context(store, athlete_id)
    last = args.to or local_date(now_ms(), ctx.tz)
    first = args.from_ or last - timedelta(days=27)
    if last < first:
        raise UserError("--to is before --from")
    if (last - first).days > 3660:
        raise UserError("at most ten years at a time")
    points = athlete_load(DailyService(store), athlete_id, first, last)
    fitness = {f.point.day: f for f in LoadService(store).fitness(athlete_id, first, last)}
    rows = []
    for p in points:
        f = fitness[p.day]
        rows.append(
            {
                **asdict(p),
                "ratio": p.ratio,
                "load": round(f.point.load, 2),
                "methods": list(f.methods),
                "ctl": round(f.point.ctl, 2),
                "atl": round(f.point.atl, 2),
                "tsb": round(f.point.tsb, 2),
            }
        )
    if args.json:
        _dump(rows)
        return EXIT_OK
    print(
        f"{'date':10} {'TRIMP':>6} {'acute':>6} {'chronic':>7} {'ratio':>5} "
        f"{'load':>6} {'CTL':>6} {'ATL':>6} {'TSB':>6}  method"
    )
    for r in rows:
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        print(
            f"{r['day']!s:10} {r['trimp']:6.1f} {r['acute']:6.1f} {r['chronic']:7.1f} "
            f"{ratio:>5} {r['load']:6.1f} {r['ctl']:6.1f} {r['atl']:6.1f} {r['tsb']:6.1f}  "
            f"{','.join(r['methods']) or '-'}"  # type: ignore[arg-type]
        )
    return EXIT_OK


@command
def cmd_readiness(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    athlete_id = _athlete(ctx)
    ctx = load_context(store, athlete_id)
    last = args.to or local_date(now_ms(), ctx.tz)
    first = args.from_ or last - timedelta(days=13)
    if last < first:
        raise UserError("--to is before --from")
    if (last - first).days > 3660:
        raise UserError("at most ten years at a time")
    points = ReadinessService(store).series(athlete_id, first, last)
    rows = [
        {
            **{k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(p).items()},
            "resting_hr_delta": None
            if p.resting_hr_delta is None
            else round(p.resting_hr_delta, 2),
        }
        for p in points
    ]
    if args.json:
        _dump(rows)
        return EXIT_OK
    print(f"{'date':10} {'RMSSD':>6} {'lnRMSSD':>7} {'7d':>6} {'band':>13} {'rHR':>5} {'drift':>6}")
    for p in points:
        band = "-" if p.band_low is None else f"{p.band_low:.2f}-{p.band_high:.2f}"
        drift = "-" if p.resting_hr_delta is None else f"{p.resting_hr_delta:+.1f}"
        print(
            f"{p.day!s:10} {_opt(p.rmssd_ms):>6} {_num(p.ln_rmssd, 2):>7} {_num(p.mean7, 2):>6} "
            f"{band:>13} {_opt(p.resting_hr):>5} {drift:>6}  {p.flag or ''}"
        )
    return EXIT_OK


def _num(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


# parser ----------------------------------------------------------------------------------


def _common(p: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    p.add_argument("--athlete", help="athlete name (default: yourself)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="machine-readable output")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add this area's subcommands to the `pulsedeck` parser."""
    p = sub.add_parser("summary", help="daily summaries in the athlete's time zone")
    _common(p, json_flag=False)
    p.add_argument("--from", dest="from_", type=_date, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", type=_date, help="last day (default: today)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    p.set_defaults(func=cmd_summary)

    goals = sub.add_parser("goals", help="goals and their progress")
    gsub = goals.add_subparsers(dest="goals_command", metavar="ACTION", required=True)
    g = gsub.add_parser("list", help="list goals")
    _common(g)
    g.add_argument("--all", action="store_true", help="include removed goals")
    g.set_defaults(func=cmd_goals_list)
    g = gsub.add_parser("add", help="add a goal")
    _common(g)
    g.add_argument("kind", choices=[k.value for k in GoalKind])
    g.add_argument("target", type=float, help="steps, km, min, sessions, kcal, weeks, kg or reps")
    g.add_argument("--period", default="daily", choices=[p.value for p in Period])
    g.add_argument("--zone", type=int, help="zone 1-5 for zone_min goals")
    g.add_argument("--from", dest="from_", type=_date, help="range start")
    g.add_argument("--to", type=_date, help="range end")
    g.add_argument("--exercise", help="reps goals: count only this exercise (default: every set)")
    g.set_defaults(func=cmd_goals_add)
    g = gsub.add_parser("remove", help="stop tracking a goal (its history is kept)")
    _common(g, json_flag=False)
    g.add_argument("id", type=int)
    g.set_defaults(func=cmd_goals_remove)
    g = gsub.add_parser("edit", help="change a goal's target")
    _common(g, json_flag=False)
    g.add_argument("id", type=int)
    g.add_argument("--target", type=float, required=True)
    g.set_defaults(func=cmd_goals_edit)
    g = gsub.add_parser("progress", help="progress this period; records new achievements")
    _common(g)
    g.add_argument("--history", type=int, default=0, metavar="N", help="also N past periods")
    g.set_defaults(func=cmd_goals_progress)

    p = sub.add_parser("prs", help="personal records")
    _common(p)
    p.add_argument("--exercise", help="one exercise (typos are fine)")
    p.add_argument("--history", action="store_true", help="every record, not just standing ones")
    p.set_defaults(func=cmd_prs)

    ex = sub.add_parser("exercises", help="the exercise catalog")
    esub = ex.add_subparsers(dest="exercises_command", metavar="ACTION", required=True)
    e = esub.add_parser("search", help="typo-tolerant search")
    _common(e)
    e.add_argument("query")
    e.add_argument("--limit", type=int, default=5)
    e.set_defaults(func=cmd_exercises_search)
    e = esub.add_parser("list", help="built-in and your own exercises")
    _common(e)
    e.set_defaults(func=cmd_exercises_list)
    e = esub.add_parser("add", help="define your own exercise")
    _common(e)
    e.add_argument("name")
    e.add_argument("--alias", action="append")
    e.add_argument("--muscle", action="append")
    e.add_argument("--equipment")
    e.add_argument("--kind", default="strength", choices=list(catalog.KINDS))
    e.set_defaults(func=cmd_exercises_add)
    e = esub.add_parser("edit", help="change one of your own exercises")
    _common(e)
    e.add_argument("exercise")
    e.add_argument("--name", help="new name (its sets follow)")
    e.add_argument("--alias", action="append", help="replaces the aliases")
    e.add_argument("--muscle", action="append", help="replaces the muscle groups")
    e.add_argument("--equipment")
    e.add_argument("--kind", choices=list(catalog.KINDS))
    e.set_defaults(func=cmd_exercises_edit)
    e = esub.add_parser("delete", help="delete one of your own exercises (unused ones)")
    _common(e, json_flag=False)
    e.add_argument("exercise")
    e.set_defaults(func=cmd_exercises_delete)

    st = sub.add_parser("sets", help="log and list strength sets")
    ssub = st.add_subparsers(dest="sets_command", metavar="ACTION", required=True)
    s = ssub.add_parser("add", help="log a set; prints any record it breaks")
    _common(s)
    s.add_argument("exercise")
    s.add_argument("reps", type=int)
    s.add_argument("weight", type=float, nargs="?", help="kg (omit for bodyweight)")
    s.add_argument("--at", help="when (ISO date-time; default now)")
    s.add_argument("--end", help="when the set ended (ISO date-time), for HR during it")
    s.add_argument("--duration", type=float, help="the set's length in seconds (instead of --end)")
    s.add_argument("--session", type=int, help="session id, for HR during the set and after it")
    s.add_argument("--rpe", type=float, help="rating of perceived exertion, 1-10")
    s.add_argument("--create", action="store_true", help="add EXERCISE as your own if unknown")
    s.set_defaults(func=cmd_sets_add)
    s = ssub.add_parser("edit", help="correct a set; records and goals are recomputed")
    _common(s, json_flag=False)
    s.add_argument("id", type=int)
    s.add_argument("--exercise")
    s.add_argument("--reps", type=int)
    s.add_argument("--weight", type=float, help="kg (0 for bodyweight)")
    s.add_argument("--rpe", type=float)
    s.add_argument("--at", help="new start (ISO date-time)")
    s.set_defaults(func=cmd_sets_edit)
    s = ssub.add_parser("delete", help="delete a set; records and goals are recomputed")
    _common(s, json_flag=False)
    s.add_argument("id", type=int)
    s.set_defaults(func=cmd_sets_delete)
    s = ssub.add_parser("list", help="list sets")
    _common(s)
    s.add_argument("--exercise")
    s.set_defaults(func=cmd_sets_list)

    b = sub.add_parser("body", help="body metrics and their trends")
    bsub = b.add_subparsers(dest="body_command", metavar="ACTION", required=True)
    ba = bsub.add_parser("add", help="record weight, body fat, resting HR or HRV")
    _common(ba)
    ba.add_argument("--weight", type=float, help="kg")
    ba.add_argument("--fat", type=float, help="body fat %%")
    ba.add_argument("--resting-hr", type=float, help="bpm")
    ba.add_argument("--rmssd", type=float, help="ms")
    ba.add_argument("--sdnn", type=float, help="ms")
    ba.add_argument("--at", help="when (ISO date or date-time; default now)")
    ba.set_defaults(func=cmd_body_add)
    bl = bsub.add_parser("list", help="measurements with 7- and 28-day averages")
    _common(bl)
    bl.add_argument("--kind", choices=list(body_mod.KINDS))
    bl.add_argument("--last", type=int, default=14, help="days shown per kind (text output)")
    bl.add_argument("--entries", action="store_true", help="each measurement with its id")
    bl.set_defaults(func=cmd_body_list)
    be = bsub.add_parser("edit", help="correct a measurement (see body list --entries)")
    _common(be, json_flag=False)
    be.add_argument("id", type=int)
    be.add_argument("--value", type=float)
    be.add_argument("--at", help="new time (ISO date or date-time)")
    be.set_defaults(func=cmd_body_edit)
    bd = bsub.add_parser("delete", help="delete a measurement")
    _common(bd, json_flag=False)
    bd.add_argument("id", type=int)
    bd.set_defaults(func=cmd_body_delete)
    bm = bsub.add_parser("measure", help="resting HR and HRV from a quiet morning recording")
    _common(bm)
    bm.add_argument("session", type=int)
    bm.add_argument("--dry-run", action="store_true", help="report without storing")
    bm.set_defaults(func=cmd_body_measure)

    z = sub.add_parser("zones", help="show or set the HR zone model")
    _common(z)
    z.add_argument("--model", choices=[m.value for m in ZoneModel])
    z.add_argument("--bounds", help="custom: five lower bounds in bpm, e.g. 110,125,140,155,170")
    z.add_argument("--ftp", type=float, help="functional threshold power, W (power TSS in load)")
    z.add_argument("--threshold-hr", type=int, help="lactate threshold heart rate, bpm")
    z.set_defaults(func=cmd_zones)

    ld = sub.add_parser("load", help="daily load, fitness (CTL), fatigue (ATL), form (TSB)")
    _common(ld)
    ld.add_argument("--from", dest="from_", type=_date)
    ld.add_argument("--to", type=_date)
    ld.set_defaults(func=cmd_load)

    rd = sub.add_parser("readiness", help="HRV readiness: 7-day ln RMSSD against the 60-day band")
    _common(rd)
    rd.add_argument("--from", dest="from_", type=_date)
    rd.add_argument("--to", type=_date)
    rd.set_defaults(func=cmd_readiness)
