"""`pulsedeck sync run|status|retry|backfill`: the outbox, polling and retries."""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.commands import EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, UserError
from app.commands.common import CommandContext, command

from .common import STATUS_TEXT, STRAVA_ERRORS, account_json, err, iso_utc, with_sync

if TYPE_CHECKING:
    from app.store.repo import Store


async def _run(sync: Any, store: Store, *, poll: bool, until_idle: bool, max_wait_s: float) -> int:
    from sync.background import lake_handlers
    from sync.outbox import drain

    # Other areas sharing the outbox (the lake), after queueing their work.
    others = await asyncio.to_thread(lake_handlers, store, sync.outbox)
    report = await sync.run_once(poll=poll)
    ran = report.ran + (await drain(sync.outbox, others) if others else 0)
    while until_idle:
        due = sync.next_due_s()
        if due is None or due > max_wait_s:
            break
        await asyncio.sleep(due)
        ran += (await sync.run_once(poll=False)).ran
        ran += await drain(sync.outbox, others) if others else 0
    counts = sync.outbox.counts()
    print(
        f"queued {report.enqueued}, copies found {report.polled}, ran {ran}; outbox: "
        + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    )
    for error in report.errors:
        err(error)
    return EXIT_OK if not report.errors and not counts.get("dead") else EXIT_ERROR


def _report_line(report: Any) -> str:
    """One line for a background run that did something (`sync run --forever`)."""
    parts = [f"queued {report.enqueued}", f"copies found {report.polled}"]
    parts.append(f"ran {report.ran + report.lake_ran}")
    if report.uploaded:
        parts.append(f"on Strava {report.uploaded}")
    if report.pushed:
        parts.append(f"pushed to the lake {report.pushed}")
    if report.errors:
        parts.append(f"errors {len(report.errors)}")
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    return f"{stamp} {'poll' if report.poll else 'outbox'}: " + ", ".join(parts)


async def _forever(store: Store, *, poll: bool) -> int:
    """The background sync until SIGINT/SIGTERM; one line per run that did something."""
    import signal

    from sync.background import BackgroundSync

    def printed(report: Any) -> None:
        if report.did_something:
            print(_report_line(report), flush=True)
        for error in report.errors:
            err(error)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    background = await asyncio.to_thread(
        lambda: BackgroundSync(store, after_run=printed, poll=poll)
    )
    background.start()
    try:
        await stop.wait()
    finally:
        await background.aclose()
        for sig in signals:
            loop.remove_signal_handler(sig)
    return EXIT_OK


@command(errors=STRAVA_ERRORS)
def cmd_sync_run(args: argparse.Namespace, ctx: CommandContext) -> int:
    if args.forever:
        if args.until_idle:
            raise UserError("--forever already waits for retries: leave out --until-idle")
        # No instance lock: `pulsedeck record` may run meanwhile.
        return asyncio.run(_forever(ctx.store, poll=not args.no_poll))
    return with_sync(
        ctx,
        lambda sync, store: _run(
            sync,
            store,
            poll=not args.no_poll,
            until_idle=args.until_idle,
            max_wait_s=args.max_wait,
        ),
    )


