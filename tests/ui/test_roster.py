"""Issue 22 #1, #2, #5 in the app: the Roster screen, Pull from lake (progress, Cancel,
schedule, offline afterwards), and the coach's own recordings never landing in a client.

The lake is moto's S3 server on 127.0.0.1 (tests/conftest.py); clients push from their own
data dirs with the CLI, the coach pulls through the window's services.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from app.cli import main
from app.domain.samples import Sample
from app.store.repo import Store, now_ms
from app.store.settings import LAKE_PULL_INTERVAL_H, Settings
from app.ui.screens.roster import COLUMNS, RATIO_COL

pytestmark = pytest.mark.gui

DAY = 86_400_000
NOW = now_ms()


@pytest.fixture(autouse=True)
def _aws(aws_env: None) -> None:
    """The dummy AWS chain: nothing of the developer's ~/.aws is read."""


@pytest.fixture
def lake(moto_url: str) -> list[str]:
    """Destination flags of a fresh bucket."""
    from tests.lake.s3 import boto

    name = f"roster-{uuid.uuid4().hex[:12]}"
    boto(moto_url).create_bucket(Bucket=name)
    return ["--bucket", name, "--prefix", "p", "--endpoint-url", moto_url, "--region", "us-east-1"]


def _client(tmp_path: Path, name: str, lake: list[str], days_ago: list[int], hr: int) -> None:
    """A client's own machine: sessions recorded there as yourself, pushed."""
    home = tmp_path / name
    store = Store.open(home)
    try:
        a = store.ensure_athlete(name, is_self=True)
        store.update_profile(a.id, birth_year=1990)
        for d in days_ago:
            start = NOW - d * DAY - 3_600_000
            sid = store.create_session(a.id, sport="run", source="simulator", started_ms=start)
            store.insert_samples(sid, [Sample(t_ms=start + i * 1000, hr=hr) for i in range(1800)])
            store.finish_session(sid, start + 1_800_000)
    finally:
        store.close()
    assert main(["--data-dir", str(home), "lake", "push", *lake]) == 0


@pytest.fixture
def clients(tmp_path: Path, lake: list[str], data_dir: Path, store) -> list[str]:
    """Ann ramps up (flagged), Bob has been idle; the coach's data dir knows the lake."""
    _client(tmp_path, "Ann", lake, [1, 2, 3, 20], hr=160)
    _client(tmp_path, "Bob", lake, [12, 15, 22, 26], hr=140)
    assert main(["--data-dir", str(data_dir), "lake", "configure", *lake]) == 0
    return lake


def _roster(qtbot, window):
    screen = window.show_screen("roster")
    qtbot.waitUntil(lambda: screen.state is not None, timeout=20_000)
    return screen


def _pull(qtbot, screen) -> tuple[str, str]:
    with qtbot.waitSignal(screen.tasks.finished, timeout=60_000) as blocker:
        assert screen.pull() is not None
    return tuple(blocker.args)  # type: ignore[return-value]


def _names(screen) -> list[str]:
    return [r.name for r in screen.model.rows]


def _nav_visible(window, name: str) -> bool:
    from app.ui.window import NAV

    row = next(i for i, n in enumerate(NAV) if n[0] == name)
    return not window.nav.isRowHidden(row)


def test_pull_fills_the_roster_sorts_filters_and_opens_a_client(
    qtbot, make_window, clients, idle
) -> None:
    window = make_window()
    assert not _nav_visible(window, "roster")  # one athlete: no coach mode
    screen = _roster(qtbot, window)
    assert screen.pull_btn.isEnabled() and screen.model.rows == []
    outcome, message = _pull(qtbot, screen)
    assert outcome == "done" and "2 client(s): 8 new" in message
    qtbot.waitUntil(lambda: len(screen.model.rows) == 2, timeout=20_000)
    idle(window)
    assert _nav_visible(window, "roster") and _nav_visible(window, "compare")

    # The columns of `pulsedeck clients`, the ratio flagged in colour with a tooltip.
    assert [h for h, _k in COLUMNS][:3] == ["Client", "Last session", "Days"]
    assert _names(screen) == ["Ann", "Bob"]
    ann = screen.model.index(0, RATIO_COL)
    assert screen.model.data(ann).endswith("▲")
    assert screen.model.data(ann, Qt.ItemDataRole.ForegroundRole).name() == window.ctx.theme.danger
    assert "4-week" in screen.model.data(ann, Qt.ItemDataRole.ToolTipRole)
    assert screen.model.data(screen.model.index(1, RATIO_COL)).endswith("▼")
    last_pull = screen.model.data(screen.model.index(0, len(COLUMNS) - 1))
    assert last_pull != "never"

    # Sort by a header click (twice reverses), filter by name, flagged, idle days.
    screen.sort_by_column(2)  # days since: Ann (1) before Bob (12)
    assert _names(screen) == ["Ann", "Bob"]
    screen.sort_by_column(2)
    assert _names(screen) == ["Bob", "Ann"]
    screen.search.setText("an")
    assert _names(screen) == ["Ann"]
    screen.search.clear()
    screen.inactive.setValue(7)
    assert _names(screen) == ["Bob"] and screen.count.text() == "1 of 2 clients"
    screen.inactive.setValue(0)

    # A double click switches to the client and opens their trends.
    screen.open_row(_names(screen).index("Ann"))
    qtbot.waitUntil(lambda: window.ctx.athlete.name == "Ann", timeout=20_000)
    assert window.stack.currentWidget() is window.screens["trends"]
    assert window.athlete_box.currentText().startswith("Ann")
    idle(window)


