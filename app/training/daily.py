"""Daily summaries from the store, cached per day and revalidated against the sessions table.

A cached day is reused while the sessions touching it are unchanged (same ids and revisions:
`sessions.rev` changes on every write to a session, its samples or its pauses); anything else
recomputes just the affected days. Days touched by a session still recording are never
cached. The cache lives in memory (one DailyService per process) and in the database
(app.training.day_cache), so a new process, the CLI and the roster reuse the days too.
A day that must be computed again reads each session's stored pieces (app.training.track_store,
valid for the same revision) and reads samples only for sessions without them.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from sqlalchemy import select

from app.domain.calendar import day_bounds, days_between
from app.domain.days import DaySummary, summarize_days
from app.domain.pieces import Track
from app.domain.profile import Profile, Sex
from app.domain.readiness import READINESS_SPORT
from app.domain.zones import Zones
from app.store import models as m
from app.store.repo import Store
from app.store.settings import CUSTOM_ZONES

from . import day_cache
from .calendar import resolve_zone
from .tracks import META_COLUMNS, SessionMeta, is_finished, load_track, open_end, session_pauses
from .zones import athlete_zones

log = logging.getLogger(__name__)

#: Session tracks kept for incremental updates (a few thousand pieces each).
TRACK_CACHE = 64

_SESSIONS_SQL = (
    f"SELECT {META_COLUMNS} FROM sessions WHERE athlete_id = ? AND deleted_ms IS NULL "
    f"AND sport != '{READINESS_SPORT}' "  # a morning HRV reading at rest is not activity
    "AND started_ms < ? AND (ended_ms IS NULL OR ended_ms >= ?) ORDER BY started_ms, id"
)


@dataclass(frozen=True, slots=True)
class AthleteContext:
    """Everything the day maths needs about one athlete."""

    id: int
    name: str
    tz_name: str | None
    tz: tzinfo
    profile: Profile
    zone_model: str
    zones: Zones

    @property
    def key(self) -> tuple[object, ...]:
        """Changes whenever a cached day could change meaning (profile, zone, time zone)."""
        return (self.tz_name, self.profile, self.zone_model, self.zones)


class UnknownAthlete(LookupError):
    """No athlete with that id or name."""


_CONTEXT_SQL = (
    "SELECT id, name, timezone, birth_year, sex, weight_kg, resting_hr, max_hr, zone_model, "
    "(SELECT value FROM settings WHERE key = ?) FROM athletes WHERE id = ?"
)


def load_context(store: Store, athlete_id: int) -> AthleteContext:
    """The athlete's profile, zone model (custom bounds from settings) and time zone."""
    key = CUSTOM_ZONES.storage_key(athlete_id)
    with store.engine.connect() as conn:
        row = conn.exec_driver_sql(_CONTEXT_SQL, (key, athlete_id)).first()
    if row is None:
        raise UnknownAthlete(f"no athlete {athlete_id}")
    aid, name, tz_name, birth_year, sex, weight, resting, max_hr, model, floors_json = row
    profile = Profile(
        birth_year=birth_year,
        sex=Sex(sex) if sex else None,
        weight_kg=weight,
        resting_hr=resting,
        max_hr=max_hr,
    )
    zones, problem = athlete_zones(profile, model, floors_json, datetime.now(UTC).year)
    if problem:
        log.warning("athlete %s: %s", aid, problem)
    return AthleteContext(aid, name, tz_name, resolve_zone(tz_name), profile, model, zones)


def set_zone_model(
    store: Store, athlete_id: int, model: str, floors: Sequence[float] | None = None
) -> None:
    """Choose the athlete's zone model; `custom` needs five increasing floors in bpm."""
    from .zones import ZoneModel, custom

    model = ZoneModel(model)
    if model is ZoneModel.CUSTOM:
        if floors is None:
            raise ValueError("custom zones need five lower bounds in bpm")
        custom(floors)
    key = CUSTOM_ZONES.storage_key(athlete_id)
    with store.orm() as s, s.begin():
        a = s.get(m.Athlete, athlete_id)
        if a is None:
            raise UnknownAthlete(f"no athlete {athlete_id}")
        a.zone_model = model.value
        if floors is not None:
            value = CUSTOM_ZONES.check([float(f) for f in floors])
            row = s.get(m.Setting, key)  # with the athlete's row, in one transaction
            if row is None:
                s.add(m.Setting(key=key, value=value))
            else:
                row.value = value


