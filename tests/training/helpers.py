"""Building real sessions in a real store for the training tests."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from app.domain.days import DaySummary
from app.domain.samples import Sample
from app.store.repo import Store

PARIS = ZoneInfo("Europe/Paris")


def ms(*args: int, tz: ZoneInfo = PARIS) -> int:
    return int(datetime(*args, tzinfo=tz).timestamp() * 1000)


def athlete(store: Store, name: str = "Me", tz: str = "Europe/Paris") -> int:
    a = store.ensure_athlete(name, is_self=name == "Me")
    store.update_profile(
        a.id, birth_year=1990, sex="male", weight_kg=80.0, resting_hr=60, max_hr=180, timezone=tz
    )
    return a.id


def samples(
    t0: int,
    n: int,
    *,
    hr: int | None = 130,
    steps_per_s: int | None = 1,
    speed: float | None = None,
) -> list[Sample]:
    return [
        Sample(
            t_ms=t0 + i * 1000,
            hr=hr,
            steps=None if steps_per_s is None else i * steps_per_s,
            speed=speed,
        )
        for i in range(n)
    ]


def session(
    store: Store,
    athlete_id: int,
    t0: int,
    n: int,
    *,
    source: str = "ble",
    sport: str = "run",
    finish: bool = True,
    **kw: object,
) -> int:
    """A session of `n` 1-Hz samples from `t0`, finished like the recorder does."""
    sid = store.create_session(athlete_id, sport=sport, source=source, started_ms=t0)
    store.insert_samples(sid, samples(t0, n, **kw))  # type: ignore[arg-type]
    if finish:
        store.finish_session(sid, t0 + n * 1000)
    return sid


def fresh_days(store: Store, athlete_id: int, first: date, last: date) -> list[DaySummary]:
    """The days computed from the samples, with no cache in memory or in the database."""
    from app.training.daily import DailyService

    with store.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM day_summaries WHERE athlete_id = ?", (athlete_id,))
        conn.exec_driver_sql(
            "DELETE FROM session_tracks WHERE session_id IN "
            "(SELECT id FROM sessions WHERE athlete_id = ?)",
            (athlete_id,),
        )
    svc = DailyService(store)
    days = svc.days(athlete_id, first, last)
    assert svc.recomputed_days == len(days)
    return days
