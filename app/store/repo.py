"""Queries the rest of the app uses; results are dataclasses, never ORM objects or dicts."""

from __future__ import annotations

import itertools
import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Select, func, select, update
from sqlalchemy.orm import Session as OrmSession

from app.domain.profile import Profile, Sex, validate_profile
from app.domain.samples import CHANNELS, MAX_CLOCK_AHEAD_MS, SAMPLE_COLUMNS, Sample
from app.domain.summary import Pause, SessionSummary, summarize
from app.domain.validation import athlete_name, session_title
from app.domain.zones import Zones, athlete_zones

from . import models as m
from .db import is_read_only, open_database
from .settings import CUSTOM_ZONES, Settings

log = logging.getLogger(__name__)

STATUS_RECORDING = "recording"
STATUS_FINISHED = "finished"
STATUS_RECOVERED = "recovered"

#: The raw statements of the batched writer (also used by the feeds' group commit).
INSERT_SAMPLE_SQL = (
    f"INSERT INTO samples ({', '.join(SAMPLE_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in SAMPLE_COLUMNS)})"
)
INSERT_RR_SQL = "INSERT INTO rr_intervals (session_id, t_ms, rr_ms) VALUES (?, ?, ?)"


def now_ms() -> int:
    return int(time.time() * 1000)


#: The name the self athlete gets when it is created on first use.
SELF_NAME = "Me"


class AthleteNotFound(LookupError):
    """No athlete by that name (or no self yet) and the caller did not ask to create one."""


class ReadOnlyAthlete(PermissionError):
    """A write to an imported (read-only) client: pulled data is never changed locally."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is an imported client (read-only): nothing was changed")


@dataclass(frozen=True, slots=True)
class AthleteInfo:
    id: int
    name: str
    is_self: bool
    read_only: bool
    profile: Profile
    timezone: str | None


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """A session row with its athlete's name and the live count of sample rows."""

    id: int
    uid: str
    athlete_id: int
    athlete: str
    sport: str
    title: str | None
    source: str
    status: str
    started_ms: int
    ended_ms: int | None
    timezone: str | None
    samples: int
    duration_s: float | None
    moving_s: float | None
    avg_hr: float | None
    max_hr: int | None
    zone_s: tuple[float | None, ...]
    kcal: float | None
    kcal_method: str | None
    trimp: float | None
    avg_cadence: float | None
    max_cadence: float | None
    avg_power: float | None
    avg_speed: float | None
    distance_m: float | None
    steps: int | None
    rr_count: int | None
    rmssd_ms: float | None
    max_power: float | None = None
    max_speed: float | None = None
    notes: str | None = None


def _profile(a: m.Athlete) -> Profile:
    return Profile(
        birth_year=a.birth_year,
        sex=Sex(a.sex) if a.sex else None,
        weight_kg=a.weight_kg,
        resting_hr=a.resting_hr,
        max_hr=a.max_hr,
    )


def _year(t_ms: int) -> int:
    return datetime.fromtimestamp(t_ms / 1000, UTC).year


def _suffixes() -> Iterator[str]:
    """'', ' 2', ' 3'...: suffixes that make a new self athlete's name unique."""
    yield ""
    yield from (f" {n}" for n in itertools.count(2))


def _athlete_info(a: m.Athlete) -> AthleteInfo:
    return AthleteInfo(a.id, a.name, a.is_self, a.read_only, _profile(a), a.timezone)


