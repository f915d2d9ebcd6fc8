"""The team live view: tiles per athlete from a real feed server on 127.0.0.1, no signal,
sort orders, zones from each athlete's profile, and every athlete's session recorded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from app.domain.samples import Sample
from app.domain.team import SortOrder
from app.services.team import FeedSource, SimulatedSource
from app.store.repo import Store
from device.feeds.protocol import RemoteAthlete
from device.feeds.server import TraceHub, TraceServer

TOKEN = "team-view-token-0123456789"
#: The local athlete a remote one records into: its name and the feed's host.
HOST = "127.0.0.1"


class Feed:
    """A trace server on its own loop thread; the test describes athletes and publishes HR."""

    def __init__(self) -> None:
        from app.ui.bridge import LoopThread

        self.thread = LoopThread("test-feed").start()
        self.hub = TraceHub()
        self.server = TraceServer(self.hub, TOKEN)
        self.thread.submit(self.server.start()).result(10)
        self._t: dict[str, int] = {}
        self.sent: dict[str, int] = {}

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, fn: Callable[[], Any]) -> Any:
        async def on_loop() -> Any:
            return fn()

        return self.thread.submit(on_loop()).result(10)

    def describe(self, key: str, name: str) -> None:
        self.call(lambda: self.hub.describe(RemoteAthlete(key, name)))

    def publish(self, **hr: int) -> None:
        """One sample per athlete (`a1=150`), each a second after that athlete's last."""
        batch = []
        for key, value in hr.items():
            t = self._t.get(key, int(time.time() * 1000) - 60_000) + 1000
            self._t[key] = t
            self.sent[key] = self.sent.get(key, 0) + 1
            batch.append((key, Sample(t_ms=t, hr=value)))
        self.call(lambda: self.hub.publish(batch))

    def wait_client(self) -> None:
        self.thread.submit(self.hub.wait_subscribers(1)).result(20)

    def close(self) -> None:
        self.thread.submit(self.server.close()).result(10)
        self.thread.stop()


@pytest.fixture
def feed() -> Iterator[Feed]:
    f = Feed()
    yield f
    f.close()


def _team(window: Any) -> Any:
    return window.show_screen("team")


def _connect(qtbot: Any, screen: Any, feed: Feed, **hr: int) -> None:
    screen.connect_source(FeedSource(feed.url, TOKEN))
    feed.wait_client()
    feed.publish(**hr)
    # Every tile has its heart rate and its athlete's zones (read after the session opened).
    qtbot.waitUntil(lambda: len(screen.tiles) == len(hr) and all(
        t.view.percent_max is not None for t in screen.tiles.values()), timeout=15_000)  # fmt: skip


def _names(screen: Any) -> list[str]:
    return [tile.view.name for tile in screen.grid.order]


def _stop(qtbot: Any, screen: Any) -> None:
    screen.stop()
    qtbot.waitUntil(lambda: screen.status.text().startswith("Saved"), timeout=20_000)


def test_a_tile_per_athlete_and_every_session_recorded(qtbot, window, feed, store) -> None:
    for key, name in (("a1", "Ann"), ("a2", "Bob"), ("a3", "Cy")):
        feed.describe(key, name)
    screen = _team(window)
    _connect(qtbot, screen, feed, a1=120, a2=130, a3=140)
    for _ in range(4):
        feed.publish(a1=121, a2=131, a3=141)
    qtbot.waitUntil(lambda: screen.tiles and all(
        t.view.hr is not None and t.view.hr % 10 == 1 for t in screen.tiles.values()),
        timeout=10_000)  # fmt: skip
    assert sorted(_names(screen)) == ["Ann", "Bob", "Cy"]
    texts = {t.view.name: t.texts() for t in screen.tiles.values()}
    assert texts["Bob"][:3] == ("Bob", "131", "71% · Z1")  # default profile: max 184
    assert all(t.isVisible() and t.width() > 100 for t in screen.tiles.values())
    assert not screen.empty.isVisible()
    _stop(qtbot, screen)
    assert screen.status.text().startswith("Saved 3 sessions (15 samples)")
    rows = (
        store.engine.connect()
        .exec_driver_sql(
            "SELECT a.name, s.status, s.sample_count, s.source FROM sessions s "
            "JOIN athletes a ON a.id = s.athlete_id ORDER BY a.name"
        )
        .all()
    )
    assert [tuple(r) for r in rows] == [
        (f"{n} ({HOST})", "finished", 5, "feed") for n in ("Ann", "Bob", "Cy")
    ]


