"""Session HRV panel on a real SQLite file: tachogram with artefacts, α1 with unreliable windows
and both thresholds, Poincaré SD1/SD2, spectrum bands, the table; no RR -> an empty state."""

from __future__ import annotations

from tests.analysis.trend_data import hrv_session
from tests.ui.test_trends import make_ctx  # noqa: F401 - the fixture

T0 = 1_800_000_000_000


def _panel(qtbot, ctx, sid: int):
    from app.ui.screens.hrv_panel import HrvPanel

    panel = HrvPanel(ctx)
    qtbot.addWidget(panel)
    panel.resize(1100, 700)
    panel.show()
    with qtbot.waitSignal(panel.shown, timeout=30_000):
        panel.set_session(sid)
    return panel


def test_hrv_panel_draws_the_report(qtbot, store, make_ctx) -> None:  # noqa: F811
    a = store.ensure_athlete("Me", is_self=True)
    sid = hrv_session(store, a.id, T0)
    panel = _panel(qtbot, make_ctx(), sid)
    rep = panel.result.report
    tach = panel.plots["tachogram"].series
    assert "NN (corrected)" in tach
    assert any(k.startswith("Missed (split): ") for k in tach)
    assert any(k.startswith("Ectopic: ") for k in tach)
    a1 = panel.plots["alpha1"].series
    assert "α1" in a1 and "Unreliable (>5 % art.)" in a1
    assert any(k.startswith("Aerobic α1 0.75") for k in a1)
    assert any(k.startswith("Anaerobic α1 0.5") for k in a1)
    unreliable = [w.end_s for w in rep.windows if w.alpha1 is not None and not w.reliable]
    assert unreliable and panel.unreliable_s == unreliable
    assert any(k.startswith("SD1 ") and "SD2" in k for k in panel.plots["poincare"].series)
    spec = panel.plots["spectrum"].series
    assert any(k.startswith("LF ") for k in spec) and any(k.startswith("HF ") for k in spec)
    for p in panel.plots.values():
        assert len(p.legend.items) == len(p.series) and p.plot.getAxis("left").labelText
    assert panel.plots["spectrum"].plot.getAxis("bottom").labelText == "Frequency (Hz)"
    values = panel.table_values()
    assert values["RMSSD"] == f"{rep.time.rmssd_ms:.1f} ms"
    assert values["SD1"].endswith(" ms") and values["LF/HF"] != "–"
    assert values["α1 windows"] == f"{len(rep.windows)} ({len(unreliable)} unreliable)"
    assert "corrected" in panel.note.text()


def test_session_without_rr_says_so(qtbot, store, make_ctx) -> None:  # noqa: F811
    from app.ui.screens.hrv_panel import NO_RR

    a = store.ensure_athlete("Me", is_self=True)
    sid = hrv_session(store, a.id, T0, with_rr=False)
    panel = _panel(qtbot, make_ctx("dark"), sid)
    assert panel.result is None and panel.empty_text == NO_RR
    assert panel.note.text() == NO_RR
    assert panel.plots["tachogram"].empty_text == NO_RR
    assert all(not p.series for p in panel.plots.values())
    assert panel.table.rowCount() == 0


def test_loads_only_when_shown(qtbot, store, make_ctx) -> None:  # noqa: F811
    from app.ui.screens.hrv_panel import HrvPanel

    a = store.ensure_athlete("Me", is_self=True)
    sid = hrv_session(store, a.id, T0, beats=600)
    panel = HrvPanel(make_ctx())
    qtbot.addWidget(panel)
    panel.set_session(sid)
    assert panel.loaded_id is None  # hidden (the Charts tab is in front): nothing computed
    with qtbot.waitSignal(panel.shown, timeout=30_000):
        panel.show()
    assert panel.loaded_id == sid and panel.result is not None
