"""`pulsedeck simulate` and `pulsedeck feeds record|add|list|remove|serve-live`.

Exit codes follow app.cli: 0 ok, 1 unexpected error or gave up reconnecting, 2 usage, 3
storage problem, 4 not found (unknown stored feed, HTTP 404), 5 another Pulsedeck is
recording here, 7 the feed refused the token (one line names the authentication failure).
Tokens come from --token-file, else --token (visible in `ps`), else $PULSEDECK_FEED_TOKEN,
else the keyring for stored feeds; they are never printed or logged.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

from app.commands import (
    EXIT_AUTH,
    EXIT_ERROR,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    UserError,
    recording_store,
)
from app.commands.common import CommandContext, ErrorCodes, command
from device.feeds.errors import FeedAuthError, FeedConnectionError, FeedUnavailable

TOKEN_ENV = "PULSEDECK_FEED_TOKEN"
#: After the simulator's duration, connected clients get this long to read `end`.
END_GRACE_S = 3.0
#: Permanent feed failures and their exit codes (the message is the error's, one line).
FEED_ERRORS: ErrorCodes = {
    FeedAuthError: EXIT_AUTH,
    FeedUnavailable: EXIT_NOT_FOUND,
    FeedConnectionError: EXIT_ERROR,
}


def _token(args: argparse.Namespace) -> str:
    """--token-file, else --token, else $PULSEDECK_FEED_TOKEN; a usage error when none is set."""
    token = _secret_file(args.token_file) if args.token_file else args.token
    token = token or os.environ.get(TOKEN_ENV)
    if not token:
        raise UserError(f"a token is required: --token-file FILE or ${TOKEN_ENV}")
    return str(token)


def _secret_file(path: str) -> str:
    from app.secrets import SecretFileError, read_secret_file

    try:
        return read_secret_file(path)
    except SecretFileError as exc:
        raise UserError(str(exc)) from exc


def _token_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--token-file (recommended) and --token (kept for scripts; visible in `ps`)."""
    parser.add_argument(
        "--token-file", metavar="FILE", help=f"read {what} from FILE ('-': standard input)"
    )
    parser.add_argument(
        "--token",
        help=f"{what}; visible to every user in `ps`: prefer --token-file or ${TOKEN_ENV}",
    )


def _broadcast_token(given: str | None) -> tuple[str, bool]:
    """The broadcast token and whether it was generated (then it is shown once)."""
    from app.feeds import WeakToken, generate_token
    from app.feeds.broadcast import check_token

    if not given:
        return generate_token(), True
    try:
        return check_token(given), False
    except WeakToken as exc:
        raise UserError(str(exc)) from exc


def _tls(ctx: CommandContext, enabled: bool, cert: str | None, key: str | None) -> Any:
    """(SSL context, fingerprint) for --tls / --tls-cert and --tls-key, else (None, None)."""
    from app.feeds.tls import TlsConfigError, TlsFiles, fingerprint, self_signed, server_context

    if (cert is None) != (key is None):
        raise UserError("--tls-cert and --tls-key go together")
    if not enabled and cert is None:
        return None, None
    try:
        from pathlib import Path

        files = (
            TlsFiles(Path(cert), Path(key))
            if cert and key
            else self_signed(ctx.data_dir / "live-tls")
        )
        return server_context(files), fingerprint(files)
    except TlsConfigError as exc:
        raise UserError(str(exc)) from exc


def _announce(token: str | None, fingerprint: str | None, file: Any) -> None:
    """Show a generated token (once: it is never stored) and the certificate to pin."""
    if token is not None:
        print(f"token (shown once; coaches pass it with --token-file): {token}", file=file)
    if fingerprint is not None:
        print(f"TLS certificate SHA-256 (coaches pass --fingerprint): {fingerprint}", file=file)
    file.flush()


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    """Feed definitions, stored feeds and the keyring: mistakes the user fixes (exit 2 or 4)."""
    from app.feeds import FeedConfigError, FeedNotFound
    from app.secrets import SecretsUnavailable

    try:
        yield
    except FeedNotFound as exc:
        raise UserError(str(exc), EXIT_NOT_FOUND) from exc
    except (FeedConfigError, SecretsUnavailable) as exc:
        raise UserError(str(exc), EXIT_USAGE) from exc


