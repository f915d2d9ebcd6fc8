"""The dashboard's live DFA α1 tile and 3 s / 30 s / lap power tiles, and the tile grid's layout.

The figures come ready-made in a `LiveAnalysisView` (app.ui.live_analysis, computed on the
loop thread); these tiles only pick words and colours. The live tiles follow the dashboard's
eight, four to a row, and take no room while they have no data. A short window keeps two rows:
each live tile then takes the place of one of SHORT_DROP (so the chart keeps its height at
1024x640); big mode (F11) shows Elapsed only.
"""

from __future__ import annotations

from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from app.domain.dfa import AEROBIC_ALPHA1, ANAEROBIC_ALPHA1, MAX_ARTEFACT_SHARE

from .. import theme as th
from .. import viewmodels as vm
from ..live_analysis import Alpha1State, LiveAnalysisView
from ..widgets import MetricTile

#: The words under the α1 value, by state.
ALPHA1_WORDS = {
    Alpha1State.AEROBIC: "aerobic",
    Alpha1State.THRESHOLD: "threshold",
    Alpha1State.ANAEROBIC: "anaerobic",
    Alpha1State.UNRELIABLE: "unreliable",
}
ALPHA1_HELP = (
    f"DFA α1 of the last 2 minutes of RR intervals (boxes 4-16 beats), every 20 s. Above "
    f"{AEROBIC_ALPHA1} you are below the aerobic threshold; below {ANAEROBIC_ALPHA1}, above the "
    f"anaerobic one. Over {MAX_ARTEFACT_SHARE:.0%} corrected beats (artefacts) and the value "
    "is unreliable (a loose strap, a dry electrode)."
)


class DetailTile(MetricTile):
    """A metric tile with a small line under the value; the longest wording that fits."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, parent)
        self.detail = QLabel("")
        self.detail.setProperty("role", "muted")
        self.detail.setStyleSheet("font-size: 12px;")
        # Like the value: the line must never widen the tile (and the window).
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = self.layout()
        layout.addWidget(self.detail)  # type: ignore[union-attr]
        # As tall as a plain tile's two lines plus the small one: the chart keeps its height.
        layout.setContentsMargins(14, 3, 14, 2)  # type: ignore[union-attr]
        self._wordings: tuple[str, ...] = ("",)
        self._sheet = ""

    def set_detail(self, *wordings: str) -> None:
        """Show the first of `wordings` (longest first) that fits the tile's width."""
        if wordings != self._wordings:
            self._wordings = wordings
            self._fit_detail()

    def _fit_detail(self) -> None:
        metrics = QFontMetrics(self.detail.font())
        width = self.detail.contentsRect().width()
        text = next(
            (w for w in self._wordings if metrics.horizontalAdvance(w) <= width),
            self._wordings[-1],
        )
        if self.detail.text() != text:
            self.detail.setText(text)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit_detail()

    def set_colour(self, colour: str | None) -> None:
        """Value and frame in `colour` (None: the theme's); restyled only on a change."""
        sheet = (
            f"QFrame#card {{ border: 2px solid {colour}; }} "
            f"QLabel[role='metric'] {{ color: {colour}; }}"
            if colour
            else ""
        )
        if sheet != self._sheet:
            self._sheet = sheet
            self.setStyleSheet(sheet)


def alpha1_colour(state: Alpha1State, theme: th.Theme) -> str | None:
    """Green above the aerobic threshold, orange between the two, red above the anaerobic."""
    return {
        Alpha1State.AEROBIC: theme.zones[2],
        Alpha1State.THRESHOLD: theme.zones[4],
        Alpha1State.ANAEROBIC: theme.zones[5],
    }.get(state)


#: In a short window, the dashboard tiles the live ones replace, first to go first: moving time
#: is close to elapsed, kcal matters afterwards, 3 s power is the readable form of instant power.
SHORT_DROP = ("moving", "kcal", "power", "cadence")
#: Tiles per grid row.
COLUMNS = 4


