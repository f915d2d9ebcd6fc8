"""Settings' Strava panel and children's consent (issue 17 #9, #5): the link form asks for
control and says what is copied, the list shows and changes each child's consent, and Unlink
names the children that go too and offers to forget the client secret.

The real MainWindow against tests/strava's emulator on 127.0.0.1, a real SQLite store and the
in-memory keyring of tests/conftest.py (fixtures and helpers from test_strava_panel).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QMessageBox

sys.path.insert(0, str(Path(__file__).resolve().parent))

import test_strava_panel  # noqa: E402
from test_strava_panel import (  # noqa: E402
    CLIENT_ID,
    CLIENT_SECRET,
    MAX_ID,
    OWNER_ID,
    SECRET_KEY,
    _link,
    _panel,
    browser,
    link_direct,
)

from app import secrets  # noqa: E402
from sync.strava.accounts import watch_children  # noqa: E402
from sync.strava.consent import consent, forget  # noqa: E402
from sync.strava.tokens import token_key  # noqa: E402

pytestmark = pytest.mark.gui

#: The emulator on 127.0.0.1 (test_strava_panel's fixture, used here under the same name).
strava = test_strava_panel.strava


def _owner_and_child(store, emu, *, consented: bool = True):
    owner = link_direct(store, emu, OWNER_ID)
    child = link_direct(store, emu, MAX_ID, ["Max"], owner.id)
    if not consented:  # a child linked before Pulsedeck asked: no consent stored
        forget(store, child.id)
    return owner, child


def _item(panel, account_id: int):
    return next(i for i in panel._items() if i.data(0, Qt.ItemDataRole.UserRole) == account_id)


def _click(qtbot, widget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def _answer_box(click: str, tick: bool = False) -> dict[str, str | None]:
    """Read the next modal message box (its text and check box), tick it if asked, click."""
    seen: dict[str, str | None] = {}

    def handle() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, handle)
            return
        check = box.checkBox()
        seen["checkbox"] = check.text() if check is not None else None
        if check is not None:
            check.setChecked(tick)
        seen["text"] = box.text()
        next(b for b in box.buttons() if b.text().replace("&", "") == click).click()

    QTimer.singleShot(0, handle)
    return seen


def _save_png(qtbot, widget, path: Path) -> QImage:
    """Render the widget offscreen to a PNG (pytest --basetemp keeps it to look at)."""
    qtbot.wait(100)  # the layout settles (a form shown, a row hidden) as it would on screen
    image = widget.grab().toImage()
    assert image.save(str(path))
    assert image.width() > 200 and image.height() > 100
    return image


def test_linking_a_child_needs_control_and_says_what_is_copied(
    qtbot, make_window, store, strava, tmp_path
) -> None:
    owner = link_direct(store, strava, OWNER_ID)
    panel = _panel(qtbot, make_window())
    qtbot.waitUntil(lambda: len(panel.accounts) == 1, timeout=10_000)
    _click(qtbot, panel.link_btn)
    assert panel.form.isVisible() and not panel.controlled.isVisible()  # your own: no consent

    panel.child_names.setText("Max, Maxi")
    assert panel.controlled.isVisible() and panel.copy_watch.isVisible()
    assert not panel.controlled.isChecked() and not panel.copy_watch.isChecked()
    assert panel.copies.text() == (
        "Pulsedeck will copy to this account the sessions you record whose title names 'Max' "
        "or 'Maxi'; activities from elsewhere (a watch) only if you opt in."
    )
    _click(qtbot, panel.copy_watch)
    assert "and activities reaching your Strava from elsewhere (a watch" in panel.copies.text()

    # Not ticked "I control this account": nothing starts, the form says why.
    panel.client_id.setText(CLIENT_ID)
    panel.client_secret.setText(CLIENT_SECRET)
    opened: list[str] = []
    panel.open_browser = opened.append
    _click(qtbot, panel.authorize_btn)
    assert "Tick “I control this account”" in panel.feedback.text()
    assert not panel.tasks.running and opened == [] and strava.token_requests == []
    _save_png(qtbot, panel, tmp_path / "link-form-child.png")

    _click(qtbot, panel.controlled)
    panel.open_browser = browser
    strava.login_as = MAX_ID
    with qtbot.waitSignal(panel.tasks.finished, timeout=15_000) as finished:
        _click(qtbot, panel.authorize_btn)
    assert finished.args == ["done", "Linked Max Dog as child (Max, Maxi); watch copies on."]
    qtbot.waitUntil(lambda: len(panel.accounts) == 2, timeout=10_000)
    child = next(a for a in panel.accounts if a.parent_id == owner.id)
    stored = consent(store, child.id)
    assert stored.controlled_ms is not None and stored.copy_watch
    assert _item(panel, child.id).text(2) == "controlled, watch copies on"
    assert not panel.controlled.isChecked() and not panel.copy_watch.isChecked()  # reset
    assert secrets.get_secret(SECRET_KEY) == CLIENT_SECRET


def test_the_service_refuses_a_child_link_without_control(make_window, store, strava) -> None:
    link_direct(store, strava, OWNER_ID)
    services = make_window().services
    opened: list[str] = []
    with pytest.raises(ValueError, match="confirm that you control"):
        services.strava.link(
            CLIENT_ID, CLIENT_SECRET, ["Max"], athlete_id=store.default_athlete().id,
            open_browser=opened.append,
        )  # fmt: skip
    assert opened == [] and len(services.strava.accounts()) == 1


def test_a_failed_child_link_keeps_the_working_secret(qtbot, make_window, store, strava) -> None:
    link_direct(store, strava, OWNER_ID)
    panel = _panel(qtbot, make_window())
    qtbot.waitUntil(lambda: len(panel.accounts) == 1, timeout=10_000)
    panel.open_browser = browser
    strava.login_as = MAX_ID
    outcome, message = _link(qtbot, panel, "Max", secret="mistyped-secret")
    assert outcome == "failed" and "client secret" in message, message
    assert secrets.get_secret(SECRET_KEY) == CLIENT_SECRET  # the owner still refreshes with it
    assert len(panel.ctx.services.strava.accounts()) == 1
    assert secrets.get_secret(token_key(str(MAX_ID))) is None


def test_the_list_shows_and_changes_each_childs_consent(
    qtbot, make_window, store, strava, tmp_path
) -> None:
    owner, child = _owner_and_child(store, strava, consented=False)
    panel = _panel(qtbot, make_window())
    qtbot.waitUntil(lambda: len(panel.accounts) == 2, timeout=10_000)
    assert _item(panel, owner.id).text(2) == ""  # consent is per child
    assert _item(panel, child.id).text(2) == "not confirmed, watch copies off"
    assert "confirm that you control" in _item(panel, child.id).toolTip(2)

    panel.select(owner.id)
    assert not panel.child_row.isVisible()
    panel.select(child.id)
    assert panel.child_row.isVisible() and panel.control_btn.isVisible()
    assert not panel.watch_box.isChecked()
    _save_png(qtbot, panel, tmp_path / "list-child-selected.png")

    _click(qtbot, panel.watch_box)  # opt in
    qtbot.waitUntil(lambda: consent(store, child.id).copy_watch, timeout=10_000)
    qtbot.waitUntil(lambda: "watch copies on" in _item(panel, child.id).text(2), timeout=10_000)
    assert [c.id for c in watch_children(store, owner.id)] == [child.id]  # the poll copies now
    assert panel.feedback.text().startswith("Max Dog: watch copies on. Pulsedeck will copy")

    _click(qtbot, panel.control_btn)
    qtbot.waitUntil(lambda: consent(store, child.id).controlled_ms is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not panel.control_btn.isVisible(), timeout=10_000)
    assert _item(panel, child.id).text(2) == "controlled, watch copies on"
    assert "You confirmed on " in _item(panel, child.id).toolTip(2)
    assert panel.feedback.text() == "Max Dog: you confirmed that you control this account."

    _click(qtbot, panel.watch_box)  # opt out again
    qtbot.waitUntil(lambda: not consent(store, child.id).copy_watch, timeout=10_000)
    qtbot.waitUntil(lambda: "watch copies off" in _item(panel, child.id).text(2), timeout=10_000)
    assert watch_children(store, owner.id) == []
    panel.reload()  # what is shown is what is stored
    qtbot.waitUntil(lambda: panel.consents[child.id] == consent(store, child.id), timeout=10_000)
    _save_png(qtbot, panel, tmp_path / "list-child-consented.png")


def test_unlink_names_the_children_and_can_forget_the_secret(
    qtbot, make_window, store, strava, tmp_path
) -> None:
    owner, child = _owner_and_child(store, strava)
    panel = _panel(qtbot, make_window())
    qtbot.waitUntil(lambda: len(panel.accounts) == 2, timeout=10_000)

    # A child alone: the owner still uses the application, so no secret is offered.
    panel.select(child.id)
    seen = _answer_box("No")
    panel.unlink()
    qtbot.waitUntil(lambda: "text" in seen, timeout=10_000)
    assert seen["text"].startswith("Unlink Max Dog: Max?") and seen["checkbox"] is None
    qtbot.waitUntil(panel.unlink_btn.isEnabled, timeout=10_000)

    panel.select(owner.id)
    seen = _answer_box("Yes", tick=True)
    panel.unlink()
    qtbot.waitUntil(lambda: "text" in seen, timeout=10_000)
    assert "Its child accounts are unlinked too: Max Dog: Max." in seen["text"]
    assert seen["checkbox"] == f"Also forget the client secret of Strava application {CLIENT_ID}"
    qtbot.waitUntil(lambda: panel.accounts == [] and panel.empty.isVisible(), timeout=10_000)
    assert panel.feedback.text() == (
        "Unlinked Ada Runner (you) and its child accounts Max Dog: Max. "
        f"Forgot the client secret of Strava application {CLIENT_ID}."
    )
    assert secrets.get_secret(SECRET_KEY) is None
    assert panel.ctx.services.strava.accounts() == []
    assert consent(store, child.id).controlled_ms is None  # its consent went with it
    assert [a for a in strava.access.values() if a["athlete_id"] in (OWNER_ID, MAX_ID)] == []
    _save_png(qtbot, panel, tmp_path / "after-unlink.png")
