"""Early Ctrl+C and bad options leave no traceback and no phantom session (issue 16 #5)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.cli import main
from app.store.repo import Store

#: The console entry, announcing on stderr once it is loaded, as the console script loads it.
#: A Ctrl+C before that lands in CPython's own start-up or in importing the 15-line app.entry
#: module itself (a few ms), which no Python code can catch.
ENTRY = [
    sys.executable,
    "-c",
    "import sys; from app.entry import run; print('started', file=sys.stderr, flush=True); run()",
]


@pytest.mark.parametrize("after_s", [0.0, 0.05, 0.1, 0.2, 0.4])
def test_ctrl_c_while_starting_prints_no_traceback(data_dir: Path, after_s: float) -> None:
    cmd = [*ENTRY, "--data-dir", str(data_dir), "record", "--simulate", "--duration", "30"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None and proc.stderr.readline() == "started\n"
    time.sleep(after_s)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    # 130 while loading or opening; 0 when the recorder already ran and saved on Ctrl+C.
    assert proc.returncode in (0, 130), (proc.returncode, err)


def test_a_zero_rate_is_refused_before_a_session_exists(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["--data-dir", str(data_dir), "record", "--simulate", "--rate", "0"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "--rate must be" in err and "unexpected" not in err
    store = Store.open(data_dir)
    try:
        assert store.list_sessions() == []
    finally:
        store.close()


def test_the_console_entry_is_tiny() -> None:
    """What Python loads before Ctrl+C is handled: app/__init__ and app/entry only."""
    code = (
        "import sys; import app.entry; print(sorted(m for m in sys.modules if m.startswith('app')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ})  # fmt: skip
    assert out.stdout.strip() == "['app', 'app.entry']"
