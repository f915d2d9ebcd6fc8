"""A coach's stored daily summaries follow a lake pull: deletes, replaced and new sessions
recompute their days, the others stay cached (real S3 on moto, the CLI on both sides)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.cli import main
from app.store.repo import Store
from app.training.daily import DailyService
from tests.training.helpers import fresh_days

from .conftest import T0, record_session

DAY = 86_400_000


def _pull(coach: Path, lake: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    capsys.readouterr()
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_a_pull_recomputes_exactly_the_days_it_changed(
    tmp_path: Path, moto_url: str, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    athlete, coach = tmp_path / "athlete", tmp_path / "coach"
    lake = ["--bucket", bucket, "--prefix", "p", "--endpoint-url", moto_url, "--region",
            "us-east-1"]  # fmt: skip
    store = Store.open(athlete)
    try:
        ids = [record_session(store, "Me", T0 + i * DAY, seed=i) for i in range(4)]
    finally:
        store.close()
    assert main(["--data-dir", str(athlete), "lake", "push", *lake]) == 0
    assert _pull(coach, lake, capsys)["imported"] == 4

    first = datetime.fromtimestamp(T0 / 1000, UTC).date() - timedelta(days=1)
    last = first + timedelta(days=5)
    cstore = Store.open(coach)
    try:
        client = next(a.id for a in cstore.list_athletes() if a.read_only)
        before = DailyService(cstore).days(client, first, last)
    finally:
        cstore.close()
    assert [d.sessions for d in before] == [0, 1, 1, 1, 1, 0]

    assert main(["--data-dir", str(athlete), "sessions", "delete", str(ids[0])]) == 0
    assert main(["--data-dir", str(athlete), "sessions", "set", str(ids[1]), "--sport",
                 "ride"]) == 0  # fmt: skip
    store = Store.open(athlete)
    try:
        record_session(store, "Me", T0 + 2 * DAY + 3_600_000, seed=9)
    finally:
        store.close()
    assert main(["--data-dir", str(athlete), "lake", "push", *lake]) == 0
    pulled = _pull(coach, lake, capsys)
    assert (pulled["removed"], pulled["replaced"], pulled["imported"]) == (1, 1, 1)

    cstore = Store.open(coach)
    try:
        svc = DailyService(cstore)
        after = svc.days(client, first, last)
        assert svc.recomputed_days == 3  # the deleted, the replaced and the new session's days
        assert [d.sessions for d in after] == [0, 0, 1, 2, 1, 0]
        assert after[4] == before[4]
        assert after == fresh_days(cstore, client, first, last)
    finally:
        cstore.close()
