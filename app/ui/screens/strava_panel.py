"""Settings' Strava panel: linked accounts and children's consent, Link (OAuth in the browser),
backfill, unlink.

The same code as `pulsedeck accounts ...` and `sync backfill` (app.services.strava over
sync.strava), on worker threads: no SQLite or HTTP on the GUI thread. Linking and backfilling are
long tasks (app.ui.tasks) with progress and Cancel; afterwards the background sync is woken
so the copies go out at once. Secrets go from the form to the keyring and nowhere else.
A child is linked only when the user ticks that they control it; its copies of activities
from elsewhere (a watch) are opt-in, shown and changed per child under the list.
Its parts sit beside it in strava_*.py: the list, consent row, link form, unlink, backfill.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDateEdit,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..context import AppContext
from ..tasks import TaskRunner, TaskStrip
from .strava_account_list import AccountTree
from .strava_backfill import backfill_done_text, backfill_failed_text, backfill_work, utc_midnight
from .strava_consent_row import ChildConsentRow
from .strava_labels import OWNER, copies_text
from .strava_link_form import AuthorizeAddress, LinkForm
from .strava_unlink import ask_unlink, unlinked_text

if TYPE_CHECKING:  # the engine and accounts modules load httpx: not on the GUI thread
    from app.services.strava import LinkedAccount, UnlinkPlan, UnlinkResult
    from sync.strava.accounts import Account
    from sync.strava.consent import Consent

LINK_TITLE = "Linking Strava"
QWIDGETSIZE_MAX = (1 << 24) - 1
BACKFILL_TITLE = "Backfill"


class StravaPanel(QGroupBox):
    """The Strava group of the Settings screen."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__("Strava", parent)
        self.ctx = ctx
        self.accounts: list[Account] = []
        #: Each child's consent by account id, as last read.
        self.consents: dict[int, Consent] = {}
        #: Opens the authorize address; runs in a worker thread (tests put an HTTP client here).
        self.open_browser: Callable[[str], object] = self._system_browser
        self._pending_task = ""
        #: An unlink is being asked about or running (one at a time).
        self._unlinking = False
        layout = QVBoxLayout(self)

        self.tree = AccountTree(ctx)
        self.tree.itemSelectionChanged.connect(self._buttons)
        layout.addWidget(self.tree)
        self.empty = QLabel("No Strava account linked. Link yours, then a child (a kid or a "
                            "dog) whose name in a title copies the activity to it.")  # fmt: skip
        self.empty.setProperty("role", "muted")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)

        # The selected child's consent (shown while a child is selected).
        self.child_row = ChildConsentRow()
        self.watch_box = self.child_row.watch_box
        self.watch_box.clicked.connect(self._set_copy_watch)
        self.control_btn = self.child_row.control_btn
        self.control_btn.clicked.connect(self._confirm_control)
        layout.addWidget(self.child_row)

        row = QHBoxLayout()
        self.link_btn = QPushButton("Link Strava…")
        self.link_btn.clicked.connect(self.show_link_form)
        self.unlink_btn = QPushButton("Unlink…")
        self.unlink_btn.setToolTip("Revoke Pulsedeck's access at Strava and forget the tokens")
        self.unlink_btn.clicked.connect(self.unlink)
        row.addWidget(self.link_btn)
        row.addWidget(self.unlink_btn)
        row.addStretch(1)
        layout.addLayout(row)

        back = QHBoxLayout()
        self.backfill_btn = QPushButton("Backfill children from")
        self.backfill_btn.setToolTip(
            "Copy older activities of your Strava to the children named in their titles"
        )
        self.backfill_btn.clicked.connect(self.start_backfill)
        self.since = QDateEdit(QDate.currentDate().addYears(-1))
        self.since.setCalendarPopup(True)
        self.since.setDisplayFormat("yyyy-MM-dd")
        self.since.setMaximumDate(QDate.currentDate())
        back.addWidget(self.backfill_btn)
        back.addWidget(self.since)
        back.addStretch(1)
        layout.addLayout(back)

        # The link form, shown by "Link Strava…"; its fields are the panel's too (start_link).
        self.form = LinkForm()
        self.client_id = self.form.client_id
        self.client_secret = self.form.client_secret
        self.child_names = self.form.child_names
        self.controlled = self.form.controlled
        self.copy_watch = self.form.copy_watch
        self.copies = self.form.copies
        self.authorize_btn = self.form.authorize_btn
        self.authorize_btn.clicked.connect(self.start_link)
        layout.addWidget(self.form)
        self.url = AuthorizeAddress()
        self.url_text = self.url.line
        layout.addWidget(self.url)

        self.tasks = TaskRunner(ctx.bridge, self)
        self.strip = TaskStrip(self.tasks)
        self.strip.title.hide()  # the group box says what it is about
        self.strip.bar.setMinimumWidth(60)
        self.strip.detail.setWordWrap(True)
        layout.addWidget(self.strip)
        self.tasks.started.connect(lambda _t: self._task_started())
        self.tasks.finished.connect(self._task_finished)
        self.feedback = QLabel("")
        self.feedback.setWordWrap(True)
        self.feedback.hide()
        layout.addWidget(self.feedback)

        ctx.athleteChanged.connect(lambda _a: self.reload())
        self._buttons()

    def say(self, text: str) -> None:
        """The panel's last outcome in a line (hidden while there is none)."""
        self.feedback.setText(text)
        self.feedback.setVisible(bool(text))

    # Accounts -----------------------------------------------------------------------

    def reload(self) -> None:
        self.ctx.bridge.run(self.ctx.services.strava.linked, self._show)

    def _show(self, linked: list[LinkedAccount]) -> None:
        athlete_id = self.ctx.athlete.id
        mine = [la for la in linked if la.account.athlete_id == athlete_id]
        self.accounts = [la.account for la in mine]
        self.consents = {la.account.id: la.consent for la in mine if la.consent is not None}
        selected = self.selected()
        self.tree.fill(self.accounts, self.consents)
        self.empty.setVisible(not self.accounts)
        self.tree.setVisible(bool(self.accounts))
        if selected is not None:
            self.select(selected.id)
        self._buttons()

    def selected(self) -> Account | None:
        wanted = self.tree.selected_id()
        if wanted is None:
            return None
        return next((a for a in self.accounts if a.id == wanted), None)

    def select(self, account_id: int) -> None:
        self.tree.select(account_id)

    def _items(self) -> list[QTreeWidgetItem]:
        return self.tree.items()

    def backfill_owner(self) -> Account | None:
        """The selected owner (or the owner of the selected child), else the only owner."""
        chosen = self.selected()
        owners = [a for a in self.accounts if a.role == OWNER]
        if chosen is not None and chosen.role != OWNER:
            chosen = next((a for a in owners if a.id == chosen.parent_id), None)
        if chosen is None and len(owners) == 1:
            chosen = owners[0]
        return chosen

    def _buttons(self) -> None:
        idle = not self.tasks.running
        owner = self.backfill_owner()
        has_children = owner is not None and any(a.parent_id == owner.id for a in self.accounts)
        self.link_btn.setEnabled(idle)
        self.authorize_btn.setEnabled(idle)
        self.unlink_btn.setEnabled(idle and not self._unlinking and self.selected() is not None)
        self.backfill_btn.setEnabled(idle and has_children)
        self.since.setEnabled(idle)
        chosen = self.selected()
        self.child_row.show_consent(self.consents.get(chosen.id) if chosen is not None else None)
        self.backfill_btn.setToolTip(
            "Copy older activities of your Strava to the children named in their titles"
            if has_children
            else "Link your Strava account and a child first"
        )

    def _task_started(self) -> None:
        # The strip sized its text for a wide screen; this column is narrow, so it wraps.
        self.strip.detail.setMinimumWidth(0)
        self.strip.detail.setMaximumWidth(QWIDGETSIZE_MAX)
        self._buttons()

    def _task_finished(self, _outcome: str, message: str) -> None:
        self.say(message)
        self.ctx.message.emit(message)
        self.url.hide()
        self._wake(poll=self._pending_task == LINK_TITLE)
        self._pending_task = ""
        self.reload()
        self._buttons()

    def _wake(self, poll: bool) -> None:
        """Let the background sync send what was queued now (it runs on the loop thread)."""

        async def wake() -> None:
            self.ctx.services.sync.wake(poll=poll)

        self.ctx.bridge.run(wake())

    # Consent ------------------------------------------------------------------------

    def _set_copy_watch(self, on: bool) -> None:
        """The selected child's opt-in to copies of activities from elsewhere."""
        child = self.selected()
        if child is None or child.id not in self.consents:
            return
        self.watch_box.setEnabled(False)
        strava = self.ctx.services.strava
        self.ctx.bridge.run(
            lambda: strava.set_copy_watch(child.id, on),
            lambda c: self._consent_changed(child, c, watch_changed=True),
            lambda exc: self._consent_failed(exc),
        )

    def _confirm_control(self) -> None:
        child = self.selected()
        if child is None or child.id not in self.consents:
            return
        self.control_btn.setEnabled(False)
        strava = self.ctx.services.strava
        self.ctx.bridge.run(
            lambda: strava.confirm_control(child.id),
            lambda c: self._consent_changed(child, c, watch_changed=False),
            lambda exc: self._consent_failed(exc),
        )

    def _consent_changed(self, child: Account, c: Consent, watch_changed: bool) -> None:
        self.consents[child.id] = c
        for item in self._items():
            if item.data(0, Qt.ItemDataRole.UserRole) == child.id:
                self.tree.show_consent(item, child, c)
        who = child.display_name or f"Strava athlete {child.remote_id}"
        if watch_changed:
            what = f"watch copies {'on' if c.copy_watch else 'off'}"
            self.say(f"{who}: {what}. {copies_text(child.child_names, c.copy_watch)}")
        else:
            self.say(f"{who}: you confirmed that you control this account.")
        self._buttons()

    def _consent_failed(self, exc: BaseException) -> None:
        self.say(f"Consent not changed: {exc}")
        self.reload()

    # Link ---------------------------------------------------------------------------

    def show_link_form(self) -> None:
        self.form.open(has_owner=any(a.role == OWNER for a in self.accounts))

    def _system_browser(self, url: str) -> object:
        """Open the authorize page in the system browser (on the GUI thread, as Qt wants)."""
        self.ctx.bridge.call_soon_in_gui(lambda: QDesktopServices.openUrl(QUrl(url)))
        return None

    def _show_url(self, url: str) -> None:
        if self._pending_task != LINK_TITLE:
            return
        self.url.show_url(url)

    def start_link(self) -> None:
        client_id = self.client_id.text().strip()
        secret = self.client_secret.text()
        names = self.form.names()
        if not client_id or not secret:
            self.say("Enter the client ID and secret of your Strava API application.")
            return
        if names and not self.controlled.isChecked():
            self.say(
                "Tick “I control this account” to link a child: only accounts you control "
                "(your child's or your pet's) can receive copies."
            )
            return
        controlled = bool(names)
        copy_watch = self.copy_watch.isChecked() if names else None
        athlete_id = self.ctx.athlete.id
        opener = self.open_browser
        strava = self.ctx.services.strava
        bridge = self.ctx.bridge

        def work(progress: Callable[..., None], cancel: Callable[[], bool]) -> Account:
            progress(0, 1, "waiting for Strava in the browser…")
            return strava.link(
                client_id, secret, names, athlete_id=athlete_id, open_browser=opener,
                announce=lambda url: bridge.call_soon_in_gui(lambda: self._show_url(url)),
                cancel=cancel, controlled=controlled, copy_watch=copy_watch,
            )  # fmt: skip

        def done(account: Account) -> str:
            self.form.reset()
            who = account.display_name or account.remote_id
            if not names:
                return f"Linked {who} as your account."
            watch = "on" if copy_watch else "off"
            return (
                f"Linked {who} as child ({', '.join(account.child_names)}); watch copies {watch}."
            )

        self._pending_task = LINK_TITLE
        task = self.tasks.start(
            LINK_TITLE, work, done, on_error=lambda exc: f"Strava not linked: {exc}"
        )
        if task is None:
            self._pending_task = ""
        else:
            self.say("")

    # Backfill -----------------------------------------------------------------------

    def start_backfill(self) -> None:
        owner = self.backfill_owner()
        if owner is None:
            self.say("Select your Strava account first.")
            return
        since_s = utc_midnight(self.since.date())
        day = self.since.date().toString("yyyy-MM-dd")

        work = backfill_work(self.ctx.services.strava, owner.id, since_s)
        done = partial(backfill_done_text, day)
        self._pending_task = BACKFILL_TITLE
        task = self.tasks.start(BACKFILL_TITLE, work, done, on_error=backfill_failed_text)
        if task is None:
            self._pending_task = ""
        else:
            self.say("")

    # Unlink -------------------------------------------------------------------------

    def unlink(self, *, confirm: bool = True, forget_secret: bool = False) -> None:
        """Ask (naming the children that go too, offering to forget the client secret), then
        revoke and forget like `accounts unlink [--forget-secret]`."""
        account = self.selected()
        if account is None or self.tasks.running or self._unlinking:
            return
        self._unlinking = True
        self._buttons()
        strava = self.ctx.services.strava

        def ask(plan: UnlinkPlan) -> None:
            forget = forget_secret
            if confirm:
                answer, forget = ask_unlink(self, account, plan)
                if not answer:
                    self._unlinking = False
                    self._buttons()
                    return
            self.ctx.bridge.run(
                lambda: strava.unlink(account.id, forget_secret=forget), done, failed
            )

        def done(result: UnlinkResult) -> None:
            self._unlinking = False
            message = unlinked_text(account, result)
            self.say(message)
            self.ctx.message.emit(message)
            self.reload()

        def failed(exc: BaseException) -> None:
            self._unlinking = False
            self.say(f"Not unlinked: {exc}")
            self.reload()

        self.ctx.bridge.run(lambda: strava.unlink_plan(account.id), ask, failed)
