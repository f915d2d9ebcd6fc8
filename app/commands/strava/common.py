"""What the accounts, sync and strava commands share: the error table, output, the client."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.commands import EXIT_ERROR
from app.commands.common import CommandContext
from sync.errors import SyncError

if TYPE_CHECKING:
    from app.store.repo import Store

ENV_SECRET = "PULSEDECK_STRAVA_CLIENT_SECRET"


def err(message: str) -> None:
    """A warning or a per-item failure that does not end the command."""
    print(f"pulsedeck: {message}", file=sys.stderr)


#: Strava or the network failed: one line with the error's message, exit 1. No safe keyring
#: exits 2 through every command's table (exit_codes): app.secrets loads keyring and
#: cryptography (~10 MB), which a headless `record` never needs.
STRAVA_ERRORS: dict[type[BaseException], int] = {SyncError: EXIT_ERROR}


def with_sync(ctx: CommandContext, work: Callable[[Any, Store], Awaitable[int]]) -> int:
    """Run `work(sync, store)` with an HTTP client; SyncError exits 1 with its message."""
    import httpx

    from app.store.settings import Settings
    from sync.strava.config import stored_config
    from sync.strava.engine import StravaSync

    store = ctx.store
    config = stored_config(Settings(store))  # the endpoints the app and the worker use

    async def main() -> int:
        async with httpx.AsyncClient() as http:
            sync = StravaSync(store, http, config)
            return await work(sync, store)

    return asyncio.run(main())


def iso_utc(ms: int | None) -> str | None:
    """UTC ISO 8601 for JSON and status lines; no time (0 or None) gives None."""
    if not ms:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


def account_json(a: Any, store: Store | None = None) -> dict[str, Any]:
    """The stable JSON shape of a linked account (with a child's consent when `store`)."""
    data: dict[str, Any] = {
        "id": a.id,
        "provider": "strava",
        "remote_id": a.remote_id,
        "name": a.display_name,
        "role": a.role,
        "parent_id": a.parent_id,
        "child_names": list(a.child_names),
        "scopes": a.scopes,
        "status": a.status,
    }
    if store is not None and a.role == "child":
        from sync.strava.consent import consent

        c = consent(store, a.id)
        data["controlled_since"] = iso_utc(c.controlled_ms)
        data["copy_watch"] = c.copy_watch
    return data


def consent_text(data: dict[str, Any]) -> str:
    """A child account's consent for a list line; empty for an owner."""
    if "copy_watch" not in data:
        return ""
    since = data["controlled_since"]
    controlled = f"controlled since {since[:10]}" if since else "control NOT CONFIRMED"
    return f"  [{controlled}; watch copies {'on' if data['copy_watch'] else 'off'}]"


STATUS_TEXT = {
    "ok": "ok",
    "needs_reauth": "NEEDS RE-AUTHORIZATION (run `pulsedeck accounts link strava ...`)",
    "inactive": "APPLICATION INACTIVE (check https://www.strava.com/settings/api)",
}
