"""Record -> export FIT -> import into a fresh data dir: the same session comes back."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import fitdecode
import pytest

from app.store.repo import Store
from sync.exports.session import export_session
from sync.imports import Outcome, import_paths


def _export(tmp_path: Path, recorded_session: Callable[..., int]) -> tuple[Store, int, Path]:
    store = Store.open(tmp_path / "a")
    sid = recorded_session(store)
    out = tmp_path / "run.fit"
    export_session(store, sid, "fit", out)
    return store, sid, out


def test_fit_round_trip_same_samples_rr_laps_summary(
    tmp_path: Path, recorded_session: Callable[..., int]
) -> None:
    src, sid, fit = _export(tmp_path, recorded_session)
    dst = Store.open(tmp_path / "b")
    me = dst.default_athlete()
    report = import_paths(dst, me.id, [fit])
    assert [r.outcome for r in report.results] == [Outcome.IMPORTED]
    new = report.results[0].session_id
    assert new is not None
    a, b = src.load_samples(sid), dst.load_samples(new)
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.t_ms == y.t_ms  # exact: the millisecond developer field
        assert x.hr == y.hr
        assert x.cadence == pytest.approx(y.cadence, abs=2 / 128 + 1e-9)  # 1/128 stride
        assert x.speed == pytest.approx(y.speed, abs=0.0005)
        assert x.distance == pytest.approx(y.distance, abs=0.005)
        assert x.lat == pytest.approx(y.lat, abs=1e-7) and x.lon == pytest.approx(y.lon, abs=1e-7)
        assert x.altitude == pytest.approx(y.altitude, abs=0.1)
        assert x.power == y.power
    rr_a, rr_b = src.load_rr(sid), dst.load_rr(new)
    assert len(rr_a) == len(rr_b) > 300
    assert all(abs(p - q) <= 0.5 for p, q in zip(rr_a, rr_b, strict=True))  # 1 ms in FIT
    laps_a = [t // 1000 for k, t, _ in src.load_markers(sid) if k == "lap"]
    laps_b = [t // 1000 for k, t, _ in dst.load_markers(new) if k == "lap"]
    assert laps_a == laps_b
    assert len(dst.load_pauses(new)) == 1
    sa, sb = src.get_session(sid), dst.get_session(new)
    assert sa is not None and sb is not None
    assert sb.source == "import" and sb.sport == "run"
    assert sb.started_ms == b[0].t_ms and sb.ended_ms == b[-1].t_ms  # follows its samples
    assert sb.avg_hr == pytest.approx(sa.avg_hr, abs=0.5)
    assert sb.max_hr == sa.max_hr
    assert sb.rr_count == sa.rr_count
    assert sb.rmssd_ms == pytest.approx(sa.rmssd_ms, abs=0.5)
    assert sb.distance_m == pytest.approx(sa.distance_m, abs=0.05)
    assert sb.duration_s == pytest.approx(sa.duration_s, abs=2)


def test_exported_fit_decoded_by_fitdecode(
    tmp_path: Path, recorded_session: Callable[..., int]
) -> None:
    src, sid, fit = _export(tmp_path, recorded_session)
    counts: dict[str, int] = {}
    rr: list[float] = []
    rmssd = None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with fitdecode.FitReader(str(fit), check_crc=fitdecode.CrcCheck.RAISE) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage):
                    counts[frame.name] = counts.get(frame.name, 0) + 1
                    if frame.name == "hrv":
                        rr += [v * 1000 for v in frame.get_value("time") if v is not None]
                    if frame.name == "session":
                        rmssd = frame.get_value("RMSSD")
    for name in ("file_id", "record", "lap", "session", "event", "device_info", "hrv"):
        assert counts.get(name), name
    assert counts["record"] == len(src.load_samples(sid))
    assert counts["lap"] == 2
    stored = src.load_rr(sid)
    assert len(rr) == len(stored)
    assert all(abs(p - q) <= 0.5 for p, q in zip(rr, stored, strict=True))
    info = src.get_session(sid)
    assert info is not None and rmssd == pytest.approx(info.rmssd_ms, rel=1e-5)


def test_reimport_is_idempotent_and_live_recording_is_a_duplicate(
    tmp_path: Path, recorded_session: Callable[..., int]
) -> None:
    src, sid, fit = _export(tmp_path, recorded_session)
    me = src.default_athlete()
    first = import_paths(src, me.id, [fit])  # the same run, recorded live: one session
    assert [r.outcome for r in first.results] == [Outcome.DUPLICATE]
    assert first.results[0].session_id == sid
    dst = Store.open(tmp_path / "b")
    me_b = dst.default_athlete()
    import_paths(dst, me_b.id, [fit])
    again = import_paths(dst, me_b.id, [fit, fit])
    assert [r.outcome for r in again.results] == [Outcome.DUPLICATE] * 2
    assert len(dst.list_sessions()) == 1
