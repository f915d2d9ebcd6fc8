"""`pulsedeck feeds record`: one session per remote athlete, optionally broadcast live."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from app.commands import EXIT_AUTH, EXIT_ERROR, EXIT_NOT_FOUND, EXIT_OK, UserError, recording_store
from app.commands.common import CommandContext, ErrorCodes, command, sport_help
from device.feeds.errors import FeedAuthError, FeedConnectionError, FeedUnavailable

from .common import (
    announce,
    broadcast_token,
    install_stop,
    secret_file,
    server_tls,
    token_from_args,
    token_options,
    user_errors,
)

#: Permanent feed failures and their exit codes (the message is the error's, one line).
FEED_ERRORS: ErrorCodes = {
    FeedAuthError: EXIT_AUTH,
    FeedUnavailable: EXIT_NOT_FOUND,
    FeedConnectionError: EXIT_ERROR,
}


def _endpoint(args: argparse.Namespace, store: Any) -> Any:
    from app.feeds import check_url, stored_endpoint
    from device.feeds.client import FeedEndpoint

    target: str = args.feed
    if "://" not in target:
        return stored_endpoint(store, target, args.remote_id)
    check_url(target)
    pin = None
    if args.fingerprint:
        from device.feeds.client import normalize_fingerprint

        if not target.startswith("wss://"):
            raise UserError("--fingerprint needs a wss:// URL")
        try:
            pin = normalize_fingerprint(args.fingerprint)
        except ValueError as exc:
            raise UserError(str(exc)) from exc
    return FeedEndpoint(
        target, token_from_args(args), args.format, args.remote_id, args.token_in_query, pin
    )


def _session_line(store: Any, result: Any) -> str:
    from app.domain.text import escape_controls as shown  # names may come from anywhere

    info = store.get_session(result.session_id)
    if info is None:
        return f"session {result.session_id}: missing"

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f}"

    return (
        f"Session {info.id} {shown(info.athlete)} [{shown(result.remote_athlete)}]: "
        f"{info.samples} samples, "
        f"{fmt(info.duration_s)} s, HR avg {fmt(info.avg_hr)} max {fmt(info.max_hr)}, "
        f"cadence avg {fmt(info.avg_cadence)}, steps {fmt(info.steps)}, "
        f"RR {info.rr_count or 0}, kcal {fmt(info.kcal)}"
    )


def _report_json(store: Any, report: Any) -> dict[str, Any]:
    sessions = []
    for r in report.athletes:
        info = store.get_session(r.session_id)
        sessions.append(
            {
                "remote_athlete": r.remote_athlete,
                "athlete": r.athlete_name,
                "session_id": r.session_id,
                "samples": None if info is None else info.samples,
                "avg_hr": None if info is None else info.avg_hr,
                "max_hr": None if info is None else info.max_hr,
                "duration_s": None if info is None else info.duration_s,
            }
        )
    return {
        "source": report.source,
        "sessions": sessions,
        "accepted": report.accepted,
        "stored": report.stored,
        "duplicates": report.duplicates,
        "rejected": dict(report.rejected),
        "no_reading": report.no_reading,
        "connects": report.connects,
        "disconnects": report.disconnects,
        "gaps": [{"athlete": g.athlete, "from": g.from_ms, "to": g.to_ms} for g in report.gaps],
        "ended": report.ended,
        "refused_athletes": report.refused_athletes,
    }


def _print_report(store: Any, report: Any, as_json: bool) -> None:
    from app.domain.text import escape_controls

    if as_json:
        print(json.dumps(_report_json(store, report)), flush=True)
        return
    for result in report.athletes:
        print(_session_line(store, result))
    rejected = ", ".join(f"{k} {v}" for k, v in sorted(report.rejected.items())) or "none"
    print(
        f"feed {escape_controls(report.source)}: {report.accepted} samples accepted, "
        f"{report.stored} stored, "
        f"{report.duplicates} duplicates dropped, rejected: {rejected}; "
        f"{report.connects} connections, {len(report.gaps)} gaps"
        + (
            f"; {report.refused_athletes} new athletes refused (feeds.max_athletes)"
            if report.refused_athletes
            else ""
        ),
        flush=True,
    )


@command(errors=FEED_ERRORS)
def cmd_feeds_record(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Record a feed: one session per remote athlete, summaries printed at the end."""
    from app.feeds import FeedFailed, FeedStorageFailed, stored_athlete

    if args.duration is not None and args.duration <= 0:
        raise UserError("--duration must be positive")
    if args.format == "hyperate" and not args.remote_id and "://" in args.feed:
        raise UserError("--format hyperate needs --remote-id (the HypeRate id)")
    if args.broadcast_token_file:
        args.broadcast_token = secret_file(args.broadcast_token_file)
    args.broadcast_generated = False
    args.broadcast_tls_context = args.broadcast_fingerprint = None
    if args.broadcast_port is not None:
        args.broadcast_token, args.broadcast_generated = broadcast_token(args.broadcast_token)
        args.broadcast_tls_context, args.broadcast_fingerprint = server_tls(
            ctx, args.broadcast_tls, None, None
        )
    with recording_store(ctx.data_dir) as store:
        with user_errors():
            endpoint = _endpoint(args, store)
        stored = "://" not in args.feed
        athlete = args.athlete or (stored_athlete(store, args.feed) if stored else None)
        try:
            report = asyncio.run(_record(args, store, endpoint, athlete))
        except FeedFailed as exc:
            if exc.report.athletes:  # what was saved before the failure
                _print_report(store, exc.report, args.json)
            raise exc.error from None
        except FeedStorageFailed as exc:  # disk full...: one line on stderr, exit 3
            if exc.report.athletes:
                _print_report(store, exc.report, args.json)
            raise
        _print_report(store, report, args.json)
        return EXIT_OK


