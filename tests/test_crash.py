"""Crash safety: SIGKILL a recording CLI at random moments; nothing committed is ever lost."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.store.repo import Store

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

KILLS = 20
RATE_HZ = 20  # samples per second from the simulated strap: 50 ms apart
#: The promise: samples older than 1 s at the moment of the kill are on disk.
LOSS_BOUND_MS = 1000


def _committed(db: Path, session_id: int | None = None) -> tuple[int, int | None]:
    """(count, max t_ms) of committed samples, read by a separate connection."""
    if not db.exists():
        return 0, None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        sid = session_id or conn.execute("SELECT max(id) FROM sessions").fetchone()[0]
        if sid is None:
            return 0, None
        n, last = conn.execute(
            "SELECT count(*), max(t_ms) FROM samples WHERE session_id = ?", (sid,)
        ).fetchone()
        return n, last
    except sqlite3.OperationalError:  # the child is still creating the schema
        return 0, None
    finally:
        conn.close()


def _record(data_dir: Path) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "app.cli",
        "--data-dir",
        str(data_dir),
        "record",
        "--simulate",
        "--rate",
        str(RATE_HZ),
        "--seed",
        "1",
        "-q",
    ]
    root = Path(__file__).resolve().parents[1]
    return subprocess.Popen(cmd, cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_sigkill_loop_loses_nothing_committed(tmp_path: Path) -> None:
    rng = random.Random(20261125)
    data_dir = tmp_path / "crashy"
    db = data_dir / "pulsedeck.db"
    kills: list[tuple[int, int]] = []  # (session id, kill time ms)
    for i in range(KILLS):
        proc = _record(data_dir)
        try:
            deadline = time.time() + 30
            # Wait for this child's own session (i + 1) to be recording with committed samples.
            while _last_session(db) != i + 1 or _committed(db, i + 1)[0] == 0:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                assert time.time() < deadline, "recorder never committed a sample"
                time.sleep(0.05)
            time.sleep(rng.uniform(0.0, 1.5))
            session_id = i + 1
            kill_ms = int(time.time() * 1000)
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(10)
        kills.append((session_id, kill_ms))

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = Store.open(data_dir)
    store.recover_sessions()  # the last kill has not been recovered by a later start
    for session_id, kill_ms in kills:
        info = store.get_session(session_id)
        assert info is not None and info.status == "recovered", (session_id, info)
        times = [s.t_ms for s in store.load_samples(session_id)]
        assert times, f"session {session_id} lost everything"
        print(f"session {session_id}: newest committed sample {kill_ms - times[-1]} ms before kill")
        assert times[-1] >= kill_ms - LOSS_BOUND_MS, (
            f"session {session_id}: last sample {kill_ms - times[-1]} ms before the kill"
        )
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert max(gaps, default=0) < 500, "a committed batch went missing mid-session"
        assert info.samples == len(times) and info.max_hr is not None
    store.close()


def _last_session(db: Path) -> int | None:
    if not db.exists():
        return None
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5)
    try:
        return conn.execute("SELECT max(id) FROM sessions").fetchone()[0]
    except sqlite3.OperationalError:  # schema not created yet
        return None
    finally:
        conn.close()
