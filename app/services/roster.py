"""The coach's roster: one row per client, for `pulsedeck clients` and the Roster screen (no Qt).

Each figure comes from the function that owns it: load (acute 7-day vs chronic 28-day mean
TRIMP) from `app.training.load.athlete_load`, readiness from `ReadinessService.series`, goals
from `GoalEngine.progress`, the last pull or push from `sync.lake`. Only the roster's own
judgements live here: which ratio is flagged, which goal is on track, sorting and filtering.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from app.domain.calendar import local_date
from app.store.repo import now_ms

if TYPE_CHECKING:
    from app.domain.goals import GoalProgress
    from app.store.repo import Store

#: This week's load over the 4-week average above this is flagged "high" (a fast ramp-up)...
RATIO_HIGH = 1.5
#: ... and below this "low" (detraining, or a client who stopped recording).
RATIO_LOW = 0.8
#: A readiness reading older than this many days is not shown as today's.
READINESS_MAX_AGE_DAYS = 3

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


def roster(
    store: Store, *, include_own: bool = False, clock: Callable[[], int] = now_ms
) -> list[RosterRow]:
    """One row per pulled client (and this machine's athletes with `include_own`), by name."""
    from app.training.daily import DailyService, load_context
    from app.training.goals import GoalEngine
    from app.training.load import athlete_load
    from app.training.readiness import ReadinessService
    from sync.lake.pull import last_pulls
    from sync.lake.status import last_pushes

    with store.engine.connect() as conn:
        counts = {int(a): (int(n), t) for a, n, t in conn.exec_driver_sql(_LAST_SQL).all()}
        athletes = conn.exec_driver_sql(_ATHLETES_SQL).all()
    pulled, pushed = last_pulls(store), last_pushes(store)
    daily = DailyService(store)
    readiness = ReadinessService(store)
    goals = GoalEngine(store, daily, clock)
    now = clock()
    rows = []
    for athlete_id, name, read_only, ref in athletes:
        if not (read_only or include_own):
            continue
        tz = load_context(store, athlete_id).tz
        today = local_date(now, tz)
        n, last = counts.get(athlete_id, (0, None))
        point = athlete_load(daily, athlete_id, today, today)[-1]
        ready = next(
            (
                p
                for p in reversed(
                    readiness.series(
                        athlete_id, today - timedelta(days=READINESS_MAX_AGE_DAYS), today
                    )
                )
                if p.rmssd_ms is not None or p.resting_hr is not None
            ),
            None,
        )
        progress = goals.progress(athlete_id, today)
        rows.append(
            RosterRow(
                athlete_id=athlete_id,
                name=str(name),
                lake_id=ref,
                client=bool(read_only),
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
                last_sync_ms=pulled.get(ref or "") if read_only else pushed.get(athlete_id),
            )
        )
    return sorted(rows, key=lambda r: r.name.casefold())


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
