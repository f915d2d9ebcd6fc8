"""Devices: Bluetooth scan, remembered sensors per athlete, websocket feeds as a second source."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import viewmodels as vm
from ..context import AppContext, Navigator

#: A scan listens this long: long enough for sensors advertising every ~1 s, short to wait.
SCAN_S = 5.0


def _table(headers: list[str]) -> QTableWidget:
    t = QTableWidget(0, len(headers))
    t.setHorizontalHeaderLabels(headers)
    t.verticalHeader().hide()
    header = t.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
    t.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    t.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    return t


class DevicesScreen(QWidget):
    def __init__(self, ctx: AppContext, window: Navigator) -> None:
        super().__init__()
        self.ctx = ctx
        self.found: list[vm.DeviceItem] = []
        self.remembered: list[vm.DeviceItem] = []
        self.feed_items: list[vm.FeedItem] = []
        self.bluetooth: str | None = None  # None = usable; else the reason it is not
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        self.banner = QLabel("Checking Bluetooth…")
        self.banner.setWordWrap(True)
        self.banner.setStyleSheet("font-size: 17px; padding: 10px; border-radius: 8px;")
        root.addWidget(self.banner)

        top = QHBoxLayout()
        scan_box = QGroupBox("Nearby sensors")
        sl = QVBoxLayout(scan_box)
        self.scan_btn = QPushButton("Scan")
        self.scan_btn.setProperty("role", "primary")
        self.scan_btn.clicked.connect(self.scan)
        self.found_table = _table(["Name", "Kind", "Signal", "Address"])
        self.remember_btn = QPushButton("Connect and remember")
        self.remember_btn.clicked.connect(self._remember_selected)
        sl.addWidget(self.scan_btn)
        sl.addWidget(self.found_table, 1)
        sl.addWidget(self.remember_btn)
        top.addWidget(scan_box, 1)

        mem_box = QGroupBox("Remembered for this athlete")
        ml = QVBoxLayout(mem_box)
        self.mem_table = _table(["Name", "Kind", "Battery", "Address"])
        self.forget_btn = QPushButton("Forget")
        self.forget_btn.setProperty("role", "danger")
        self.forget_btn.clicked.connect(self._forget_selected)
        ml.addWidget(self.mem_table, 1)
        ml.addWidget(self.forget_btn)
        top.addWidget(mem_box, 1)
        root.addLayout(top, 2)

        feed_box = QGroupBox("Websocket feeds")
        fl = QVBoxLayout(feed_box)
        self.feed_table = _table(["Name", "Protocol", "URL", "Token"])
        fl.addWidget(self.feed_table, 1)
        row = QHBoxLayout()
        self.feed_name = QLineEdit()
        self.feed_name.setPlaceholderText("Name")
        self.feed_url = QLineEdit()
        self.feed_url.setPlaceholderText("wss://example.org/feed")
        self.feed_format = QComboBox()
        self.feed_format.addItems(["pulsedeck", "pulsoid", "hyperate"])
        self.feed_token = QLineEdit()
        self.feed_token.setPlaceholderText("Token (kept in the OS keyring)")
        self.feed_token.setEchoMode(QLineEdit.EchoMode.Password)
        add = QPushButton("Add feed")
        add.clicked.connect(self._add_feed)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_feed)
        for w, stretch in ((self.feed_name, 1), (self.feed_url, 3), (self.feed_format, 0),
                           (self.feed_token, 2),
                           (add, 0), (remove, 0)):  # fmt: skip
            row.addWidget(w, stretch)
        fl.addLayout(row)
        self.feed_status = QLabel("")
        self.feed_status.setProperty("role", "muted")
        fl.addWidget(self.feed_status)
        root.addWidget(feed_box, 1)
        ctx.athleteChanged.connect(lambda _a: self.reload())
        self._generation = 0
        self.probe()
        self.reload()

    def activate(self) -> None:
        self.reload()

    # Bluetooth ----------------------------------------------------------------------

    def probe(self) -> None:
        self.ctx.bridge.run(self.ctx.services.devices.probe(), self.set_bluetooth,
                            lambda exc: self.set_bluetooth(f"No Bluetooth: {exc}"))  # fmt: skip

    def set_bluetooth(self, reason: str | None) -> None:
        """Show whether Bluetooth can be used; without it scanning is off, feeds still work."""
        self.bluetooth = reason
        t = self.ctx.theme
        if reason:
            from device.ble.manager import NO_BLUETOOTH  # loaded already: it gave the reason

            why = reason.removeprefix(NO_BLUETOOTH).strip()  # "(no system D-Bus: ...)."
            self.banner.setText(f"No Bluetooth on this computer {why} You can still record "
                                "from a websocket feed or the simulated strap.")  # fmt: skip
            self.banner.setStyleSheet(self.banner.styleSheet() + f"color: {t.danger}; "
                                      f"border: 2px solid {t.danger};")  # fmt: skip
        else:
            self.banner.setText("Bluetooth is ready. Wake your sensors and press Scan.")
            self.banner.setStyleSheet(self.banner.styleSheet() + f"color: {t.ok}; "
                                      f"border: 2px solid {t.ok};")  # fmt: skip
        self.scan_btn.setEnabled(reason is None)
        self.remember_btn.setEnabled(reason is None)

    def scan(self) -> None:
        self.scan_btn.setEnabled(False)
        self.scan_btn.setText("Scanning…")

        def done(items: list[vm.DeviceItem]) -> None:
            self.scan_btn.setText("Scan")
            self.scan_btn.setEnabled(True)
            self.show_found(items)

        def failed(exc: BaseException) -> None:
            self.scan_btn.setText("Scan")
            self.set_bluetooth(str(exc))

        self.ctx.bridge.run(self.ctx.services.devices.scan(SCAN_S), done, failed)

    def show_found(self, items: list[vm.DeviceItem]) -> None:
        self.found = items
        self.found_table.setRowCount(len(items))
        for i, d in enumerate(items):
            for col, text in enumerate([d.name, d.kind, vm.number(d.rssi, ".0f", " dBm"),
                                        d.address]):  # fmt: skip
                self.found_table.setItem(i, col, QTableWidgetItem(text))

    def _remember_selected(self) -> None:
        rows = self.found_table.selectionModel().selectedRows()
        if not rows:
            return
        item = self.found[rows[0].row()]
        athlete_id = self.ctx.athlete.id
        devices = self.ctx.services.devices
        self.ctx.bridge.run(lambda: devices.remember(athlete_id, item),
                            lambda _r: self.reload())  # fmt: skip

    def _forget_selected(self) -> None:
        rows = self.mem_table.selectionModel().selectedRows()
        if not rows:
            return
        address = self.remembered[rows[0].row()].address
        athlete_id = self.ctx.athlete.id
        devices = self.ctx.services.devices
        self.ctx.bridge.run(lambda: devices.forget(athlete_id, address),
                            lambda _r: self.reload())  # fmt: skip

    # Remembered and feeds -----------------------------------------------------------

    def reload(self) -> None:
        athlete_id = self.ctx.athlete.id
        devices = self.ctx.services.devices
        self._generation += 1
        generation = self._generation

        def done(result: tuple[list[vm.DeviceItem], list[vm.FeedItem]]) -> None:
            if generation == self._generation:  # an older, slower answer must not win
                self._show(result)

        self.ctx.bridge.run(lambda: (devices.remembered(athlete_id), devices.feeds()), done)

    def _show(self, result: tuple[list[vm.DeviceItem], list[vm.FeedItem]]) -> None:
        self.remembered, self.feed_items = result
        self.mem_table.setRowCount(len(self.remembered))
        for i, d in enumerate(self.remembered):
            for col, text in enumerate([d.name, d.kind, vm.number(d.battery_pct, ".0f", " %"),
                                        d.address]):  # fmt: skip
                self.mem_table.setItem(i, col, QTableWidgetItem(text))
        self.feed_table.setRowCount(len(self.feed_items))
        for i, f in enumerate(self.feed_items):
            for col, text in enumerate([f.name, f.protocol, f.url,
                                        "in keyring" if f.has_token else "none"]):  # fmt: skip
                self.feed_table.setItem(i, col, QTableWidgetItem(text))

    def _add_feed(self) -> None:
        name, url, token = self.feed_name.text(), self.feed_url.text(), self.feed_token.text()
        protocol = self.feed_format.currentText()

        def done(_f: vm.FeedItem) -> None:
            self.feed_name.clear()
            self.feed_url.clear()
            self.feed_token.clear()
            self.feed_status.setText("Feed added.")
            self.reload()

        def failed(exc: BaseException) -> None:
            self.feed_status.setText(f"Feed not added: {exc}")

        self.ctx.bridge.run(
            lambda: self.ctx.services.devices.add_feed(name, url, token, protocol), done, failed
        )

    def _remove_feed(self) -> None:
        rows = self.feed_table.selectionModel().selectedRows()
        if rows:
            name = self.feed_items[rows[0].row()].name
            devices = self.ctx.services.devices
            self.ctx.bridge.run(lambda: devices.remove_feed(name),
                                lambda _r: self.reload())  # fmt: skip
