"""Settings' Strava panel: linked accounts and children's consent, Link (OAuth in the browser),
backfill, unlink.

The same code as `pulsedeck accounts ...` and `sync backfill` (app.services.strava over
sync.strava), on worker threads: no SQLite or HTTP on the GUI thread. Linking and backfilling are
long tasks (app.ui.tasks) with progress and Cancel; afterwards the background sync is woken
so the copies go out at once. Secrets go from the form to the keyring and nowhere else.
A child is linked only when the user ticks that they control it; its copies of activities
from elsewhere (a watch) are opt-in, shown and changed per child under the list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, Qt, QUrl
from PySide6.QtGui import QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateEdit,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sync.errors import RateLimited
from sync.strava.children import parse_names
from sync.strava.consent import what_is_copied

from ..context import AppContext
from ..tasks import TaskRunner, TaskStrip

if TYPE_CHECKING:  # the engine and accounts modules load httpx: not on the GUI thread
    from app.services.strava import LinkedAccount, UnlinkPlan, UnlinkResult
    from sync.strava.accounts import Account
    from sync.strava.consent import Consent
    from sync.strava.engine import BackfillProgress

#: `sync.strava.accounts.OWNER` (a test checks they agree), kept here for the reason above.
OWNER = "owner"
#: The CLI's way to opt in, which what_is_copied names; here the box below says it.
CLI_OPT_IN = " (--copy-watch on)"

#: What each account status means for the user, in the list.
STATUS_TEXT = {"ok": "linked", "needs_reauth": "needs re-auth", "inactive": "app inactive"}
#: What to do about a status (the status cell's tooltip).
STATUS_HELP = {
    "needs_reauth": "Strava no longer accepts this link: Link Strava… again for this account",
    "inactive": "Strava says the API application is inactive: check strava.com/settings/api",
}
#: The account list grows with its rows up to this many, then scrolls.
MAX_ROWS_SHOWN = 6
#: The list asks for room for its columns up to this width (px), then elides (tooltips tell).
MAX_TREE_WIDTH = 640
LINK_TITLE = "Linking Strava"
QWIDGETSIZE_MAX = (1 << 24) - 1
BACKFILL_TITLE = "Backfill"


def account_label(a: Account) -> str:
    """Ada's own account, or a child with the names a title must contain."""
    who = a.display_name or f"Strava athlete {a.remote_id}"
    if a.role == OWNER:
        return f"{who} (you)"
    return f"{who}: {', '.join(a.child_names)}" if a.child_names else who


def copies_text(names: list[str] | tuple[str, ...], copy_watch: bool) -> str:
    """What a child account will receive (the CLI's sentence, without its flag)."""
    return what_is_copied(names, copy_watch).removesuffix(CLI_OPT_IN) + "."


def consent_label(c: Consent) -> str:
    """A child's consent in the list's third column."""
    control = "controlled" if c.controlled_ms is not None else "not confirmed"
    return f"{control}, watch copies {'on' if c.copy_watch else 'off'}"


def consent_help(c: Consent) -> str:
    if c.controlled_ms is None:
        return (
            "Linked before Pulsedeck asked: confirm that you control this account "
            "(your child's or your pet's) with the button under the list"
        )
    day = datetime.fromtimestamp(c.controlled_ms / 1000, tz=UTC).strftime("%Y-%m-%d")
    return f"You confirmed on {day} that you control this account"


def backfill_label(p: BackfillProgress) -> str:
    return f"page {p.pages} · {p.activities:,} activities · {p.queued:,} copies queued"