def test_a_silent_athlete_shows_no_signal_after_the_timeout(qtbot, window, feed) -> None:
    feed.describe("a1", "Ann")
    feed.describe("a2", "Bob")
    screen = _team(window)
    screen.board.no_signal_s = 1.0
    _connect(qtbot, screen, feed, a1=120, a2=150)
    bob = next(t for t in screen.tiles.values() if t.view.name == "Bob")
    ann = next(t for t in screen.tiles.values() if t.view.name == "Ann")
    assert bob.view.signal and bob.texts()[1] == "150"
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # Ann keeps sending, Bob went quiet
        feed.publish(a1=121)
        qtbot.wait(100)
    feed.publish(a1=122)
    qtbot.waitUntil(lambda: ann.view.signal and ann.texts()[1] == "122", timeout=5_000)
    assert not bob.view.signal
    assert bob.texts()[1] == "No signal" and bob.texts()[2] == "last 150 bpm"
    assert bob.background() == window.ctx.theme.panel
    feed.publish(a2=151)  # back on the chest: the tile comes back
    qtbot.waitUntil(lambda: bob.view.signal and bob.texts()[1] == "151", timeout=5_000)
    _stop(qtbot, screen)


def test_tiles_sort_by_name_or_by_zone(qtbot, window, feed) -> None:
    for key, name in (("a1", "cy"), ("a2", "Ann"), ("a3", "Bob"), ("a4", "Dee")):
        feed.describe(key, name)
    screen = _team(window)
    screen.board.no_signal_s = 60
    # Default profile (max 184, resting 60): Karvonen floors 122, 134, 147, 159, 172 bpm.
    _connect(qtbot, screen, feed, a1=140, a2=100, a3=175, a4=160)
    assert _names(screen) == ["Ann", "Bob", "cy", "Dee"]  # by name, case-insensitive
    assert {t.view.name: t.view.zone for t in screen.tiles.values()} == {
        "cy": 2, "Ann": 0, "Bob": 5, "Dee": 4,
    }  # fmt: skip
    screen.set_order(SortOrder.ZONE)
    assert _names(screen) == ["Bob", "Dee", "cy", "Ann"]  # hardest first
    assert screen.sort_box.currentData() == SortOrder.ZONE
    screen.set_order(SortOrder.NAME)
    assert _names(screen) == ["Ann", "Bob", "cy", "Dee"]
    _stop(qtbot, screen)


def test_zone_colours_follow_each_athletes_profile(qtbot, window, feed, store: Store) -> None:
    from app.training.daily import set_zone_model

    # The local athletes the feed records into, with their own profiles.
    ann = store.ensure_athlete(f"Ann ({HOST})")
    store.update_profile(ann.id, resting_hr=50, max_hr=150)  # floors 100..140: 145 is Z5
    bob = store.ensure_athlete(f"Bob ({HOST})")
    store.update_profile(bob.id, resting_hr=60, max_hr=200)  # floors 130..186: 145 is Z2
    cy = store.ensure_athlete(f"Cy ({HOST})")
    store.update_profile(cy.id, max_hr=190)
    set_zone_model(store, cy.id, "percent_max")  # floors 95, 114, 133, 152, 171: 145 is Z3
    for key, name in (("a1", "Ann"), ("a2", "Bob"), ("a3", "Cy")):
        feed.describe(key, name)
    screen = _team(window)
    screen.board.no_signal_s = 60
    _connect(qtbot, screen, feed, a1=145, a2=145, a3=145)
    tiles = {t.view.name: t for t in screen.tiles.values()}
    qtbot.waitUntil(lambda: tiles["Cy"].view.percent_max == 76, timeout=5_000)
    theme = window.ctx.theme
    from app.ui import theme as th

    for name, zone, pct in (("Ann", 5, 97), ("Bob", 2, 72), ("Cy", 3, 76)):
        assert tiles[name].view.zone == zone, name
        assert tiles[name].background() == th.zone_color(theme, zone), name
        assert tiles[name].texts()[2] == f"{pct}% · Z{zone}", name
    # The coach corrects Bob's max HR: his tile follows once the view is shown again.
    store.update_profile(bob.id, max_hr=160)  # floors 110..150: 145 is Z4
    window.show_screen("team")
    qtbot.waitUntil(lambda: tiles["Bob"].view.zone == 4, timeout=5_000)
    assert tiles["Bob"].background() == th.zone_color(theme, 4)
    _stop(qtbot, screen)


