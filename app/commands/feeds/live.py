"""`pulsedeck feeds serve-live`: record the simulated strap and broadcast it live."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from app.commands import EXIT_OK, UserError, recording_store
from app.commands.common import CommandContext, command, sport_help

from .common import (
    TOKEN_ENV,
    announce,
    bind_error,
    broadcast_token,
    install_stop,
    secret_file,
    server_tls,
    token_options,
)


@command
def cmd_feeds_serve_live(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Record the simulated strap and broadcast it live with the trace protocol.

    Only this machine (127.0.0.1) unless --host asks for the LAN; a generated token unless one
    is given (--token-file, $PULSEDECK_FEED_TOKEN); TLS with --tls or --tls-cert/--tls-key.
    """
    given = secret_file(args.token_file) if args.token_file else args.token
    token, generated = broadcast_token(given or os.environ.get(TOKEN_ENV))
    if args.duration is not None and args.duration <= 0:
        raise UserError("--duration must be positive")
    args.tls_context, args.tls_fingerprint = server_tls(ctx, args.tls, args.tls_cert, args.tls_key)
    args.generated_token = token if generated else None
    with recording_store(ctx.data_dir) as store:
        try:
            return asyncio.run(_serve_live(args, store, token))
        except OSError as exc:
            raise bind_error(args, exc) from exc


async def _serve_live(args: argparse.Namespace, store: Any, token: str) -> int:
    from app.domain.text import escape_controls
    from app.feeds import LiveBroadcast
    from app.recorder import Recorder
    from device.feeds.protocol import RemoteAthlete
    from device.simulator import SimulatedStrap

    stop = asyncio.Event()
    install_stop(stop)
    athlete = store.ensure_athlete(args.athlete) if args.athlete else store.default_athlete()
    broadcast = LiveBroadcast(token, host=args.host, port=args.port, tls=args.tls_context)
    await broadcast.start()
    print(f"broadcasting {escape_controls(athlete.name)} live on {broadcast.url}", flush=True)
    announce(args.generated_token, args.tls_fingerprint, sys.stdout)
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


def register(fsub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `serve-live` to `pulsedeck feeds`."""
    live = fsub.add_parser(
        "serve-live", help="record the simulated strap and serve it live on the LAN"
    )
    live.add_argument("--port", type=int, default=8766, help="default: 8766")
    live.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0: the LAN)",
    )
    token_options(
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
    live.add_argument("--sport", default="run", help=sport_help("run"))
    live.add_argument("--rate", type=float, default=1.0, metavar="HZ", help="samples per second")
    live.add_argument("--seed", type=int, help="random seed (repeatable runs)")
    live.add_argument("--duration", type=float, help="seconds (default: until Ctrl+C)")
    live.set_defaults(func=cmd_feeds_serve_live)
