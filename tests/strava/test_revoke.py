"""Revoking (issue 17 #7): POST /oauth/revoke with HTTP Basic; the old deauthorize endpoint
only as a fallback before it retires on 2027-06-01; tokens in the Authorization header only."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CLIENT_ID, LUNA_ID, MAX_ID, OWNER_ID, run  # noqa: E402
from strava_emulator import CUTOVER_S  # noqa: E402

from sync.strava.accounts import list_accounts, unlink  # noqa: E402
from sync.strava.oauth import DEAUTHORIZE_RETIRED_S  # noqa: E402
from sync.strava.tokens import load_tokens, token_key  # noqa: E402


def _granted(emulator, athlete: int) -> bool:
    return any(v["athlete_id"] == athlete for v in emulator.refresh.values())


def test_unlink_revokes_with_http_basic_not_deauthorize(
    store, emulator, config, clock, family
) -> None:
    clock.advance(7 * 3600)  # expired access tokens: the refresh token names the grant anyway
    warnings = run(lambda http: unlink(store, http, config, family.owner.id, clock=clock))
    assert warnings == []
    assert emulator.basic_auth == [CLIENT_ID] * 3  # owner and both children
    assert ("POST", "/oauth/deauthorize") not in emulator.requests
    assert emulator.token_requests == []  # no refresh needed to revoke
    for athlete in (OWNER_ID, MAX_ID, LUNA_ID):
        assert not _granted(emulator, athlete)
        assert load_tokens(token_key(str(athlete))) is None
    assert list_accounts(store) == []


def test_before_the_cutover_deauthorize_is_the_fallback(
    store, emulator, config, clock, family
) -> None:
    emulator.revoke_available = False  # Strava has not rolled the new endpoint out yet
    warnings = run(lambda http: unlink(store, http, config, family.luna.id, clock=clock))
    assert warnings == []
    assert ("POST", "/oauth/deauthorize") in emulator.requests
    assert not _granted(emulator, LUNA_ID) and _granted(emulator, OWNER_ID)


def test_after_the_cutover_only_revoke(store, emulator, config, clock, family) -> None:
    assert CUTOVER_S == DEAUTHORIZE_RETIRED_S
    clock.now = DEAUTHORIZE_RETIRED_S + 3600
    emulator.revoke_available = False
    warnings = run(lambda http: unlink(store, http, config, family.luna.id, clock=clock))
    assert len(warnings) == 1 and "/oauth/revoke" in warnings[0]
    assert "settings/apps" in warnings[0]
    assert ("POST", "/oauth/deauthorize") not in emulator.requests
    emulator.revoke_available = True
    assert run(lambda http: unlink(store, http, config, family.max.id, clock=clock)) == []
    assert not _granted(emulator, MAX_ID)


def test_wrong_client_credentials_are_reported(store, emulator, config, clock, family) -> None:
    emulator.apps[CLIENT_ID]["secret"] = "rotated-on-strava"
    warnings = run(lambda http: unlink(store, http, config, family.luna.id, clock=clock))
    assert len(warnings) == 1 and "client credentials" in warnings[0]
    assert list_accounts(store, "child")[0].id == family.max.id  # Luna is forgotten locally
