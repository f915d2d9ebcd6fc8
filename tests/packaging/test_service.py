"""`pulsedeck service`: the unit files it writes, and their command lines run for real.

systemd is not PID 1 on CI machines, so the units are checked as text (and with
`systemd-analyze verify` where that tool exists), then their ExecStart= lines run under a small
supervisor that does what the units ask of systemd (Environment=, Restart=on-failure) while
the test kills the recorder and takes the feed server down and up again.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main
from app.commands import service

KEY = service.CREDENTIAL


def _units(tmp_path: Path, *argv: str) -> dict[str, str]:
    unit_dir = tmp_path / "units"
    code = main(
        [
            "--data-dir", str(tmp_path / "data"), "service", "install", "--unit-dir",
            str(unit_dir), "--key-file", str(tmp_path / "keyring.key"), *argv,
        ]
    )  # fmt: skip
    assert code == 0
    return {p.name: p.read_text() for p in sorted(unit_dir.glob("*.service"))}


def _directives(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_system_units_restart_log_to_journald_and_load_the_keyring_key(tmp_path: Path) -> None:
    units = _units(tmp_path, "--record", "AA:BB:CC:DD:EE:01,AA:BB:CC:DD:EE:02", "--sync")
    assert set(units) == {service.RECORD_UNIT, service.SYNC_UNIT}
    rec, sync = (_directives(units[n]) for n in (service.RECORD_UNIT, service.SYNC_UNIT))
    for d in (rec, sync):
        assert d["Restart"] == ["on-failure"] and d["StartLimitIntervalSec"] == ["0"]
        assert d["StandardOutput"] == d["StandardError"] == ["journal"]
        assert d["LoadCredential"] == [f"{KEY}:{tmp_path / 'keyring.key'}"]
        assert f"PYTHON_KEYRING_BACKEND={service.BACKEND}" in d["Environment"]
        assert d["User"] == ["pulsedeck"] and d["WantedBy"] == ["multi-user.target"]
    rec_cmd = shlex.split(rec["ExecStart"][0])
    assert rec_cmd[-6:] == [
        "record", "--quiet", "--device", "AA:BB:CC:DD:EE:01", "--device", "AA:BB:CC:DD:EE:02"
    ]  # fmt: skip
    assert rec["SupplementaryGroups"] == ["bluetooth"]  # BlueZ's D-Bus policy, no root
    assert shlex.split(sync["ExecStart"][0])[-3:] == ["sync", "run", "--forever"]
    assert os.stat(tmp_path / "keyring.key").st_mode & 0o777 == 0o600
    assert len((tmp_path / "keyring.key").read_bytes()) == 32


def test_user_units_take_the_key_from_a_file(tmp_path: Path) -> None:
    units = _units(tmp_path, "--user", "--feed", "coach")
    d = _directives(units[service.RECORD_UNIT])
    assert "LoadCredential" not in d and "User" not in d
    assert f"PULSEDECK_KEYRING_KEY_FILE={tmp_path / 'keyring.key'}" in d["Environment"]
    assert d["WantedBy"] == ["default.target"]
    assert shlex.split(d["ExecStart"][0])[-3:] == ["record", "--feed", "coach"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
@pytest.mark.parametrize("scope", ["system", "user"])
def test_systemd_analyze_verify_accepts_the_units(tmp_path: Path, scope: str) -> None:
    argv = ["--record", "AA:BB:CC:DD:EE:01", "--sync"] + (["--user"] if scope == "user" else [])
    _units(tmp_path, *argv)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    cmd = ["systemd-analyze", "verify", *(["--user"] if scope == "user" else [])]
    cmd += [str(p) for p in sorted((tmp_path / "units").glob("*.service"))]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=60)
    output = (done.stdout + done.stderr).strip()
    if done.returncode and "Failed to initialize manager" in output:
        pytest.skip(f"systemd-analyze cannot run here: {output.splitlines()[-1]}")
    assert done.returncode == 0 and output == "", output


def test_remove_deletes_the_units_and_keeps_the_key(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    _units(tmp_path, "--user", "--sync")
    assert main(["service", "remove", "--user", "--unit-dir", str(tmp_path / "units")]) == 0
    assert not list((tmp_path / "units").glob("*.service"))
    assert (tmp_path / "keyring.key").exists()
    assert main(["service", "install", "--user", "--unit-dir", str(tmp_path)]) == 2  # no job


# The same command lines under a supervisor ------------------------------------------------


class Supervisor:
    """What systemd does with one of our units: its Environment=, ExecStart=, Restart=."""

    def __init__(self, unit: str, restart_sec: float = 0.5) -> None:
        d = _directives(unit)
        self.argv = [a.replace("%%", "%") for a in shlex.split(d["ExecStart"][0])]
        env = dict(os.environ)
        for item in d.get("Environment", []):
            key, value = shlex.split(item)[0].split("=", 1)
            env[key] = value.replace("%%", "%")
        self.env = env
        assert d["Restart"] == ["on-failure"]
        self.restart_sec = restart_sec
        self.proc: subprocess.Popen[bytes] | None = None
        self.exits: list[int] = []
        self.starts = 0

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self.starts += 1

    def poll(self) -> None:
        """Restart=on-failure: a non-zero exit or a kill by a signal starts it again."""
        assert self.proc is not None
        code = self.proc.poll()
        if code is None:
            return
        self.exits.append(code)
        if code != 0:
            time.sleep(self.restart_sec)
            self.start()

    def stop(self) -> int:
        """systemctl stop: SIGTERM, then wait (TimeoutStopSec)."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=service.STOP_TIMEOUT_SEC)


