"""Strava test fixtures: the emulator on 127.0.0.1, a shared fake clock, linked accounts."""

from __future__ import annotations

import asyncio
import signal
import sys
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from strava_emulator import StravaEmulator  # noqa: E402

from app.store.repo import Store  # noqa: E402
from sync.strava.accounts import CHILD, OWNER, Account, save_account  # noqa: E402
from sync.strava.config import CHILD_SCOPES, OWNER_SCOPES, StravaConfig  # noqa: E402
from sync.strava.consent import record_control, set_copy_watch  # noqa: E402
from sync.strava.engine import StravaSync  # noqa: E402
from sync.strava.tokens import TokenSet, save_client, save_tokens, token_key  # noqa: E402

#: 2026-11-25T09:00:00Z, a Wednesday; windows at :00/:15/:30/:45 line up with it.
T0_S = 1_795_597_200.0
OWNER_ID, MAX_ID, LUNA_ID = 1001, 2002, 3003
CLIENT_ID, CLIENT_SECRET = "4242", "app-secret-xyz"


@pytest.fixture(autouse=True)
def _python_sigpipe() -> Iterator[None]:
    """Python's own SIGPIPE disposition (ignored: a write to a closed socket raises).

    `app.cli.main` sets SIG_DFL for shell pipes; when another test ran it in-process, a
    server thread writing to a socket the client already closed would kill all of pytest.
    """
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGPIPE, previous)


class FakeClock:
    """Wall clock shared by the emulator and the client; `sleep` advances it instantly."""

    def __init__(self, start: float = T0_S) -> None:
        self.now = start
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += max(0.0, seconds)
        await asyncio.sleep(0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[StravaEmulator]:
    with StravaEmulator(clock=clock) as emu:
        emu.add_app(CLIENT_ID, CLIENT_SECRET)
        emu.add_athlete(OWNER_ID, "Ada", "Runner")
        emu.add_athlete(MAX_ID, "Max", "Dog")
        emu.add_athlete(LUNA_ID, "Luna", "Kid")
        yield emu
        assert emu.violations == [], "requests that break Strava's Swagger spec"


@pytest.fixture
def config(emulator: StravaEmulator) -> StravaConfig:
    return replace(
        StravaConfig(),
        api_url=emulator.api_url,
        oauth_url=emulator.oauth_url,
        timeout_s=2.0,
        poll_first_s=1.0,
        poll_max_s=8.0,
        poll_budget_s=60.0,
        page_size=10,
    )


def link_direct(
    store: Store,
    emulator: StravaEmulator,
    clock: FakeClock,
    remote_id: int,
    *,
    child_names: list[str] | None = None,
    parent_id: int | None = None,
    copy_watch: bool = True,
) -> Account:
    """An account as `accounts link` leaves it, without the browser round trip."""
    scopes = CHILD_SCOPES if child_names else OWNER_SCOPES
    grant = emulator.grant(CLIENT_ID, remote_id, scopes)
    save_client(CLIENT_ID, CLIENT_SECRET)
    save_tokens(
        token_key(str(remote_id)),
        TokenSet(
            grant["access_token"], grant["refresh_token"], grant["expires_at"], CLIENT_ID, scopes
        ),
    )
    athlete = store.default_athlete()
    account = save_account(
        store,
        athlete_id=athlete.id,
        remote_id=str(remote_id),
        display_name=None,
        role=CHILD if child_names else OWNER,
        parent_id=parent_id,
        child_names=child_names,
        scopes=scopes,
        clock=lambda: clock() - 3600,  # linked an hour before "now"
    )
    if child_names:  # the user controls it and opted in to copies of watch activities
        record_control(store, account.id, clock)
        set_copy_watch(store, account.id, copy_watch)
    return account


@dataclass
class Family:
    owner: Account
    max: Account
    luna: Account


@pytest.fixture
def family(store: Store, emulator: StravaEmulator, clock: FakeClock) -> Family:
    owner = link_direct(store, emulator, clock, OWNER_ID)
    max_ = link_direct(
        store, emulator, clock, MAX_ID, child_names=["Max", "Maxi"], parent_id=owner.id
    )
    luna = link_direct(store, emulator, clock, LUNA_ID, child_names=["Luna"], parent_id=owner.id)
    return Family(owner, max_, luna)


def run(coro_factory: Callable[[httpx.AsyncClient], Any]) -> Any:
    """Run `coro_factory(http)` on a fresh loop with a real httpx client."""

    async def main() -> Any:
        async with httpx.AsyncClient() as http:
            return await coro_factory(http)

    return asyncio.run(main())


def make_sync(
    store: Store, http: httpx.AsyncClient, config: StravaConfig, clock: FakeClock
) -> StravaSync:
    return StravaSync(store, http, config, clock=clock, sleep=clock.sleep)


class LoopbackBrowser(webbrowser.BaseBrowser):
    """The system browser stand-in: follows Strava's redirect to the loopback server.

    (No real browser can run in CI; everything after the click is the real code path.)
    """

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        httpx.get(url, follow_redirects=True, timeout=5)
        return True


@pytest.fixture
def live(monkeypatch: pytest.MonkeyPatch):
    with StravaEmulator() as emu:
        emu.add_app(CLIENT_ID, CLIENT_SECRET)
        emu.add_athlete(OWNER_ID, "Ada", "Runner")
        emu.add_athlete(MAX_ID, "Max", "Dog")
        emu.polls_to_ready = 0
        monkeypatch.setenv("PULSEDECK_STRAVA_API_URL", emu.api_url)
        monkeypatch.setenv("PULSEDECK_STRAVA_OAUTH_URL", emu.oauth_url)
        webbrowser.register("pulsedeck-test", None, LoopbackBrowser("test"), preferred=True)
        monkeypatch.setattr(webbrowser, "_tryorder", ["pulsedeck-test"])
        yield emu
        assert emu.violations == []