@command
def cmd_sync_status(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.outbox import DEAD, PENDING, Outbox
    from sync.strava.accounts import list_accounts
    from sync.strava.engine import StravaSync

    store = ctx.store
    outbox = Outbox(store)
    counts = outbox.counts()
    dead = outbox.jobs(state=DEAD)
    pending = outbox.jobs(state=PENDING)
    accounts = list_accounts(store)
    usage = StravaSync(store, http=None).rate_usage()
    data: dict[str, Any] = {
        "jobs": counts,
        "dead": [
            {
                "id": j.id,
                "kind": j.kind,
                "session_id": j.session_id,
                "account_id": j.account_id,
                "attempts": j.attempts,
                "error": j.last_error,
            }
            for j in dead
        ],
        "pending": [
            {
                "id": j.id,
                "kind": j.kind,
                "session_id": j.session_id,
                "account_id": j.account_id,
                "attempts": j.attempts,
                "next_attempt": iso_utc(j.next_attempt_ms),
                "error": j.last_error,
            }
            for j in pending
            if j.last_error
        ],
        "next_attempt": iso_utc(min((j.next_attempt_ms for j in pending), default=None)),
        "accounts": [account_json(a, store) for a in accounts],
        "rate_limit": usage,
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    print("jobs: " + (", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "none"))
    if data["next_attempt"]:
        print(f"next attempt: {data['next_attempt']}")
    for j in data["pending"]:
        when = j["next_attempt"] or "now"
        print(
            f"  waiting job {j['id']} ({j['kind']}, session {j['session_id']}): next try {when}, "
            f"attempt {j['attempts'] + 1}; last error: {j['error']}"
        )
    for j in data["dead"]:
        print(f"  dead job {j['id']} ({j['kind']}, session {j['session_id']}): {j['error']}")
    for a in accounts:
        if a.status != "ok":
            print(f"account {a.id}: {STATUS_TEXT.get(a.status, a.status)}")
    for app_id, u in usage.items():
        for label in ("overall", "read"):
            if u.get(label):
                u15, l15, uday, lday = u[label]
                print(f"Strava app {app_id} {label}: {u15}/{l15} this 15 min, {uday}/{lday} today")
    return EXIT_OK


@command
def cmd_sync_retry(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.outbox import Outbox

    if args.job is None and not args.dead:
        raise UserError("give a JOB id or --dead")
    outbox = Outbox(ctx.store)
    if args.dead:
        print(f"{outbox.retry_dead()} dead jobs will run again")
    else:
        try:
            outbox.retry(args.job)
        except LookupError as exc:
            raise UserError(f"no job {args.job}", EXIT_NOT_FOUND) from exc
        print(f"job {args.job} will run again")
    return EXIT_OK


def _parse_date(text: str) -> float:
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


@command(errors=STRAVA_ERRORS)
def cmd_sync_backfill(args: argparse.Namespace, ctx: CommandContext) -> int:
    from sync.strava.accounts import OWNER, list_accounts

    try:
        since = _parse_date(args.since)
    except ValueError as exc:
        raise UserError(f"--since wants a date like 2026-01-31, not {args.since!r}") from exc

    async def work(sync: Any, store: Store) -> int:
        owners = [
            a for a in list_accounts(store, OWNER) if args.account is None or a.id == args.account
        ]
        if not owners:
            account = f" {args.account}" if args.account else ""
            raise UserError(f"no linked owner account{account}", EXIT_NOT_FOUND)
        for owner in owners:
            sync.start_backfill(owner.id, since)
        print(f"backfill from {args.since} queued for {len(owners)} account(s)")
        if args.queue_only:
            return EXIT_OK
        return await _run(sync, store, poll=True, until_idle=False, max_wait_s=0)

    return with_sync(ctx, work)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `sync` to the `pulsedeck` parser."""
    sync = sub.add_parser("sync", help="background sync: outbox, polling, retries")
    ssub = sync.add_subparsers(dest="sync_command", metavar="ACTION", required=True)
    run = ssub.add_parser("run", help="run the outbox and the poll once, in the foreground")
    run.add_argument(
        "--until-idle",
        action="store_true",
        help="also wait for retries that fall due within --max-wait",
    )
    run.add_argument("--max-wait", type=float, default=900.0, help="seconds (with --until-idle)")
    run.add_argument("--no-poll", action="store_true", help="skip polling Strava")
    run.add_argument(
        "--forever",
        action="store_true",
        help="keep syncing on a schedule until SIGINT/SIGTERM (the edge box's sync worker)",
    )
    run.set_defaults(func=cmd_sync_run)
    st = ssub.add_parser("status", help="jobs by state, dead jobs and why, rate-limit usage")
    st.add_argument("--json", action="store_true", help="print JSON")
    st.set_defaults(func=cmd_sync_status)
    rt = ssub.add_parser("retry", help="run a dead job (or all of them) again")
    rt.add_argument("job", type=int, nargs="?", help="job id (sync status)")
    rt.add_argument("--dead", action="store_true", help="every dead job")
    rt.set_defaults(func=cmd_sync_retry)
    bf = ssub.add_parser("backfill", help="copy older Strava activities to children")
    bf.add_argument("--since", required=True, help="date, e.g. 2026-01-01")
    bf.add_argument("--account", type=int, help="only this owner account")
    bf.add_argument("--queue-only", action="store_true", help="leave it to the background")
    bf.set_defaults(func=cmd_sync_backfill)
