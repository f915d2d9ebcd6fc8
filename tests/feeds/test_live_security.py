"""The live broadcast under attack (issue 16 #10): local by default, strong token, TLS pinned,
failed logins throttled, a connection cap with handshake timeouts, quiet logs."""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from app.cli import build_parser, main
from app.domain.samples import Sample
from app.feeds import FeedRecorder, LiveBroadcast, WeakToken
from app.feeds.tls import fingerprint, self_signed, server_context
from app.store.repo import Store
from device.feeds.client import FeedClient, FeedEndpoint
from device.feeds.errors import FeedCertificateError
from device.feeds.server import (
    MAX_CONNECTIONS,
    MAX_PER_ADDRESS,
    LoginThrottle,
    TraceHub,
    TraceServer,
)

from .helpers import FAST, TOKEN, run, serve

T0 = 1_764_000_000_000


def test_the_broadcast_is_local_unless_the_lan_is_asked_for() -> None:
    parser = build_parser()
    live = parser.parse_args(["feeds", "serve-live"])
    rec = parser.parse_args(["feeds", "record", "ws://h/x", "--broadcast-port", "1"])
    assert live.host == "127.0.0.1" and rec.broadcast_host == "127.0.0.1"
    assert LiveBroadcast(TOKEN).server.host == "127.0.0.1"


def test_weak_tokens_are_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(WeakToken):
        LiveBroadcast("a")
    assert main(["feeds", "serve-live", "--token", "secret", "--duration", "1"]) == 2
    assert "at least 16 characters" in capsys.readouterr().err


def test_without_a_token_one_is_generated_and_shown_once(tmp_path: Path) -> None:
    served = serve(
        ["feeds", "serve-live", "--port", "0", "--duration", "1", "--rate", "5"],
        tmp_path / "home",
        env={"PULSEDECK_FEED_TOKEN": ""},
    )
    try:
        out = served.finish()
    finally:
        served.kill()
    match = re.search(r"token \(shown once[^)]*\): (\S+)", out)
    assert match is not None, out
    assert len(match.group(1)) >= 43  # 256 random bits, URL-safe
    assert out.count(match.group(1)) == 1


def test_tls_round_trip_with_the_pinned_self_signed_certificate(
    tmp_path: Path,
    data_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PULSEDECK_FEED_TOKEN", TOKEN)
    served = serve(
        # 6 s: a client slow to start under load must still find the server (a feed that
        # never comes back is retried until --duration, as a real gym network drop would be).
        ["feeds", "serve-live", "--port", "0", "--tls", "--rate", "10", "--duration", "6"],
        tmp_path / "athlete-home",
    )
    try:
        assert served.url.startswith("wss://")
        assert served.proc.stdout is not None
        line = served.proc.stdout.readline()
        pin = line.rsplit(" ", 1)[-1].strip()
        assert "SHA-256" in line and len(pin) == 95, line
        argv = ["feeds", "record", served.url, "--fingerprint", pin, "--duration", "60"]
        code = main([*argv, "--json", "-q"])
        served.finish()
    finally:
        served.kill()
    out, err = capsys.readouterr()
    assert code == 0, err
    assert '"ended": true' in out and '"samples": 0' not in out


def test_a_wrong_fingerprint_is_refused_before_the_token_is_sent(
    tmp_path: Path, store: Store
) -> None:
    files = self_signed(tmp_path / "tls")
    again = self_signed(tmp_path / "tls")  # kept: the fingerprint stays the same
    assert fingerprint(files) == fingerprint(again)
    wrong = "AB:" * 31 + "AB"

    async def main() -> tuple[TraceServer, BaseException | None]:
        server = TraceServer(TraceHub(), TOKEN, tls=server_context(files))
        await server.start()
        try:
            client = FeedClient(FeedEndpoint(server.url, TOKEN, fingerprint=wrong), policy=FAST)
            try:
                async for _ in client.events():
                    pass
            except FeedCertificateError as exc:
                return server, exc
            return server, None
        finally:
            await server.close()

    server, error = run(main(), timeout=30)
    assert isinstance(error, FeedCertificateError) and "token was not sent" in str(error)
    assert server.stats.handshakes == 0  # the HTTP upgrade (with the token) never arrived
    # Plain clients without a pin cannot talk to it either (no CA vouches for it).
    assert wrong not in str(error)


def test_failed_logins_are_throttled_per_address_and_logged_thinly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)

    async def attempt(url: str, token: str) -> int:
        try:
            async with connect(url, additional_headers={"Authorization": f"Bearer {token}"}):
                return 101
        except InvalidStatus as exc:
            return exc.response.status_code

    async def main() -> tuple[list[int], int, int]:
        throttle = LoginThrottle(failures=5, lockout_s=3.0)
        server = TraceServer(TraceHub(), TOKEN, throttle=throttle)
        await server.start()
        try:
            burst = [await attempt(server.url, f"guess-{i}") for i in range(60)]
            locked_out = await attempt(server.url, TOKEN)  # even the right token waits
            await asyncio.sleep(3.2)
            after = await attempt(server.url, TOKEN)
        finally:
            await server.close()
        return burst, locked_out, after

    burst, locked_out, after = run(main(), timeout=60)
    assert burst[:5] == [401] * 5 and set(burst[5:]) == {429}
    assert locked_out == 429 and after == 101
    lines = [r for r in caplog.records if r.name.startswith("device.feeds")]
    assert len(lines) <= 16, [r.getMessage() for r in lines]  # not a line per attempt