def find_athlete(store: Store, name: str | None) -> int:
    """The id of the athlete called `name`, or of the self athlete when name is None."""
    if name is None:
        return store.default_athlete().id
    with store.orm() as s:
        found = s.scalar(select(m.Athlete.id).where(m.Athlete.name == name))
    if found is None:
        raise UnknownAthlete(f"no athlete named {name!r}")
    return found


@dataclass
class _AthleteCache:
    key: tuple[object, ...]
    context: str  # day_cache.context_digest(key): the stored days' context
    days: dict[date, tuple[str, DaySummary]] = field(default_factory=dict)


class DailyService:
    """Daily summaries for any athlete and date range; one instance per process is enough."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._cache: dict[int, _AthleteCache] = {}
        # Tracks of sessions on days recomputed one at a time (today, while sessions come in),
        # so a new session does not reload the day's earlier ones. Keyed by the stamp.
        self._tracks: OrderedDict[tuple[int, tuple[int, int]], Track | None] = OrderedDict()
        self.recomputed_days = 0  # for tests and the benchmark: days computed, not reused
        self.computed_tracks = 0  # sessions whose samples were read (no valid stored track)
        self.corrupt_tracks = 0  # stored tracks that did not decode (computed again)

    def _metas(self, athlete_id: int, start_ms: int, end_ms: int) -> list[SessionMeta]:
        raw = self.store.engine.raw_connection()
        try:
            cur = raw.cursor()
            rows = cur.execute(_SESSIONS_SQL, (athlete_id, end_ms, start_ms)).fetchall()
            cur.close()
        finally:
            raw.close()
        return [SessionMeta(*r) for r in rows]

    def _compute(
        self, ctx: AthleteContext, days: list[date], metas: Sequence[SessionMeta], recent_ms: int
    ) -> list[DaySummary]:
        """Summaries of consecutive `days`; tracks of sessions since `recent_ms` are kept."""
        start, _ = day_bounds(days[0], ctx.tz)
        _, end = day_bounds(days[-1], ctx.tz)
        needed = [mt for mt in metas if mt.touches(start, end)]
        missing = [mt for mt in needed if (mt.id, mt.stamp) not in self._tracks]
        loaded = self._load_tracks(missing)
        for mt in missing:
            if mt.ended_ms is not None and mt.started_ms >= recent_ms:  # the latest sessions
                self._tracks[(mt.id, mt.stamp)] = loaded[mt.id]
                while len(self._tracks) > TRACK_CACHE:
                    self._tracks.popitem(last=False)
        chosen = []
        for mt in needed:
            track = loaded[mt.id] if mt.id in loaded else self._tracks[(mt.id, mt.stamp)]
            if track is not None:
                chosen.append(track)
        self.recomputed_days += len(days)
        return summarize_days(chosen, days, ctx.tz, ctx.profile, ctx.zones)

    def _load_tracks(self, metas: Sequence[SessionMeta]) -> dict[int, Track | None]:
        """The sessions' tracks: stored ones (session_tracks) when valid, else from samples.

        Tracks computed here are stored for the next time, except those of sessions still
        recording (samples come in without changing `rev`).
        """
        from . import track_store  # numpy: loaded when days are computed, not at start-up

        finished = [mt for mt in metas if is_finished(mt)]
        stored, corrupt = track_store.load(self.store, [mt.stamp for mt in finished])
        self.corrupt_tracks += corrupt
        pauses = session_pauses(self.store, [mt.id for mt in metas if mt.id not in stored])
        out: dict[int, Track | None] = {}
        fresh: list[tuple[int, Track]] = []
        for mt in metas:
            got = stored.get(mt.id)
            if got is not None and mt.ended_ms is not None:
                out[mt.id] = Track(
                    mt.id, mt.source, mt.sport, mt.started_ms, mt.ended_ms, got.pieces, got.peak_hr
                )
                continue
            out[mt.id] = track = load_track(self.store, mt, pauses.get(mt.id, ()))
            self.computed_tracks += 1
            if track is not None and is_finished(mt):
                fresh.append((mt.rev, track))
        track_store.save(self.store, fresh)
        return out

    def days(
        self,
        athlete_id: int,
        first: date,
        last: date,
        *,
        exclude_session: int | None = None,
    ) -> list[DaySummary]:
        """One summary per local day from `first` to `last` inclusive.

        `exclude_session` leaves one session out (the stored part of a live session).
        """
        ctx = load_context(self.store, athlete_id)
        days = days_between(first, last)
        if not days:
            return []
        start, _ = day_bounds(first, ctx.tz)
        _, end = day_bounds(last, ctx.tz)
        metas = self._metas(athlete_id, start, end)
        if exclude_session is not None:
            # Cache entries are keyed by the sessions they include, so this stays coherent.
            metas = [mt for mt in metas if mt.id != exclude_session]

        cache = self._cache.get(athlete_id)
        if cache is None or cache.key != ctx.key:
            cache = self._cache[athlete_id] = _AthleteCache(
                ctx.key, day_cache.context_digest(ctx.key)
            )
        stamps = self._stamps(ctx, days, metas)
        result: dict[date, DaySummary] = {}
        todo: list[date] = []
        for d in days:
            stamp, live = stamps[d]
            hit = cache.days.get(d)
            if hit is not None and hit[0] == stamp and not live:
                result[d] = hit[1]
            else:
                todo.append(d)
        if todo:  # then the days stored by an earlier process (or another service)
            wanted = {d: stamps[d][0] for d in todo if not stamps[d][1]}
            stored = day_cache.load(self.store, athlete_id, cache.context, wanted)
            for d, summary in stored.items():
                result[d] = summary
                cache.days[d] = (wanted[d], summary)
            todo = [d for d in todo if d not in stored]
        fresh: list[tuple[DaySummary, str]] = []
        # New sessions usually land beside the latest ones: keep those tracks for next time.
        recent_ms = max((mt.started_ms for mt in metas), default=0) - 2 * 86_400_000
        for run in _runs(todo):
            # a month at a time keeps memory flat on a full recompute of years
            for summary in self._compute(ctx, run, metas, recent_ms):
                result[summary.day] = summary
                stamp, live = stamps[summary.day]
                if live:
                    cache.days.pop(summary.day, None)
                else:
                    cache.days[summary.day] = (stamp, summary)
                    fresh.append((summary, stamp))
        day_cache.save(self.store, athlete_id, cache.context, fresh)
        return [result[d] for d in days]

    def _stamps(
        self, ctx: AthleteContext, days: list[date], metas: Sequence[SessionMeta]
    ) -> dict[date, tuple[str, bool]]:
        """Per day: the stamps of the sessions touching it, and whether one is recording."""
        out: dict[date, tuple[str, bool]] = {}
        order = sorted(metas, key=lambda mt: mt.started_ms)
        lo = 0
        for d in days:
            start, end = day_bounds(d, ctx.tz)
            touching = []
            # Sessions are sorted by start; skip those that ended long before this day.
            while lo < len(order) and open_end(order[lo]) < start - 86_400_000 * 2:
                lo += 1
            for mt in order[lo:]:
                if mt.started_ms >= end:
                    break
                if mt.touches(start, end):
                    touching.append(mt)
            out[d] = (
                day_cache.stamp_text(mt.stamp for mt in touching),
                any(mt.ended_ms is None for mt in touching),
            )
        return out

    def day(self, athlete_id: int, day: date) -> DaySummary:
        return self.days(athlete_id, day, day)[0]


#: Longest run of days computed in one go (bounds the samples held in memory).
MAX_RUN_DAYS = 31


def _runs(days: list[date]) -> list[list[date]]:
    """Split sorted dates into runs of consecutive dates, at most MAX_RUN_DAYS long."""
    runs: list[list[date]] = []
    for d in days:
        if runs and runs[-1][-1] + timedelta(days=1) == d and len(runs[-1]) < MAX_RUN_DAYS:
            runs[-1].append(d)
        else:
            runs.append([d])
    return runs
