"""One person, one athlete id: the lake ids of this machine's athletes, for status and Settings.

The id is `athletes.remote_ref`: given at random on the first push (push.athlete_ref), or set
by the user so a desktop and an edge box push as one client (push.set_athlete_ref, what
`pulsedeck lake configure --athlete-id` and the Settings screen call).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.store import models as m
from app.store.repo import Store


@dataclass(frozen=True, slots=True)
class LakeIdentity:
    """One of this machine's athletes and its lake id (None until the first push or set)."""

    athlete_id: int
    name: str
    is_self: bool
    lake_id: str | None


def lake_identities(store: Store) -> list[LakeIdentity]:
    """This machine's own athletes (never pulled clients), yourself first."""
    with store.orm() as s:
        rows = s.scalars(
            select(m.Athlete)
            .where(m.Athlete.read_only.is_(False))
            .order_by(m.Athlete.is_self.desc(), m.Athlete.id)
        ).all()
        return [LakeIdentity(a.id, a.name, bool(a.is_self), a.remote_ref) for a in rows]


def lake_id(store: Store, athlete_id: int) -> str | None:
    """The athlete's lake id as shown in Settings and `lake status` (never creates one)."""
    with store.orm() as s:
        a = s.get(m.Athlete, athlete_id)
        return None if a is None else a.remote_ref
