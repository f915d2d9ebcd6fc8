"""A readiness reading (`record --readiness`) is a measurement: it never goes to Strava."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import OWNER_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402

from app.domain.readiness import READINESS_SPORT  # noqa: E402
from sync.strava.engine import KIND_UPLOAD  # noqa: E402
from sync.strava.enqueue import NOT_UPLOADED_SPORTS, NotUploaded, uploadable  # noqa: E402


def test_the_rule_names_the_readiness_kind_and_nothing_else_of_the_gui_sports() -> None:
    from app.services.rows import SPORTS

    assert READINESS_SPORT in NOT_UPLOADED_SPORTS and not uploadable(READINESS_SPORT)
    assert all(uploadable(s) for s in SPORTS)


def test_a_readiness_reading_is_not_queued_but_a_run_beside_it_is(
    store, emulator, config, clock, family
) -> None:
    reading = make_session(store, clock(), title="Morning", sport=READINESS_SPORT, gps=False)
    ride = make_session(store, clock() + 600, title="Run", sport="run", seed=1)

    async def go(http):
        sync = make_sync(store, http, config, clock)
        return sync, await sync.run_once()

    sync, report = run(go)
    assert report.enqueued == 1
    assert [j.session_id for j in sync.outbox.jobs(kind=KIND_UPLOAD)] == [ride]
    assert reading not in {j.session_id for j in sync.outbox.jobs()}
    assert [a["name"] for a in emulator.activities_of(OWNER_ID)] == ["Run"]


def test_an_explicit_upload_of_a_readiness_reading_is_refused(
    store, emulator, config, clock, family
) -> None:
    reading = make_session(store, clock(), sport=READINESS_SPORT, gps=False)

    async def go(http):
        return make_sync(store, http, config, clock)

    sync = run(go)
    with pytest.raises(NotUploaded, match="readiness"):
        sync.enqueue_session(reading)
    assert sync.outbox.jobs() == []
