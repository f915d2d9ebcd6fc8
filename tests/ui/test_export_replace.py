"""The app's exports replace a file the save dialog confirmed, and still refuse a FIFO."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.services.exports import ExportService
from app.store.repo import Store
from device.simulator import SimulatedStrap
from sync.exports.common import TargetRefused

T0 = 1_764_000_000_000


def _session(store: Store) -> int:
    me = store.default_athlete()
    sid = store.create_session(me.id, sport="run", source="simulator", started_ms=T0)
    samples = list(SimulatedStrap(seed=2, start_ms=T0, realtime=False).generate(120))
    store.insert_samples(sid, samples)
    store.finish_session(sid, samples[-1].t_ms)
    return sid


def test_a_confirmed_replacement_is_written(store: Store, tmp_path: Path) -> None:
    sid = _session(store)
    target = tmp_path / "run.csv"
    target.write_text("old")
    ExportService(store).session(sid, "csv", target)
    assert target.read_text() != "old" and target.read_text().count("\n") > 100  # the session
    zip_target = tmp_path / "all.zip"
    zip_target.write_text("old")
    ExportService(store).everything(store.default_athlete().id, zip_target)
    assert zip_target.read_bytes()[:2] == b"PK"


def test_a_fifo_is_still_refused(store: Store, tmp_path: Path) -> None:
    sid = _session(store)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(TargetRefused):
        ExportService(store).session(sid, "csv", fifo)
