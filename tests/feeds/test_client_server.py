"""Client against the real trace server on 127.0.0.1: auth, resume, caps, gaps, secrecy."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from app.domain.samples import Sample
from device.feeds.backoff import BackoffPolicy
from device.feeds.client import FeedClient, FeedEndpoint, FeedSample, FeedStatus
from device.feeds.errors import FeedAuthError, FeedConnectionError, FeedUnavailable
from device.feeds.protocol import Gap, RemoteAthlete
from device.feeds.server import TraceHub, TraceServer

from .helpers import FAST, TOKEN, run

T0 = 1_764_000_000_000


def sample(i: int) -> Sample:
    return Sample(t_ms=T0 + i * 100, hr=100 + i % 50, rr=(600.0,), steps=i)


async def serve(hub: TraceHub, **kw: object) -> TraceServer:
    server = TraceServer(hub, TOKEN, **kw)  # type: ignore[arg-type]
    await server.start()
    return server


@pytest.mark.parametrize("in_query", [False, True])
def test_a_wrong_token_is_refused_once_and_reported(in_query: bool) -> None:
    async def main() -> None:
        hub = TraceHub()
        server = await serve(hub)
        client = FeedClient(
            FeedEndpoint(server.url, "wrong-token", token_in_query=in_query), policy=FAST
        )
        with pytest.raises(FeedAuthError) as info:
            async for _ in client.events():
                pass
        await server.close()
        assert "authentication failed" in str(info.value)
        assert "HTTP 401" in str(info.value)
        # Refused once, never retried: the client does not hammer the server.
        assert (server.stats.handshakes, server.stats.auth_failures) == (1, 1)
        assert client.stats.connects == 0

    run(main())


def test_the_token_is_accepted_as_header_or_query_and_never_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)

    async def main() -> None:
        hub = TraceHub()
        server = await serve(hub)
        hub.describe(RemoteAthlete("a", "Ann"))
        for in_query in (False, True):
            client = FeedClient(
                FeedEndpoint(server.url, TOKEN, token_in_query=in_query), policy=FAST
            )
            events = client.events()
            assert isinstance(await anext(events), FeedStatus)
            assert await anext(events) == RemoteAthlete("a", "Ann")
            await hub.wait_subscribers(1)
            hub.publish([("a", sample(1 if in_query else 0))])
            event = await anext(events)
            assert isinstance(event, FeedSample)
            await events.aclose()
            await asyncio.sleep(0.05)  # let the server see the close
        with pytest.raises(FeedAuthError) as info:
            async for _ in FeedClient(FeedEndpoint(server.url, TOKEN + "x")).events():
                pass
        await server.close()
        assert TOKEN not in str(info.value)
        assert TOKEN not in repr(FeedEndpoint(server.url, TOKEN))

    run(main())
    assert caplog.records, "debug logging was captured"
    assert TOKEN not in caplog.text


def test_a_killed_connection_resumes_without_loss_or_duplicates() -> None:
    async def main() -> None:
        hub = TraceHub()
        server = await serve(hub)
        client = FeedClient(FeedEndpoint(server.url, TOKEN), policy=FAST)
        got: list[tuple[str, int]] = []
        statuses: list[str] = []
        killed = asyncio.Event()

        async def consume() -> None:
            async for event in client.events():
                if isinstance(event, FeedSample):
                    got.append((event.athlete, event.sample.t_ms))
                    if len(got) == 300 and not killed.is_set():
                        assert server.drop_connections() == 1  # mid-stream, no close frame
                        killed.set()
                elif isinstance(event, FeedStatus):
                    statuses.append(event.state)

        consumer = asyncio.create_task(consume())
        await hub.wait_subscribers(1)
        for i in range(1000):
            hub.publish([("a", sample(i)), ("b", sample(i))])
            if i % 20 == 0:
                await asyncio.sleep(0.002)  # a live feed, not one burst
        hub.end()
        await consumer
        await server.close()
        assert killed.is_set()
        expected = [(a, sample(i).t_ms) for i in range(1000) for a in ("a", "b")]
        assert sorted(got) == sorted(expected)  # nothing lost
        assert len(got) == len(set(got))  # nothing twice
        assert statuses.count("connected") == 2
        assert "disconnected" in statuses and statuses[-1] == "ended"
        assert client.stats.duplicates == 0  # the server replayed only after the cursor
        assert client.stats.rejected_total == 0

    run(main())


def test_a_message_above_the_hard_cap_closes_reconnects_and_resumes() -> None:
    async def main() -> None:
        hub = TraceHub()
        server = await serve(hub)
        client = FeedClient(FeedEndpoint(server.url, TOKEN), policy=FAST, max_message_bytes=2000)
        got: list[int] = []

        async def consume() -> None:
            async for event in client.events():
                if isinstance(event, FeedSample):
                    got.append(event.sample.t_ms)

        consumer = asyncio.create_task(consume())
        await hub.wait_subscribers(1)
        for i in range(10):
            hub.publish([("a", sample(i))])
        hub.inject('{"v":1,"type":"samples","samples":[],"pad":"' + "x" * 5000 + '"}')  # soft
        hub.inject('{"v":1,"type":"samples","samples":[],"pad":"' + "x" * 20_000 + '"}')  # hard
        for i in range(10, 20):
            hub.publish([("a", sample(i))])
        hub.end()
        await consumer
        await server.close()
        assert got == [sample(i).t_ms for i in range(20)]
        assert client.stats.rejected["oversize"] == 2
        assert client.stats.connects == 2

    run(main())


def test_a_cursor_older_than_the_server_buffer_is_reported_as_a_gap() -> None:
    async def main() -> None:
        hub = TraceHub(buffer_samples=10)
        server = await serve(hub)
        for i in range(1, 51):
            hub.publish([("a", sample(i))])
        hub.end()
        client = FeedClient(FeedEndpoint(server.url, TOKEN), cursors={"a": T0}, policy=FAST)
        events = [e async for e in client.events()]
        await server.close()
        gaps = [e for e in events if isinstance(e, Gap)]
        assert gaps == [Gap("a", T0 + 1, sample(40).t_ms)]
        got = [e.sample.t_ms for e in events if isinstance(e, FeedSample)]
        assert got == [sample(i).t_ms for i in range(41, 51)]
        assert client.stats.gaps == gaps

    run(main())


def test_a_wrong_path_is_permanent_and_a_dead_port_gives_up_when_told() -> None:
    async def main() -> None:
        hub = TraceHub()
        server = await serve(hub)
        wrong = server.url.replace("/api/v1/traces", "/nope")
        with pytest.raises(FeedUnavailable, match="HTTP 404"):
            async for _ in FeedClient(FeedEndpoint(wrong, TOKEN), policy=FAST).events():
                pass
        await server.close()
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # nothing listens here once the socket is closed
        policy = BackoffPolicy(base_s=0.001, cap_s=0.01, max_attempts=3)
        client = FeedClient(
            FeedEndpoint(f"ws://127.0.0.1:{port}/api/v1/traces", TOKEN), policy=policy
        )
        states = []
        with pytest.raises(FeedConnectionError, match="gave up after 3 attempts"):
            async for event in client.events():
                assert isinstance(event, FeedStatus)
                states.append((event.state, event.retry_in_s))
        assert [s for s, _ in states] == ["disconnected"] * 3
        delays = [d for _, d in states]
        assert delays == sorted(delays)  # backoff grows (cap not reached)

    run(main())


def test_a_client_that_cannot_keep_up_is_closed_and_resumes() -> None:
    async def main() -> None:
        import device.feeds.server as srv

        hub = TraceHub(buffer_samples=srv.MAX_QUEUE * 2)
        server = await serve(hub)
        client = FeedClient(FeedEndpoint(server.url, TOKEN), policy=FAST)
        events = client.events()
        await anext(events)  # connected
        await hub.wait_subscribers(1)
        # The client reads nothing while the hub overflows its queue.
        for i in range(srv.MAX_QUEUE + 50):
            hub.publish([("a", sample(i))])
        hub.end()
        got = [e.sample.t_ms async for e in events if isinstance(e, FeedSample)]
        await server.close()
        assert server.stats.slow_clients == 1
        assert got == [sample(i).t_ms for i in range(srv.MAX_QUEUE + 50)]

    run(main())


def test_since_in_the_query_replays_and_a_bad_subscribe_is_closed_with_a_reason() -> None:
    """Clients that cannot send `subscribe` use ?since=; a broken subscribe gets 1008."""
    import json

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosedError

    async def main() -> None:
        hub = TraceHub()
        server = await serve(hub)
        for i in range(5):
            hub.publish([("a", sample(i))])
        url = f"{server.url}?since={sample(2).t_ms}&access_token={TOKEN}"
        async with connect(url, proxy=None) as ws:
            hello = json.loads(await ws.recv())
            assert hello["type"] == "hello" and hello["latest"] == {"a": sample(4).t_ms}
            replay = json.loads(await ws.recv())
            assert [s["measured_at"] for s in replay["samples"]] == [
                sample(3).t_ms,
                sample(4).t_ms,
            ]
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with connect(server.url, additional_headers=headers, proxy=None) as ws:
            await ws.recv()  # hello
            await ws.send('{"type":"subscribe","since":{"a":"yesterday"}}')
            with pytest.raises(ConnectionClosedError) as info:
                await ws.recv()
        assert info.value.rcvd is not None and info.value.rcvd.code == 1008
        assert "bad subscribe" in info.value.rcvd.reason
        await server.close()

    run(main())
