"""Retry delays shared by sensors, feeds and the sync outbox: exponential, capped, jittered."""

from __future__ import annotations

#: 2**62 x any base is past every cap; a longer outage must not overflow the float maths.
_MAX_DOUBLINGS = 62


def exponential_backoff(
    attempt: int, *, base_s: float, cap_s: float, jitter: float, rand: float
) -> float:
    """Seconds before retry `attempt` (1 = the first retry; 0 or less: no wait).

    `base_s` doubles with each attempt up to `cap_s`; the share `jitter` of that is scaled by
    `rand` (in [0, 1], clamped), so clients that failed together spread out while a retry is
    never instant: the delay lies in [(1 - jitter) x ceiling, ceiling].
    """
    if attempt <= 0:
        return 0.0
    ceiling = min(cap_s, base_s * 2.0 ** min(attempt - 1, _MAX_DOUBLINGS))
    r = min(max(rand, 0.0), 1.0)
    return ceiling * (1.0 - jitter * (1.0 - r))
