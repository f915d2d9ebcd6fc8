"""Hostile feed servers on 127.0.0.1 (issue 16 #6): an id flood, controls in every text."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from websockets.asyncio.server import ServerConnection, serve

from app.feeds import FeedRecorder, FeedReport, source_key
from app.store import models as m
from app.store.repo import Store
from app.store.settings import FEED_MAX_ATHLETES, Settings
from device.feeds.client import FeedEndpoint

from .helpers import FAST, ROOT, TOKEN, run

FLOOD = 10_000
#: What a hostile server puts in every text it controls: ANSI (clear screen, retitle),
#: a forged log line, a C1 CSI and a right-to-left override.
EVIL = "\x1b[2J\x1b]0;pwned\x07gone\r\nERROR forged line\x9b31m\u202e"


def now_ms() -> int:
    return int(time.time() * 1000)


async def flood(conn: ServerConnection) -> None:
    """hello, then one sample for each of 10,000 athlete ids (1000 per batch), then end."""
    await conn.send(json.dumps({"v": 1, "type": "hello", "athletes": [], "latest": {}}))
    await conn.recv()  # subscribe
    t0 = now_ms() - 60_000
    for start in range(0, FLOOD, 1000):
        batch = [
            {"athlete": f"id{i:05d}", "measured_at": t0 + i, "heart_rate": 100}
            for i in range(start, start + 1000)
        ]
        await conn.send(json.dumps({"v": 1, "type": "samples", "samples": batch}))
    await conn.send(json.dumps({"v": 1, "type": "end"}))
    await conn.wait_closed()


Handler = Callable[[ServerConnection], Awaitable[None]]


async def record_once(store: Store, handler: Handler) -> FeedReport:
    async with serve(handler, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        recorder = FeedRecorder(store, max_athletes=Settings(store).get(FEED_MAX_ATHLETES) or 0)
        client = recorder.client(FeedEndpoint(f"ws://127.0.0.1:{port}/api/v1/traces", TOKEN), FAST)
        return await recorder.run(client)


def count(store: Store, model: type[m.Base]) -> int:
    with store.orm() as s:
        return s.query(model).count()


def test_a_flood_of_athlete_ids_adds_at_most_the_cap_and_counts_the_refused(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    athletes_before = count(store, m.Athlete)
    report = run(record_once(store, flood), timeout=120)
    cap = FEED_MAX_ATHLETES.default
    assert cap is not None and 100 <= cap <= 1000  # "a few hundred" by default
    assert len(report.athletes) == cap and report.stored == cap
    assert report.refused_athletes == FLOOD - cap
    assert report.rejected["athlete-cap"] == FLOOD - cap  # their samples, never silent
    assert count(store, m.Athlete) - athletes_before == cap
    assert count(store, m.Session) == cap and count(store, m.Device) == cap
    refusals = [r for r in caplog.records if "refused new remote athlete" in r.getMessage()]
    assert 1 <= len(refusals) <= 16  # thinned: 1st, 2nd, 4th... not 9,700 lines

    # The cap is per feed, not per run: the same flood again adds nobody new, and the
    # athletes it already has keep recording.
    again = run(record_once(store, flood), timeout=120)
    assert count(store, m.Athlete) - athletes_before == cap
    assert len(again.athletes) == cap and again.refused_athletes == FLOOD - cap


def test_the_cap_is_a_setting(store: Store) -> None:
    Settings(store).set(FEED_MAX_ATHLETES, 25)
    report = run(record_once(store, flood), timeout=120)
    assert len(report.athletes) == 25 and report.refused_athletes == FLOOD - 25


# Controls and ANSI in server text and names: escaped in logs and CLI output ----------------


class ServerThread:
    """A websocket server with its own loop on a background thread (the CLI runs apart)."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.port = 0
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = self._loop.create_future()
        async with serve(self.handler, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self._ready.set()
            await self._stop

    def __enter__(self) -> ServerThread:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set_result, None)
        self._thread.join(10)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/api/v1/traces"


