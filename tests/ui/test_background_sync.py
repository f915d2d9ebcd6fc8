"""The window syncs in the background: a saved recording reaches Strava with no `sync run`.

Strava is tests/strava's emulator, a real HTTP server on 127.0.0.1, on the real clock (the
window's recorder and sync use the real clock too).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.store.settings import BACKGROUND_SYNC

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "strava"))

from strava_emulator import StravaEmulator  # noqa: E402

from app.ui.live import RECORDING  # noqa: E402
from sync.strava.accounts import OWNER, save_account  # noqa: E402
from sync.strava.config import ENV_API_URL, ENV_OAUTH_URL, OWNER_SCOPES  # noqa: E402
from sync.strava.tokens import TokenSet, save_client, save_tokens, token_key  # noqa: E402

pytestmark = pytest.mark.gui

OWNER_ID, CLIENT_ID, CLIENT_SECRET = 1001, "4242", "app-secret-xyz"
SYNC_COLUMN = 8  # History's "Sync" column


@pytest.fixture
def strava(store, monkeypatch: pytest.MonkeyPatch) -> Iterator[StravaEmulator]:
    """The emulator with the default athlete's owner account linked an hour ago."""
    with StravaEmulator(clock=time.time) as emu:
        emu.add_app(CLIENT_ID, CLIENT_SECRET)
        emu.add_athlete(OWNER_ID, "Ada", "Runner")
        emu.polls_to_ready = 0  # processed at once: the test is about scheduling
        monkeypatch.setenv(ENV_API_URL, emu.api_url)
        monkeypatch.setenv(ENV_OAUTH_URL, emu.oauth_url)
        monkeypatch.delenv("PULSEDECK_NO_BACKGROUND_SYNC", raising=False)
        grant = emu.grant(CLIENT_ID, OWNER_ID, OWNER_SCOPES)
        save_client(CLIENT_ID, CLIENT_SECRET)
        save_tokens(
            token_key(str(OWNER_ID)),
            TokenSet(grant["access_token"], grant["refresh_token"], grant["expires_at"],
                     CLIENT_ID, OWNER_SCOPES),
        )  # fmt: skip
        save_account(
            store, athlete_id=store.default_athlete().id, remote_id=str(OWNER_ID),
            display_name="Ada", role=OWNER, parent_id=None, child_names=None,
            scopes=OWNER_SCOPES, clock=lambda: time.time() - 3600,
        )  # fmt: skip
        yield emu
        assert emu.violations == []


def _record_and_save(qtbot, window) -> int:
    """Record a few seconds from the simulated strap (clicking Start), then stop and save."""
    ctx = window.ctx
    with qtbot.waitSignal(ctx.stateChanged, timeout=20_000) as started:
        qtbot.mouseClick(window.screen_named("dashboard").start_btn, Qt.MouseButton.LeftButton)
    assert started.args == [RECORDING]
    qtbot.waitUntil(lambda: ctx.last_view.samples > 10, timeout=20_000)
    sid = ctx.session_id
    with qtbot.waitSignal(ctx.recordingStopped, timeout=20_000):
        ctx.stop()
    return sid


def _sync_state(history, sid: int) -> str | None:
    row = next((r for r in history.model.rows if r.id == sid), None)
    return None if row is None else history.model.text(row, SYNC_COLUMN)


def test_a_saved_recording_reaches_strava_without_sync_run(
    qtbot, make_window, store, strava
) -> None:
    window = make_window()
    history = window.show_screen("history")
    assert window.services.sync.background is not None  # started with the window
    messages: list[str] = []
    window.ctx.message.connect(messages.append)
    sid = _record_and_save(qtbot, window)
    # Stop wakes the sync: the History row turns "synced" in seconds (the schedule says 60 s).
    qtbot.waitUntil(lambda: _sync_state(history, sid) == "synced", timeout=15_000)
    assert "Uploaded 1 session to Strava" in messages
    (act,) = strava.activities_of(OWNER_ID)
    assert act["external_id"] == f"pulsedeck-{store.get_session(sid).uid}"


def test_upload_from_the_detail_is_sent_at_once(qtbot, make_window, store, strava) -> None:
    from device.simulator import SimulatedStrap

    # Recorded before the account was linked: only the Upload button sends it.
    t0 = int((time.time() - 7200) * 1000)
    me = store.default_athlete()
    sid = store.create_session(me.id, sport="run", source="simulator", started_ms=t0)
    store.insert_samples(sid, list(SimulatedStrap(seed=3, start_ms=t0, realtime=False)
                                   .generate(30)))  # fmt: skip
    store.finish_session(sid, t0 + 30_000)
    window = make_window()
    window.open_session(sid)
    detail = window.screens["session"]
    qtbot.waitUntil(lambda: detail.detail is not None, timeout=15_000)
    with qtbot.waitSignal(window.ctx.syncRan, timeout=15_000,
                          check_params_cb=lambda r: r.uploaded == 1):  # fmt: skip
        detail.upload()
    assert len(strava.activities_of(OWNER_ID)) == 1


def test_with_the_setting_off_nothing_is_uploaded(
    qtbot, make_window, store, data_dir, strava
) -> None:
    from app.store.settings import Settings

    Settings(store).set(BACKGROUND_SYNC, False)
    window = make_window()
    assert window.services.sync.background is None  # settled: sync.start has answered
    sid = _record_and_save(qtbot, window)
    window.settle()
    history = window.show_screen("history")
    qtbot.waitUntil(lambda: _sync_state(history, sid) is not None, timeout=15_000)
    assert _sync_state(history, sid) == "-"
    assert strava.requests == [] and strava.activities_of(OWNER_ID) == []
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sync_jobs").scalar() == 0


def test_the_environment_turns_it_off(make_window, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULSEDECK_NO_BACKGROUND_SYNC", "1")
    window = make_window()
    window.settle()
    assert window.services.sync.background is None
