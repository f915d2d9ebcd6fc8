"""Shared helpers for feed tests (servers are real, on 127.0.0.1)."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, event

from device.feeds.backoff import BackoffPolicy

T = TypeVar("T")

#: Reconnect quickly so tests that drop connections stay fast.
FAST = BackoffPolicy(base_s=0.01, cap_s=0.1, healthy_after_s=0.05)
TOKEN = "t0ps3cret-token-value"
ROOT = Path(__file__).resolve().parents[2]


def run(coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
    """Run one coroutine on a fresh loop with a hard timeout (a hang fails, never blocks)."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


@contextmanager
def capped_disk(data_dir: Path, extra_pages: int) -> Iterator[None]:
    """A full disk as SQLite sees it: the database may grow by `extra_pages` at most.

    `PRAGMA max_page_count` makes SQLite fail writes with SQLITE_FULL exactly as on a full
    filesystem (tests/test_storage_faults.py does the same for the main recorder).
    """
    with sqlite3.connect(data_dir / "pulsedeck.db") as conn:
        cap = conn.execute("PRAGMA page_count").fetchone()[0] + extra_pages

    def on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {cap}")

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)


class Served:
    """A `pulsedeck` server process (simulate, serve-live) and the URL from its first line."""

    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc = proc
        self.url = url

    def finish(self, timeout: float = 30) -> str:
        """The rest of its output once it exited (the lines read after the URL are kept:
        `communicate` would read the pipe beneath the buffer and lose them)."""
        self.proc.wait(timeout)  # its output is a few lines: the pipe never fills
        assert self.proc.stdout is not None
        return self.proc.stdout.read()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def serve(args: list[str], home: Path, env: dict[str, str] | None = None) -> Served:
    """Start `pulsedeck ARGS` in its own process; the token comes from the environment."""
    full_env = {**os.environ, "PULSEDECK_HOME": str(home), "PULSEDECK_FEED_TOKEN": TOKEN}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env={**full_env, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"(wss?://\S+/api/v1/traces)", line)
    if not match:
        proc.kill()
        proc.wait()
        raise AssertionError(f"no URL in {line!r}")
    return Served(proc, match.group(1))
