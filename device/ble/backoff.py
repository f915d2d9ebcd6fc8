"""Reconnect timing as pure functions: backoff after a failure, a watchdog for silent sensors."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.backoff import exponential_backoff


@dataclass(frozen=True, slots=True)
class ReconnectPolicy:
    """Every timeout the sensor manager uses, with why it has that value."""

    #: First retry comes quickly: most drops are a strap shifting on the chest for a moment.
    first_backoff_s: float = 0.25
    factor: float = 2.0
    #: Never wait longer than this between attempts: an athlete notices a 30 s hole at most.
    max_backoff_s: float = 15.0
    #: Up to this fraction shorter, so two sensors that dropped together do not retry in
    #: lock-step.
    jitter: float = 0.2
    #: No notification for this long while "connected" = a silent sensor (a Polar H10 on a
    #: Pi Zero stops after ~100 s with the link up); straps notify at ~1 Hz, so 10 s is ~10
    #: missed beats, long enough to ride out a radio hiccup.
    watchdog_s: float = 10.0
    #: A fresh scan before each connect: advertising sensors show up within a few seconds.
    scan_timeout_s: float = 10.0
    #: BlueZ's own connect timeout is ~20 s; waiting longer never helps.
    connect_timeout_s: float = 20.0
    #: Reads, subscribes and disconnects on a live link answer in well under a second.
    io_timeout_s: float = 5.0
    #: Wait at most this long for one sensor's first connection before starting the next.
    first_connect_wait_s: float = 30.0


def backoff_s(attempt: int, policy: ReconnectPolicy, rand: float = 0.5) -> float:
    """Seconds to wait before reconnect attempt `attempt` (1-based); `rand` in [0, 1)."""
    return exponential_backoff(
        attempt,
        base_s=policy.first_backoff_s,
        cap_s=policy.max_backoff_s,
        jitter=policy.jitter,
        rand=rand,
    )


def watchdog_remaining_s(last_data_s: float, now_s: float, policy: ReconnectPolicy) -> float:
    """Seconds until a sensor silent since `last_data_s` counts as dead (<= 0: it is)."""
    return policy.watchdog_s - (now_s - last_data_s)
