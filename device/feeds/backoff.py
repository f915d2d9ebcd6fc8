"""Reconnect timing for feeds; the delay maths is app.domain.backoff's."""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.backoff import exponential_backoff


@dataclass(frozen=True, slots=True)
class BackoffPolicy:
    """Exponential backoff with jitter; all times in seconds."""

    #: First retry after about this long: quick enough to hide a blip of Wi-Fi.
    base_s: float = 0.5
    #: Never wait longer than this between attempts: a feed that returns is picked up soon.
    cap_s: float = 30.0
    #: Share of each delay that is randomised; the rest is fixed so a retry is never instant
    #: (which would hammer a server that is restarting) and clients spread out (no herd).
    jitter: float = 0.5
    #: A connection that lived this long resets the attempt counter: it was a real session.
    healthy_after_s: float = 10.0
    #: Give up after this many consecutive failed attempts (None: keep trying forever).
    max_attempts: int | None = None


def backoff_delay(attempt: int, policy: BackoffPolicy, rand: float) -> float:
    """Seconds to wait before retry number `attempt` (0-based); `rand` is uniform in [0, 1)."""
    if attempt < 0:
        raise ValueError("attempt must be >= 0")
    if not 0.0 <= rand < 1.0:
        raise ValueError("rand must be in [0, 1)")
    return exponential_backoff(
        attempt + 1, base_s=policy.base_s, cap_s=policy.cap_s, jitter=policy.jitter, rand=rand
    )


def next_attempt(attempt: int, connected_s: float, policy: BackoffPolicy) -> int:
    """The attempt number after a connection that lasted `connected_s` (0 if it never opened)."""
    return 0 if connected_s >= policy.healthy_after_s else attempt + 1
