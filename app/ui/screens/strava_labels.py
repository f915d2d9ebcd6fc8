"""How the Strava panel's parts name an account and what a child receives, said once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.strava.consent import what_is_copied

if TYPE_CHECKING:  # the accounts module loads httpx: not on the GUI thread
    from sync.strava.accounts import Account

#: `sync.strava.accounts.OWNER` (a test checks they agree), copied so Settings loads no httpx.
OWNER = "owner"
#: The CLI's way to opt in, which what_is_copied names; here the box below says it.
CLI_OPT_IN = " (--copy-watch on)"


def account_label(a: Account) -> str:
    """Ada's own account, or a child with the names a title must contain."""
    who = a.display_name or f"Strava athlete {a.remote_id}"
    if a.role == OWNER:
        return f"{who} (you)"
    return f"{who}: {', '.join(a.child_names)}" if a.child_names else who


def copies_text(names: list[str] | tuple[str, ...], copy_watch: bool) -> str:
    """What a child account will receive (the CLI's sentence, without its flag)."""
    return what_is_copied(names, copy_watch).removesuffix(CLI_OPT_IN) + "."