def _wait(predicate, what: str, sup: Supervisor | None = None, timeout: float = 60) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sup is not None:
            sup.poll()
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _samples(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM samples").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[dict[str, object]]:
    """`pulsedeck simulate` on a fixed loopback port: the feed the box records."""
    token = tmp_path / "feed.token"
    token.write_text("edge-box-token\n")
    token.chmod(0o600)
    state: dict[str, object] = {"token": token}

    def up(port: int = 0) -> int:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "simulate", "--athletes", "2", "--rate", "4",
             "--port", str(port), "--token-file", str(token), "--speed", "1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("serving ws://"), line + (proc.stderr.read() if proc.stderr else "")
        state["proc"] = proc
        return int(line.split("ws://", 1)[1].split("/", 1)[0].rsplit(":", 1)[1])

    state["up"] = up
    yield state
    proc = state.get("proc")
    if isinstance(proc, subprocess.Popen) and proc.poll() is None:
        proc.kill()
        proc.wait()


@pytest.mark.slow
def test_units_survive_kills_and_a_network_outage(tmp_path: Path, feed_server) -> None:  # noqa: ANN001
    up = feed_server["up"]
    port = up()
    url = f"ws://127.0.0.1:{port}/api/v1/traces"
    data = tmp_path / "data"
    units = _units(tmp_path, "--user", "--feed", "coach", "--sync")
    record = Supervisor(units[service.RECORD_UNIT])
    sync = Supervisor(units[service.SYNC_UNIT])
    # The feed's token goes into the headless keyring, in the units' own environment.
    added = subprocess.run(
        [*record.argv[: record.argv.index("record")], "feeds", "add", "coach", url,
         "--token-file", str(feed_server["token"])],
        env=record.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert b"edge-box-token" not in (data / "keyring.enc").read_bytes()
    db = data / "pulsedeck.db"
    record.start()
    sync.start()
    try:
        _wait(lambda: _samples(db) > 8, "the first samples", record)
        # A crash (the OOM killer, a power glitch in the process): killed, restarted.
        before = _samples(db)
        record.proc.kill()  # type: ignore[union-attr]
        _wait(lambda: record.starts == 2, "the restart", record)
        _wait(lambda: _samples(db) > before + 8, "samples after the restart", record)
        sync.proc.kill()  # type: ignore[union-attr]
        _wait(lambda: sync.starts == 2 and sync.proc.poll() is None, "sync restart", sync)
        # Network down: the feed server goes away; up again on the same port.
        server = feed_server["proc"]
        server.kill()  # type: ignore[attr-defined]
        server.wait()  # type: ignore[attr-defined]
        time.sleep(3)
        record.poll()
        during = _samples(db)
        up(port)
        _wait(lambda: _samples(db) > during + 8, "samples after the network came back", record)
        time.sleep(1.5)
        sync.poll()
        assert sync.proc.poll() is None, sync.proc.stderr.read()  # type: ignore[union-attr]
    finally:
        codes = [record.stop(), sync.stop()]
    assert codes == [0, 0], (record.exits, sync.exits)
    assert record.exits[0] == -signal.SIGKILL
    with sqlite3.connect(db) as conn:
        open_sessions = conn.execute("SELECT count(*) FROM sessions WHERE ended_ms IS NULL")
        assert open_sessions.fetchone()[0] == 0  # SIGTERM saved every session
