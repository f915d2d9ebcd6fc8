"""The team view's live state: written by feed recordings on the loop, read by a GUI timer.

Feed samples arrive on the asyncio loop (a Recording listener per athlete) and only touch a
few fields under a lock; the first sample after a read calls `wake` (once per batch), and the
GUI thread calls `take` and gets only the tiles that changed since, so 60 athletes at 4 Hz cost
one short lock and a handful of repaints per batch, never a signal per sample.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from app.domain.samples import Sample
from app.domain.team import NO_SIGNAL_S, HeartTarget, TileView, tile_view


@dataclass(slots=True)
class _Athlete:
    key: int
    name: str
    athlete_id: int
    target: HeartTarget | None = None
    hr: int | None = None
    t_ms: int | None = None
    first_s: float | None = None
    last_s: float | None = None
    #: The view last handed out (None: never), to send only what changed.
    shown: TileView | None = None
    dirty: bool = True


@dataclass(frozen=True, slots=True)
class BoardUpdate:
    """What changed since the last `take`: tiles to redraw, and whether the set changed."""

    changed: tuple[TileView, ...] = ()
    #: Athletes were added or the board was cleared: the caller lays the tiles out again.
    roster_changed: bool = False
    #: Every tile as it is now (only when `roster_changed`), for the layout.
    views: tuple[TileView, ...] = ()
    #: Feed status lines (source label -> text), when one changed.
    status: tuple[tuple[str, str], ...] | None = None


@dataclass
class TeamBoard:
    """Latest heart rate per athlete; thread-safe (loop writes, GUI reads)."""

    no_signal_s: float = NO_SIGNAL_S
    clock: Callable[[], float] = time.perf_counter
    #: Called (on the loop thread) by the first sample after a `take`: the reader may come
    #: early instead of waiting for its next tick. Must not block.
    wake: Callable[[], None] | None = None
    _woken: bool = False
    _athletes: dict[int, _Athlete] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _roster_changed: bool = False
    _status: dict[str, str] = field(default_factory=dict)
    _status_changed: bool = False

    # Loop thread ------------------------------------------------------------------------

    def add(self, key: int, name: str, athlete_id: int) -> None:
        """A new athlete's tile (its session just opened)."""
        with self._lock:
            self._athletes[key] = _Athlete(key, name, athlete_id)
            self._roster_changed = True

    def sample(self, key: int, sample: Sample) -> None:
        """One accepted sample of athlete `key` (a Recording listener): keep its HR only."""
        if sample.hr is None:
            return
        now = self.clock()
        with self._lock:
            a = self._athletes.get(key)
            if a is None:
                return
            a.hr, a.t_ms, a.last_s, a.dirty = sample.hr, sample.t_ms, now, True
            if a.first_s is None:
                a.first_s = now
            woken, self._woken = self._woken, True
        if not woken and self.wake is not None:
            self.wake()

    def set_target(self, key: int, target: HeartTarget) -> None:
        """The athlete's zones and max HR (loaded from their profile after the session opened)."""
        with self._lock:
            a = self._athletes.get(key)
            if a is not None:
                a.target, a.dirty = target, True

    def note(self, source: str, text: str) -> None:
        """A feed's status line ("connected", "reconnecting in 2 s", a failure)."""
        with self._lock:
            if self._status.get(source) != text:
                self._status[source] = text
                self._status_changed = True

    def athlete_ids(self) -> dict[int, int]:
        """Tile key -> local athlete id (to reload their profiles)."""
        with self._lock:
            return {a.key: a.athlete_id for a in self._athletes.values()}

    def clear(self) -> None:
        with self._lock:
            self._athletes.clear()
            self._status.clear()
            self._roster_changed = self._status_changed = True

    # GUI thread -------------------------------------------------------------------------

    def take(self) -> BoardUpdate:
        """Tiles whose view changed since the last call (a sample, a target, signal, a second)."""
        now = self.clock()
        changed: list[TileView] = []
        with self._lock:
            self._woken = False
            athletes = list(self._athletes.values())
            roster, self._roster_changed = self._roster_changed, False
            status = tuple(self._status.items()) if self._status_changed else None
            self._status_changed = False
            for a in athletes:
                shown = a.shown
                if not a.dirty and shown is not None:
                    # Only the clock moves: elapsed (whole seconds) and the no-signal timeout.
                    since = now - a.last_s if a.last_s is not None else 0.0
                    lost = shown.signal and since >= self.no_signal_s
                    tick = a.first_s is not None and int(now - a.first_s) != int(shown.elapsed_s)
                    if not (lost or tick):
                        continue
                view = tile_view(
                    a.key, a.name, a.target, a.hr, a.t_ms, a.first_s, a.last_s, now,
                    self.no_signal_s,
                )  # fmt: skip
                a.shown, a.dirty = view, False
                changed.append(view)
            views = tuple(a.shown for a in athletes if a.shown is not None) if roster else ()
        return BoardUpdate(tuple(changed), roster, views, status)

    def views(self) -> list[TileView]:
        """Every tile as last handed out (sorting, tests)."""
        with self._lock:
            return [a.shown for a in self._athletes.values() if a.shown is not None]
