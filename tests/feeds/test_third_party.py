"""Pulsoid and HypeRate formats against local servers that speak them (websockets, 127.0.0.1)."""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from app.feeds import FeedRecorder
from app.store.repo import Store
from device.feeds.client import FeedClient, FeedEndpoint
from device.feeds.errors import FeedAuthError
from device.feeds.formats import HypeRateFormat

from .helpers import FAST, run

T0 = 1_764_000_000_000
PULSOID_TOKEN = "pulsoid-secret"
HYPERATE_KEY = "hyperate-key"


async def wait_until(predicate: object, timeout: float = 10.0) -> None:
    """Poll a condition owned by another task (no event exists for it), bounded."""
    async with asyncio.timeout(timeout):
        while not predicate():  # type: ignore[operator]
            await asyncio.sleep(0.01)


class FakePulsoid:
    """Pulsoid's real-time endpoint: bearer header or ?access_token=, one JSON per reading."""

    def __init__(self) -> None:
        self.connections = 0
        self.sent: list[tuple[int, int]] = []

    def authorize(self, conn: ServerConnection, request: Request) -> Response | None:
        query = parse_qs(urlsplit(request.path).query)
        header = request.headers.get("Authorization", "")
        if header != f"Bearer {PULSOID_TOKEN}" and query.get("access_token") != [PULSOID_TOKEN]:
            return conn.respond(HTTPStatus.UNAUTHORIZED, "invalid token\n")
        return None

    async def handler(self, conn: ServerConnection) -> None:
        self.connections += 1
        if self.connections == 1:
            readings = list(range(0, 10))
            bad = [
                f'{{"measured_at": {T0 + 5500}, "data": {{"heart_rate": NaN}}}}',
                f'{{"measured_at": {T0 + 5600}, "data": {{"heart_rate": "90"}}}}',
                '{"measured_at": "soon", "data": {"heart_rate": 90}}',
                "{not json",
            ]
        else:
            readings = list(range(7, 20))  # overlaps 3 readings already delivered
            bad = []
        for i in readings:
            reading = (T0 + i * 1000, 70 + i)
            if reading not in self.sent:
                self.sent.append(reading)
            await conn.send(
                json.dumps({"measured_at": reading[0], "data": {"heart_rate": reading[1]}})
            )
            if i == 5:
                for text in bad:
                    await conn.send(text)
        if self.connections == 1:
            return  # the handler ends: the connection drops, the client reconnects
        await conn.wait_closed()


@pytest.mark.parametrize("in_query", [False, True])
def test_pulsoid_feed_records_one_session_and_survives_a_reconnect(
    store: Store, in_query: bool
) -> None:
    async def main() -> tuple[FakePulsoid, object]:
        fake = FakePulsoid()
        async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.authorize) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            url = f"ws://127.0.0.1:{port}/api/v1/data/real_time"
            recorder = FeedRecorder(store, athlete_names={"pulsoid": "Streamer"})
            client = recorder.client(
                FeedEndpoint(url, PULSOID_TOKEN, "pulsoid", None, in_query), FAST
            )
            stop = asyncio.Event()
            running = asyncio.create_task(recorder.run(client, stop=stop))
            await wait_until(lambda: client.stats.accepted >= 20)
            stop.set()
            report = await running
        return fake, report

    fake, report = run(main())
    [result] = report.athletes  # type: ignore[attr-defined]
    assert result.athlete_name == "Streamer"
    samples = store.load_samples(result.session_id)
    assert [(s.t_ms, s.hr) for s in samples] == fake.sent
    assert all(s.received_ms is not None for s in samples)
    assert report.duplicates == 3  # type: ignore[attr-defined]
    assert report.rejected == {  # type: ignore[attr-defined]
        "non-finite": 1,
        "wrong-type": 2,
        "bad-json": 1,
    }
    assert report.connects == 2  # type: ignore[attr-defined]


def test_pulsoid_wrong_token_is_an_authentication_failure(store: Store) -> None:
    async def main() -> None:
        fake = FakePulsoid()
        async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.authorize) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            recorder = FeedRecorder(store)
            client = recorder.client(
                FeedEndpoint(f"ws://127.0.0.1:{port}/x", "nope", "pulsoid"), FAST
            )
            with pytest.raises(FeedAuthError, match="authentication failed"):
                await recorder.run(client)
        assert fake.connections == 0

    run(main())


