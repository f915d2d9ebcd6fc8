"""Crash recovery closes what a killed recorder left open, truthfully (issue 16 #1, #5)."""

from __future__ import annotations

from app.domain.samples import Sample
from app.store.repo import Store, now_ms

DAY_MS = 24 * 3600 * 1000


def test_a_session_left_open_without_data_is_removed_not_recovered(store: Store) -> None:
    me = store.default_athlete()
    empty = store.create_session(me.id, sport="run", source="simulator", started_ms=now_ms())
    assert store.recover_sessions() == []
    assert store.get_session(empty) is None
    assert store.list_sessions() == []


def test_recovery_ends_a_session_at_its_newest_plausible_sample(store: Store) -> None:
    me = store.default_athlete()
    t0 = now_ms() - 600_000
    sid = store.create_session(me.id, sport="run", source="feed", started_ms=t0)
    samples = [Sample(t_ms=t0 + i * 1000, hr=120) for i in range(300)]
    samples.append(Sample(t_ms=t0 + 30 * DAY_MS, hr=121))  # a device clock a month ahead
    store.insert_samples(sid, samples)
    assert store.recover_sessions() == [sid]
    info = store.get_session(sid)
    assert info is not None and info.status == "recovered"
    assert info.ended_ms == t0 + 299_000  # not the 719-hour session of the finding
    assert info.duration_s is not None and info.duration_s < 400
