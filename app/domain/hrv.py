"""Heart-rate variability from RR intervals."""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Successive RR differences larger than this are ectopic beats or drop-outs, not HRV.
MAX_SUCCESSIVE_DIFF_MS = 250.0


def rmssd(rr_ms: Sequence[float]) -> float | None:
    """Root mean square of successive RR differences (ms), artefacts excluded; None if < 2 diffs."""
    diffs = [b - a for a, b in zip(rr_ms, rr_ms[1:], strict=False)]
    diffs = [d for d in diffs if abs(d) <= MAX_SUCCESSIVE_DIFF_MS]
    if len(diffs) < 2:
        return None
    return math.sqrt(sum(d * d for d in diffs) / len(diffs))
