"""OAuth (loopback redirect, state), refresh and rotation, 401/403 handling, revoke, no leaks."""

from __future__ import annotations

import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CLIENT_ID, CLIENT_SECRET, MAX_ID, OWNER_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402

from sync.errors import AppInactive, AuthRevoked, SyncError  # noqa: E402
from sync.outbox import DEAD, DONE  # noqa: E402
from sync.strava import oauth  # noqa: E402
from sync.strava.accounts import get_account, link, list_accounts, unlink  # noqa: E402
from sync.strava.tokens import load_tokens, token_key  # noqa: E402


def browser(url: str) -> None:
    """What the system browser does: follow Strava's redirect to our loopback server."""
    httpx.get(url, follow_redirects=True, timeout=5)


def test_link_through_the_loopback_redirect(store, emulator, config, clock) -> None:
    emulator.login_as = OWNER_ID
    seen: list[str] = []
    athlete = store.default_athlete()
    account = run(
        lambda http: link(
            store,
            http,
            config,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            athlete_id=athlete.id,
            open_browser=browser,
            announce=seen.append,
            timeout_s=10,
            clock=clock,
        )
    )
    assert account.remote_id == str(OWNER_ID) and account.role == "owner"
    assert account.display_name == "Ada Runner" and account.status == "ok"
    assert set(account.scopes.split(",")) == {"read", "activity:read_all", "activity:write"}
    url = httpx.URL(seen[0])
    assert url.params["redirect_uri"].startswith("http://127.0.0.1:")
    assert url.params["scope"] == "read,activity:read_all,activity:write"
    assert len(url.params["state"]) >= 20
    tokens = load_tokens(token_key(str(OWNER_ID)))
    assert tokens is not None and tokens.access_token in emulator.access

    # A child links under the owner with write-only scopes.
    emulator.login_as = MAX_ID
    child = run(
        lambda http: link(
            store,
            http,
            config,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            athlete_id=athlete.id,
            child_names=["Max", "Maxi"],
            open_browser=browser,
            timeout_s=10,
            clock=clock,
        )
    )
    assert child.role == "child" and child.parent_id == account.id
    assert child.child_names == ("Max", "Maxi")
    assert set(child.scopes.split(",")) == {"read", "activity:write"}


def test_child_needs_an_owner_first(store, emulator, config) -> None:
    with pytest.raises(SyncError, match="link your own"):
        run(
            lambda http: link(
                store,
                http,
                config,
                client_id=CLIENT_ID,
                client_secret=CLIENT_SECRET,
                athlete_id=store.default_athlete().id,
                child_names=["Max"],
                timeout_s=1,
            )
        )


def test_forged_state_is_ignored_and_denial_is_reported() -> None:
    with oauth.LoopbackReceiver() as receiver:
        forged = httpx.get(receiver.redirect_uri, params={"state": "forged", "code": "evil"})
        assert forged.status_code == 400
        params = {"state": receiver.state, "code": "good", "scope": "read,activity:write"}
        with ThreadPoolExecutor(1) as pool:
            # The tab waits for the token exchange's verdict before it says anything.
            tab = pool.submit(httpx.get, receiver.redirect_uri, params=params, timeout=10)
            assert receiver.wait(5).code == "good"
            assert not tab.done()
            receiver.finish()
            ok = tab.result()
        assert ok.status_code == 200 and "linked" in ok.text
    with oauth.LoopbackReceiver() as receiver:
        params = {"state": receiver.state, "code": "good", "scope": "read,activity:write"}
        with ThreadPoolExecutor(1) as pool:
            tab = pool.submit(httpx.get, receiver.redirect_uri, params=params, timeout=10)
            receiver.wait(5)
            receiver.finish("Strava refused the client secret")
            failed = tab.result()
        assert failed.status_code == 400 and "refused the client secret" in failed.text
        assert "is linked" not in failed.text
    with oauth.LoopbackReceiver() as receiver:
        httpx.get(receiver.redirect_uri, params={"state": receiver.state, "error": "access_denied"})
        with pytest.raises(oauth.OAuthError, match="declined"):
            receiver.wait(5)
    with oauth.LoopbackReceiver() as receiver, pytest.raises(oauth.OAuthError, match="no answer"):
        receiver.wait(0.1)


def test_refresh_before_expiry_stores_the_rotated_refresh_token(
    store, emulator, config, clock, family
) -> None:
    key = token_key(str(OWNER_ID))
    first = load_tokens(key)
    clock.advance(6 * 3600 - 60)  # inside the refresh margin, not yet expired
    make_session(store, clock(), title="Run")
    run(lambda http: make_sync(store, http, config, clock).run_once())
    second = load_tokens(key)
    assert second.refresh_token != first.refresh_token
    assert first.refresh_token not in emulator.refresh  # the old one died at Strava
    assert second.refresh_token in emulator.refresh
    assert emulator.token_requests == ["refresh_token"]  # one refresh serves poll and upload
    assert len(emulator.activities_of(OWNER_ID)) == 1


