"""`pulsedeck import --watch DIR` itself, in a subprocess: files appear, Ctrl+C ends it cleanly.

The command runs through the console entry (`app.entry.run`) with the watcher's poll cut
from 5 s to 0.2 s (sync.imports.watch.POLL_S, which the command reads when it starts
watching), so each file shows within a second instead of ten.
"""

from __future__ import annotations

import json
import queue
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from app.store.repo import Store
from sync.exports.session import export_session

ROOT = Path(__file__).resolve().parents[2]
POLL_S = 0.2
ENTRY = [
    sys.executable,
    "-c",
    f"import sync.imports.watch as w; w.POLL_S = {POLL_S}; from app.entry import run; run()",
]
TIMEOUT_S = 60.0  # a loaded CI machine; each file normally shows within 2 polls (< 1 s)


class Watch:
    """The running command, its output lines as they come, and its database."""

    def __init__(self, data_dir: Path, folder: Path, *extra: str) -> None:
        cmd = [*ENTRY, "--data-dir", str(data_dir), "import", "--watch", str(folder), *extra]
        self.proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.db = data_dir / "pulsedeck.db"
        self.out: queue.Queue[str] = queue.Queue()
        self.err: queue.Queue[str] = queue.Queue()
        self.out_lines: list[str] = []
        self.err_lines: list[str] = []
        self.pumps = [
            threading.Thread(target=self._pump, args=(stream, q), daemon=True)
            for stream, q in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for pump in self.pumps:
            pump.start()

    @staticmethod
    def _pump(stream, q: queue.Queue[str]) -> None:  # noqa: ANN001
        for line in stream:
            q.put(line)

    def wait_line(self, q: queue.Queue[str], seen: list[str], want: Callable[[str], bool]) -> str:
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no such line; stdout {self.out_lines}, stderr {self.err_lines}"
            try:
                line = q.get(timeout=min(left, 0.5))
            except queue.Empty:
                assert self.proc.poll() is None, f"exited {self.proc.returncode}: {seen}"
                continue
            seen.append(line)
            if want(line):
                return line

    def sessions(self) -> int:
        """Sessions in the database, read the way another program would (may be locked)."""
        try:
            with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5) as conn:
                return int(conn.execute("SELECT count(*) FROM sessions").fetchone()[0])
        except sqlite3.OperationalError:
            return 0

    def wait_sessions(self, n: int) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while self.sessions() < n:
            assert time.monotonic() < deadline, f"no session; stdout {self.out_lines}"
            assert self.proc.poll() is None, f"exited {self.proc.returncode}"
            time.sleep(0.1)

    def interrupt(self) -> tuple[int, str, str]:
        """Ctrl+C; the exit code and the rest of stdout and stderr."""
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout=TIMEOUT_S)
        for pump in self.pumps:  # to the end of the pipes
            pump.join(timeout=10)
        rest_out = "".join(self.out_lines) + "".join(iter_queue(self.out))
        rest_err = "".join(self.err_lines) + "".join(iter_queue(self.err))
        return code, rest_out, rest_err

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def iter_queue(q: queue.Queue[str]) -> Iterator[str]:
    while True:
        try:
            yield q.get_nowait()
        except queue.Empty:
            return


@pytest.fixture
def fit_file(tmp_path: Path, recorded_session: Callable[..., int]) -> Path:
    """A FIT file of a 5-minute run (RR, positions, laps), exported from another data dir."""
    source = Store.open(tmp_path / "source")
    try:
        sid = recorded_session(source, seconds=300)
        return export_session(source, sid, "fit", tmp_path / "run.fit")
    finally:
        source.close()


def test_import_watch_imports_a_new_file_once_and_ctrl_c_ends_it_cleanly(
    tmp_path: Path, fit_file: Path
) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    watch = Watch(tmp_path / "data", folder)
    try:
        watch.wait_line(watch.err, watch.err_lines, lambda s: s.startswith("watching "))
        shutil.copy(fit_file, folder / "run.fit")
        watch.wait_sessions(1)
        line = watch.wait_line(watch.out, watch.out_lines, lambda s: "run.fit" in s)
        assert line.startswith("imported ") and ": 300 samples" in line
        # The same activity again under another name, as a watch re-mounted may copy it.
        shutil.copy(fit_file, folder / "run (1).fit")
        line = watch.wait_line(watch.out, watch.out_lines, lambda s: "run (1).fit" in s)
        assert line.startswith("duplicate ") and "same activity as session 1" in line
        time.sleep(3 * POLL_S)  # a few more scans: nothing is imported again
        assert watch.sessions() == 1
        code, out, err = watch.interrupt()
    finally:
        watch.kill()
    assert code == 0, (out, err)
    assert "Traceback" not in err, err
    assert out.strip().splitlines()[-1] == "1 imported, 1 duplicate(s) skipped, 0 refused"
    assert out.count("imported   ") == 1
    with sqlite3.connect(tmp_path / "data" / "pulsedeck.db") as conn:
        [(n, samples)] = conn.execute(
            "SELECT count(*), sum(samples) FROM sessions s JOIN "
            "(SELECT session_id, count(*) AS samples FROM samples GROUP BY session_id) x "
            "ON x.session_id = s.id"
        ).fetchall()
    assert (n, samples) == (1, 300)


def test_import_watch_reports_a_refused_file_in_its_exit_code_and_json(
    tmp_path: Path, fit_file: Path
) -> None:
    folder = tmp_path / "watched"
    folder.mkdir()
    (folder / "1-broken.gpx").write_text("<gpx")  # the first scan takes them in name order
    shutil.copy(fit_file, folder / "2-run.fit")
    watch = Watch(tmp_path / "data", folder, "--json")
    try:
        watch.wait_sessions(1)  # so the broken file before it was read too
        code, out, err = watch.interrupt()
    finally:
        watch.kill()
    assert code == 1, (out, err)  # a refused file, watched or named, is exit 1
    report = json.loads(out)
    assert (report["imported"], report["duplicates"], report["refused"]) == (1, 0, 1)
    outcomes = {Path(f["file"]).name: f["outcome"] for f in report["files"]}
    assert outcomes == {"1-broken.gpx": "refused", "2-run.fit": "imported"}
