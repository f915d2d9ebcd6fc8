"""`app.feeds.record_feed`: the one feed recording job the CLI and the app both call."""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.http11 import Request, Response

from app.feeds import FeedFailed, FeedReport, record_feed
from app.store.repo import Store
from device.feeds.backoff import BackoffPolicy
from device.feeds.client import FeedEndpoint
from device.feeds.errors import FeedAuthError, FeedUnavailable

from .helpers import FAST, run

T0 = 1_764_000_000_000
TOKEN = "pulsoid-secret"


class OnceThenGone:
    """A Pulsoid-style feed that serves five readings once, then answers 404 (the feed is gone)."""

    def __init__(self) -> None:
        self.handshakes = 0

    def authorize(self, conn: ServerConnection, request: Request) -> Response | None:
        self.handshakes += 1
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return conn.respond(HTTPStatus.UNAUTHORIZED, "invalid token\n")
        if self.handshakes > 1:
            return conn.respond(HTTPStatus.NOT_FOUND, "gone\n")
        return None

    async def handler(self, conn: ServerConnection) -> None:
        for i in range(5):
            await conn.send(json.dumps({"measured_at": T0 + i * 1000, "data": {"heart_rate": 90}}))


def test_a_single_athlete_feed_records_into_the_named_local_athlete(store: Store) -> None:
    async def main() -> FeedFailed:
        fake = OnceThenGone()
        async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.authorize) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            endpoint = FeedEndpoint(f"ws://127.0.0.1:{port}/rt", TOKEN, "pulsoid")
            with pytest.raises(FeedFailed) as failed:
                await record_feed(store, endpoint, athlete="Streamer", policy=FAST)
        return failed.value

    failed = run(main())
    assert isinstance(failed.error, FeedUnavailable) and str(failed) == str(failed.error)
    # What arrived before the feed went away is saved, finished and reported.
    [result] = failed.report.athletes
    assert result.athlete_name == "Streamer" and result.remote_athlete == "pulsoid"
    assert failed.report.stored == 5
    info = store.get_session(result.session_id)
    assert info is not None and info.status == "finished" and info.samples == 5


def test_a_refused_token_is_a_failure_with_an_empty_report(store: Store) -> None:
    async def main() -> FeedFailed:
        fake = OnceThenGone()
        async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.authorize) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            endpoint = FeedEndpoint(f"ws://127.0.0.1:{port}/rt", "nope", "pulsoid")
            with pytest.raises(FeedFailed) as failed:
                await record_feed(store, endpoint, policy=BackoffPolicy(max_attempts=0))
        return failed.value

    failed = run(main())
    assert isinstance(failed.error, FeedAuthError)
    assert "authentication failed" in str(failed) and "nope" not in str(failed)
    assert failed.report.athletes == () and failed.report.stored == 0


def test_a_stop_ends_the_recording_with_a_report(store: Store) -> None:
    async def main() -> FeedReport:
        fake = OnceThenGone()
        async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.authorize) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            endpoint = FeedEndpoint(f"ws://127.0.0.1:{port}/rt", TOKEN, "pulsoid")
            stop = asyncio.Event()
            stop.set()
            return await record_feed(store, endpoint, stop=stop, policy=FAST)

    report = run(main())
    assert report.athletes == () and not report.ended


def test_on_open_sees_each_session_open_and_a_broken_view_never_stops_recording(
    store: Store,
) -> None:
    from app.feeds import OpenedAthlete

    seen: list[tuple[OpenedAthlete, int]] = []

    def broken_view(athlete: OpenedAthlete, recording: object) -> None:
        seen.append((athlete, recording.session_id))  # type: ignore[attr-defined]
        raise RuntimeError("the view broke")

    async def main() -> FeedFailed:
        fake = OnceThenGone()
        async with serve(fake.handler, "127.0.0.1", 0, process_request=fake.authorize) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            endpoint = FeedEndpoint(f"ws://127.0.0.1:{port}/rt", TOKEN, "pulsoid")
            with pytest.raises(FeedFailed) as failed:
                await record_feed(
                    store, endpoint, athlete="Streamer", policy=FAST, on_open=broken_view
                )
        return failed.value

    failed = run(main())
    [result] = failed.report.athletes
    [(athlete, session_id)] = seen
    assert (athlete.remote, athlete.athlete_name) == ("pulsoid", "Streamer")
    assert athlete.session_id == session_id == result.session_id
    assert failed.report.stored == 5
