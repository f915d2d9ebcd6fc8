"""The `pulsedeck` CLI contract: commands, JSON shapes, one-line errors and exit codes."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from app.cli import main
from app.instance import InstanceLock

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process (what scripts on an edge box see)."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_version() -> None:
    out = run("--version")
    assert out.returncode == 0 and out.stdout.startswith("pulsedeck ")


def test_record_then_list_and_show_json(data_dir: Path) -> None:
    rec = run(
        "--data-dir",
        str(data_dir),
        "record",
        "--simulate",
        "--duration",
        "2",
        "--rate",
        "10",
        "--seed",
        "5",
        "--athlete",
        "Ann",
        "-q",
    )
    assert rec.returncode == 0, rec.stderr
    assert "Session 1 (finished) Ann" in rec.stdout
    assert rec.stderr == ""

    out = run("--data-dir", str(data_dir), "sessions", "list", "--json")
    assert out.returncode == 0, out.stderr
    (s,) = json.loads(out.stdout)
    for key in (
        "id",
        "athlete",
        "sport",
        "status",
        "started_at",
        "duration_s",
        "samples",
        "avg_hr",
        "max_hr",
        "kcal",
    ):
        assert key in s
    assert s["athlete"] == "Ann" and s["status"] == "finished" and s["sport"] == "run"
    assert datetime.fromisoformat(s["started_at"]).utcoffset() is not None
    assert 1.9 <= s["duration_s"] <= 3.0
    with sqlite3.connect(data_dir / "pulsedeck.db") as conn:
        (n,) = conn.execute("SELECT count(*) FROM samples WHERE session_id = 1").fetchone()
    assert s["samples"] == n >= 15
    assert 40 <= s["avg_hr"] <= 200 and s["max_hr"] >= s["avg_hr"]

    show = run("--data-dir", str(data_dir), "sessions", "show", "1", "--json")
    assert json.loads(show.stdout)["id"] == 1


def test_env_var_selects_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PULSEDECK_HOME", str(tmp_path / "elsewhere"))
    assert main(["sessions", "list"]) == 0
    assert (tmp_path / "elsewhere" / "pulsedeck.db").exists()
    assert "no sessions yet" in capsys.readouterr().out


def test_missing_session_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "show", "42"]) == 4
    err = capsys.readouterr().err
    assert err.strip() == "pulsedeck: no session 42"


def test_newer_schema_exit_code(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sessions", "list"]) == 0
    with sqlite3.connect(data_dir / "pulsedeck.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = 'ffff'")
    assert main(["sessions", "list", "--json"]) == 3
    err = capsys.readouterr().err
    assert "newer Pulsedeck" in err and "Traceback" not in err


def test_second_recorder_is_refused(data_dir: Path) -> None:
    with InstanceLock(data_dir):
        out = run("--data-dir", str(data_dir), "record", "--simulate", "--duration", "1")
    assert out.returncode == 5
    assert "another Pulsedeck is recording" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_duration_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["record", "--simulate", "--duration", "-3"]) == 2
    assert "--duration must be positive" in capsys.readouterr().err


def test_sigint_stops_and_saves(data_dir: Path) -> None:
    import signal
    import time

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app.cli",
            "--data-dir",
            str(data_dir),
            "record",
            "--simulate",
            "--rate",
            "10",
            "-q",
            "--json",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    db = data_dir / "pulsedeck.db"
    deadline = time.time() + 30
    while True:
        assert time.time() < deadline
        try:
            with sqlite3.connect(db) as conn:
                if conn.execute("SELECT count(*) FROM samples").fetchone()[0] > 5:
                    break
        except sqlite3.OperationalError:
            pass
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert summary["status"] == "finished" and summary["samples"] > 5


def test_data_dir_is_accepted_after_the_subcommand(tmp_path: Path) -> None:
    assert main(["sessions", "list", "--data-dir", str(tmp_path / "a")]) == 0
    assert main(["sessions", "list", f"--data-dir={tmp_path / 'b'}"]) == 0
    assert (tmp_path / "a" / "pulsedeck.db").exists()
    assert (tmp_path / "b" / "pulsedeck.db").exists()


def test_session_follows_athlete_zone_and_reports_a_reached_goal(data_dir: Path) -> None:
    dd = ["--data-dir", str(data_dir)]
    assert run(*dd, "athlete", "set", "Ann", "--timezone", "Asia/Kolkata").returncode == 0
    assert run(*dd, "goals", "add", "sessions", "1", "--athlete", "Ann").returncode == 0
    rec = run(*dd, "record", "--simulate", "--duration", "1", "--athlete", "Ann", "--json", "-q")
    assert rec.returncode == 0, rec.stderr
    assert json.loads(rec.stdout)["started_at"].endswith("+05:30")
    assert rec.stderr.count("goal reached: 1 sessions daily") == 1
    again = run(*dd, "record", "--simulate", "--duration", "1", "--athlete", "Ann", "-q")
    assert "goal reached" not in again.stderr  # once per goal and period
