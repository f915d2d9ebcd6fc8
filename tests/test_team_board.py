"""The team view's board and rules without Qt: what a tile shows, when, and in which order."""

from __future__ import annotations

from app.domain.samples import Sample
from app.domain.team import HeartTarget, SortOrder, TileView, sorted_views, tile_view
from app.domain.zones import Zones
from app.services.team_board import TeamBoard

#: Floors 100, 110, 120, 130, 140 bpm; max HR 150.
TARGET = HeartTarget(Zones((100.0, 110.0, 120.0, 130.0, 140.0)), 150)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_reading_has_the_zone_and_percent_of_max_of_the_athletes_target() -> None:
    v = tile_view(1, "Ann", TARGET, 135, 5, first_s=0.0, last_s=9.0, now_s=10.0)
    assert (v.hr, v.zone, v.percent_max, v.signal, v.elapsed_s) == (135, 4, 90, True, 10.0)
    assert tile_view(1, "Ann", TARGET, 99, 5, 0.0, 9.0, 10.0).zone == 0
    # No target yet (the profile is still loading): the heart rate, no zone, no percentage.
    v = tile_view(1, "Ann", None, 135, 5, 0.0, 9.0, 10.0)
    assert (v.hr, v.zone, v.percent_max) == (135, 0, None)


def test_the_board_hands_out_only_what_changed_and_loses_the_signal_on_time() -> None:
    clock = Clock()
    board = TeamBoard(no_signal_s=5.0, clock=clock)
    board.add(7, "Ann", athlete_id=3)
    first = board.take()
    assert first.roster_changed and [v.key for v in first.views] == [7]
    assert not first.changed[0].signal and first.changed[0].hr is None
    board.set_target(7, TARGET)
    board.sample(7, Sample(t_ms=1, hr=None))  # no heart rate: nothing to show
    board.sample(7, Sample(t_ms=2, hr=141))
    [view] = board.take().changed
    assert (view.hr, view.zone, view.signal, view.sample_t_ms) == (141, 5, True, 2)
    clock.now += 0.5
    assert board.take().changed == ()  # nothing new, same second
    clock.now += 0.6  # a second since the first sample: elapsed moves
    [view] = board.take().changed
    assert view.signal and int(view.elapsed_s) == 1
    clock.now += 3.8  # 4.9 s since the last sample: still a signal
    assert all(v.signal for v in board.take().changed)
    clock.now += 0.2
    [view] = board.take().changed
    assert not view.signal and view.hr == 141  # no signal; the last value is kept
    board.sample(8, Sample(t_ms=3, hr=120))  # an athlete the board does not know: ignored
    board.note("feed", "connected")
    update = board.take()
    assert update.status == (("feed", "connected"),) and not update.roster_changed
    assert board.take().status is None


def test_sorted_by_name_ignores_case_and_by_zone_puts_the_silent_last() -> None:
    views = [
        TileView(1, "cy", 150, 100, 5, signal=False),
        TileView(2, "Ann", 120, 80, 3, signal=True),
        TileView(3, "bob", 141, 94, 5, signal=True),
        TileView(4, "Dee", 145, 97, 5, signal=True),
        TileView(5, "Eve"),
    ]
    assert [v.name for v in sorted_views(views, SortOrder.NAME)] == [
        "Ann", "bob", "cy", "Dee", "Eve",
    ]  # fmt: skip
    assert [v.name for v in sorted_views(views, SortOrder.ZONE)] == [
        "Dee", "bob", "Ann", "cy", "Eve",
    ]  # fmt: skip


def test_the_first_sample_after_a_read_wakes_the_reader_once() -> None:
    wakes: list[int] = []
    board = TeamBoard(clock=Clock(), wake=lambda: wakes.append(1))
    board.add(1, "Ann", athlete_id=1)
    board.add(2, "Bob", athlete_id=2)
    board.sample(1, Sample(t_ms=1, hr=120))
    board.sample(2, Sample(t_ms=1, hr=130))  # the same batch: no second wake
    assert len(wakes) == 1
    board.take()
    board.sample(1, Sample(t_ms=2, hr=121))
    assert len(wakes) == 2