class Store:
    """The local database; thread-safe (one pooled connection per thread)."""

    def __init__(self, engine: Engine, path: Path | None = None) -> None:
        self.engine = engine
        self.path = path

    @classmethod
    def open(cls, data_dir: Path) -> Store:
        """Open (and migrate) `pulsedeck.db` in `data_dir`."""
        engine, path = open_database(data_dir)
        return cls(engine, path)

    @property
    def read_only(self) -> bool:
        """Opened from a folder this process cannot write: reads work, writes fail (exit 3)."""
        return is_read_only(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def orm(self) -> OrmSession:
        """A short-lived ORM session for modules that need richer queries."""
        return OrmSession(self.engine, expire_on_commit=False)

    # Athletes -----------------------------------------------------------------------------

    def ensure_athlete(self, name: str, *, is_self: bool = False) -> AthleteInfo:
        """The athlete called `name`, created if missing; a blank name or one with control
        characters raises validation.InvalidInput."""
        name = athlete_name(name)
        with self.orm() as s, s.begin():
            a = s.scalar(select(m.Athlete).where(m.Athlete.name == name))
            if a is None:
                a = m.Athlete(name=name, is_self=is_self, read_only=False, created_ms=now_ms())
                s.add(a)
                s.flush()
            return _athlete_info(a)

    def default_athlete(self) -> AthleteInfo:
        """The self athlete (the `is_self` flag), created on first use.

        It is called "Me" unless a client already has that name (a coach who pulled a client
        called "Me"): then "Me (this device)", so the coach's own sessions never land in it.
        """
        with self.orm() as s, s.begin():
            a = s.scalar(select(m.Athlete).where(m.Athlete.is_self).order_by(m.Athlete.id))
            if a is None:
                taken = set(s.scalars(select(m.Athlete.name)))
                candidates = itertools.chain(
                    (SELF_NAME,), (f"{SELF_NAME} (this device{n})" for n in _suffixes())
                )  # lazy: _suffixes() never ends
                name = next(c for c in candidates if c not in taken)
                a = m.Athlete(name=name, is_self=True, read_only=False, created_ms=now_ms())
                s.add(a)
                s.flush()
            return _athlete_info(a)

    def self_athlete(self) -> AthleteInfo | None:
        """The self athlete if there is one; never writes."""
        with self.orm() as s:
            a = s.scalar(select(m.Athlete).where(m.Athlete.is_self).order_by(m.Athlete.id))
            return None if a is None else _athlete_info(a)

    def athlete_named(self, name: str) -> AthleteInfo | None:
        """The athlete called `name`, if any; never writes."""
        with self.orm() as s:
            a = s.scalar(select(m.Athlete).where(m.Athlete.name == name))
            return None if a is None else _athlete_info(a)

    def athlete(self, athlete_id: int) -> AthleteInfo | None:
        with self.orm() as s:
            a = s.get(m.Athlete, athlete_id)
            return None if a is None else _athlete_info(a)

    def list_athletes(self) -> list[AthleteInfo]:
        with self.orm() as s:
            return [_athlete_info(a) for a in s.scalars(select(m.Athlete).order_by(m.Athlete.id))]

    def update_profile(self, athlete_id: int, **fields: object) -> AthleteInfo:
        """Set profile columns (birth_year, sex, weight_kg, resting_hr, max_hr, units...).

        Profile values are checked against each other and the stored ones first
        (app.domain.profile.validate_profile: ProfileError, nothing written).
        """
        allowed = {c.name for c in m.Athlete.__table__.columns} - {"id", "created_ms"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown profile fields: {sorted(unknown)}")
        with self.orm() as s, s.begin():
            a = s.get(m.Athlete, athlete_id)
            if a is None:
                raise LookupError(f"no athlete {athlete_id}")
            if a.read_only:
                raise ReadOnlyAthlete(a.name)
            fields = validate_profile(_profile(a), fields, year=datetime.now(UTC).year)
            if "name" in fields:
                fields["name"] = athlete_name(fields["name"])
            for key, value in fields.items():
                setattr(a, key, value)
            return _athlete_info(a)

    # Sessions -----------------------------------------------------------------------------

    def create_session(
        self,
        athlete_id: int,
        *,
        sport: str,
        source: str,
        started_ms: int,
        title: str | None = None,
        timezone: str | None = None,
    ) -> int:
        """Insert a session in `recording` state and commit it before any sample arrives.

        The session's time zone defaults to the athlete's (local days, ISO offsets). The title
        is checked first (validation.InvalidInput: control characters, too long); blank is None.
        """
        title = session_title(title)
        with self.orm() as s, s.begin():
            if timezone is None:
                timezone = s.scalar(select(m.Athlete.timezone).where(m.Athlete.id == athlete_id))
            row = m.Session(
                uid=str(uuid.uuid4()),
                athlete_id=athlete_id,
                sport=sport,
                source=source,
                status=STATUS_RECORDING,
                started_ms=started_ms,
                title=title,
                timezone=timezone,
            )
            s.add(row)
            s.flush()
            return row.id

    def insert_samples(
        self,
        session_id: int,
        samples: Sequence[Sample],
        device_ids: Mapping[str, int] | None = None,
    ) -> None:
        """Write one batch (samples and their RR intervals) in a single transaction.

        `device_ids` maps a sample's `source` to its `devices.id` (None when unknown).
        """
        ids = device_ids or {}
        rows = [smp.row(session_id, ids.get(smp.source or "")) for smp in samples]
        rr_rows = [(session_id, smp.t_ms, rr) for smp in samples for rr in smp.rr]
        with self.engine.begin() as conn:
            conn.exec_driver_sql(INSERT_SAMPLE_SQL, rows)
            if rr_rows:
                conn.exec_driver_sql(INSERT_RR_SQL, rr_rows)

    def add_marker(self, session_id: int, kind: str, t_ms: int, label: str | None = None) -> None:
        with self.orm() as s, s.begin():
            s.add(m.Marker(session_id=session_id, kind=kind, t_ms=t_ms, label=label))

    def load_samples(self, session_id: int) -> list[Sample]:
        """All samples of a session in time order (RR intervals not attached)."""
        cols = ", ".join(("t_ms", *CHANNELS, "received_ms"))
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                f"SELECT {cols} FROM samples WHERE session_id = ? ORDER BY t_ms, id",
                (session_id,),
            ).all()
        # Positional: a keyword dict per row was a third of a long session's load time.
        return [
            Sample(t, hr, cad, speed, power, dist, lat, lon, alt, steps, met, received_ms=rec,
                   temperature=temp)
            for t, hr, cad, speed, power, dist, lat, lon, alt, steps, met, temp, rec in rows
        ]  # fmt: skip

    def load_rr(self, session_id: int) -> list[float]:
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT rr_ms FROM rr_intervals WHERE session_id = ? ORDER BY t_ms, id",
                (session_id,),
            ).all()
        return [r[0] for r in rows]

    def load_markers(self, session_id: int) -> list[tuple[str, int, str | None]]:
        with self.orm() as s:
            rows = s.execute(
                select(m.Marker.kind, m.Marker.t_ms, m.Marker.label)
                .where(m.Marker.session_id == session_id)
                .order_by(m.Marker.t_ms, m.Marker.id)
            ).all()
        return [(k, t, label) for k, t, label in rows]

    def load_pauses(self, session_id: int) -> list[Pause]:
        """Pause spans rebuilt from pause/resume markers."""
        pauses: list[Pause] = []
        start: int | None = None
        for kind, t_ms, _ in self.load_markers(session_id):
            if kind == "pause" and start is None:
                start = t_ms
            elif kind == "resume" and start is not None:
                pauses.append(Pause(start, t_ms))
                start = None
        if start is not None:
            pauses.append(Pause(start, None))
        return pauses

    def athlete_zones(self, athlete_id: int, year: int) -> Zones:
        """The athlete's zones under their zone model (custom bounds live in settings)."""
        floors = Settings(self).get(CUSTOM_ZONES, owner=athlete_id)
        with self.orm() as s:
            a = s.get(m.Athlete, athlete_id)
            if a is None:
                raise LookupError(f"no athlete {athlete_id}")
            zones, problem = athlete_zones(_profile(a), a.zone_model, floors, year)
        if problem:
            log.warning("athlete %s: %s", athlete_id, problem)
        return zones

    def finish_session(
        self,
        session_id: int,
        ended_ms: int,
        status: str = STATUS_FINISHED,
        *,
        committed: tuple[Sequence[Sample], Sequence[float]] | None = None,
    ) -> SessionSummary:
        """Compute the summary from what is committed and store it with the final status.

        `committed`: (samples, RR intervals) exactly as just committed, in `load_samples` /
        `load_rr` order, by a caller that still holds them (an import): the same summary
        without reading them back.
        """
        with self.orm() as s:
            row = s.get(m.Session, session_id)
            if row is None:
                raise LookupError(f"no session {session_id}")
            athlete = s.get(m.Athlete, row.athlete_id)
            assert athlete is not None
            profile, started, sport = _profile(athlete), row.started_ms, row.sport
        if committed is None:
            committed = (self.load_samples(session_id), self.load_rr(session_id))
        summary = summarize(
            committed[0],
            started_ms=started,
            ended_ms=max(ended_ms, started),
            profile=profile,
            sport=sport,
            pauses=self.load_pauses(session_id),
            rr_ms=committed[1],
            zones=self.athlete_zones(row.athlete_id, _year(started)),
        )
        values = {
            "status": status,
            "ended_ms": max(ended_ms, started),
            "duration_s": summary.duration_s,
            "moving_s": summary.moving_s,
            "sample_count": summary.sample_count,
            "avg_hr": summary.avg_hr,
            "max_hr": summary.max_hr,
            "kcal": summary.kcal,
            "kcal_method": summary.kcal_method,
            "trimp": summary.trimp,
            "avg_cadence": summary.avg_cadence,
            "max_cadence": summary.max_cadence,
            "avg_power": summary.avg_power,
            "max_power": summary.max_power,
            "avg_speed": summary.avg_speed,
            "max_speed": summary.max_speed,
            "distance_m": summary.distance_m,
            "steps": summary.steps,
            "rr_count": summary.rr_count,
            "rmssd_ms": summary.rmssd_ms,
        }
        for i, seconds in enumerate(summary.zone_s, start=1):
            values[f"zone{i}_s"] = seconds
        with self.engine.begin() as conn:
            conn.execute(update(m.Session).where(m.Session.id == session_id).values(**values))
        return summary

    def set_deleted(self, session_id: int, deleted_ms: int | None) -> None:
        """Soft-delete a session (hidden from lists, kept for undo) or, with None, restore it."""
        with self.engine.begin() as conn:
            conn.execute(
                update(m.Session).where(m.Session.id == session_id).values(deleted_ms=deleted_ms)
            )

    def recover_sessions(self) -> list[int]:
        """Close sessions left `recording` by a crash as `recovered`, keeping every sample.

        Only call this while holding the instance lock: otherwise another live process's
        session would be closed under it.
        """
        with self.orm() as s:
            open_ids = list(
                s.scalars(select(m.Session.id).where(m.Session.status == STATUS_RECORDING))
            )
        # A sample dated in the future (a device clock far ahead) must not stretch the
        # session to that date: the end is the newest plausible sample.
        plausible_ms = now_ms() + MAX_CLOCK_AHEAD_MS
        recovered = []
        for session_id in open_ids:
            if self.drop_if_empty(session_id):
                log.info("session %s held no data when it was left open: removed", session_id)
                continue
            with self.engine.connect() as conn:
                last = conn.exec_driver_sql(
                    "SELECT max(t_ms) FROM samples WHERE session_id = ? AND t_ms <= ?",
                    (session_id, plausible_ms),
                ).scalar()
                started = conn.exec_driver_sql(
                    "SELECT started_ms FROM sessions WHERE id = ?", (session_id,)
                ).scalar()
            end = int(last if last is not None else started or 0)
            self.finish_session(session_id, end, STATUS_RECOVERED)
            recovered.append(session_id)
        return recovered

    def drop_if_empty(self, session_id: int) -> bool:
        """Delete a session with no sample and no set: a start that never recorded anything."""
        with self.engine.begin() as conn:
            used = conn.exec_driver_sql(
                "SELECT EXISTS (SELECT 1 FROM samples WHERE session_id = :id)"
                " OR EXISTS (SELECT 1 FROM exercise_sets WHERE session_id = :id)",
                {"id": session_id},
            ).scalar()
            if used:
                return False
            conn.exec_driver_sql("DELETE FROM sessions WHERE id = ?", (session_id,))
        return True

    def _session_query(self) -> Select[m.Session, str, Any]:
        counts = (
            select(m.SampleRow.session_id, func.count().label("n"))
            .group_by(m.SampleRow.session_id)
            .subquery()
        )
        return (
            select(m.Session, m.Athlete.name, func.coalesce(counts.c.n, 0))
            .join(m.Athlete, m.Athlete.id == m.Session.athlete_id)
            .outerjoin(counts, counts.c.session_id == m.Session.id)
            .where(m.Session.deleted_ms.is_(None))
        )

    @staticmethod
    def _info(row: m.Session, athlete: str, n: int) -> SessionInfo:
        return SessionInfo(
            id=row.id,
            uid=row.uid,
            athlete_id=row.athlete_id,
            athlete=athlete,
            sport=row.sport,
            title=row.title,
            source=row.source,
            status=row.status,
            started_ms=row.started_ms,
            ended_ms=row.ended_ms,
            timezone=row.timezone,
            samples=n,
            duration_s=row.duration_s,
            moving_s=row.moving_s,
            avg_hr=row.avg_hr,
            max_hr=row.max_hr,
            zone_s=(row.zone1_s, row.zone2_s, row.zone3_s, row.zone4_s, row.zone5_s),
            kcal=row.kcal,
            kcal_method=row.kcal_method,
            trimp=row.trimp,
            avg_cadence=row.avg_cadence,
            max_cadence=row.max_cadence,
            avg_power=row.avg_power,
            max_power=row.max_power,
            avg_speed=row.avg_speed,
            max_speed=row.max_speed,
            distance_m=row.distance_m,
            steps=row.steps,
            rr_count=row.rr_count,
            rmssd_ms=row.rmssd_ms,
            notes=row.notes,
        )

    def list_sessions(self, athlete_id: int | None = None) -> list[SessionInfo]:
        """Sessions newest first, optionally for one athlete; soft-deleted ones hidden."""
        q = self._session_query().order_by(m.Session.started_ms.desc(), m.Session.id.desc())
        if athlete_id is not None:
            q = q.where(m.Session.athlete_id == athlete_id)
        with self.orm() as s:
            return [self._info(r[0], r[1], r[2]) for r in s.execute(q).all()]

    def get_session(self, session_id: int) -> SessionInfo | None:
        with self.orm() as s:
            r = s.execute(self._session_query().where(m.Session.id == session_id)).first()
            return None if r is None else self._info(r[0], r[1], r[2])