def test_simulated_athletes_start_from_the_screen(qtbot, window, store: Store) -> None:
    screen = _team(window)
    screen.source_box.setCurrentText("Simulated athletes")
    screen.count.setValue(3)
    assert screen.selected_source() == SimulatedSource(athletes=3)
    screen.connect_source(SimulatedSource(athletes=3, rate_hz=10, seed=4))
    qtbot.waitUntil(lambda: len(screen.tiles) == 3 and all(
        t.view.signal for t in screen.tiles.values()), timeout=15_000)  # fmt: skip
    assert _names(screen) == ["Sim Athlete 01", "Sim Athlete 02", "Sim Athlete 03"]
    _stop(qtbot, screen)
    rows = (
        store.engine.connect()
        .exec_driver_sql(
            "SELECT COUNT(*), MIN(sample_count) FROM sessions WHERE status = 'finished'"
        )
        .one()
    )
    assert rows[0] == 3 and rows[1] > 0


def test_a_refused_token_says_so_and_records_nothing(qtbot, window, feed, store) -> None:
    screen = _team(window)
    screen.connect_source(FeedSource(feed.url, "wrong-token-wrong-token"))
    qtbot.waitUntil(lambda: "failed" in screen.status.text(), timeout=20_000)
    assert "authentication" in screen.status.text()
    assert store.engine.connect().exec_driver_sql("SELECT COUNT(*) FROM sessions").scalar() == 0
    # The coach fixes the token: the same feed connects again (the failed one is closed).
    feed.describe("a1", "Ann")
    _connect(qtbot, screen, feed, a1=120)
    _stop(qtbot, screen)
    assert store.engine.connect().exec_driver_sql("SELECT COUNT(*) FROM sessions").scalar() == 1


def test_the_team_view_waits_for_the_dashboards_recording(qtbot, window, idle) -> None:
    window.ctx.start("run")
    qtbot.waitUntil(lambda: window.ctx.state != "idle", timeout=10_000)
    screen = _team(window)
    screen.connect_source(SimulatedSource(athletes=2))
    qtbot.waitUntil(lambda: screen.status.text().startswith("Not connected"), timeout=10_000)
    assert "another recording is running" in screen.status.text()
    assert not screen.service.running
    window.ctx.stop()
    idle(window)


def test_the_grid_gives_tiles_the_largest_size_the_window_allows() -> None:
    from app.ui.team_tiles import grid_shape

    assert grid_shape(0, 1000, 600) == (0, 0)
    assert grid_shape(1, 1000, 600) == (1, 1)
    assert grid_shape(12, 1050, 640) == (4, 3)
    cols, rows = grid_shape(60, 1760, 950)
    assert cols * rows >= 60 and cols * (rows - 1) < 60 and 8 <= cols <= 10


def test_f11_on_the_team_screen_shows_only_the_tiles_full_screen(qtbot, window) -> None:
    screen = _team(window)
    window.toggle_big()
    assert screen.big and window.nav.isHidden() and screen.bar.isHidden()
    assert window.stack.currentWidget() is screen  # stays on the team view
    window.toggle_big()
    assert not screen.big and not window.nav.isHidden() and not screen.bar.isHidden()


def test_every_screen_in_the_side_bar_has_a_ctrl_digit_shortcut(window) -> None:
    from PySide6.QtGui import QKeySequence, QShortcut

    from app.ui.window import NAV

    keys = {s.key().toString(QKeySequence.SequenceFormat.PortableText)
            for s in window.findChildren(QShortcut)}  # fmt: skip
    wanted = [f"Ctrl+{i % 10}" for i in range(1, len(NAV) + 1)]
    assert len(NAV) <= 10 and all(k in keys for k in wanted), sorted(keys)
    assert [n for n, *_ in NAV].index("team") == 3  # Ctrl+4, beside Gym
