"""`pulsedeck hrv|power|trends` end to end on a real store: JSON shapes, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from app.domain.samples import Sample
from app.store.repo import Store

from .series import fgn, rr

T0 = 1_800_000_000_000


def _session(data_dir: Path, *, with_rr: bool = True, with_power: bool = True) -> int:
    store = Store.open(data_dir)
    try:
        a = store.ensure_athlete("Me", is_self=True)
        sid = store.create_session(a.id, sport="ride", source="ble", started_ms=T0)
        beats = rr(fgn(1200, 0.8, np.random.default_rng(0)), 600.0, 20.0).tolist()
        beats[500] *= 2.0  # one missed beat
        samples, t, i = [], T0, 0
        while i < len(beats):  # one notification a second with the beats of that second
            group, total = [], 0.0
            while i < len(beats) and total < 1000:
                group.append(beats[i])
                total += beats[i]
                i += 1
            samples.append(
                Sample(
                    t_ms=t,
                    hr=100,
                    power=200.0 if with_power else None,
                    rr=tuple(group) if with_rr else (),
                )
            )
            t += 1000
        store.insert_samples(sid, samples)
        store.finish_session(sid, t)
        return sid
    finally:
        store.close()


def test_hrv_json(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sid = _session(data_dir)
    assert main(["hrv", str(sid), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["beats"] == 1200 and d["artefacts"]["missed"] == 1
    assert d["artefacts"]["beats"][0]["index"] == 500
    assert d["time_domain"]["rmssd_ms"] > 0 and d["poincare"]["sd1_ms"] > 0
    assert d["frequency"]["segments"] >= 1 and d["frequency"]["lf_hf"] > 0
    w = d["dfa"]["windows"]
    assert d["dfa"]["scales"] == [4, 16] and w[0]["end_s"] == 120.0
    assert all(x["power_w"] == 200.0 for x in w)
    assert 0.4 < np.mean([x["alpha1"] for x in w]) < 1.2
    assert set(d["thresholds"]) == {"aerobic", "anaerobic"}


def test_hrv_text(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sid = _session(data_dir)
    assert main(["hrv", str(sid)]) == 0
    out = capsys.readouterr().out
    assert "RMSSD" in out and "DFA α1" in out and "LF/HF" in out


def test_unknown_session_and_no_rr_exit_4(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = _session(data_dir, with_rr=False, with_power=False)
    assert main(["hrv", "999"]) == 4
    assert capsys.readouterr().err.strip() == "pulsedeck: no session 999"
    assert main(["hrv", str(sid)]) == 4
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"pulsedeck: session {sid} has no RR intervals") and "\n" not in err
    assert main(["power", str(sid)]) == 4
    assert "no power readings" in capsys.readouterr().err


def test_power_json_with_ftp_and_w_prime(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sid = _session(data_dir)
    assert (
        main(["power", str(sid), "--ftp", "250", "--cp", "180", "--w-prime", "15000", "--json"])
        == 0
    )
    d = json.loads(capsys.readouterr().out)
    assert d["np_w"] == 200.0 and d["vi"] == 1.0 and d["intensity"] == 0.8
    assert d["tss"] == pytest.approx(d["seconds"] / 3600 * 64, rel=0.01)
    assert d["curve"][0] == {"duration_s": 1, "watts": 200.0}
    assert d["w_bal_min_j"] == pytest.approx(15000 - 20 * d["seconds"], rel=0.01)
    assert main(["power", str(sid), "--cp", "180"]) == 2


def test_trends_weeks(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _session(data_dir)
    assert main(["trends", "--from", "2027-01-01", "--to", "2027-01-31", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["week"] for r in rows][:2] == ["2026-W53", "2027-W01"]
    assert sum(r["sessions"] for r in rows) == 1
    assert main(["trends", "--athlete", "Nobody"]) == 4
