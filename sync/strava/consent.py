"""What the user agreed to for a child account: that they control it, and which copies it gets.

A child account (a kid's, a dog's) receives copies of the owner's activities. Linking one
records that the user controls it (`STRAVA_CHILD_CONTROLLED_MS`, when they said so). Sessions
recorded by Pulsedeck whose title names the child are always copied: they are the user's own
data. Activities that reached the owner's Strava from elsewhere (a watch, the website) are
Strava data and are copied only to children that opted in (`STRAVA_COPY_WATCH`, off by default).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from app.store.repo import Store
from app.store.settings import (
    STRAVA_BACKFILL,
    STRAVA_CHILD_CONTROLLED_MS,
    STRAVA_COPY_WATCH,
    STRAVA_POLL_AFTER,
    Setting,
    Settings,
)


@dataclass(frozen=True, slots=True)
class Consent:
    """A child's consent flags as stored (None: the user never confirmed control)."""

    controlled_ms: int | None
    copy_watch: bool


def consent(store: Store, account_id: int) -> Consent:
    settings = Settings(store)
    watch: bool | None = settings.get(STRAVA_COPY_WATCH, account_id)
    return Consent(settings.get(STRAVA_CHILD_CONTROLLED_MS, account_id), bool(watch))


def record_control(store: Store, account_id: int, clock: Callable[[], float] = time.time) -> None:
    """The user confirmed they control this child account (kept with the moment they did)."""
    Settings(store).set(STRAVA_CHILD_CONTROLLED_MS, int(clock() * 1000), account_id)


def set_copy_watch(store: Store, account_id: int, on: bool) -> None:
    """Opt this child in (or out) of copies of activities from elsewhere."""
    Settings(store).set(STRAVA_COPY_WATCH, on, account_id)


def copies_watch(store: Store, account_id: int) -> bool:
    watch: bool | None = Settings(store).get(STRAVA_COPY_WATCH, account_id)
    return bool(watch)


def forget(store: Store, account_id: int) -> None:
    """Every per-account setting of an unlinked account (consent, cursors)."""
    settings = Settings(store)
    scoped: tuple[Setting[Any], ...] = (
        STRAVA_CHILD_CONTROLLED_MS,
        STRAVA_COPY_WATCH,
        STRAVA_BACKFILL,
        STRAVA_POLL_AFTER,
    )
    for setting in scoped:
        settings.set(setting, None, account_id)


def what_is_copied(names: Sequence[str], copy_watch: bool) -> str:
    """One sentence telling the user what this child account will receive."""
    who = " or ".join(repr(n) for n in names) or "the child"
    text = f"Pulsedeck will copy to this account the sessions you record whose title names {who}"
    if copy_watch:
        return (
            text + ", and activities reaching your Strava from elsewhere (a watch, the website) "
            "whose title names them"
        )
    return text + "; activities from elsewhere (a watch) only if you opt in (--copy-watch on)"
