"""Shared helpers for feed tests (servers are real, on 127.0.0.1)."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from device.feeds.backoff import BackoffPolicy

T = TypeVar("T")

#: Reconnect quickly so tests that drop connections stay fast.
FAST = BackoffPolicy(base_s=0.01, cap_s=0.1, healthy_after_s=0.05)
TOKEN = "t0ps3cret-token-value"


def run(coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    """Run one coroutine on a fresh loop with a hard timeout (a hang fails, never blocks)."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())
