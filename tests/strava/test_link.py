"""Linking (issue 17 #2-#5): the secret survives a failed link, every needed scope is checked,
the browser tab tells the truth, and each failure says what to do."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CLIENT_ID, CLIENT_SECRET, MAX_ID, OWNER_ID, make_sync, run  # noqa: E402

from sync.errors import AppInactive, SyncError  # noqa: E402
from sync.strava import oauth  # noqa: E402
from sync.strava.accounts import get_account, link, list_accounts  # noqa: E402
from sync.strava.tokens import client_secret  # noqa: E402


class Browser:
    """The system browser: follows Strava's redirect and keeps the loopback page it shows."""

    def __init__(self) -> None:
        self.pages: list[tuple[int, str]] = []

    def __call__(self, url: str) -> None:
        page = httpx.get(url, follow_redirects=True, timeout=10)
        self.pages.append((page.status_code, page.text))


def _link(store, config, clock, browser, secret=CLIENT_SECRET, names=None, **kw):
    return run(
        lambda http: link(
            store,
            http,
            config,
            client_id=CLIENT_ID,
            client_secret=secret,
            athlete_id=store.default_athlete().id,
            child_names=names,
            open_browser=browser,
            timeout_s=10,
            clock=clock,
            **kw,
        )
    )


def test_a_failed_link_keeps_the_working_secret(store, emulator, config, clock) -> None:
    emulator.login_as = OWNER_ID
    owner = _link(store, config, clock, Browser())
    emulator.login_as = MAX_ID
    browser = Browser()
    with pytest.raises(SyncError, match="client secret") as failed:
        _link(store, config, clock, browser, secret="typo-secret", names=["Max"])
    assert "authorization code" not in str(failed.value)
    assert client_secret(CLIENT_ID) == CLIENT_SECRET
    # The owner still refreshes with the stored secret.
    clock.advance(7 * 3600)

    async def athlete(http):
        return await make_sync(store, http, config, clock).client(owner).athlete()

    assert run(athlete)["id"] == OWNER_ID
    assert get_account(store, owner.id).status == "ok"
    assert [a.id for a in list_accounts(store)] == [owner.id]
    # The tab said why, not "linked".
    ((status, text),) = browser.pages
    assert status == 400 and "client secret" in text and "is linked" not in text


@pytest.mark.parametrize(
    ("names", "untick", "named"),
    [
        (None, {"activity:read_all"}, "activity:read_all"),
        (None, {"activity:write"}, "activity:write"),
        (["Max"], {"activity:write"}, "activity:write"),
    ],
)
def test_every_scope_the_role_needs_is_checked(
    store, emulator, config, clock, names, untick, named
) -> None:
    if names:
        emulator.login_as = OWNER_ID
        _link(store, config, clock, Browser())
    emulator.login_as = MAX_ID if names else OWNER_ID
    emulator.untick = untick
    browser = Browser()
    before = list_accounts(store)
    with pytest.raises(oauth.OAuthError, match=f"unticked {named}"):
        _link(store, config, clock, browser, names=names)
    assert list_accounts(store) == before
    ((status, text),) = browser.pages
    assert status == 400 and f"unticked {named}" in text


def test_owner_with_activity_read_only_is_enough() -> None:
    from sync.strava.accounts import missing_scopes

    assert missing_scopes("owner", {"activity:read", "activity:write"}) == []
    assert missing_scopes("owner", {"read", "activity:write"}) == ["activity:read_all"]


def test_the_tab_says_linked_only_after_the_exchange(store, emulator, config, clock) -> None:
    emulator.login_as = OWNER_ID
    browser = Browser()
    _link(store, config, clock, browser)
    ((status, text),) = browser.pages
    assert status == 200 and "linked" in text


def test_inactive_app_at_link_time_points_to_the_api_settings(
    store, emulator, config, clock
) -> None:
    emulator.login_as = OWNER_ID
    emulator.apps[CLIENT_ID]["active"] = False
    browser = Browser()
    with pytest.raises(AppInactive, match="strava.com/settings/api"):
        _link(store, config, clock, browser)
    assert "strava.com/settings/api" in browser.pages[0][1]


def test_denial_in_plain_words(store, emulator, config, clock) -> None:
    emulator.login_as = OWNER_ID
    emulator.deny_next = True
    with pytest.raises(oauth.OAuthError, match="you declined on Strava's page"):
        _link(store, config, clock, Browser())
