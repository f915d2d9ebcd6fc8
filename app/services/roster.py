"""The coach's roster: one row per client, for `pulsedeck clients` and the Roster screen (no Qt).

Each figure comes from the function that owns it: load (acute 7-day vs chronic 28-day mean
TRIMP) from `app.training.load.athlete_load`, readiness from `ReadinessService.series`, goals
from `GoalEngine.progress`, the last pull or push from `sync.lake`. Only the roster's own
judgements live here: which ratio is flagged, which goal is on track, sorting and filtering.

`warm_after_pull` is the pull's last step (`lake pull` and the app's Pull, same function):
it stores the changed clients' figures, so the first roster and Trends after a pull read
days instead of computing them from millions of samples. The pull itself stored each pulled
session's pieces (sync.lake.pull), so computing these days reads no sample back either.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta, tzinfo
from typing import TYPE_CHECKING

from app.domain.calendar import local_date
from app.store.repo import now_ms

if TYPE_CHECKING:
    from app.domain.goals import GoalProgress
    from app.store.repo import Store
    from sync.lake.pull import PullReport
    from sync.progress import CancelCheck, Progress

#: This week's load over the 4-week average above this is flagged "high" (a fast ramp-up)...
RATIO_HIGH = 1.5
#: ... and below this "low" (detraining, or a client who stopped recording).
RATIO_LOW = 0.8
#: A readiness reading older than this many days is not shown as today's.
READINESS_MAX_AGE_DAYS = 3
#: Days a pull stores for a client's Trends: the screen's default range ("6 months",
#: app.ui.screens.trends), so the first open after a pull reads them instead of computing.
TREND_DAYS = 182

_ATHLETES_SQL = "SELECT id, name, read_only, remote_ref FROM athletes ORDER BY id"
_LAST_SQL = (
    "SELECT athlete_id, count(*), max(started_ms) FROM sessions "
    "WHERE deleted_ms IS NULL AND status != 'recording' GROUP BY athlete_id"
)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """One client as the roster shows it; None where there is nothing to show."""

    athlete_id: int
    name: str
    lake_id: str | None
    client: bool  # pulled from the lake (read-only), not one of this machine's athletes
    sessions: int
    last_session_ms: int | None
    days_since: int | None
    acute: float  # mean daily load over the last 7 days (TRIMP)
    chronic: float  # mean daily load over the last 28 days
    ratio: float | None  # acute / chronic
    load_flag: str | None  # "high" | "low" | None
    readiness_day: date | None
    rmssd_ms: float | None
    readiness_band: tuple[float, float] | None  # ln RMSSD normal band
    readiness_flag: str | None  # "low" | "high" | None (from the readiness series)
    resting_hr: float | None
    resting_hr_delta: float | None  # 7-day vs 60-day resting HR
    goals: int
    goals_on_track: int
    last_sync_ms: int | None  # clients: last pull; own athletes: last push to the lake


def load_flag(ratio: float | None) -> str | None:
    """'high' above RATIO_HIGH, 'low' below RATIO_LOW, else None."""
    if ratio is None:
        return None
    if ratio > RATIO_HIGH:
        return "high"
    if ratio < RATIO_LOW:
        return "low"
    return None


def on_track(progress: GoalProgress, today: date) -> bool:
    """Met, or at least as far along as the period is (half way through: half done)."""
    if progress.met:
        return True
    days = (progress.period_end - progress.period_start).days + 1
    elapsed = min(max((today - progress.period_start).days + 1, 0), days)
    return progress.fraction >= elapsed / days


class _Desk:
    """The services and lake times one pass over the clients shares (days computed once)."""

    def __init__(self, store: Store, clock: Callable[[], int]) -> None:
        from app.training.daily import DailyService
        from app.training.goals import GoalEngine
        from app.training.readiness import ReadinessService
        from sync.lake.pull import last_pulls
        from sync.lake.status import last_pushes

        self.store = store
        with store.engine.connect() as conn:
            self.counts = {int(a): (int(n), t) for a, n, t in conn.exec_driver_sql(_LAST_SQL).all()}
        self.pulled, self.pushed = last_pulls(store), last_pushes(store)
        self.daily = DailyService(store)
        self.readiness = ReadinessService(store)
        self.goals = GoalEngine(store, self.daily, clock)
        self.now = clock()

    def today(self, athlete_id: int) -> tuple[date, tzinfo]:
        """The athlete's local today and time zone."""
        from app.training.daily import load_context

        tz = load_context(self.store, athlete_id).tz
        return local_date(self.now, tz), tz

    def row(self, athlete_id: int, name: str, read_only: bool, ref: str | None) -> RosterRow:
        """The athlete's roster row (its days and readings are stored on the way)."""
        from app.training.load import athlete_load

        today, tz = self.today(athlete_id)
        n, last = self.counts.get(athlete_id, (0, None))
        point = athlete_load(self.daily, athlete_id, today, today)[-1]
        since = today - timedelta(days=READINESS_MAX_AGE_DAYS)
        ready = next(
            (
                p
                for p in reversed(self.readiness.series(athlete_id, since, today))
                if p.rmssd_ms is not None or p.resting_hr is not None
            ),
            None,
        )
        progress = self.goals.progress(athlete_id, today)
        return RosterRow(
            athlete_id=athlete_id,
            name=name,
            lake_id=ref,
            client=read_only,
            sessions=n,
            last_session_ms=last,
            days_since=None if last is None else (today - local_date(last, tz)).days,
            acute=point.acute,
            chronic=point.chronic,
            ratio=point.ratio,
            load_flag=load_flag(point.ratio),
            readiness_day=None if ready is None else ready.day,
            rmssd_ms=None if ready is None else ready.rmssd_ms,
            readiness_band=None
            if ready is None or ready.band_low is None or ready.band_high is None
            else (ready.band_low, ready.band_high),
            readiness_flag=None if ready is None else ready.flag,
            resting_hr=None if ready is None else ready.resting_hr,
            resting_hr_delta=None if ready is None else ready.resting_hr_delta,
            goals=len(progress),
            goals_on_track=sum(on_track(p, today) for p in progress),
            last_sync_ms=self.pulled.get(ref or "") if read_only else self.pushed.get(athlete_id),
        )