def test_401_refreshes_once_and_retries(store, emulator, config, clock, family) -> None:
    emulator.drop_access_tokens(OWNER_ID)
    make_session(store, clock(), title="Run")

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(go)
    assert emulator.token_requests == ["refresh_token"]
    assert [j.state for j in sync.outbox.jobs()] == [DONE]
    assert get_account(store, family.owner.id).status == "ok"


def test_revoked_grant_marks_needs_reauth_without_looping(
    store, emulator, config, clock, family
) -> None:
    emulator.revoke_all(OWNER_ID)
    make_session(store, clock(), title="Run")

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        await sync.run_once()
        return sync

    sync = run(go)
    assert emulator.token_requests == ["refresh_token"]  # one refresh, then stop
    assert get_account(store, family.owner.id).status == "needs_reauth"
    (job,) = sync.outbox.jobs()
    assert job.state == DEAD and job.last_error.startswith("AuthRevoked")


def test_inactive_application_has_its_own_message(store, emulator, config, clock, family) -> None:
    emulator.apps[CLIENT_ID]["active"] = False
    make_session(store, clock(), title="Run")

    async def go(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(go)
    (job,) = sync.outbox.jobs()
    assert job.state == DEAD and job.last_error.startswith("AppInactive")
    assert "Application/Status/Inactive" in job.last_error
    assert get_account(store, family.owner.id).status == "inactive"

    async def direct(http):
        client = make_sync(store, http, config, clock).client(get_account(store, family.max.id))
        await client.athlete()

    with pytest.raises(AppInactive):
        run(direct)


def test_unlink_revokes_at_strava_and_forgets_tokens(
    store, emulator, config, clock, family
) -> None:
    warnings = run(lambda http: unlink(store, http, config, family.owner.id))
    assert warnings == []
    assert list_accounts(store) == []  # children go with their owner
    for remote in (OWNER_ID, MAX_ID):
        assert load_tokens(token_key(str(remote))) is None
    assert not any(v["athlete_id"] in (OWNER_ID, MAX_ID) for v in emulator.access.values())


def test_no_token_or_secret_in_db_logs_or_errors(
    store, emulator, config, clock, family, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[str] = []
    make_session(store, clock(), title="Run with Max")
    clock.advance(6 * 3600)  # every token expired: refreshes everywhere
    emulator.inject("POST", r"/uploads$", status=500)

    async def go(http):
        sync = make_sync(store, http, config, clock)
        for _ in range(3):
            await sync.run_once()
            clock.advance(3600)
        emulator.revoke_all(OWNER_ID)
        make_session(store, clock(), title="Second")
        await sync.run_once()
        try:
            await sync.client(get_account(store, family.owner.id)).athlete()
        except AuthRevoked as exc:
            errors.append(repr(exc) + str(exc))
        return sync

    sync = run(go)
    errors += [j.last_error or "" for j in sync.outbox.jobs()]
    store.engine.dispose()
    blobs = b"".join(p.read_bytes() for p in Path(store.path).parent.glob("pulsedeck.db*"))
    secrets = [*emulator.issued, CLIENT_SECRET]
    assert len(emulator.issued) > 6
    text = caplog.text + "\n".join(errors) + repr(load_tokens(token_key(str(MAX_ID))))
    for secret in secrets:
        assert secret.encode() not in blobs
        assert secret not in text
    assert "AuthRevoked" in "\n".join(errors)


def test_refresh_race_with_another_process_is_not_a_revocation(
    store, emulator, config, clock, family
) -> None:
    """Another process rotated the refresh token first: ours fails, the keyring has theirs."""
    from sync.strava.tokens import TokenSet, save_tokens

    key = token_key(str(OWNER_ID))
    stale = load_tokens(key)
    clock.advance(6 * 3600)  # expired
    grant = emulator.grant(CLIENT_ID, OWNER_ID, stale.scopes)
    emulator.refresh.pop(stale.refresh_token)  # "the other process" used and rotated it

    async def go(http):
        sync = make_sync(store, http, config, clock)
        client = sync.client(get_account(store, family.owner.id))
        # The other process stores its fresh grant while ours is on the way.
        save_tokens(
            key,
            TokenSet(
                grant["access_token"],
                grant["refresh_token"],
                grant["expires_at"],
                CLIENT_ID,
                stale.scopes,
            ),
        )
        await client.auth._refresh(stale)
        return await client.athlete()

    assert run(go)["id"] == OWNER_ID
    assert get_account(store, family.owner.id).status == "ok"