class LiveTiles:
    """α1, 3 s power, 30 s power and lap average, laid out with the dashboard's `base` tiles."""

    def __init__(self, grid: QGridLayout, base: dict[str, MetricTile]) -> None:
        self.grid, self.base = grid, base
        self.alpha1 = DetailTile("DFA α1")
        self.alpha1.name.setText("DFA α1")
        self.alpha1.name.setStyleSheet("text-transform: none;")  # an upper-case α reads as A
        self.alpha1.setToolTip(ALPHA1_HELP)
        self.power_3s = MetricTile("3 s power")
        self.power_30s = MetricTile("30 s power")
        self.lap = DetailTile("Lap avg")
        self.tiles: tuple[MetricTile, ...] = (self.alpha1, self.power_3s, self.power_30s, self.lap)
        self._placed: tuple[MetricTile, ...] = ()
        for tile in self.tiles:
            tile.hide()
        # Placed, not shown: a parentless widget shown here would open as a window of its own.
        self._placed = tuple(base.values())
        for i, tile in enumerate(self._placed):
            grid.addWidget(tile, i // COLUMNS, i % COLUMNS)

    def show(
        self, a: LiveAnalysisView, lap_no: int, theme: th.Theme, *, big: bool, short: bool
    ) -> None:
        """Repaint from a snapshot; lay out the tiles (module docstring)."""
        state = a.alpha1_state
        wanted: list[MetricTile] = []
        if state != Alpha1State.NO_RR:
            wanted.append(self.alpha1)
            self._show_alpha1(a, state, theme)
        if a.has_power:
            wanted += [self.power_3s, self.power_30s, self.lap]
            self.power_3s.set(vm.number(a.power_3s, ".0f", " W"))
            self.power_30s.set(vm.number(a.power_30s, ".0f", " W"))
            self.lap.set(vm.number(a.lap_avg_w, ".0f", " W"), f"Lap {lap_no} avg")
            last = a.last_lap_avg_w
            self.lap.set_detail("" if last is None else f"lap {lap_no - 1}: {last:.0f} W")
        if big:
            self._place((self.base["elapsed"],))
            return
        keep = list(self.base)
        if short:
            for key in SHORT_DROP[: len(wanted)]:
                keep.remove(key)
        self._place(tuple(self.base[k] for k in keep) + tuple(wanted))

    def _show_alpha1(self, a: LiveAnalysisView, state: Alpha1State, theme: th.Theme) -> None:
        tile, w = self.alpha1, a.window
        if state == Alpha1State.WARMING_UP or w is None:
            left = vm.hms(a.warmup_left_s)
            tile.set("-")
            tile.set_detail(f"warming up · {left} to go", f"warming up · {left}", left)
            tile.set_colour(None)
            return
        tile.set(vm.number(w.alpha1, ".2f"))
        word, share = ALPHA1_WORDS[state], f"{w.artefact_share:.1%}"
        if state == Alpha1State.UNRELIABLE:  # the word matters more than the figure here
            tile.set_detail(f"{word} · {share} artefacts", f"{word} · {share}", word)
        else:  # narrow tiles drop the zone word first (the colour says it), artefacts last
            tile.set_detail(
                f"{word} · {share} artefacts", f"{word} · {share} art.", f"{share} artefacts",
                f"{share} art.",
            )  # fmt: skip
        tile.set_colour(alpha1_colour(state, theme) or theme.muted)

    def _place(self, tiles: tuple[MetricTile, ...]) -> None:
        """Show `tiles` four to a row, in order; hide every other tile."""
        if tiles == self._placed:
            return
        for tile in self._placed:
            self.grid.removeWidget(tile)
        for i, tile in enumerate(tiles):
            self.grid.addWidget(tile, i // COLUMNS, i % COLUMNS)
        for tile in (*self.base.values(), *self.tiles):
            tile.setVisible(tile in tiles)
        self._placed = tiles

    def visible(self) -> list[str]:
        """The shown tiles' names, in order (tests, screenshots)."""
        return [t.name.text() for t in self._placed]
