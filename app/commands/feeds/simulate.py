"""`pulsedeck simulate`: synthetic athletes over the trace protocol, faults on demand."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from app.commands import EXIT_OK, UserError
from app.commands.common import CommandContext, command

from .common import bind_error, install_stop, token_from_args, token_options

#: After the simulator's duration, connected clients get this long to read `end`.
END_GRACE_S = 3.0


@command
def cmd_simulate(args: argparse.Namespace, ctx: CommandContext) -> int:
    """Serve synthetic athletes with the trace protocol until --duration or Ctrl+C."""
    from device.feeds.simulator import FaultSpecError, parse_faults

    token = token_from_args(args)
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
        raise bind_error(args, exc) from exc


async def _simulate(args: argparse.Namespace, token: str, plan: Any) -> int:
    from device.feeds.simulator import serve_simulated

    stop = asyncio.Event()
    install_stop(stop)
    sim, server = await serve_simulated(
        token,
        athletes=args.athletes,
        rate_hz=args.rate,
        seed=args.seed,
        speed=args.speed,
        faults=plan,
        host=args.host,
        port=args.port,
    )
    hub = sim.hub
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


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `simulate` to the `pulsedeck` parser."""
    from device.feeds.simulator import FAULTS

    sim = sub.add_parser(
        "simulate",
        help="serve synthetic athletes over the trace protocol (ws://HOST:PORT/api/v1/traces)",
    )
    sim.add_argument("--athletes", type=int, default=4, help="number of athletes (default 4)")
    sim.add_argument("--rate", type=float, default=1.0, help="samples per second per athlete")
    sim.add_argument("--port", type=int, default=8765, help="TCP port (0: any free port)")
    sim.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    token_options(sim, "the token clients must present")
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