def _install_stop(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (NotImplementedError, RuntimeError):  # Windows: KeyboardInterrupt instead
            pass


# simulate --------------------------------------------------------------------------------


@command
def cmd_simulate(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Serve synthetic athletes with the trace protocol until --duration or Ctrl+C."""
    from device.feeds.simulator import FaultSpecError, parse_faults

    token = _token(args)
    if args.athletes < 1 or args.rate <= 0 or args.speed <= 0:
        raise UserError("--athletes, --rate and --speed must be positive")
    if args.duration is not None and args.duration <= 0:
        raise UserError("--duration must be positive")
    try:
        plan = parse_faults(args.faults or "", args.fault_every)
    except FaultSpecError as exc:
        raise UserError(str(exc)) from exc
    try:
        return asyncio.run(_simulate(args, token, plan))
    except OSError as exc:
        raise _bind_error(args, exc) from exc


def _bind_error(args: argparse.Namespace, exc: OSError) -> UserError:
    return UserError(f"cannot serve on {args.host}:{args.port}: {exc.strerror or exc}", EXIT_ERROR)


async def _simulate(args: argparse.Namespace, token: str, plan: Any) -> int:
    from device.feeds.server import TraceHub, TraceServer
    from device.feeds.simulator import TraceSimulator

    stop = asyncio.Event()
    _install_stop(stop)
    hub = TraceHub()
    server = TraceServer(hub, token, host=args.host, port=args.port, name="pulsedeck-simulate")
    await server.start()
    sim = TraceSimulator(
        hub,
        athletes=args.athletes,
        rate_hz=args.rate,
        seed=args.seed,
        speed=args.speed,
        faults=plan,
        server=server,
    )
    print(
        f"serving {server.url}: {args.athletes} athletes at {args.rate:g} Hz (seed {sim.seed})",
        flush=True,
    )
    try:
        if args.wait_for_client:
            waiter = asyncio.create_task(hub.wait_subscribers(1))
            stopper = asyncio.create_task(stop.wait())
            await asyncio.wait({waiter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            stopper.cancel()
        if not stop.is_set():
            await sim.run(args.duration, stop)
        hub.end()
        # Clients get replay + `end` for a grace period; one dropped by a fault may still be
        # backing off, so with drops the whole grace period is served.
        dropping = sim.injected["drop"] > 0
        for _ in range(int(END_GRACE_S / 0.05)):
            if stop.is_set() or (hub.subscribers == 0 and not dropping):
                break
            await asyncio.sleep(0.05)
    finally:
        await server.close()
    faults = ", ".join(f"{k} x{v}" for k, v in sorted(sim.injected.items())) or "none"
    print(
        f"sent {sim.sent_count()} samples ({sim.ticks} ticks); faults: {faults}; "
        f"refused {server.stats.auth_failures} unauthenticated clients",
        flush=True,
    )
    return EXIT_OK


# feeds record ----------------------------------------------------------------------------


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
    return FeedEndpoint(target, _token(args), args.format, args.remote_id, args.token_in_query, pin)


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
        args.broadcast_token = _secret_file(args.broadcast_token_file)
    args.broadcast_generated = False
    args.broadcast_tls_context = args.broadcast_fingerprint = None
    if args.broadcast_port is not None:
        args.broadcast_token, args.broadcast_generated = _broadcast_token(args.broadcast_token)
        args.broadcast_tls_context, args.broadcast_fingerprint = _tls(
            ctx, args.broadcast_tls, None, None
        )
    with recording_store(ctx.data_dir) as store:
        with _user_errors():
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
    _install_stop(stop)
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
        _announce(generated, args.broadcast_fingerprint, sys.stderr)

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


# feeds add / list / remove ---------------------------------------------------------------


@command
def cmd_feeds_add(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Remember a feed; its token goes to the OS keyring, never the database."""
    from app.feeds import add_feed

    token = _token(args)
    athlete_id = ctx.athlete(create=True).id if args.athlete else None
    with _user_errors():
        info = add_feed(ctx.store, args.name, args.url, args.format, token, athlete_id)
    print(json.dumps({"id": info.id, "name": info.name, "format": info.protocol}))
    return EXIT_OK


@command
def cmd_feeds_list(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Stored feeds, one per line or as JSON (no tokens: they live in the keyring)."""
    from app.feeds import list_feeds

    feeds = list_feeds(ctx.store)
    if args.json:
        print(json.dumps([{"name": f.name, "format": f.protocol, "url": f.url} for f in feeds]))
        return EXIT_OK
    if not feeds:
        print("no feeds yet: try `pulsedeck feeds add NAME URL --token-file FILE`")
    from app.domain.text import escape_controls

    for f in feeds:
        print(f"{escape_controls(f.name):20} {f.protocol:10} {escape_controls(f.url)}")
    return EXIT_OK


@command
def cmd_feeds_remove(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Forget a stored feed and its keyring token."""
    from app.feeds import remove_feed

    with _user_errors():
        removed = remove_feed(ctx.store, args.name)
    if not removed:
        raise UserError(f"no feed named {args.name!r}", EXIT_NOT_FOUND)
    return EXIT_OK


# feeds serve-live ------------------------------------------------------------------------


@command
def cmd_feeds_serve_live(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Record the simulated strap and broadcast it live with the trace protocol.

    Only this machine (127.0.0.1) unless --host asks for the LAN; a generated token unless one
    is given (--token-file, $PULSEDECK_FEED_TOKEN); TLS with --tls or --tls-cert/--tls-key.
    """
    given = _secret_file(args.token_file) if args.token_file else args.token
    token, generated = _broadcast_token(given or os.environ.get(TOKEN_ENV))
    if args.duration is not None and args.duration <= 0:
        raise UserError("--duration must be positive")
    args.tls_context, args.tls_fingerprint = _tls(ctx, args.tls, args.tls_cert, args.tls_key)
    args.generated_token = token if generated else None
    with recording_store(ctx.data_dir) as store:
        try:
            return asyncio.run(_serve_live(args, store, token))
        except OSError as exc:
            raise _bind_error(args, exc) from exc


async def _serve_live(args: argparse.Namespace, store: Any, token: str) -> int:
    from app.domain.text import escape_controls
    from app.feeds import LiveBroadcast
    from app.recorder import Recorder
    from device.feeds.protocol import RemoteAthlete
    from device.simulator import SimulatedStrap

    stop = asyncio.Event()
    _install_stop(stop)
    athlete = store.ensure_athlete(args.athlete) if args.athlete else store.default_athlete()
    broadcast = LiveBroadcast(token, host=args.host, port=args.port, tls=args.tls_context)
    await broadcast.start()
    print(f"broadcasting {escape_controls(athlete.name)} live on {broadcast.url}", flush=True)
    _announce(args.generated_token, args.tls_fingerprint, sys.stdout)
    recording = await Recorder(store).start(athlete.id, sport=args.sport, source="simulator")
    broadcast.attach(
        recording,
        f"athlete-{athlete.id}",
        RemoteAthlete(f"athlete-{athlete.id}", athlete.name, None, athlete.profile.weight_kg),
    )
    strap = SimulatedStrap(
        seed=args.seed,
        rate_hz=args.rate,
        resting_hr=athlete.profile.resting_hr or 60,
        max_hr=athlete.profile.max_hr or 185,
    )
    recording.attach(strap.samples(), name=strap.name)
    try:
        await asyncio.wait_for(stop.wait(), args.duration)
    except TimeoutError:
        pass
    finally:
        await recording.stop()
        await broadcast.close()
    info = store.get_session(recording.session_id)
    print(f"session {recording.session_id}: {info.samples if info else 0} samples", flush=True)
    return EXIT_OK


# Parser ----------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add `simulate` and `feeds ...` to the `pulsedeck` parser."""
    from device.feeds.formats import FORMATS
    from device.feeds.simulator import FAULTS

    sim = sub.add_parser(
        "simulate",
        help="serve synthetic athletes over the trace protocol (ws://HOST:PORT/api/v1/traces)",
    )
    sim.add_argument("--athletes", type=int, default=4, help="number of athletes (default 4)")
    sim.add_argument("--rate", type=float, default=1.0, help="samples per second per athlete")
    sim.add_argument("--port", type=int, default=8765, help="TCP port (0: any free port)")
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    _token_options(sim, "the token clients must present")
    sim.add_argument("--seed", type=int, help="seed: same seed, same athletes and values")
    sim.add_argument("--duration", type=float, help="stream seconds to serve (default: forever)")
    sim.add_argument(
        "--faults",
        help="comma-separated faults; NAME repeats every --fault-every s, NAME@T fires once at "
        f"T s. Names: {', '.join(FAULTS)}",
    )
    sim.add_argument("--fault-every", type=float, default=5.0, help="seconds between faults")
    sim.add_argument("--speed", type=float, default=1.0, help="time factor (10: 10x real time)")
    sim.add_argument(
        "--wait-for-client", action="store_true", help="start the clock when a client subscribes"
    )
    sim.set_defaults(func=cmd_simulate)

    feeds = sub.add_parser("feeds", help="record websocket trace feeds; broadcast live")
    fsub = feeds.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)

    rec = fsub.add_parser("record", help="record a feed: one session per remote athlete")
    rec.add_argument("feed", help="ws:// or wss:// URL, or the name of a stored feed")
    _token_options(rec, "the feed's token")
    rec.add_argument("--format", choices=FORMATS, default="pulsedeck")
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
    rec.add_argument("--sport", default="other")
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

    add = fsub.add_parser("add", help="remember a feed (token in the OS keyring)")
    add.add_argument("name")
    add.add_argument("url")
    _token_options(add, "the feed's token")
    add.add_argument("--format", choices=FORMATS, default="pulsedeck")
    add.add_argument("--athlete", help="local athlete for a single-athlete feed")
    add.set_defaults(func=cmd_feeds_add)

    lst = fsub.add_parser("list", help="stored feeds")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(func=cmd_feeds_list)

    rm = fsub.add_parser("remove", help="forget a stored feed and its token")
    rm.add_argument("name")
    rm.set_defaults(func=cmd_feeds_remove)

    live = fsub.add_parser(
        "serve-live", help="record the simulated strap and serve it live on the LAN"
    )
    live.add_argument("--port", type=int, default=8766)
    live.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0: the LAN)",
    )
    _token_options(
        live, "the token coaches must present (16+ characters; default: generated, shown once)"
    )
    live.add_argument(
        "--tls",
        action="store_true",
        help="serve wss:// with a self-signed certificate kept in the data directory; its "
        "SHA-256 fingerprint is printed for coaches to pin (feeds record --fingerprint)",
    )
    live.add_argument("--tls-cert", metavar="FILE", help="serve wss:// with your certificate")
    live.add_argument("--tls-key", metavar="FILE", help="the key of --tls-cert")
    live.add_argument("--athlete", help="athlete name (default: yourself)")
    live.add_argument("--sport", default="run")
    live.add_argument("--rate", type=float, default=1.0)
    live.add_argument("--seed", type=int)
    live.add_argument("--duration", type=float, help="seconds (default: until Ctrl+C)")
    live.set_defaults(func=cmd_feeds_serve_live)
