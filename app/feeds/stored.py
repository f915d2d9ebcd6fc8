"""Stored feeds: URL and format in SQLite, the token in the OS keyring (never in SQLite)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.secrets import delete_secret, get_secret, set_secret
from app.store import models as m
from app.store.repo import Store
from device.feeds.client import FeedEndpoint
from device.feeds.formats import FORMATS

from .urls import FeedConfigError, check_url


class FeedNotFound(LookupError):
    """No stored feed has that name."""


@dataclass(frozen=True, slots=True)
class FeedInfo:
    id: int
    name: str
    protocol: str
    url: str
    athlete_id: int | None
    enabled: bool
    has_token: bool


def _keyring_key(name: str) -> str:
    return f"feed:{name}"


def add_feed(
    store: Store, name: str, url: str, protocol: str, token: str, athlete_id: int | None = None
) -> FeedInfo:
    """Create or update a stored feed; the token goes to the OS keyring only."""
    check_url(url)
    if protocol not in FORMATS:
        raise FeedConfigError(f"unknown format {protocol!r}; choose from {', '.join(FORMATS)}")
    if not token:
        raise FeedConfigError("a feed needs a token")
    key = _keyring_key(name)
    set_secret(key, token)
    with store.orm() as s, s.begin():
        row = s.scalar(select(m.Feed).where(m.Feed.name == name))
        if row is None:
            row = m.Feed(name=name, protocol=protocol, url=url)
            s.add(row)
        row.protocol, row.url, row.athlete_id, row.keyring_key = protocol, url, athlete_id, key
        row.enabled = True
        s.flush()
        return FeedInfo(row.id, name, protocol, url, athlete_id, True, True)


def list_feeds(store: Store) -> list[FeedInfo]:
    with store.orm() as s:
        rows = s.scalars(select(m.Feed).order_by(m.Feed.name)).all()
        return [
            FeedInfo(r.id, r.name, r.protocol, r.url, r.athlete_id, r.enabled, bool(r.keyring_key))
            for r in rows
        ]


def remove_feed(store: Store, name: str) -> bool:
    """Forget a feed and its keyring token; False if there was none."""
    with store.orm() as s, s.begin():
        row = s.scalar(select(m.Feed).where(m.Feed.name == name))
        if row is None:
            return False
        key = row.keyring_key
        s.delete(row)
    if key:
        delete_secret(key)
    return True


def stored_endpoint(store: Store, name: str, remote_id: str | None = None) -> FeedEndpoint:
    """The endpoint of a stored feed with its token from the keyring."""
    with store.orm() as s:
        row = s.scalar(select(m.Feed).where(m.Feed.name == name))
        if row is None:
            raise FeedNotFound(f"no feed named {name!r}")
        url, protocol, key = row.url, row.protocol, row.keyring_key
    token = get_secret(key) if key else None
    if not token:
        raise FeedConfigError(f"feed {name!r} has no token in the keyring; add it again")
    return FeedEndpoint(url, token, protocol, remote_id)


def stored_athlete(store: Store, name: str) -> str | None:
    """The local athlete a stored single-athlete feed records into, if one was set."""
    with store.orm() as s:
        row = s.scalar(
            select(m.Athlete.name)
            .join(m.Feed, m.Feed.athlete_id == m.Athlete.id)
            .where(m.Feed.name == name)
        )
    return row