def utc_midnight(date: QDate) -> float:
    """The start of `date` in UTC, in epoch seconds (the same day gives the same cursor)."""
    return datetime(date.year(), date.month(), date.day(), tzinfo=UTC).timestamp()


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

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Account", "Status", "Consent"])
        self.tree.headerItem().setToolTip(
            2, "For a child: whether you confirmed you control it, and whether it receives "
            "copies of activities from elsewhere (a watch)"
        )  # fmt: skip
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.tree.itemSelectionChanged.connect(self._buttons)
        layout.addWidget(self.tree)
        self.empty = QLabel("No Strava account linked. Link yours, then a child (a kid or a "
                            "dog) whose name in a title copies the activity to it.")  # fmt: skip
        self.empty.setProperty("role", "muted")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)

        # The selected child's consent (shown while a child is selected).
        self.child_row = QWidget()
        child_row = QHBoxLayout(self.child_row)
        child_row.setContentsMargins(0, 0, 0, 0)
        self.watch_box = QCheckBox("Copy watch activities to this child")
        self.watch_box.setToolTip(
            "Activities that reach your Strava from elsewhere (a watch, the website) and name "
            "this child are copied to it only when this is ticked. Sessions Pulsedeck records "
            "are always copied."
        )
        self.watch_box.clicked.connect(self._set_copy_watch)
        self.control_btn = QPushButton("I control this account")
        self.control_btn.setToolTip(
            "Confirm that this child account is yours to manage (your child's or your pet's)"
        )
        self.control_btn.clicked.connect(self._confirm_control)
        child_row.addWidget(self.watch_box)
        child_row.addWidget(self.control_btn)
        child_row.addStretch(1)
        self.child_row.hide()
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

        # The link form, shown by "Link Strava…".
        self.form = QWidget()
        form = QFormLayout(self.form)
        form.setContentsMargins(0, 0, 0, 0)
        self.client_id = QLineEdit()
        self.client_id.setPlaceholderText("from strava.com/settings/api")
        self.client_secret = QLineEdit()
        self.client_secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.client_secret.setPlaceholderText("kept in the system keyring only")
        self.child_names = QLineEdit()
        self.child_names.setPlaceholderText("empty for you; a child: Max, Maxi")
        form.addRow("Client ID", self.client_id)
        form.addRow("Client secret", self.client_secret)
        form.addRow("Child names", self.child_names)
        # A child's consent, shown once child names are typed.
        self.child_consent = QWidget()
        consent = QVBoxLayout(self.child_consent)
        consent.setContentsMargins(0, 0, 0, 0)
        self.controlled = QCheckBox("I control this account (a child or a pet)")
        self.controlled.setToolTip("Required to link a child: only accounts you control")
        self.copy_watch = QCheckBox("Copy watch activities (not recorded by Pulsedeck)")
        self.copies = QLabel("")
        self.copies.setWordWrap(True)
        self.copies.setProperty("role", "muted")
        consent.addWidget(self.copies)
        consent.addWidget(self.controlled)
        consent.addWidget(self.copy_watch)
        form.addRow(self.child_consent)
        self._form = form
        self.child_names.textChanged.connect(lambda _t: self._child_consent())
        self.copy_watch.toggled.connect(lambda _on: self._child_consent())
        self._child_consent()
        go = QHBoxLayout()
        self.authorize_btn = QPushButton("Authorize in browser")
        self.authorize_btn.setProperty("role", "primary")
        self.authorize_btn.clicked.connect(self.start_link)
        close = QPushButton("Close")
        close.clicked.connect(self.form.hide)
        go.addWidget(self.authorize_btn)
        go.addWidget(close)
        go.addStretch(1)
        form.addRow(go)
        self.form.hide()
        layout.addWidget(self.form)

        # The authorize address, for when no browser opened (a line: copyable, never wider).
        self.url = QWidget()
        url_layout = QVBoxLayout(self.url)
        url_layout.setContentsMargins(0, 0, 0, 0)
        hint = QLabel("Authorize Pulsedeck in your browser. If none opened, open this address:")
        hint.setWordWrap(True)
        hint.setProperty("role", "muted")
        self.url_text = QLineEdit()
        self.url_text.setReadOnly(True)
        url_layout.addWidget(hint)
        url_layout.addWidget(self.url_text)
        self.url.hide()
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
        self.tree.clear()
        for owner in (a for a in self.accounts if a.role == OWNER):
            item = self._item(owner)
            self.tree.addTopLevelItem(item)
            for child in (a for a in self.accounts if a.parent_id == owner.id):
                item.addChild(self._item(child))
            item.setExpanded(True)
        self._fit_columns()
        self._fit_tree()
        self.empty.setVisible(not self.accounts)
        self.tree.setVisible(bool(self.accounts))
        if selected is not None:
            self.select(selected.id)
        self._buttons()

    def _fit_columns(self) -> None:
        """Columns as wide as their text, and the list wide enough to show them unelided
        (the Settings side column is only as wide as its widest part)."""
        wanted = 2 * self.tree.frameWidth() + self.tree.indentation()
        for column in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(column)
            wanted += max(
                self.tree.sizeHintForColumn(column), self.tree.header().sectionSizeHint(column)
            )
        self.tree.setMinimumWidth(min(wanted, MAX_TREE_WIDTH))

    def _fit_tree(self) -> None:
        """As tall as its rows (no empty box under two accounts), scrolling past a few."""
        rows = min(MAX_ROWS_SHOWN, max(1, len(self.accounts)))
        row_h = max(self.tree.sizeHintForRow(0), self.tree.fontMetrics().height() + 4)
        header = self.tree.header().sizeHint().height()
        self.tree.setFixedHeight(header + rows * row_h + 2 * self.tree.frameWidth() + 4)

    def _item(self, a: Account) -> QTreeWidgetItem:
        item = QTreeWidgetItem([account_label(a), STATUS_TEXT.get(a.status, a.status)])
        item.setData(0, Qt.ItemDataRole.UserRole, a.id)
        if a.status != "ok":
            item.setForeground(1, QColor(self.ctx.theme.danger))
            item.setToolTip(1, STATUS_HELP.get(a.status, a.status))
        self._show_consent(item, a)
        return item

    def _show_consent(self, item: QTreeWidgetItem, a: Account) -> None:
        c = self.consents.get(a.id)
        if c is None:
            return
        item.setText(2, consent_label(c))
        item.setToolTip(2, f"{consent_help(c)}. {copies_text(a.child_names, c.copy_watch)}")
        if c.controlled_ms is None:
            item.setForeground(2, QColor(self.ctx.theme.danger))
        else:
            item.setData(2, Qt.ItemDataRole.ForegroundRole, None)

    def selected(self) -> Account | None:
        items = self.tree.selectedItems()
        if not items:
            return None
        wanted = items[0].data(0, Qt.ItemDataRole.UserRole)
        return next((a for a in self.accounts if a.id == wanted), None)

    def select(self, account_id: int) -> None:
        for item in self._items():
            if item.data(0, Qt.ItemDataRole.UserRole) == account_id:
                self.tree.setCurrentItem(item)
                return

    def _items(self) -> list[QTreeWidgetItem]:
        out = []
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            out.append(top)
            out += [top.child(j) for j in range(top.childCount())]
        return out

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
        c = self.consents.get(chosen.id) if chosen is not None else None
        self.child_row.setVisible(c is not None)
        if c is not None:
            self.watch_box.setChecked(c.copy_watch)
            self.watch_box.setEnabled(True)
            self.control_btn.setVisible(c.controlled_ms is None)
            self.control_btn.setEnabled(True)
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
                self._show_consent(item, child)
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

    def _child_consent(self) -> None:
        """The consent rows follow the child names: what will be copied, and the boxes."""
        names = parse_names(self.child_names.text())
        self._form.setRowVisible(self.child_consent, bool(names))
        self.copies.setText(copies_text(names, self.copy_watch.isChecked()) if names else "")

    def show_link_form(self) -> None:
        self.form.show()
        owners = [a for a in self.accounts if a.role == OWNER]
        self.child_names.setEnabled(bool(owners))
        if not owners:
            self.child_names.clear()
        self.client_id.setFocus()

    def _system_browser(self, url: str) -> object:
        """Open the authorize page in the system browser (on the GUI thread, as Qt wants)."""
        self.ctx.bridge.call_soon_in_gui(lambda: QDesktopServices.openUrl(QUrl(url)))
        return None

    def _show_url(self, url: str) -> None:
        if self._pending_task != LINK_TITLE:
            return
        self.url_text.setText(url)
        self.url_text.setCursorPosition(0)
        self.url.show()

    def start_link(self) -> None:
        client_id = self.client_id.text().strip()
        secret = self.client_secret.text()
        names = parse_names(self.child_names.text())
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
            self.client_secret.clear()
            self.child_names.clear()
            self.controlled.setChecked(False)
            self.copy_watch.setChecked(False)
            self.form.hide()
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
        strava = self.ctx.services.strava

        def work(progress: Callable[..., None], cancel: Callable[[], bool]) -> BackfillProgress:
            def report(p: BackfillProgress) -> None:
                done, total = p.days
                progress(done, total, backfill_label(p))

            return strava.backfill(owner.id, since_s, progress=report, cancel=cancel)

        def done(p: BackfillProgress) -> str:
            return (
                f"Backfill from {day} done: {p.activities:,} activities walked, "
                f"{p.queued:,} copies queued; they are sent in the background."
            )

        def failed(exc: BaseException) -> str:
            if isinstance(exc, RateLimited):
                wait = f" in about {exc.retry_after_s / 60:.0f} min" if exc.retry_after_s else ""
                return (
                    "Backfill paused: Strava's rate limit is reached. It resumes where it "
                    f"stopped{wait} with the background sync (or press Backfill again later)."
                )
            return f"Backfill failed: {exc}"

        self._pending_task = BACKFILL_TITLE
        task = self.tasks.start(BACKFILL_TITLE, work, done, on_error=failed)
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
                answer, forget = self._ask_unlink(account, plan)
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

    def _ask_unlink(self, account: Account, plan: UnlinkPlan) -> tuple[bool, bool]:
        """The question before unlinking: (go ahead, forget the client secret)."""
        children = [a for a in plan.targets if a.id != account.id]
        text = f"Unlink {account_label(account)}?"
        if children:
            names = "; ".join(account_label(c) for c in children)
            text += f"\n\nIts child accounts are unlinked too: {names}."
        text += (
            "\n\nPulsedeck revokes their access at Strava, forgets their tokens and deletes "
            "what it kept from their Strava."
            if children
            else "\n\nPulsedeck revokes its access at Strava, forgets its tokens and deletes "
            "what it kept from its Strava."
        )
        box = QMessageBox(QMessageBox.Icon.Question, "Unlink Strava", text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                          self)  # fmt: skip
        box.setDefaultButton(QMessageBox.StandardButton.No)
        forget_box: QCheckBox | None = None
        if plan.freed_secrets:
            apps = ", ".join(plan.freed_secrets)
            forget_box = QCheckBox(f"Also forget the client secret of Strava application {apps}")
            forget_box.setToolTip(
                "No linked account uses it once these are unlinked; otherwise it stays in the "
                "system keyring for the next link"
            )
            box.setCheckBox(forget_box)
        answer = box.exec() == QMessageBox.StandardButton.Yes
        forget = forget_box is not None and forget_box.isChecked()
        box.deleteLater()
        return answer, forget


def unlinked_text(account: Account, result: UnlinkResult) -> str:
    """The outcome line: who went, warnings, and what happened to the client secret."""
    children = [account_label(a) for a in result.targets if a.id != account.id]
    text = f"Unlinked {account_label(account)}"
    if children:
        text += f" and its child accounts {'; '.join(children)}"
    text += "." + "".join(f" {w}." for w in result.warnings)
    for client_id in result.forgotten_secrets:
        text += f" Forgot the client secret of Strava application {client_id}."
    for client_id in result.kept_secrets:
        text += (
            f" The client secret of Strava application {client_id} stays in the keyring "
            "for the next link."
        )
    return text
