"""What the dashboard shows after Save: the saved session's summary, with "Open session".

The figures are the recorder's saved summary (the same accumulator as the live dashboard,
so nothing jumps when Stop is pressed), the rest time from the live model's hold rule, and
the PRs of the session's sets (read off the GUI thread once the card is up).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout

from app.domain.accumulator import SessionSummary

from . import theme as th
from . import viewmodels as vm
from .widgets import MetricTile, ZoneBand, all_below_note, card


@dataclass(frozen=True, slots=True)
class SavedSession:
    """A recording just saved: what the after-Save card shows."""

    session_id: int
    sport: str
    summary: SessionSummary
    rest_s: float
    floor1: float


def card_figures(saved: SavedSession, units: str) -> dict[str, str]:
    """The card's figures as text, in the athlete's units (tested without widgets)."""
    s = saved.summary
    return {
        "duration": vm.hms(s.duration_s),
        "distance": vm.distance(s.distance_m, units),
        "avg_hr": vm.number(s.avg_hr, ".0f", " bpm"),
        "max_hr": vm.number(s.max_hr, ".0f", " bpm"),
        "kcal": vm.number(s.kcal),
        "load": vm.number(s.trimp, ".0f"),
    }


class SavedCard:
    """The card frame and its parts; `show_saved` fills it, `frame` goes in a layout."""

    LABELS = (("duration", "Duration"), ("distance", "Distance"), ("avg_hr", "Avg HR"),
              ("max_hr", "Max HR"), ("kcal", "kcal"), ("load", "Load (TRIMP)"),
              ("prs", "PRs"))  # fmt: skip

    def __init__(self) -> None:
        self.frame = card()
        self.frame.setObjectName("card")
        self.frame.setAccessibleName("Saved session summary")
        box = QVBoxLayout(self.frame)
        box.setContentsMargins(18, 12, 18, 12)
        head = QHBoxLayout()
        self.title = QLabel("Saved")
        self.title.setStyleSheet("font-size: 22px; font-weight: 700;")
        self.title.setWordWrap(True)
        head.addWidget(self.title, 1)
        self.open_btn = QPushButton("Open session")
        self.open_btn.setProperty("role", "primary")
        self.dismiss_btn = QPushButton("Close")
        head.addWidget(self.open_btn)
        head.addWidget(self.dismiss_btn)
        box.addLayout(head)
        grid = QGridLayout()
        grid.setSpacing(8)
        self.tiles: dict[str, MetricTile] = {}
        for i, (key, label) in enumerate(self.LABELS):
            tile = MetricTile(label)
            self.tiles[key] = tile
            grid.addWidget(tile, 0, i)
        box.addLayout(grid)
        self.zones = ZoneBand()
        self.zones.setMinimumHeight(52)
        box.addWidget(self.zones)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        box.addWidget(self.note)
        box.addStretch(1)
        self.saved: SavedSession | None = None

    def show_saved(self, saved: SavedSession, units: str, theme: th.Theme) -> None:
        self.saved = saved
        sport = saved.sport.replace("_", " ").capitalize()
        self.title.setText(f"Saved: {sport} · {vm.hms(saved.summary.duration_s)}")
        for key, text in card_figures(saved, units).items():
            self.tiles[key].set(text)
        self.tiles["prs"].set("…")
        s = saved.summary
        self.zones.set(s.zone_s, -1, theme, saved.rest_s)
        notes = [all_below_note(s.zone_s, saved.rest_s, saved.floor1)]
        if s.kcal is None:
            notes.append("kcal needs your weight, birth year and sex (Settings).")
        self.note.setText(" ".join(n for n in notes if n))

    def show_prs(self, count: int) -> None:
        self.tiles["prs"].set(str(count))


__all__ = ["SavedCard", "SavedSession", "card_figures"]
