"""The question before unlinking a Strava account and the line that says what was done."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QCheckBox, QMessageBox, QWidget

from .strava_labels import account_label

if TYPE_CHECKING:  # the engine and accounts modules load httpx: not on the GUI thread
    from app.services.strava import UnlinkPlan, UnlinkResult
    from sync.strava.accounts import Account


def ask_unlink(parent: QWidget, account: Account, plan: UnlinkPlan) -> tuple[bool, bool]:
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
                      parent)  # fmt: skip
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
