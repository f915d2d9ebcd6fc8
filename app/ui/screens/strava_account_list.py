"""The Strava panel's list of linked accounts: owners with their children, status and consent."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QAbstractItemView, QTreeWidget, QTreeWidgetItem, QWidget

from ..context import AppContext
from .strava_labels import OWNER, account_label, copies_text

if TYPE_CHECKING:  # the accounts module loads httpx: not on the GUI thread
    from sync.strava.accounts import Account
    from sync.strava.consent import Consent

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


class AccountTree(QTreeWidget):
    """Each owner with its children under it; the account id rides in column 0's user data."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setHeaderLabels(["Account", "Status", "Consent"])
        self.headerItem().setToolTip(
            2, "For a child: whether you confirmed you control it, and whether it receives "
            "copies of activities from elsewhere (a watch)"
        )  # fmt: skip
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)

    def fill(self, accounts: list[Account], consents: Mapping[int, Consent]) -> None:
        """Rebuild the rows from the accounts as last read, then fit the list to them."""
        self.clear()
        for owner in (a for a in accounts if a.role == OWNER):
            item = self._item(owner, consents.get(owner.id))
            self.addTopLevelItem(item)
            for child in (a for a in accounts if a.parent_id == owner.id):
                item.addChild(self._item(child, consents.get(child.id)))
            item.setExpanded(True)
        self._fit_columns()
        self._fit_height(len(accounts))

    def _fit_columns(self) -> None:
        """Columns as wide as their text, and the list wide enough to show them unelided
        (the Settings side column is only as wide as its widest part)."""
        wanted = 2 * self.frameWidth() + self.indentation()
        for column in range(self.columnCount()):
            self.resizeColumnToContents(column)
            wanted += max(self.sizeHintForColumn(column), self.header().sectionSizeHint(column))
        self.setMinimumWidth(min(wanted, MAX_TREE_WIDTH))

    def _fit_height(self, count: int) -> None:
        """As tall as its rows (no empty box under two accounts), scrolling past a few."""
        rows = min(MAX_ROWS_SHOWN, max(1, count))
        row_h = max(self.sizeHintForRow(0), self.fontMetrics().height() + 4)
        header = self.header().sizeHint().height()
        self.setFixedHeight(header + rows * row_h + 2 * self.frameWidth() + 4)

    def _item(self, a: Account, c: Consent | None) -> QTreeWidgetItem:
        item = QTreeWidgetItem([account_label(a), STATUS_TEXT.get(a.status, a.status)])
        item.setData(0, Qt.ItemDataRole.UserRole, a.id)
        if a.status != "ok":
            item.setForeground(1, QColor(self.ctx.theme.danger))
            item.setToolTip(1, STATUS_HELP.get(a.status, a.status))
        self.show_consent(item, a, c)
        return item

    def show_consent(self, item: QTreeWidgetItem, a: Account, c: Consent | None) -> None:
        """A child's consent in its row; an owner (no consent) keeps the column empty."""
        if c is None:
            return
        item.setText(2, consent_label(c))
        item.setToolTip(2, f"{consent_help(c)}. {copies_text(a.child_names, c.copy_watch)}")
        if c.controlled_ms is None:
            item.setForeground(2, QColor(self.ctx.theme.danger))
        else:
            item.setData(2, Qt.ItemDataRole.ForegroundRole, None)

    def selected_id(self) -> int | None:
        items = self.selectedItems()
        return items[0].data(0, Qt.ItemDataRole.UserRole) if items else None

    def select(self, account_id: int) -> None:
        for item in self.items():
            if item.data(0, Qt.ItemDataRole.UserRole) == account_id:
                self.setCurrentItem(item)
                return

    def items(self) -> list[QTreeWidgetItem]:
        out: list[QTreeWidgetItem] = []
        for i in range(self.topLevelItemCount()):
            top = self.topLevelItem(i)
            assert top is not None  # i < topLevelItemCount()
            out.append(top)
            for j in range(top.childCount()):
                child = top.child(j)
                assert child is not None  # j < childCount()
                out.append(child)
        return out
