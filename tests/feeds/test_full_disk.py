"""A full disk while recording a feed (issue 16 #2): stop at once, one line, exit 3, no flood."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.store.repo import Store

from .helpers import TOKEN, Served, capped_disk, serve


@pytest.fixture
def prepared(data_dir: Path) -> Path:
    store = Store.open(data_dir)
    store.default_athlete()
    store.close()
    return data_dir


@pytest.fixture
def busy_feed(tmp_path: Path) -> Iterator[Served]:
    """Five athletes at 100 Hz each for 20 s: the disk fills within the first second."""
    served = serve(
        ["simulate", "--athletes", "5", "--rate", "100", "--port", "0", "--seed", "2"]
        + ["--duration", "20", "--wait-for-client"],
        tmp_path / "sim-home",
    )
    yield served
    served.kill()


def test_a_full_disk_stops_the_feed_recording_with_exit_3_and_one_line(
    prepared: Path,
    busy_feed: Served,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("PULSEDECK_FEED_TOKEN", TOKEN)
    caplog.set_level(logging.WARNING)
    argv = ["--data-dir", str(prepared), "feeds", "record", busy_feed.url, "-q"]
    started = time.monotonic()
    with capped_disk(prepared, extra_pages=12):
        code = main([*argv, "--duration", "15"])
    took = time.monotonic() - started
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 3, err
    assert len(lines) == 1 and lines[0].startswith("pulsedeck: ")
    assert "the disk is full" in lines[0] and "recording stopped" in lines[0]
    assert "Traceback" not in err and "unexpected error" not in err
    assert took < 10  # it stopped at the fault, not at the end of --duration
    # No flood (29,000 lines a minute before): a few lines at most, one per athlete's session.
    assert len(caplog.records) <= 12, [r.getMessage() for r in caplog.records[:20]]

    store = Store.open(prepared)  # space freed: what was committed is kept, nothing is open
    try:
        sessions = store.list_sessions()
        assert sessions and all(s.status == "recovered" for s in sessions)
        kept = int(lines[0].split(" samples kept")[0].rsplit(" ", 1)[-1])
        assert sum(s.samples for s in sessions) == kept > 0
    finally:
        store.close()
    # ...and recording the same feed starts again cleanly.
    assert main([*argv, "--duration", "1"]) == 0


def test_a_feed_on_a_full_disk_leaves_no_open_or_empty_session(
    prepared: Path,
    busy_feed: Served,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PULSEDECK_FEED_TOKEN", TOKEN)
    argv = ["--data-dir", str(prepared), "feeds", "record", busy_feed.url, "-q"]
    with capped_disk(prepared, extra_pages=0):  # only the free space left in existing pages
        code = main([*argv, "--duration", "15"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 3
    assert len(err) == 1 and "the disk is full" in err[0] and "Traceback" not in err[0]
    store = Store.open(prepared)
    try:
        assert all(s.status == "recovered" and s.samples > 0 for s in store.list_sessions())
    finally:
        store.close()