def _athletes(store: Store) -> list[tuple[int, str, bool, str | None]]:
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(_ATHLETES_SQL).all()
    return [(int(a), str(n), bool(ro), None if r is None else str(r)) for a, n, ro, r in rows]


def roster(
    store: Store, *, include_own: bool = False, clock: Callable[[], int] = now_ms
) -> list[RosterRow]:
    """One row per pulled client (and this machine's athletes with `include_own`), by name."""
    desk = _Desk(store, clock)
    rows = [
        desk.row(athlete_id, name, read_only, ref)
        for athlete_id, name, read_only, ref in _athletes(store)
        if read_only or include_own
    ]
    return sorted(rows, key=lambda r: r.name.casefold())


def warm(
    store: Store,
    athlete_ids: Sequence[int],
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    clock: Callable[[], int] = now_ms,
) -> int:
    """Compute and store these athletes' roster figures and default trends; how many done.

    The days of the last TREND_DAYS (day_summaries) and the morning readings their
    readiness needs (session_readings) are stored, so the roster and a client's Trends open
    by reading them. A cancel stops between athletes without raising: whatever is not
    stored is computed when first shown.
    """
    wanted = set(athlete_ids)
    desk = _Desk(store, clock)
    todo = [a for a in _athletes(store) if a[0] in wanted]
    for done, (athlete_id, name, read_only, ref) in enumerate(todo):
        if progress is not None:
            progress(done, len(todo))
        if cancel is not None and cancel():
            return done
        today, _ = desk.today(athlete_id)
        first = today - timedelta(days=TREND_DAYS - 1)
        desk.daily.days(athlete_id, first, today)
        desk.readiness.series(athlete_id, first, today)
        desk.row(athlete_id, name, read_only, ref)
    if progress is not None:
        progress(len(todo), len(todo))
    return len(todo)


def warm_after_pull(
    store: Store,
    report: PullReport,
    *,
    progress: Progress | None = None,
    cancel: CancelCheck | None = None,
    clock: Callable[[], int] = now_ms,
) -> int:
    """After a pull (the CLI's and the app's): `warm` the clients it changed; how many."""
    if not report.changed:
        return 0
    refs = set(report.changed)
    ids = [a for a, _, read_only, ref in _athletes(store) if read_only and ref in refs]
    return warm(store, ids, progress=progress, cancel=cancel, clock=clock)


def readiness_text(row: RosterRow) -> str:
    """'HRV 52ms rHR 48 low' (the CLI's and the Roster screen's cell); '-' without a reading."""
    parts = []
    if row.rmssd_ms is not None:
        parts.append(f"HRV {row.rmssd_ms:.0f}ms")
    if row.resting_hr is not None:
        parts.append(f"rHR {row.resting_hr:.0f}")
    if parts and row.readiness_flag:
        parts.append(row.readiness_flag)
    return " ".join(parts) or "-"


def goals_text(row: RosterRow) -> str:
    """'2/3' goals on track, '-' without goals."""
    return f"{row.goals_on_track}/{row.goals}" if row.goals else "-"


#: Sort keys; rows without the figure go last whatever the direction.
SORTS: dict[str, Callable[[RosterRow], object]] = {
    "name": lambda r: r.name.casefold(),
    "last": lambda r: r.last_session_ms,
    "days": lambda r: r.days_since,
    "ratio": lambda r: r.ratio,
    "readiness": lambda r: r.rmssd_ms,
    "goals": lambda r: r.goals_on_track / r.goals if r.goals else None,
    "sync": lambda r: r.last_sync_ms,
}


def sort_rows(
    rows: Sequence[RosterRow], by: str = "name", descending: bool = False
) -> list[RosterRow]:
    """Rows sorted by one of SORTS (ValueError for another); missing figures last."""
    try:
        key = SORTS[by]
    except KeyError:
        raise ValueError(f"cannot sort by {by!r}; one of: {', '.join(SORTS)}") from None
    present = [r for r in rows if key(r) is not None]
    missing = [r for r in rows if key(r) is None]
    present.sort(key=key, reverse=descending)  # type: ignore[arg-type]
    return present + missing


def filter_rows(
    rows: Sequence[RosterRow],
    *,
    name: str | None = None,
    flagged: bool = False,
    inactive_days: int | None = None,
) -> list[RosterRow]:
    """Rows whose name contains `name`, with a load or readiness flag, or idle for N+ days."""
    out = list(rows)
    if name:
        out = [r for r in out if name.casefold() in r.name.casefold()]
    if flagged:
        out = [r for r in out if r.load_flag or r.readiness_flag]
    if inactive_days is not None:
        out = [r for r in out if r.days_since is None or r.days_since >= inactive_days]
    return out
