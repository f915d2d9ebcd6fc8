"""`pulsedeck goals`: list, add, edit and remove goals; progress and new achievements."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from app.commands import EXIT_OK, UserError
from app.commands.common import CommandContext
from app.services.rows import METRIC, goal_progress_text
from app.services.training_log import TrainingLogService
from app.training import catalog
from app.training.goals import GoalEngine, GoalKind, GoalProgress, Period

from .common import add_common, athlete, command, dump, editor, parse_date, writer


def goal_json(g: GoalProgress) -> dict[str, object]:
    """The stable shape of one goal's progress in --json."""
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
    goals = engine.goals(athlete(ctx), include_inactive=args.all)
    if args.json:
        dump([{**asdict(g), "description": g.describe(), "unit": g.unit} for g in goals])
    elif not goals:
        print("no goals yet: try `pulsedeck goals add steps 10000 --period daily`")
    for g in [] if args.json else goals:
        print(f"{g.id:>4}  {g.describe()}{'' if g.active else '  (removed)'}")
    return EXIT_OK


@command
def cmd_goals_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    engine = GoalEngine(store)
    athlete_id = writer(ctx)
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
        dump({**asdict(goal), "description": goal.describe()})
    else:
        print(f"goal {goal.id}: {goal.describe()}")
    return EXIT_OK


@command
def cmd_goals_remove(args: argparse.Namespace, ctx: CommandContext) -> int:
    TrainingLogService(ctx.store).remove_goal(editor(ctx), args.id)
    print(f"goal {args.id} removed")
    return EXIT_OK


@command
def cmd_goals_edit(args: argparse.Namespace, ctx: CommandContext) -> int:
    goal = TrainingLogService(ctx.store).edit_goal(editor(ctx), args.id, args.target)
    print(f"goal {goal.id}: {goal.describe()}")
    return EXIT_OK


@command
def cmd_goals_progress(args: argparse.Namespace, ctx: CommandContext) -> int:
    store = ctx.store
    engine = GoalEngine(store)
    athlete_id = athlete(ctx)
    new = engine.evaluate(athlete_id)
    progress = engine.progress(athlete_id)
    history = (
        {p.goal.id: engine.history(p.goal.id, args.history) for p in progress}
        if args.history
        else {}
    )
    if args.json:
        dump(
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
        done = goal_progress_text(
            p.goal.kind.value, p.value or 0.0, p.goal.target, p.goal.unit, METRIC
        )
        bar = "#" * round(p.fraction * 20)
        flag = "  achieved" if p.achieved_ms else ""
        print(
            f"{p.goal.id:>4}  [{bar:20}] {done}  "
            f"{p.goal.describe()} ({p.period_start}..{p.period_end}){flag}"
        )
        for h in history.get(p.goal.id, [])[1:]:
            hv = "-" if h.value is None else f"{h.value:.4g}"
            print(f"        {h.period_start}  {hv}{'  achieved' if h.achieved_ms else ''}")
    for a in new:
        print(f"achieved: goal {a.goal_id} for the period starting {a.period_start}")
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `goals` and its actions to the `pulsedeck` parser."""
    goals = sub.add_parser("goals", help="goals and their progress")
    gsub = goals.add_subparsers(dest="goals_command", metavar="ACTION", required=True)
    g = gsub.add_parser("list", help="list goals")
    add_common(g)
    g.add_argument("--all", action="store_true", help="include removed goals")
    g.set_defaults(func=cmd_goals_list)
    g = gsub.add_parser("add", help="add a goal")
    add_common(g)
    g.add_argument("kind", choices=[k.value for k in GoalKind], help="what the goal counts")
    g.add_argument("target", type=float, help="steps, km, min, sessions, kcal, weeks, kg or reps")
    g.add_argument(
        "--period", default="daily", choices=[p.value for p in Period], help="default: daily"
    )
    g.add_argument("--zone", type=int, help="zone 1-5 for zone_min goals")
    g.add_argument("--from", dest="from_", metavar="DATE", type=parse_date, help="range start")
    g.add_argument("--to", metavar="DATE", type=parse_date, help="range end")
    g.add_argument("--exercise", help="reps goals: count only this exercise (default: every set)")
    g.set_defaults(func=cmd_goals_add)
    g = gsub.add_parser("remove", help="stop tracking a goal (its history is kept)")
    add_common(g, json_flag=False)
    g.add_argument("id", type=int, help="goal id (goals)")
    g.set_defaults(func=cmd_goals_remove)
    g = gsub.add_parser("edit", help="change a goal's target")
    add_common(g, json_flag=False)
    g.add_argument("id", type=int, help="goal id (goals)")
    g.add_argument("--target", type=float, required=True, help="the new target")
    g.set_defaults(func=cmd_goals_edit)
    g = gsub.add_parser("progress", help="progress this period; records new achievements")
    add_common(g)
    g.add_argument("--history", type=int, default=0, metavar="N", help="also N past periods")
    g.set_defaults(func=cmd_goals_progress)
