"""Settings' Strava panel: the account list, link (OAuth), cancel, backfill with Cancel, unlink.

The real MainWindow against tests/strava's emulator (a real HTTP server on 127.0.0.1) and the
in-memory keyring of tests/conftest.py. The background sync is off unless a test turns it on,
so a backfill's cursor is walked only by the panel.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "strava"))

from strava_emulator import StravaEmulator  # noqa: E402

from app import secrets  # noqa: E402
from app.store.settings import STRAVA_BACKFILL  # noqa: E402
from app.ui.screens.strava_backfill import utc_midnight  # noqa: E402
from sync.outbox import Outbox  # noqa: E402
from sync.strava.accounts import CHILD, OWNER, save_account, set_status  # noqa: E402
from sync.strava.config import CHILD_SCOPES, ENV_API_URL, ENV_OAUTH_URL, OWNER_SCOPES  # noqa: E402
from sync.strava.engine import KIND_COPY  # noqa: E402
from sync.strava.tokens import TokenSet, save_client, save_tokens, token_key  # noqa: E402

pytestmark = pytest.mark.gui

OWNER_ID, MAX_ID = 1001, 2002
CLIENT_ID, CLIENT_SECRET = "4242", "app-secret-xyz"
SECRET_KEY = f"strava/client-secret/{CLIENT_ID}"
LIST_PATH = "/api/v3/athlete/activities"


@pytest.fixture
def strava(monkeypatch: pytest.MonkeyPatch) -> Iterator[StravaEmulator]:
    with StravaEmulator(clock=time.time) as emu:
        emu.add_app(CLIENT_ID, CLIENT_SECRET)
        emu.add_athlete(OWNER_ID, "Ada", "Runner")
        emu.add_athlete(MAX_ID, "Max", "Dog")
        monkeypatch.setenv(ENV_API_URL, emu.api_url)
        monkeypatch.setenv(ENV_OAUTH_URL, emu.oauth_url)
        monkeypatch.setenv("PULSEDECK_NO_BACKGROUND_SYNC", "1")
        yield emu
        assert emu.violations == []


def link_direct(store, emu: StravaEmulator, remote_id: int, names: list[str] | None = None,
                parent_id: int | None = None):  # fmt: skip
    """An account as the link flow leaves it, without the browser round trip."""
    scopes = CHILD_SCOPES if names else OWNER_SCOPES
    grant = emu.grant(CLIENT_ID, remote_id, scopes)
    save_client(CLIENT_ID, CLIENT_SECRET)
    save_tokens(
        token_key(str(remote_id)),
        TokenSet(
            grant["access_token"], grant["refresh_token"], grant["expires_at"], CLIENT_ID, scopes
        ),
    )
    account = save_account(
        store, athlete_id=store.default_athlete().id, remote_id=str(remote_id),
        display_name="Ada Runner" if not names else "Max Dog", role=CHILD if names else OWNER,
        parent_id=parent_id, child_names=names, scopes=scopes,
    )  # fmt: skip
    if names:  # watch copies (what a backfill sends) are opt-in per child (issue 17 #9)
        from sync.strava.consent import set_copy_watch

        set_copy_watch(store, account.id, True)
    return account


def browser(url: str) -> None:
    """In place of the system browser (none here): follow the emulator's authorize redirect
    to the panel's loopback server, as a browser does after the user clicks Authorize."""
    httpx.get(url, follow_redirects=True, timeout=5)