class Talkative:
    """First connection: an error message, a bad athlete id and a close reason, all hostile;
    second: one sample of athlete "a" and `end`."""

    def __init__(self) -> None:
        self.connections = 0

    async def __call__(self, conn: ServerConnection) -> None:
        self.connections += 1
        await conn.send(json.dumps({"v": 1, "type": "hello", "athletes": [], "latest": {}}))
        await conn.recv()
        if self.connections == 1:
            await conn.send(json.dumps({"v": 1, "type": "error", "message": EVIL}))
            bad = {"athlete": "x" + EVIL, "measured_at": now_ms(), "heart_rate": 90}
            await conn.send(json.dumps({"v": 1, "type": "sample", **bad}))
            await conn.send(json.dumps({"v": 1, "type": "bogus" + EVIL}))
            await conn.close(1011, ("oops" + EVIL)[:60])
            return
        sample = {"athlete": "a", "measured_at": now_ms() - 1000, "heart_rate": 90}
        await conn.send(json.dumps({"v": 1, "type": "samples", "samples": [sample]}))
        await conn.send(json.dumps({"v": 1, "type": "end"}))
        await conn.wait_closed()


@pytest.fixture
def evil_athlete(data_dir: Path) -> Iterator[str]:
    """A local athlete whose stored name holds controls (an older version, an import)."""
    name = "Mallory" + EVIL
    store = Store.open(data_dir)
    try:
        with store.orm() as s, s.begin():
            s.add(m.Athlete(name=name, is_self=False, read_only=False, created_ms=now_ms()))
    finally:
        store.close()
    yield name


def pulsedeck(data_dir: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PULSEDECK_FEED_TOKEN": TOKEN}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=60,
    )


def assert_safe(output: bytes) -> None:
    text = output.decode()
    for char in ("\x1b", "\x07", "\x9b", "\u202e", "\r"):
        assert char not in text, (char, text)
    assert not any(line.startswith("ERROR forged") for line in text.splitlines()), text


def test_server_text_and_names_are_escaped_in_logs_and_cli_output(
    data_dir: Path, evil_athlete: str
) -> None:
    with ServerThread(Talkative()) as server:
        # Athlete "a" of this feed is mapped to the athlete with the hostile name.
        store = Store.open(data_dir)
        try:
            with store.orm() as s, s.begin():
                athlete_id = s.query(m.Athlete.id).filter(m.Athlete.name == evil_athlete).scalar()
                s.add(
                    m.FeedCursor(
                        source=source_key(server.url),
                        remote_athlete="a",
                        athlete_id=athlete_id,
                        last_measured_ms=0,
                    )
                )
        finally:
            store.close()
        done = pulsedeck(data_dir, "feeds", "record", server.url, "--duration", "20")
    out, err = done.stdout.decode(), done.stderr.decode()
    assert done.returncode == 0, err
    assert_safe(done.stdout)
    assert_safe(done.stderr)
    # Shown, escaped: the name in the summary, the server's words in the log and notices.
    assert "Mallory\\x1b[2J\\x1b]0;pwned\\x07gone\\r\\nERROR forged line" in out
    assert "server error: \\x1b[2J" in err
    assert "closed by server (1011 oops\\x1b[2J" in err  # the reconnect notice
    assert "rejected (out-of-range)" in err and "athlete x\\x1b[2J" in err


class RevokedToken:
    """Closes with 4401 and a hostile reason: an authentication failure the CLI reports."""

    async def __call__(self, conn: ServerConnection) -> None:
        await conn.close(4401, "revoked" + EVIL[:40])


def test_an_auth_failure_with_a_hostile_reason_is_one_escaped_line(data_dir: Path) -> None:
    with ServerThread(RevokedToken()) as server:
        done = pulsedeck(data_dir, "feeds", "record", server.url, "--duration", "20")
    assert done.returncode == 7
    assert_safe(done.stderr)
    lines = done.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "authentication failed" in lines[0] and "revoked\\x1b" in lines[0]