def resolve_athlete(
    store: Store, name: str | None, *, create: bool = False, write: bool = False
) -> AthleteInfo:
    """The athlete a command means, so the GUI and the CLI look athletes up the same way.

    The self athlete is the one with the `is_self` flag, whatever its name: a pulled client
    called "Me" is never mistaken for it.

    Args:
        store: the open store.
        name: the athlete's exact name; None means the self athlete.
        create: create a missing athlete (a missing self is created as "Me", or "Me (this
            device)" when a client has that name); without it nothing is ever written and a
            missing athlete raises AthleteNotFound.
        write: the caller is going to write for this athlete: a read-only (imported) client
            raises ReadOnlyAthlete.
    """
    if name is None:
        found = store.self_athlete()
        if found is None and not create:
            raise AthleteNotFound(
                "no athlete yet for yourself: `pulsedeck athlete set` or a recording creates it"
            )
        return found or store.default_athlete()
    name = athlete_name(name)  # blank or control characters: InvalidInput, exit 2
    found = store.athlete_named(name)
    if found is None:
        if not create:
            raise AthleteNotFound(f"no athlete named {name!r}")
        # "Me" is the self athlete's name: created by name, it is the self if none exists yet.
        found = store.ensure_athlete(
            name, is_self=name == SELF_NAME and store.self_athlete() is None
        )
    if write and found.read_only:
        raise ReadOnlyAthlete(found.name)
    return found