def test_idle_sockets_hit_the_connection_cap_and_time_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)

    async def main() -> tuple[int, int, int, int, int]:
        hub = TraceHub()
        server = TraceServer(hub, TOKEN, handshake_timeout_s=3.0)
        await server.start()
        writers: list[asyncio.StreamWriter] = []
        try:
            # 1,100 idle sockets from 40 loopback addresses: nothing is ever sent on them.
            for i in range(1100):
                source = f"127.0.0.{2 + i % 40}"
                _, writer = await asyncio.open_connection(
                    "127.0.0.1", server.port, local_addr=(source, 0)
                )
                writers.append(writer)
            await asyncio.sleep(0.3)
            held = server.open_sockets
            busiest = max(server._open.values())
            refused = server.stats.over_capacity
            await asyncio.sleep(3.5)  # the handshake timeout closes the idle ones
            after_timeout = server.open_sockets
            # A real client gets in again.
            client = FeedClient(FeedEndpoint(server.url, TOKEN), policy=FAST)
            events = client.events()
            first = await asyncio.wait_for(anext(events), 5)
            await events.aclose()
            ok = int(getattr(first, "state", "") == "connected")
        finally:
            for writer in writers:
                writer.close()
            await server.close()
        return held, busiest, refused, after_timeout, ok

    held, busiest, refused, after_timeout, ok = run(main(), timeout=60)
    assert held <= MAX_CONNECTIONS and busiest <= MAX_PER_ADDRESS
    assert refused >= 500  # most of the 1,100 (slots free up as idle ones time out)
    assert after_timeout == 0 and ok == 1
    lines = [r for r in caplog.records if r.name.startswith("device.feeds")]
    assert len(lines) <= 20, [r.getMessage() for r in lines[:30]]


def test_the_broadcast_serves_recorded_samples_over_tls(tmp_path: Path, store: Store) -> None:
    files = self_signed(tmp_path / "tls")
    pin = fingerprint(files)

    async def main() -> int:
        live = LiveBroadcast(TOKEN, tls=server_context(files))
        await live.start()
        try:
            recorder = FeedRecorder(store)
            client = recorder.client(FeedEndpoint(live.url, TOKEN, fingerprint=pin), FAST)
            running = asyncio.create_task(recorder.run(client))
            await live.hub.wait_subscribers(1)
            live.hub.publish([("me", Sample(t_ms=T0 + i, hr=100)) for i in range(1, 6)])
            await asyncio.sleep(0.3)
        finally:
            await live.close()
        report = await running
        return report.stored

    assert run(main(), timeout=30) == 5
    assert isinstance(server_context(files), ssl.SSLContext)
