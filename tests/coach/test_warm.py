"""Issue 22 #8: a pull stores the pulled clients' roster and Trends figures, so the first
roster and Trends after it read days instead of computing them (the CLI's `lake pull` and the
app's CoachService.pull call the same warm_after_pull). Real S3 (moto on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from app.cli import main
from app.domain.calendar import local_date
from app.domain.pieces import Track
from app.domain.summary import Pause
from app.services.coach import FIGURES, CoachService
from app.services.roster import TREND_DAYS, roster, warm, warm_after_pull
from app.store.repo import Store, now_ms
from app.training import daily
from app.training.daily import DailyService, load_context
from app.training.readiness import ReadinessService
from app.training.tracks import SessionMeta
from tests.lake.factory import record_session
from tests.training.helpers import fresh_days

DAY = 86_400_000


def _client(tmp_path: Path, name: str, lake: list[str], days_ago: list[int]) -> Path:
    """A client's machine with sessions `days_ago`, pushed."""
    home = tmp_path / name
    store = Store.open(home)
    try:
        for k, d in enumerate(days_ago):
            record_session(store, name, now_ms() - d * DAY - 3_600_000, n=300, seed=k)
    finally:
        store.close()
    assert main(["--data-dir", str(home), "lake", "push", *lake]) == 0
    return home


def _assert_stored(coach: Store) -> None:
    """A fresh service computes no day of the Trends range and no morning reading."""
    clients = [a.id for a in coach.list_athletes() if a.read_only]
    assert clients
    for aid in clients:
        today = local_date(now_ms(), load_context(coach, aid).tz)
        first = today - timedelta(days=TREND_DAYS - 1)
        svc = DailyService(coach)
        days = svc.days(aid, first, today)
        assert svc.recomputed_days == 0
        assert sum(d.sessions for d in days) > 0
        ready = ReadinessService(coach)
        ready.series(aid, first, today)
        assert ready._fresh == []  # noqa: SLF001 - nothing analysed: all read back
        with coach.engine.begin() as conn:  # a profile change: the days go, the pieces stay
            conn.exec_driver_sql("DELETE FROM day_summaries WHERE athlete_id = ?", (aid,))
        svc = DailyService(coach)
        assert svc.days(aid, first, today) == days
        assert svc.computed_tracks == 0  # no session's samples read again
        roster_first = today - timedelta(days=27)
        assert DailyService(coach).days(aid, roster_first, today) == fresh_days(
            coach, aid, roster_first, today
        )


def test_lake_pull_stores_the_roster_and_trends_figures(
    tmp_path: Path, lake: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    _client(tmp_path, "Ann", lake, [1, 3, 40, 150])
    _client(tmp_path, "Bob", lake, [2, 90])
    coach = tmp_path / "coach"
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake]) == 0
    store = Store.open(coach)
    try:
        _assert_stored(store)
        stored = roster(store)
        with store.engine.begin() as conn:  # the same rows computed from the samples
            conn.exec_driver_sql("DELETE FROM day_summaries")
            conn.exec_driver_sql("DELETE FROM session_readings")
        assert roster(store) == stored and len(stored) == 2
    finally:
        store.close()


def test_the_pulls_figures_read_no_pulled_sessions_samples(
    tmp_path: Path, lake: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: the pull stored each session's pieces, so its days need no sample read back."""
    _client(tmp_path, "Ann", lake, [1, 3, 40, 150, 400])
    read: list[int] = []
    real = daily.load_track

    def counting(store: Store, meta: SessionMeta, pauses: Sequence[Pause]) -> Track | None:
        read.append(meta.id)
        return real(store, meta, pauses)

    monkeypatch.setattr(daily, "load_track", counting)
    coach = tmp_path / "coach"
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake]) == 0
    assert read == []  # warm_after_pull computed the Trends range from the stored pieces
    store = Store.open(coach)
    try:
        [aid] = [a.id for a in store.list_athletes() if a.read_only]
        today = local_date(now_ms(), load_context(store, aid).tz)
        svc = DailyService(store)  # the whole history too, the session of 400 days ago included
        days = svc.days(aid, today - timedelta(days=410), today)
        assert svc.computed_tracks == 0 and sum(d.sessions for d in days) == 5
        assert read == []
    finally:
        store.close()


def test_the_apps_pull_says_it_computes_figures_and_stores_them(
    tmp_path: Path, lake: list[str]
) -> None:
    _client(tmp_path, "Ann", lake, [1, 5, 60])
    coach = tmp_path / "coach"
    assert main(["--data-dir", str(coach), "lake", "configure", *lake]) == 0
    store = Store.open(coach)
    try:
        labels: list[str | None] = []
        report = CoachService(store).pull(
            progress=lambda done, total, label=None: labels.append(label)
        )
        assert report.imported == 3 and len(report.changed) == 1
        assert None in labels  # the clients pulled ...
        assert any(label and label.startswith(FIGURES) for label in labels)  # ... then figures
        _assert_stored(store)

        labels.clear()  # nothing new: nothing to compute, nothing said about it
        again = CoachService(store).pull(progress=lambda d, t, label=None: labels.append(label))
        assert (again.unchanged, again.changed) == (3, [])
        assert not any(labels)
        assert warm_after_pull(store, again) == 0
    finally:
        store.close()


def test_a_week_of_new_data_computes_only_its_days(
    tmp_path: Path, lake: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ann = _client(tmp_path, "Ann", lake, [10, 20])
    coach = tmp_path / "coach"
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake]) == 0
    store = Store.open(ann)
    try:
        record_session(store, "Ann", now_ms() - 2 * DAY, n=300, seed=7)
    finally:
        store.close()
    assert main(["--data-dir", str(ann), "lake", "push", *lake]) == 0
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake]) == 0
    store = Store.open(coach)
    try:
        _assert_stored(store)
    finally:
        store.close()


def test_trend_days_is_the_trends_screens_default_range() -> None:
    pytest.importorskip("PySide6")
    from app.ui.screens.trends import DEFAULT_RANGE, RANGES

    assert RANGES[DEFAULT_RANGE] == TREND_DAYS


def test_a_cancel_stops_the_figures_between_clients_without_raising(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "me")
    try:
        record_session(store, "Me", now_ms() - 2 * DAY, n=300)
        aid = store.default_athlete().id
        assert warm(store, [aid], cancel=lambda: True) == 0
        today = local_date(now_ms(), load_context(store, aid).tz)
        first = today - timedelta(days=TREND_DAYS - 1)
        svc = DailyService(store)
        svc.days(aid, first, today)
        assert svc.recomputed_days == TREND_DAYS  # nothing was stored
        with store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM day_summaries")
        steps: list[tuple[int, int]] = []
        assert warm(store, [aid], progress=lambda d, t: steps.append((d, t))) == 1
        assert steps == [(0, 1), (1, 1)]
        svc = DailyService(store)
        svc.days(aid, first, today)
        assert svc.recomputed_days == 0
    finally:
        store.close()
