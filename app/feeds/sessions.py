"""Open feed sessions: each remote athlete's local athlete, feed device and `recording` session."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session as OrmSession

from app.store import models as m
from app.store.repo import STATUS_RECORDING, Store, now_ms
from device.feeds.protocol import RemoteAthlete

from .cursors import device_prefix


@dataclass(frozen=True, slots=True)
class Remote:
    """What is known of one remote athlete when its session opens."""

    key: str
    info: RemoteAthlete | None
    #: The local athlete's name when it is looked up by name (or created).
    local_name: str
    #: The local athlete an earlier run mapped it to; None when a name was given.
    known_athlete_id: int | None

    @property
    def display(self) -> str:
        return display_name(self.key, self.info)


@dataclass(frozen=True, slots=True)
class OpenedSession:
    athlete_id: int
    athlete_name: str
    device_id: int
    session_id: int


def display_name(key: str, info: RemoteAthlete | None) -> str:
    """The remote athlete's own name when the feed gave one, else its key."""
    return info.name if info is not None and info.name else key


def apply_profile(store: Store, athlete_id: int, info: RemoteAthlete) -> None:
    """Copy the profile fields the feed sent (height, weight) to the local athlete."""
    fields = {
        k: v
        for k, v in (("height_cm", info.height_cm), ("weight_kg", info.weight_kg))
        if v is not None
    }
    if fields:
        store.update_profile(athlete_id, **fields)


def _athlete_row(s: OrmSession, remote: Remote) -> m.Athlete:
    """The local athlete of `remote`: as mapped before, as named, or created."""
    if remote.known_athlete_id is not None:
        row = s.get(m.Athlete, remote.known_athlete_id)
        if row is not None:
            return row
    row = s.scalar(select(m.Athlete).where(m.Athlete.name == remote.local_name))
    if row is None:
        row = m.Athlete(name=remote.local_name, is_self=False, read_only=False, created_ms=now_ms())
        s.add(row)
    if remote.info is not None:
        if remote.info.height_cm is not None:
            row.height_cm = remote.info.height_cm
        if remote.info.weight_kg is not None:
            row.weight_kg = remote.info.weight_kg
    return row


def open_sessions(
    store: Store,
    remotes: Sequence[Remote],
    *,
    source: str,
    label: str,
    protocol: str,
    sport: str,
    started_ms: int,
) -> list[OpenedSession]:
    """Athlete, feed device and `recording` session per remote athlete, in one transaction."""
    out: list[OpenedSession] = []
    prefix = device_prefix(source)
    with store.orm() as s, s.begin():
        for remote in remotes:
            athlete = _athlete_row(s, remote)
            s.flush()
            address = f"{prefix}{remote.key}"[:64]
            device = s.scalar(
                select(m.Device).where(
                    m.Device.athlete_id == athlete.id, m.Device.address == address
                )
            )
            if device is None:
                device = m.Device(athlete_id=athlete.id, address=address, kind="feed")
                s.add(device)
            device.name = remote.display
            device.info = {"feed": source, "protocol": protocol, "remote_athlete": remote.key}
            device.last_seen_ms = started_ms
            session = m.Session(
                uid=str(uuid.uuid4()),
                athlete_id=athlete.id,
                sport=sport,
                source="feed",
                status=STATUS_RECORDING,
                started_ms=started_ms,
                title=f"{remote.display} via {label}"[:200],
            )
            s.add(session)
            s.flush()
            out.append(OpenedSession(athlete.id, athlete.name, device.id, session.id))
    return out
