"""Team live view: every athlete's heart rate as a big tile, for a gym's or studio's screen.

Feeds are recorded by app.services.team (a session per athlete, as `feeds record` does); this
screen only reads its board (woken by the first new sample of a batch, and on a tick for the
clock) and repaints the tiles that changed, so 60 athletes at 4 Hz stay cheap (one short lock
and a few repaints per batch, never a signal per sample).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from app.domain.team import SortOrder, TileView, sorted_views
from app.services.team import (
    MAX_SIMULATED,
    SIMULATED_ATHLETES,
    FeedSource,
    SimulatedSource,
    TeamSource,
    TeamStopped,
)
from device.feeds.formats import FORMATS

from .. import theme as th
from .. import viewmodels as vm
from ..bridge import REDRAW_INTERVAL_MS
from ..context import AppContext, Navigator
from ..team_tiles import TeamTile, TileGrid

#: The board is read this often (the product's redraw rate) for the clock (elapsed, no
#: signal); new samples also wake a read WAKE_MS after the first of a batch arrived, so the
#: rest of the batch (a feed message carries every athlete's sample) is drawn in the same go.
TICK_MS = REDRAW_INTERVAL_MS
WAKE_MS = 4
#: Sorted by zone, tiles move at most this often (athletes hovering at a zone boundary
#: would otherwise make the wall of tiles shuffle several times a second).
RESORT_S = 3.0
SIMULATED = "Simulated athletes"
BY_URL = "Feed URL…"
EMPTY_TEXT = (
    "No athletes yet. Connect a feed: another Pulsedeck's live broadcast (feeds serve-live), "
    "a Pulsoid or HypeRate socket, a feed stored in Devices, or simulated athletes."
)


class TeamScreen(QWidget):
    #: Emitted on the loop thread by the board's first new sample (queued to the GUI thread).
    _woken = Signal()

    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.service = ctx.services.team
        self.board = self.service.board
        self.tiles: dict[int, TeamTile] = {}
        self.order = SortOrder.NAME
        self._sorted_at = 0.0
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)

        self.big = False
        self.bar = QWidget()
        bar = QHBoxLayout(self.bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.source_box = QComboBox()
        self.source_box.addItems([SIMULATED, BY_URL])
        self.source_box.currentTextChanged.connect(self._source_changed)
        self.count = QSpinBox()
        self.count.setRange(1, MAX_SIMULATED)
        self.count.setValue(SIMULATED_ATHLETES)
        self.count.setSuffix(" athletes")
        self.url = QLineEdit()
        self.url.setPlaceholderText("ws://box.local:8765/api/v1/traces")
        self.token = QLineEdit()
        self.token.setPlaceholderText("Token")
        self.token.setEchoMode(QLineEdit.EchoMode.Password)
        self.format_box = QComboBox()
        self.format_box.addItems(list(FORMATS))
        self.connect_btn = QPushButton("Connect")
        self.connect_btn.setProperty("role", "primary")
        self.connect_btn.clicked.connect(self.connect_selected)
        self.stop_btn = QPushButton("Stop")
        self.stop_btn.setToolTip("Stop every feed and save each athlete's session")
        self.stop_btn.setEnabled(False)
        self.stop_btn.clicked.connect(self.stop)
        self.sort_box = QComboBox()
        self.sort_box.addItem("By name", SortOrder.NAME)
        self.sort_box.addItem("By zone", SortOrder.ZONE)
        self.sort_box.setToolTip("Tile order: by name, or hardest working first")
        self.sort_box.currentIndexChanged.connect(
            lambda _i: self.set_order(SortOrder(self.sort_box.currentData()))
        )
        full = QPushButton("Full screen")
        full.setToolTip("Tiles only, full screen, for a TV across the room (F11 again to leave)")
        full.clicked.connect(window.toggle_big)  # type: ignore[attr-defined]
        for w in (self.source_box, self.count, self.connect_btn, self.stop_btn):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.sort_box)
        bar.addWidget(full)
        root.addWidget(self.bar)
        # A feed URL's fields get their own row, so they have room in a 1024 px window.
        self.url_row = QWidget()
        url_row = QHBoxLayout(self.url_row)
        url_row.setContentsMargins(0, 0, 0, 0)
        url_row.addWidget(self.url, 3)
        url_row.addWidget(self.token, 1)
        url_row.addWidget(self.format_box)
        root.addWidget(self.url_row)
        self.status = QLabel("")
        self.status.setProperty("role", "muted")
        self.status.setWordWrap(True)
        root.addWidget(self.status)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setProperty("role", "muted")
        root.addWidget(self.empty)
        self.grid = TileGrid()
        root.addWidget(self.grid, 1)
        self._source_changed(SIMULATED)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self.refresh)
        self._wake_timer = QTimer(self)
        self._wake_timer.setSingleShot(True)
        self._wake_timer.setInterval(WAKE_MS)
        self._wake_timer.timeout.connect(self.refresh)
        self._woken.connect(self._on_wake)
        self.board.wake = self._woken.emit
        ctx.themeChanged.connect(self._apply_theme)

    # Navigation -----------------------------------------------------------------------

    def activate(self) -> None:
        """Offer the stored feeds; read profiles again (zones follow a profile just edited)."""
        devices = self.ctx.services.devices
        self.ctx.bridge.run(devices.feeds, self._show_feeds)
        if self.tiles:
            self.ctx.bridge.run(self.service.reload_targets)

    def set_big(self, on: bool) -> None:
        """Full screen for a TV (F11): the tiles only, no controls or status line."""
        self.big = on
        self.bar.setHidden(on)
        self.status.setHidden(on)
        self._source_changed(self.source_box.currentText())

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self.timer.start()

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 - Qt's name
        super().hideEvent(event)
        self.timer.stop()

    def _on_wake(self) -> None:
        if self.timer.isActive() and not self._wake_timer.isActive():
            self._wake_timer.start()

    def _show_feeds(self, feeds: list[vm.FeedItem]) -> None:
        current = self.source_box.currentText()
        self.source_box.blockSignals(True)
        self.source_box.clear()
        self.source_box.addItems([SIMULATED, *(f.name for f in feeds), BY_URL])
        index = self.source_box.findText(current)
        self.source_box.setCurrentIndex(max(0, index))
        self.source_box.blockSignals(False)
        self._source_changed(self.source_box.currentText())

    def _source_changed(self, text: str) -> None:
        self.count.setVisible(text == SIMULATED)
        self.url_row.setVisible(text == BY_URL and not self.big)

    # Actions ----------------------------------------------------------------------------

    def selected_source(self) -> TeamSource:
        """The source the bar describes."""
        text = self.source_box.currentText()
        if text == SIMULATED:
            return SimulatedSource(athletes=self.count.value())
        if text == BY_URL:
            return FeedSource(self.url.text(), self.token.text(), self.format_box.currentText())
        return FeedSource(stored=text)

    def connect_selected(self) -> None:
        self.connect_source(self.selected_source())

    def connect_source(self, source: TeamSource) -> None:
        """Start recording `source` beside the feeds already connected."""
        self.connect_btn.setEnabled(False)
        self.status.setText(f"Connecting {source.label}…")

        def done(label: str) -> None:
            self.connect_btn.setEnabled(True)
            self.stop_btn.setEnabled(True)
            self.token.clear()
            self.timer.start()

        def failed(exc: BaseException) -> None:
            self.connect_btn.setEnabled(True)
            self.status.setText(f"Not connected: {exc}")

        self.ctx.bridge.run(self.service.connect(source), done, failed)

    def stop(self) -> None:
        """Stop every feed; each athlete's session is saved."""
        self.stop_btn.setEnabled(False)
        self.connect_btn.setEnabled(False)
        self.status.setText("Saving the sessions…")

        def done(result: TeamStopped) -> None:
            self.connect_btn.setEnabled(True)
            self.refresh()
            self.status.setText(
                f"Saved {result.sessions} session{'s' if result.sessions != 1 else ''} "
                f"({result.samples} samples)."
            )
            self.ctx.historyChanged.emit()

        def failed(exc: BaseException) -> None:
            self.connect_btn.setEnabled(True)
            self.status.setText(f"Could not stop cleanly: {exc}")

        self.ctx.bridge.run(self.service.stop(), done, failed)

    def set_order(self, order: SortOrder) -> None:
        self.order = order
        index = self.sort_box.findData(order)
        if index != self.sort_box.currentIndex():
            self.sort_box.setCurrentIndex(index)
        self._arrange()

    # Live -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the board (the timer): new tiles, changed tiles, feed statuses."""
        update = self.board.take()
        theme = self.ctx.theme
        if update.roster_changed:
            keep = {v.key for v in update.views}
            for key in [k for k in self.tiles if k not in keep]:
                self.tiles.pop(key).deleteLater()
            for view in update.views:
                if view.key not in self.tiles:
                    self.tiles[view.key] = TeamTile(view, theme, self.grid)
        for view in update.changed:
            tile = self.tiles.get(view.key)
            if tile is not None:
                tile.set_view(view)
        if update.status is not None:
            self.status.setText(" · ".join(f"{label}: {text}" for label, text in update.status))
        if update.roster_changed:
            self._arrange()
        elif self.order is SortOrder.ZONE and time.monotonic() - self._sorted_at >= RESORT_S:
            self._arrange()

    def _arrange(self) -> None:
        self._sorted_at = time.monotonic()
        views: list[TileView] = [t.view for t in self.tiles.values()]
        order = [self.tiles[v.key] for v in sorted_views(views, self.order)]
        self.empty.setVisible(not order)
        if order != self.grid.order:
            self.grid.arrange(order)

    def _apply_theme(self, theme: th.Theme) -> None:
        for tile in self.tiles.values():
            tile.set_theme(theme)