class FakeHypeRate:
    """HypeRate's Phoenix socket: ?token=KEY, phx_join hr:<id>, hr_update events, heartbeats."""

    def __init__(self, updates: list[int]) -> None:
        self.updates = updates
        self.heartbeats = 0
        self.joined: list[str] = []
        self.sent_valid: list[int] = []

    def authorize(self, conn: ServerConnection, request: Request) -> Response | None:
        query = parse_qs(urlsplit(request.path).query)
        if urlsplit(request.path).path != "/socket/websocket":
            return conn.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if query.get("token") != [HYPERATE_KEY]:
            return conn.respond(HTTPStatus.FORBIDDEN, "forbidden\n")
        return None

    async def handler(self, conn: ServerConnection) -> None:
        async for raw in conn:
            msg = json.loads(raw)
            reply = {"topic": msg["topic"], "event": "phx_reply", "ref": msg["ref"]}
            if msg["event"] == "heartbeat":
                self.heartbeats += 1
                await conn.send(json.dumps({**reply, "payload": {"status": "ok", "response": {}}}))
            elif msg["event"] == "phx_join":
                self.joined.append(msg["topic"])
                if msg["topic"] != "hr:ABC123":
                    await conn.send(
                        json.dumps({**reply, "payload": {"status": "error", "response": {}}})
                    )
                    continue
                await conn.send(json.dumps({**reply, "payload": {"status": "ok", "response": {}}}))
                for hr in self.updates:
                    if 20 <= hr <= 250:
                        self.sent_valid.append(hr)
                    await conn.send(
                        json.dumps(
                            {
                                "topic": "hr:ABC123",
                                "event": "hr_update",
                                "payload": {"hr": hr},
                                "ref": None,
                            }
                        )
                    )


def test_hyperate_channel_join_updates_no_reading_and_heartbeats(store: Store) -> None:
    async def main() -> tuple[FakeHypeRate, object]:
        fake = FakeHypeRate([80, 0, 82, 300, 84, 0, 86])
        async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.authorize) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            url = f"ws://127.0.0.1:{port}/socket/websocket"
            recorder = FeedRecorder(store)
            fmt = HypeRateFormat("ABC123")
            fmt.heartbeat_s = 0.02  # the real 10 s is too slow for a test
            client = recorder.client(
                FeedEndpoint(url, HYPERATE_KEY, "hyperate", "ABC123"), FAST, feed_format=fmt
            )
            stop = asyncio.Event()
            running = asyncio.create_task(recorder.run(client, stop=stop))
            await wait_until(lambda: client.stats.accepted >= 4 and fake.heartbeats >= 2)
            stop.set()
            report = await running
        return fake, report

    fake, report = run(main())
    assert fake.joined == ["hr:ABC123"]
    [result] = report.athletes  # type: ignore[attr-defined]
    samples = store.load_samples(result.session_id)
    assert [s.hr for s in samples] == fake.sent_valid == [80, 82, 84, 86]
    ts = [s.t_ms for s in samples]
    assert ts == sorted(set(ts))  # arrival-stamped, strictly increasing
    assert report.no_reading == 2  # type: ignore[attr-defined]
    assert report.rejected == {"out-of-range": 1}  # type: ignore[attr-defined]


def test_hyperate_refusals_are_authentication_failures(store: Store) -> None:
    async def main() -> None:
        fake = FakeHypeRate([80])
        async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.authorize) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            url = f"ws://127.0.0.1:{port}/socket/websocket"
            bad_key = FeedClient(FeedEndpoint(url, "wrong", "hyperate", "ABC123"), policy=FAST)
            with pytest.raises(FeedAuthError, match="HTTP 403"):
                async for _ in bad_key.events():
                    pass
            bad_id = FeedClient(FeedEndpoint(url, HYPERATE_KEY, "hyperate", "NOPE"), policy=FAST)
            with pytest.raises(FeedAuthError, match="refused"):
                async for _ in bad_id.events():
                    pass
        assert fake.joined == ["hr:NOPE"]

    run(main())