def answer(text: str) -> None:
    """Click `text` in the next modal message box."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        next(b for b in box.buttons() if b.text().replace("&", "") == text).click()

    QTimer.singleShot(0, click)


def _panel(qtbot, window):
    panel = window.show_screen("settings").strava
    window.settle()
    return panel


def _labels(panel) -> list[tuple[str, str]]:
    return [(i.text(0), i.text(1)) for i in panel._items()]


def _link(qtbot, panel, names: str = "", *, secret: str = CLIENT_SECRET,
          controlled: bool = True, copy_watch: bool = False) -> tuple[str, str]:  # fmt: skip
    qtbot.mouseClick(panel.link_btn, Qt.MouseButton.LeftButton)
    assert panel.form.isVisible()
    panel.client_id.setText(CLIENT_ID)
    panel.client_secret.setText(secret)
    panel.child_names.setText(names)
    if names:  # a child: the consent rows are shown; tick what the test wants
        assert panel.controlled.isVisible() and panel.copy_watch.isVisible()
        panel.controlled.setChecked(controlled)
        panel.copy_watch.setChecked(copy_watch)
    with qtbot.waitSignal(panel.tasks.finished, timeout=15_000) as finished:
        qtbot.mouseClick(panel.authorize_btn, Qt.MouseButton.LeftButton)
    return tuple(finished.args)  # type: ignore[return-value]


def test_the_list_shows_owner_children_and_status(qtbot, make_window, store, strava) -> None:
    owner = link_direct(store, strava, OWNER_ID)
    child = link_direct(store, strava, MAX_ID, ["Max", "Maxi"], owner.id)
    set_status(store, child.id, "needs_reauth")
    panel = _panel(qtbot, make_window())
    qtbot.waitUntil(lambda: len(panel.accounts) == 2, timeout=10_000)
    assert _labels(panel) == [
        ("Ada Runner (you)", "linked"),
        ("Max Dog: Max, Maxi", "needs re-auth"),
    ]
    assert panel.tree.topLevelItem(0).childCount() == 1  # the child sits under its owner
    assert "Link Strava… again" in panel.tree.topLevelItem(0).child(0).toolTip(1)
    assert panel.backfill_btn.isEnabled() and not panel.empty.isVisible()


def test_link_through_the_panel_end_to_end(qtbot, make_window, store, strava, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    panel = _panel(qtbot, make_window())
    assert panel.empty.isVisible() and not panel.backfill_btn.isEnabled()
    panel.open_browser = browser
    strava.login_as = OWNER_ID
    assert _link(qtbot, panel) == ("done", "Linked Ada Runner as your account.")
    qtbot.waitUntil(lambda: len(panel.accounts) == 1, timeout=10_000)
    assert _labels(panel) == [("Ada Runner (you)", "linked")]
    assert panel.client_secret.text() == "" and not panel.form.isVisible()

    strava.login_as = MAX_ID  # the child logs in with its own Strava login
    outcome, message = _link(qtbot, panel, "Max, Maxi")
    assert (outcome, message) == ("done", "Linked Max Dog as child (Max, Maxi); watch copies off.")
    qtbot.waitUntil(lambda: len(panel.accounts) == 2, timeout=10_000)
    assert _labels(panel)[1] == ("Max Dog: Max, Maxi", "linked")
    assert panel.tree.topLevelItem(0).child(0).text(2) == "controlled, watch copies off"
    assert secrets.get_secret(token_key(str(MAX_ID))) is not None
    assert secrets.get_secret(SECRET_KEY) == CLIENT_SECRET  # in the keyring, and only there
    assert CLIENT_SECRET not in caplog.text
    for tokens in strava.access:
        assert tokens not in caplog.text
    raw = b"".join(p.read_bytes() for p in store.path.parent.glob("*.db*"))
    assert CLIENT_SECRET.encode() not in raw


def test_cancel_while_waiting_for_the_browser_leaves_nothing(
    qtbot, make_window, store, strava
) -> None:
    panel = _panel(qtbot, make_window())
    opened: list[str] = []
    panel.open_browser = opened.append  # the user never answers in the browser
    qtbot.mouseClick(panel.link_btn, Qt.MouseButton.LeftButton)
    panel.client_id.setText(CLIENT_ID)
    panel.client_secret.setText(CLIENT_SECRET)
    qtbot.mouseClick(panel.authorize_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.url.isVisible() and bool(opened), timeout=10_000)
    assert panel.url_text.text() == opened[0]  # to copy when no browser opened
    redirect = httpx.URL(opened[0]).params["redirect_uri"]
    assert httpx.get(redirect.replace("/callback", "/other"), timeout=5).status_code == 404
    with qtbot.waitSignal(panel.tasks.finished, timeout=10_000) as finished:
        qtbot.mouseClick(panel.strip.cancel_btn, Qt.MouseButton.LeftButton)
    assert finished.args == ["cancelled", "Linking Strava: cancelled (nothing was linked)"]
    with pytest.raises(httpx.ConnectError):  # the loopback server is gone
        httpx.get(redirect, timeout=2)
    window_accounts = panel.ctx.services.strava.accounts()
    assert window_accounts == [] and panel.accounts == []
    assert secrets.get_secret(SECRET_KEY) is None  # link() keeps it only once Strava took it
    assert strava.token_requests == []


def test_cancel_while_strava_answers_undoes_the_new_link(qtbot, make_window, store, strava) -> None:
    panel = _panel(qtbot, make_window())
    panel.open_browser = browser
    strava.login_as = OWNER_ID
    handle = strava.handle

    def cancel_at_the_code_exchange(method, path, headers, body):
        if path == "/oauth/token":
            panel.tasks.task.cancel()  # the Cancel click lands while Strava is answering
        return handle(method, path, headers, body)

    strava.handle = cancel_at_the_code_exchange
    outcome, message = _link(qtbot, panel)
    assert outcome == "cancelled" and "the new link was undone" in message
    assert panel.ctx.services.strava.accounts() == []
    assert secrets.get_secret(token_key(str(OWNER_ID))) is None
    assert secrets.get_secret(SECRET_KEY) is None
    assert strava.token_requests == ["authorization_code"]  # it did get tokens...
    assert [a for a in strava.access.values() if a["athlete_id"] == OWNER_ID] == []  # revoked


def _history(strava: StravaEmulator, n: int) -> tuple[QDate, int]:
    """`n` daily activities from 300 days ago; every other one names Max."""
    day = QDate.currentDate().addDays(-300)
    since = utc_midnight(day)
    for i in range(n):
        name = f"Walk with Max #{i}" if i % 2 else f"Solo #{i}"
        strava.add_activity(OWNER_ID, name, since + i * 86400 + 3600, manual=True)
    return day, n // 2


def _copy_jobs(store) -> int:
    return len(Outbox(store).jobs(kind=KIND_COPY))


def _list_requests(strava: StravaEmulator) -> int:
    return sum(1 for m, p in strava.requests if m == "GET" and p.endswith(LIST_PATH))


def test_backfill_shows_progress_cancels_between_pages_and_resumes(
    qtbot, make_window, store, strava
) -> None:
    owner = link_direct(store, strava, OWNER_ID)
    link_direct(store, strava, MAX_ID, ["Max"], owner.id)
    day, expected = _history(strava, 250)  # pages of 100: 100, 100, 50
    window = make_window()
    panel = _panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.backfill_btn.isEnabled(), timeout=10_000)
    panel.since.setDate(day)

    # Hold the work after its first page until Cancel was clicked (a real click, a real
    # token): the walk is faster than any person, so the test decides where it stops.
    services = window.services
    walk = services.strava.backfill
    first_page, go_on = threading.Event(), threading.Event()

    def held(account_id, since_s, *, progress, cancel):
        def report(p):
            progress(p)
            if p.pages == 1:
                first_page.set()
                go_on.wait(10)

        return walk(account_id, since_s, progress=report, cancel=cancel)

    services.strava.backfill = held
    qtbot.mouseClick(panel.backfill_btn, Qt.MouseButton.LeftButton)
    assert not panel.backfill_btn.isEnabled() and not panel.unlink_btn.isEnabled()
    qtbot.waitUntil(first_page.is_set, timeout=10_000)
    qtbot.waitUntil(lambda: "page 1 ·" in panel.strip.detail.text(), timeout=10_000)
    assert panel.strip.detail.text() == "page 1 · 100 activities · 50 copies queued"
    assert 0 < panel.strip.bar.value() < panel.strip.bar.maximum()  # days covered
    qtbot.mouseClick(panel.strip.cancel_btn, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(panel.tasks.finished, timeout=10_000) as finished:
        go_on.set()
    outcome, message = finished.args
    assert outcome == "cancelled" and "stopped after 1 page(s), 50 copies queued" in message
    assert "background sync continues" in message and panel.feedback.text() == message
    assert _copy_jobs(store) == 50 and _list_requests(strava) == 1, strava.requests
    cursor = services.settings.get(STRAVA_BACKFILL, owner.id)
    assert cursor == {"after": int(utc_midnight(day)), "page": 2}  # kept for the resume

    services.strava.backfill = walk  # Backfill again with the same date: it resumes
    qtbot.waitUntil(lambda: panel.backfill_btn.isEnabled(), timeout=10_000)
    with qtbot.waitSignal(panel.tasks.finished, timeout=15_000) as finished:
        qtbot.mouseClick(panel.backfill_btn, Qt.MouseButton.LeftButton)
    assert finished.args[0] == "done"
    assert "150 activities walked, 75 copies queued" in finished.args[1]
    assert _list_requests(strava) == 3  # pages 2 and 3; page 1 was not fetched again
    assert _copy_jobs(store) == expected == 125
    assert services.settings.get(STRAVA_BACKFILL, owner.id) is None


def test_a_rate_limit_ends_the_backfill_with_a_clear_message(
    qtbot, make_window, store, strava
) -> None:
    owner = link_direct(store, strava, OWNER_ID)
    link_direct(store, strava, MAX_ID, ["Max"], owner.id)
    day, _ = _history(strava, 250)
    strava.set_limits(overall=(1, 100_000), read=(1, 100_000))
    panel = _panel(qtbot, make_window())
    qtbot.waitUntil(lambda: panel.backfill_btn.isEnabled(), timeout=10_000)
    panel.since.setDate(day)
    with qtbot.waitSignal(panel.tasks.finished, timeout=15_000) as finished:
        qtbot.mouseClick(panel.backfill_btn, Qt.MouseButton.LeftButton)
    outcome, message = finished.args
    assert outcome == "failed" and message.startswith("Backfill paused: Strava's rate limit")
    assert "resumes where it stopped" in message
    assert panel.ctx.services.settings.get(STRAVA_BACKFILL, owner.id) is not None


def test_unlink_asks_then_revokes_and_forgets(qtbot, make_window, store, strava) -> None:
    owner = link_direct(store, strava, OWNER_ID)
    link_direct(store, strava, MAX_ID, ["Max"], owner.id)
    panel = _panel(qtbot, make_window())
    qtbot.waitUntil(lambda: len(panel.accounts) == 2, timeout=10_000)
    panel.select(owner.id)
    answer("No")
    panel.unlink()
    assert not panel.unlink_btn.isEnabled()  # asking: no second question meanwhile
    qtbot.waitUntil(panel.unlink_btn.isEnabled, timeout=10_000)
    assert len(panel.ctx.services.strava.accounts()) == 2  # second thoughts: nothing changed
    answer("Yes")
    panel.unlink()
    qtbot.waitUntil(lambda: panel.accounts == [] and panel.empty.isVisible(), timeout=10_000)
    assert panel.feedback.text() == (
        "Unlinked Ada Runner (you) and its child accounts Max Dog: Max. The client secret of "
        f"Strava application {CLIENT_ID} stays in the keyring for the next link."
    )
    assert secrets.get_secret(SECRET_KEY) == CLIENT_SECRET  # kept unless the user says so
    assert secrets.get_secret(token_key(str(OWNER_ID))) is None
    assert secrets.get_secret(token_key(str(MAX_ID))) is None
    assert [a for a in strava.access.values() if a["athlete_id"] in (OWNER_ID, MAX_ID)] == []


def test_after_a_backfill_the_background_sync_sends_the_copies(
    qtbot, make_window, store, strava, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULSEDECK_NO_BACKGROUND_SYNC")
    owner = link_direct(store, strava, OWNER_ID)
    link_direct(store, strava, MAX_ID, ["Max"], owner.id)
    day, expected = _history(strava, 6)
    window = make_window()
    assert window.services.sync.background is not None
    panel = _panel(qtbot, window)
    qtbot.waitUntil(lambda: panel.backfill_btn.isEnabled(), timeout=10_000)
    panel.since.setDate(day)
    with qtbot.waitSignal(panel.tasks.finished, timeout=15_000) as finished:
        qtbot.mouseClick(panel.backfill_btn, Qt.MouseButton.LeftButton)
    assert finished.args[0] == "done"
    # Woken by the panel: the copies reach Max's Strava in seconds (the schedule says 60 s).
    qtbot.waitUntil(lambda: len(strava.activities_of(MAX_ID)) == expected, timeout=15_000)


def test_the_panel_stays_light_and_agrees_with_the_accounts_module() -> None:
    import subprocess
    import sys

    from app.ui.screens import strava_panel
    from sync.strava import accounts

    assert strava_panel.OWNER == accounts.OWNER
    code = ("import sys, app.ui.screens.strava_panel; "
            "print('httpx' in sys.modules, 'sync.strava.engine' in sys.modules)")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]  # opening Settings loads no HTTP stack