def test_cancel_keeps_nothing_half_done_and_offline_afterwards(
    qtbot, make_window, clients, data_dir, idle
) -> None:
    window = make_window()
    screen = _roster(qtbot, window)
    with qtbot.waitSignal(screen.tasks.finished, timeout=60_000) as blocker:
        screen.pull()
        screen.tasks.cancel()  # before the first check between athletes
    assert blocker.args[0] == "cancelled"
    assert "cancelled" in blocker.args[1]
    idle(window)
    assert _pull(qtbot, screen)[0] == "done"
    qtbot.waitUntil(lambda: len(screen.model.rows) == 2, timeout=20_000)

    # Offline: the lake is unreachable now; the roster and a client's trends still open.
    dead = ["--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"]
    assert main(["--data-dir", str(data_dir), "lake", "configure", *dead]) == 0
    outcome, message = _pull(qtbot, screen)
    assert outcome == "failed" and "Lake pull failed" in message
    screen.reload()
    qtbot.waitUntil(lambda: len(screen.model.rows) == 2, timeout=20_000)
    screen.open_row(0)
    qtbot.waitUntil(lambda: window.ctx.athlete.name == "Ann", timeout=20_000)
    trends = window.screens["trends"]
    qtbot.waitUntil(
        lambda: trends.trends is not None and trends.trends.athlete_id == window.ctx.athlete.id,
        timeout=30_000,
    )
    assert not trends.trends.empty
    idle(window)


def test_schedule_is_a_setting_the_background_sync_runs(
    qtbot, make_window, clients, store, monkeypatch, idle
) -> None:
    monkeypatch.delenv("PULSEDECK_NO_BACKGROUND_SYNC", raising=False)
    window = make_window()
    screen = _roster(qtbot, window)
    background = window.services.sync
    qtbot.waitUntil(lambda: background.background is not None, timeout=20_000)
    assert screen.schedule.currentText() == "No scheduled pull"
    with qtbot.waitSignal(window.ctx.message, timeout=20_000):
        screen.schedule.setCurrentText("Pull every 3 h")
        screen.set_schedule("Pull every 3 h")
    assert Settings(store).get(LAKE_PULL_INTERVAL_H) == 3
    sched = background.background.scheduler
    assert sched is not None and sched.config.lake_pull_interval_s == 3 * 3600
    # Never pulled: the first scheduled pull runs at once and its clients reach the roster.
    qtbot.waitUntil(lambda: len(screen.model.rows) == 2, timeout=60_000)
    qtbot.waitUntil(lambda: _nav_visible(window, "roster"), timeout=20_000)
    with qtbot.waitSignal(window.ctx.message, timeout=20_000):
        screen.set_schedule("No scheduled pull")
    assert Settings(store).get(LAKE_PULL_INTERVAL_H) is None
    assert sched.config.lake_pull_interval_s is None
    idle(window)


def test_the_coachs_recordings_never_land_in_a_pulled_client(
    qtbot, tmp_path: Path, lake: list[str], data_dir: Path, store, make_window, idle, monkeypatch
) -> None:
    """Issue 16's finding through the GUI: a client called "Me" (the default name) is pulled;
    the coach records in the app (and the background sync pushes it); pulling again
    leaves the client exactly as it was, and the client itself refuses a recording."""
    monkeypatch.delenv("PULSEDECK_NO_BACKGROUND_SYNC", raising=False)
    _client(tmp_path, "Me", lake, [1, 2], hr=150)
    assert main(["--data-dir", str(data_dir), "lake", "configure", *lake]) == 0
    window = make_window()
    screen = _roster(qtbot, window)
    assert _pull(qtbot, screen)[0] == "done"
    qtbot.waitUntil(lambda: len(screen.model.rows) == 1, timeout=20_000)
    client = screen.model.rows[0]
    assert client.client and client.sessions == 2
    uids_before = {s.uid for s in store.list_sessions(client.athlete_id)}

    ctx = window.ctx
    assert ctx.athlete.is_self and ctx.athlete.id != client.athlete_id
    with qtbot.waitSignal(ctx.stateChanged, timeout=20_000):
        ctx.start("run")
    qtbot.waitUntil(lambda: ctx.last_view.samples >= 3, timeout=20_000)
    with qtbot.waitSignal(ctx.recordingStopped, timeout=20_000) as stopped:
        ctx.stop()
    mine = stopped.args[0]
    assert store.get_session(mine).athlete_id == ctx.athlete.id
    # The background sync pushes it (the coach's own id); pulled again: not in the client.
    from sync.lake.status import lake_status

    qtbot.waitUntil(lambda: lake_status(store).pushed == 1, timeout=60_000)
    assert _pull(qtbot, screen)[0] == "done"
    idle(window)
    assert {s.uid for s in store.list_sessions(client.athlete_id)} == uids_before

    # Switched to the client (read-only), Start refuses and records nothing there.
    screen.open_row(0)
    qtbot.waitUntil(lambda: ctx.athlete.id == client.athlete_id, timeout=20_000)
    with qtbot.waitSignal(ctx.startFailed, timeout=20_000) as failed:
        ctx.start("run")
    assert "read-only" in failed.args[0] or "imported" in failed.args[0]
    idle(window)
    assert {s.uid for s in store.list_sessions(client.athlete_id)} == uids_before
