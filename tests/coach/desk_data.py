"""A coach's desk on a real store, for the Roster / Compare screenshots and first looks.

`fill_desk(store)`: yourself plus four clients pulled from the lake (read-only, a lake id and
a last-pull time each) with months of training, morning readings and a goal: one steady, one
ramping up fast (ratio flagged high), one idle for ten days (flagged low), one new.
`python -m tests.coach.desk_data OUTDIR` renders roster and compare in the three themes
(what docs/screenshots holds).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.domain.samples import Sample
from app.store import models as m
from app.store import settings as st
from app.store.repo import Store, now_ms
from tests.analysis.trend_data import fill_history

HOUR_MS = 3_600_000


def _client(store: Store, athlete_id: int, ref: str, pulled_ago_h: float) -> None:
    """Turn a filled athlete into a pulled client (what sync.lake.pull makes)."""
    with store.orm() as s, s.begin():
        a = s.get(m.Athlete, athlete_id)
        assert a is not None
        a.is_self, a.read_only, a.remote_ref = False, True, ref
    st.Settings(store).set(st.LAKE_LAST_PULL_MS, now_ms() - int(pulled_ago_h * HOUR_MS), ref)


def _hard_days(store: Store, athlete_id: int, days: int) -> None:
    """Long hard sessions on the last `days` days: this week's load well above the month's."""
    today = datetime.now(UTC).date()
    for k in range(1, days + 1):
        d = today - timedelta(days=k)
        start = int(datetime(d.year, d.month, d.day, 7, tzinfo=UTC).timestamp() * 1000)
        sid = store.create_session(athlete_id, sport="run", source="ble", started_ms=start)
        samples = [Sample(t_ms=start + i * 20_000, hr=172) for i in range(270)]  # 90 min
        store.insert_samples(sid, samples)
        store.finish_session(sid, start + 270 * 20_000)


def fill_desk(store: Store, hz: float = 0.05) -> None:
    """Yourself and four pulled clients (see the module docstring)."""
    today = datetime.now(UTC).date() - timedelta(days=1)  # no session later today
    fill_history(store, 20, hz=hz, end=today, name="Me")
    st.Settings(store).set(st.LAKE_BUCKET, "club-lake")
    plan = (
        ("Ann Duval", 20, 0, 3, "a1f3c9d2e4b5a6c7", 2.0, 0),
        ("Ben Okafor", 20, 10, 5, "b7e2d1c0f9a8b3d4", 2.0, 0),
        ("Cleo Marsh", 12, 0, 9, "c4d5e6f7a8b9c0d1", 26.0, 4),
        ("Dev Patel", 3, 1, 11, "d0e1f2a3b4c5d6e7", 2.0, 0),
    )
    for name, weeks, idle_days, seed, ref, pulled_h, hard in plan:
        aid = fill_history(
            store, weeks, hz=hz, end=today - timedelta(days=idle_days), seed=seed, name=name
        )
        if hard:
            _hard_days(store, aid, hard)
        _client(store, aid, ref, pulled_h)


def render(out_dir: Path) -> list[Path]:
    """roster.png and compare.png (and -dark, -high-contrast) from a fresh desk."""
    from app.ui.main import render_screens_png

    written = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp))
        try:
            fill_desk(store)
            me = store.default_athlete()
            st.Settings(store).set(st.SELECTED_ATHLETE, me.id)
        finally:
            store.close()
        themes = (("light", ""), ("dark", "-dark"), ("high_contrast", "-high-contrast"))
        for theme, suffix in themes:
            outputs = {s: out_dir / f"{s}{suffix}.png" for s in ("roster", "compare")}
            render_screens_png(Path(tmp), outputs, theme=theme)
            written += outputs.values()
    return written


if __name__ == "__main__":
    for path in render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")):
        print(path)
