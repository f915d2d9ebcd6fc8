"""Strava rate budgets read from response headers; no numbers are hard-coded.

Strava counts requests per API application in two windows: 15 minutes (resetting at :00,
:15, :30 and :45 UTC) and one day (resetting at midnight UTC), overall and again for reads
(`X-RateLimit-*`, `X-ReadRateLimit-*`). A `RateBudget` object is held by whoever owns the
application's accounts (the sync engine), never as module state, and refuses a request
locally when it would exceed a window, so a long backfill waits instead of meeting a 429.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

QUARTER_S = 15 * 60
DAY_S = 24 * 3600

#: Requests kept in hand in each 15-minute window for the user's own actions (an upload
#: clicked while a backfill runs); a fraction, because the limits themselves vary per app.
RESERVE_FRACTION = 0.02


@dataclass(frozen=True, slots=True)
class Usage:
    """One pair of windows: limits and usage for 15 min and the day."""

    limit_15: int
    limit_day: int
    usage_15: int
    usage_day: int


def parse_pair(value: str | None) -> tuple[int, int] | None:
    """`"200,2000"` -> (200, 2000); anything malformed -> None (treated as unknown)."""
    if not value:
        return None
    parts = value.split(",")
    if len(parts) < 2:
        return None
    try:
        a, b = int(parts[0].strip()), int(parts[1].strip())
    except ValueError:
        return None
    if a < 0 or b < 0:
        return None
    return a, b


def parse_headers(headers: Mapping[str, str], prefix: str) -> Usage | None:
    """Usage from `{prefix}-Limit` and `{prefix}-Usage`, e.g. prefix `X-RateLimit`."""
    lower = {k.lower(): v for k, v in headers.items()}
    limit = parse_pair(lower.get(f"{prefix.lower()}-limit"))
    usage = parse_pair(lower.get(f"{prefix.lower()}-usage"))
    if limit is None or usage is None:
        return None
    return Usage(limit[0], limit[1], usage[0], usage[1])


def next_quarter(now_s: float) -> float:
    """The next 15-minute boundary (UTC) strictly after `now_s`."""
    return (int(now_s) // QUARTER_S + 1) * QUARTER_S


def next_midnight(now_s: float) -> float:
    """The next UTC midnight strictly after `now_s`."""
    return (int(now_s) // DAY_S + 1) * DAY_S


def _reserve(limit: int) -> int:
    return int(limit * RESERVE_FRACTION)


def wait_s(usage: Usage | None, now_s: float, extra: int = 1, reserve: bool = True) -> float:
    """Seconds to wait before `extra` more requests fit in both windows (0 = go now)."""
    if usage is None:
        return 0.0
    if usage.usage_day + extra > usage.limit_day - (_reserve(usage.limit_day) if reserve else 0):
        return next_midnight(now_s) - now_s
    if usage.usage_15 + extra > usage.limit_15 - (_reserve(usage.limit_15) if reserve else 0):
        return next_quarter(now_s) - now_s
    return 0.0


def retry_after_429(usage: Usage | None, now_s: float) -> float:
    """How long a 429 tells us to wait: to midnight if the day is spent, else next quarter."""
    if usage is not None and usage.usage_day >= usage.limit_day:
        return next_midnight(now_s) - now_s
    return next_quarter(now_s) - now_s


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What `sync status` shows: last seen usage and when it was seen."""

    overall: Usage | None
    read: Usage | None
    seen_s: float | None


class RateBudget:
    """Budget of one Strava application, shared by its accounts; thread-safe.

    Usage seen in headers is carried forward by counting our own requests until the next
    response arrives, and forgotten when its window has reset.
    """

    def __init__(self, *, priority_reserve: bool = True) -> None:
        self._lock = threading.Lock()
        self._overall: Usage | None = None
        self._read: Usage | None = None
        self._seen_s: float | None = None
        self._reserve = priority_reserve

    def _current(self, usage: Usage | None, now_s: float) -> Usage | None:
        if usage is None or self._seen_s is None:
            return usage
        if next_midnight(self._seen_s) <= now_s:
            return Usage(usage.limit_15, usage.limit_day, 0, 0)
        if next_quarter(self._seen_s) <= now_s:
            return Usage(usage.limit_15, usage.limit_day, 0, usage.usage_day)
        return usage

    def wait_s(self, now_s: float, is_read: bool, background: bool = True) -> float:
        """Seconds before one more request may go; background work leaves the reserve."""
        with self._lock:
            overall = self._current(self._overall, now_s)
            read = self._current(self._read, now_s) if is_read else None
        reserve = background and self._reserve
        return max(wait_s(overall, now_s, reserve=reserve), wait_s(read, now_s, reserve=reserve))

    def spend(self, now_s: float, is_read: bool) -> None:
        """Count a request about to be sent, so parallel requests see it before its reply."""
        with self._lock:
            self._overall = self._bump(self._current(self._overall, now_s))
            if is_read:
                self._read = self._bump(self._current(self._read, now_s))
            if self._seen_s is not None:
                self._seen_s = max(self._seen_s, now_s)

    @staticmethod
    def _bump(u: Usage | None) -> Usage | None:
        return (
            None if u is None else Usage(u.limit_15, u.limit_day, u.usage_15 + 1, u.usage_day + 1)
        )

    def observe(self, headers: Mapping[str, str], now_s: float) -> None:
        """Take the authoritative usage from a response's headers."""
        overall = parse_headers(headers, "X-RateLimit")
        read = parse_headers(headers, "X-ReadRateLimit")
        with self._lock:
            if overall is not None:
                self._overall = overall
            if read is not None:
                self._read = read
            if overall is not None or read is not None:
                self._seen_s = now_s

    def retry_after_429(self, headers: Mapping[str, str], now_s: float) -> float:
        """Wait after a 429, from the headers that came with it."""
        self.observe(headers, now_s)
        overall = parse_headers(headers, "X-RateLimit")
        read = parse_headers(headers, "X-ReadRateLimit")
        return max(retry_after_429(overall, now_s), retry_after_429(read, now_s) if read else 0)

    def snapshot(self) -> Snapshot:
        with self._lock:
            return Snapshot(self._overall, self._read, self._seen_s)