async def _record(args: argparse.Namespace, store: Any, endpoint: Any, athlete: str | None) -> Any:
    """Run app.feeds.record_feed with the CLI's options, stop signals and notices."""
    from app.domain.text import escape_controls
    from app.feeds import LiveBroadcast, record_feed
    from device.feeds.backoff import BackoffPolicy

    stop = asyncio.Event()
    install_stop(stop)
    broadcast = None
    if args.broadcast_port is not None:
        broadcast = LiveBroadcast(
            args.broadcast_token,
            host=args.broadcast_host,
            port=args.broadcast_port,
            tls=args.broadcast_tls_context,
        )
        await broadcast.start()
        print(f"broadcasting live on {broadcast.url}", file=sys.stderr, flush=True)
        generated = args.broadcast_token if args.broadcast_generated else None
        announce(generated, args.broadcast_fingerprint, sys.stderr)

    def status(event: Any) -> None:
        if not args.quiet and event.state == "disconnected":
            print(
                f"pulsedeck: feed disconnected ({escape_controls(event.detail)}); retrying in "
                f"{event.retry_in_s:.1f} s",
                file=sys.stderr,
                flush=True,
            )

    try:
        return await record_feed(
            store,
            endpoint,
            duration_s=args.duration,
            stop=stop,
            sport=args.sport,
            athlete=athlete,
            broadcast=broadcast,
            policy=BackoffPolicy(max_attempts=args.max_retries),
            on_status=status,
        )
    finally:
        if broadcast is not None:
            await broadcast.close()


def register(fsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `record` to `pulsedeck feeds`."""
    from device.feeds.formats import FORMATS

    rec = fsub.add_parser("record", help="record a feed: one session per remote athlete")
    rec.add_argument("feed", help="ws:// or wss:// URL, or the name of a stored feed")
    token_options(rec, "the feed's token")
    rec.add_argument("--format", choices=FORMATS, default="pulsedeck", help="wire format")
    rec.add_argument("--remote-id", help="HypeRate id (required for hyperate)")
    rec.add_argument(
        "--token-in-query", action="store_true", help="send ?access_token= instead of a header"
    )
    rec.add_argument(
        "--fingerprint",
        metavar="SHA256",
        help="wss:// only: the server certificate's SHA-256 (as serve-live --tls prints it); "
        "any other certificate is refused before the token is sent",
    )
    rec.add_argument("--duration", type=float, help="seconds to record (default: until the end)")
    rec.add_argument("--sport", default="other", help=sport_help("other"))
    rec.add_argument("--athlete", help="local athlete for a single-athlete feed")
    rec.add_argument(
        "--max-retries", type=int, help="give up after this many failed reconnects in a row"
    )
    rec.add_argument("--broadcast-port", type=int, help="also serve the samples live here")
    rec.add_argument(
        "--broadcast-token-file",
        metavar="FILE",
        help="read the broadcast's token (16+ characters); default: a generated one, shown once",
    )
    rec.add_argument("--broadcast-token", help="the broadcast's token; visible in `ps`")
    rec.add_argument(
        "--broadcast-host",
        default="127.0.0.1",
        help="address for the broadcast (default 127.0.0.1: this machine; 0.0.0.0: the LAN)",
    )
    rec.add_argument(
        "--broadcast-tls",
        action="store_true",
        help="serve the broadcast over wss:// with a self-signed certificate (fingerprint shown)",
    )
    rec.add_argument("--json", action="store_true", help="print the report as JSON")
    rec.add_argument("-q", "--quiet", action="store_true", help="no reconnect notices")
    rec.set_defaults(func=cmd_feeds_record)
