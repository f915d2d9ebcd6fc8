"""The session detail's HRV panel: RR tachogram with artefacts marked, Poincaré plot (SD1/SD2),
time- and frequency-domain table, Lomb-Scargle spectrum with the LF/HF bands, DFA α1 over the
session with unreliable windows marked and the aerobic (0.75) / anaerobic (0.5) thresholds.

One `ctx.services.analysis.hrv(session_id)` call on the worker thread; loaded when the panel
is first shown for a session (the report of a 3-hour session takes ~0.5 s of CPU).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import theme as th
from ..analysis_charts import StaticPlot
from ..chart_parts import TimeAxis, pen
from ..charts import configure_curve

if TYPE_CHECKING:
    from app.services.analysis import SessionHrv

    from ..context import AppContext

NO_RR = "No RR intervals in this session: record with a chest strap that sends them."
SHORT = "Under 2 minutes of RR: no spectrum and no α1 windows."
#: Beat kinds as app.domain.hrv_metrics.Beat numbers them, with legend names.
KINDS = {1: "Missed (split)", 2: "Ectopic", 3: "Out of range"}


def _fmt(value: float | None, spec: str = ".1f", unit: str = "") -> str:
    return "–" if value is None else f"{format(value, spec)}{unit}"


class HrvPanel(QWidget):
    """Kubios-style HRV of one session; `shown` after a report (or its absence) is drawn."""

    shown = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.session_id: int | None = None
        self.loaded_id: int | None = None
        self.result: SessionHrv | None = None
        self.empty_text = ""
        self.unreliable_s: list[float] = []
        root = QHBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        left = QVBoxLayout()
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setProperty("role", "muted")
        left.addWidget(self.note)
        self.charts = pg.GraphicsLayoutWidget()
        left.addWidget(self.charts, 1)
        root.addLayout(left, 3)
        lay = self.charts.ci
        self.plots: dict[str, StaticPlot] = {
            "tachogram": StaticPlot(lay, 0, 0, "RR tachogram", "RR", "ms", dates=False),
            "alpha1": StaticPlot(
                lay,
                1,
                0,
                "DFA α1 (boxes 4–16 beats, 2-min windows every 20 s)",
                "α1",
                "",
                dates=False,
            ),  # fmt: skip
            "poincare": StaticPlot(
                lay, 2, 0, "Poincaré plot", "RRn+1", "ms", dates=False, x_label="RRn (ms)"
            ),  # fmt: skip
        }
        self.plots["spectrum"] = StaticPlot(lay, 2, 1, "Spectrum (Lomb-Scargle)", "PSD", "ms²/Hz",
                                            dates=False, x_label="Frequency (Hz)")  # fmt: skip
        lay.removeItem(self.plots["tachogram"].plot)
        lay.addItem(self.plots["tachogram"].plot, row=0, col=0, colspan=2)
        lay.removeItem(self.plots["alpha1"].plot)
        lay.addItem(self.plots["alpha1"].plot, row=1, col=0, colspan=2)
        for name in ("tachogram", "alpha1"):
            plot = self.plots[name].plot
            plot.setAxisItems({"bottom": TimeAxis("bottom")})
            plot.setLabel("bottom", "Time since the first beat")
            plot.setMouseEnabled(x=True, y=False)
        self.plots["alpha1"].plot.setXLink(self.plots["tachogram"].plot)
        for p in self.plots.values():
            p.plot.getAxis("left").enableAutoSIPrefix(False)
            p.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.table = QTableWidget(0, 2)
        self.table.setHorizontalHeaderLabels(["Measure", "Value"])
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.setMinimumWidth(330)
        root.addWidget(self.table, 1)
        ctx.themeChanged.connect(lambda _t: self._draw())

    def set_session(self, session_id: int) -> None:
        """The session whose HRV to show; loaded now if visible, else when first shown."""
        self.session_id = session_id
        if self.isVisible():
            self.load()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if self.session_id is not None and self.session_id != self.loaded_id:
            self.load()

    def load(self) -> None:
        sid = self.session_id
        if sid is None:
            return
        self.loaded_id = sid
        self.note.setText("Analysing the RR intervals…")
        analysis = self.ctx.services.analysis

        def done(result: SessionHrv) -> None:
            if sid == self.session_id:
                self.result, self.empty_text = result, ""
                self._draw()

        def failed(exc: BaseException) -> None:
            from app.services.analysis import NothingToAnalyse

            if sid == self.session_id:
                self.result = None
                self.empty_text = NO_RR if isinstance(exc, NothingToAnalyse) else str(exc)
                self._draw()

        self.ctx.bridge.run(lambda: analysis.hrv(sid), done, failed)

    # Drawing -------------------------------------------------------------------------

    def _draw(self) -> None:
        t = self.ctx.theme
        self.charts.setBackground(QColor(t.chart_bg))
        for p in self.plots.values():
            p.clear(t)
        self.unreliable_s = []
        r = self.result
        if r is None:
            text = self.empty_text or NO_RR
            self.note.setText(text)
            for p in self.plots.values():
                p.show_empty(text if p is self.plots["tachogram"] else "", t)
            self.table.setRowCount(0)
            self.shown.emit()
            return
        self._tachogram(r, t)
        self._alpha1(r, t)
        self._poincare(r, t)
        self._spectrum(r, t)
        self._table(r)
        c = r.report.corrected
        share = c.artefact_share * 100
        self.note.setText(
            f"{len(c.kinds)} beats, {share:.1f} % corrected (Lipponen-Tarvainen style rule: "
            "missed beats split, ectopic / out-of-range beats interpolated) · "
            "α1 windows over 5 % artefacts are unreliable (✕) and left out of the thresholds"
            + ("" if r.report.windows else f" · {SHORT}")
        )
        self.shown.emit()

    def _tachogram(self, r: SessionHrv, t: th.Theme) -> None:
        c = r.report.corrected
        p = self.plots["tachogram"]
        nn = pg.PlotDataItem(c.nn_t_s, c.nn_ms, pen=pen(t.accent, 1.2))
        p.add("NN (corrected)", nn)
        configure_curve(nn)  # in its view first: clip-to-view needs one
        colours = {1: t.zones[4], 2: t.danger, 3: t.cadence}
        for kind, name in KINDS.items():
            sel = c.kinds == kind
            if not sel.any():
                continue
            y = np.clip(c.rr_ms[sel], 250, 2100)
            dots = pg.ScatterPlotItem(c.beat_t_s[sel], y, size=8, pen=pen(colours[kind], 1.5),
                                      brush=None, symbol="o")  # fmt: skip
            p.add(f"{name}: {int(sel.sum())}", dots)
        finite = c.nn_ms[np.isfinite(c.nn_ms)]
        if len(finite):
            lo, hi = np.percentile(finite, [0.5, 99.5])
            p.plot.setYRange(max(250.0, lo - 60), hi + 60, padding=0)
        if len(c.nn_t_s):
            p.plot.setXRange(0, float(c.nn_t_s[-1]), padding=0.01)

    def _alpha1(self, r: SessionHrv, t: th.Theme) -> None:
        p = self.plots["alpha1"]
        windows = [w for w in r.report.windows if w.alpha1 is not None]
        if not windows:
            p.show_empty(SHORT, t)
            return
        x = np.array([w.end_s for w in windows])
        y = np.array([w.alpha1 for w in windows], dtype=float)
        ok = np.array([w.reliable for w in windows])
        y_ok = np.where(ok, y, np.nan)
        p.line("α1", x.tolist(), y_ok.tolist(), t.accent, 2, symbol="o")
        self.unreliable_s = x[~ok].tolist()
        if (~ok).any():
            bad = pg.ScatterPlotItem(x[~ok], y[~ok], size=11, symbol="x", pen=pen(t.danger, 2),
                                     brush=QColor(t.danger))  # fmt: skip
            p.add("Unreliable (>5 % art.)", bad)
        thresholds = ((r.report.aerobic, "Aerobic α1 0.75", t.zones[2]),
                      (r.report.anaerobic, "Anaerobic α1 0.5", t.zones[5]))  # fmt: skip
        for th_, label, colour in thresholds:
            dashed = pen(colour, 2, Qt.PenStyle.DashLine)
            extra = []
            if th_.hr is not None:
                extra.append(f"{th_.hr:.0f} bpm")
            if th_.power_w is not None:
                extra.append(f"{th_.power_w:.0f} W")
            name = f"{label}" + (f" ≈ {', '.join(extra)}" if extra else "")
            p.add(name, pg.InfiniteLine(th_.alpha1, angle=0, pen=dashed), sample=dashed)
        p.plot.setYRange(0.0, max(1.6, float(np.nanmax(y)) + 0.1), padding=0)

    def _poincare(self, r: SessionHrv, t: th.Theme) -> None:
        p = self.plots["poincare"]
        nn = r.report.corrected.nn_ms
        nn = nn[np.isfinite(nn)]
        pc = r.report.poincare
        if len(nn) < 3 or pc is None:
            p.show_empty("Too few beats", t)
            return
        a, b = nn[:-1], nn[1:]
        dots = pg.ScatterPlotItem(a, b, size=3, pen=None, brush=QColor(t.accent))
        p.add("RR pairs", dots)
        m = float(nn.mean())
        ang = np.linspace(0, 2 * math.pi, 120)
        # SD2 along the identity line, SD1 across it (Brennan et al. 2001)
        u = pc.sd2_ms * np.cos(ang)
        v = pc.sd1_ms * np.sin(ang)
        ex = m + (u - v) / math.sqrt(2)
        ey = m + (u + v) / math.sqrt(2)
        name = f"SD1 {pc.sd1_ms:.1f} ms, SD2 {pc.sd2_ms:.1f} ms"
        p.add(name, pg.PlotDataItem(ex, ey, pen=pen(t.danger, 2)))
        lo, hi = np.percentile(nn, [0.5, 99.5])
        p.plot.addItem(
            pg.PlotDataItem([lo, hi], [lo, hi], pen=pen(t.muted, 1, Qt.PenStyle.DotLine))
        )
        p.plot.setXRange(lo - 20, hi + 20, padding=0)
        p.plot.setYRange(lo - 20, hi + 20, padding=0)

    def _spectrum(self, r: SessionHrv, t: th.Theme) -> None:
        p = self.plots["spectrum"]
        s = r.report.spectrum
        if s is None:
            p.show_empty(SHORT, t)
            return
        f, psd = s.freqs_hz, s.psd_ms2_hz
        bands = (
            ((0.04, 0.15), f"LF {s.lf_ms2:.0f} ms²", t.zones[3]),
            ((0.15, 0.4), f"HF {s.hf_ms2:.0f} ms²", t.zones[1]),
        )
        for (lo, hi), name, colour in bands:
            sel = (f >= lo) & (f <= hi)
            fill = QColor(colour)
            fill.setAlpha(110)
            band = pg.PlotDataItem(f[sel], psd[sel], pen=pen(colour, 1), fillLevel=0, brush=fill)
            p.add(name, band)
        p.add("PSD", pg.PlotDataItem(f, psd, pen=pen(t.text, 1.5)))
        p.plot.setXRange(0, 0.4, padding=0)
        p.plot.setYRange(0, float(psd.max()) * 1.1 if len(psd) else 1, padding=0)

    def _table(self, r: SessionHrv) -> None:
        rep = r.report
        td, pc, s = rep.time, rep.poincare, rep.spectrum
        rows = [
            ("Mean RR", _fmt(td.mean_rr_ms, ".0f", " ms")),
            ("Mean HR", _fmt(td.mean_hr, ".0f", " bpm")),
            ("SDNN", _fmt(td.sdnn_ms, ".1f", " ms")),
            ("RMSSD", _fmt(td.rmssd_ms, ".1f", " ms")),
            ("pNN50", _fmt(td.pnn50, ".1f", " %")),
            ("SD1", _fmt(pc.sd1_ms if pc else None, ".1f", " ms")),
            ("SD2", _fmt(pc.sd2_ms if pc else None, ".1f", " ms")),
            ("LF", _fmt(s.lf_ms2 if s else None, ".0f", " ms²")),
            ("HF", _fmt(s.hf_ms2 if s else None, ".0f", " ms²")),
            ("LF/HF", _fmt(s.lf_hf if s else None, ".2f")),
            ("Spectrum", f"Lomb-Scargle ×{s.segments}" if s else "–"),
            ("Artefacts", f"{rep.corrected.artefact_share * 100:.1f} %"),
            ("α1 windows", f"{len(rep.windows)} ({len(self.unreliable_s)} unreliable)"),
            ("Aerobic (α1 0.75)", self._threshold(rep.aerobic)),
            ("Anaerobic (α1 0.5)", self._threshold(rep.anaerobic)),
        ]
        self.table.setRowCount(len(rows))
        for i, (name, value) in enumerate(rows):
            self.table.setItem(i, 0, QTableWidgetItem(name))
            self.table.setItem(i, 1, QTableWidgetItem(value))

    @staticmethod
    def _threshold(x: object) -> str:
        hr, w = getattr(x, "hr", None), getattr(x, "power_w", None)
        if hr is None and w is None:
            return "– (ramp test)"
        parts = [_fmt(hr, ".0f", " bpm") if hr is not None else "",
                 _fmt(w, ".0f", " W") if w is not None else ""]  # fmt: skip
        return " · ".join(v for v in parts if v)

    def table_values(self) -> dict[str, str]:
        """The table as {measure: value} (tests)."""
        out = {}
        for i in range(self.table.rowCount()):
            a, b = self.table.item(i, 0), self.table.item(i, 1)
            if a is not None and b is not None:
                out[a.text()] = b.text()
        return out


__all__ = ["NO_RR", "HrvPanel"]
