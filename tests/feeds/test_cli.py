"""The CLI contract: `pulsedeck simulate` in a real process, `pulsedeck feeds ...` against it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import main

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "cli-t0ken-value-of-16+"


class Served:
    def __init__(self, proc: subprocess.Popen[str], url: str) -> None:
        self.proc = proc
        self.url = url

    def finish(self, timeout: float = 30) -> str:
        out, _ = self.proc.communicate(timeout=timeout)
        return out


def start(args: list[str], home: Path) -> Served:
    """Start `pulsedeck ARGS` in its own process and read the URL from its first line."""
    env = {**os.environ, "PULSEDECK_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline() if proc.stdout else ""
    match = re.search(r"(ws://\S+/api/v1/traces)", line)
    if not match:
        proc.kill()
        raise AssertionError(f"no URL in {line!r}")
    return Served(proc, match.group(1))


@pytest.fixture
def simulator(tmp_path: Path) -> Iterator[Served]:
    served = start(
        [
            "simulate",
            "--athletes",
            "3",
            "--rate",
            "4",
            "--port",
            "0",
            "--token",
            TOKEN,
            "--seed",
            "5",
            "--duration",
            "3",
            "--speed",
            "3",
            "--wait-for-client",
            "--faults",
            "malformed,nan",
            "--fault-every",
            "1",
        ],
        tmp_path / "sim-home",
    )
    yield served
    if served.proc.poll() is None:
        served.proc.kill()
        served.proc.wait()


def test_simulate_then_record_prints_one_summary_per_remote_athlete(
    simulator: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["feeds", "record", simulator.url, "--token", TOKEN, "--sport", "run", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert len(report["sessions"]) == 3
    assert [s["samples"] for s in report["sessions"]] == [12, 12, 12]
    assert report["stored"] == 36 and report["ended"]
    # One fault per stream second, round-robin: malformed at 1 s, nan at 2 s, malformed at 3 s.
    assert report["rejected"] == {"bad-json": 2, "non-finite": 1}
    sim_out = simulator.finish()
    assert "sent 36 samples" in sim_out
    assert TOKEN not in out + err + sim_out


def test_a_wrong_token_exits_nonzero_with_one_line_and_no_traceback(
    simulator: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["feeds", "record", simulator.url, "--token", "not-the-token"])
    _, err = capsys.readouterr()
    assert code == 7
    lines = [line for line in err.splitlines() if line.startswith("pulsedeck:")]
    assert len(lines) == 1 and "authentication failed" in lines[0] and "401" in lines[0]
    assert "Traceback" not in err
    assert "not-the-token" not in err


def test_stored_feeds_keep_their_token_in_the_keyring_only(
    simulator: Served, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import keyring

    assert main(["feeds", "add", "coach", simulator.url, "--token", TOKEN]) == 0
    assert keyring.get_password("pulsedeck", "feed:coach") == TOKEN
    assert main(["feeds", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert listed == [{"name": "coach", "format": "pulsedeck", "url": simulator.url}]
    assert main(["feeds", "record", "coach", "--json", "-q"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stored"] == 36
    db_bytes = b"".join(p.read_bytes() for p in data_dir.glob("pulsedeck.db*"))
    assert TOKEN.encode() not in db_bytes
    assert main(["feeds", "remove", "coach"]) == 0
    assert keyring.get_password("pulsedeck", "feed:coach") is None
    assert main(["feeds", "record", "coach"]) == 4
    assert main(["feeds", "remove", "coach"]) == 4


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "--token", "x", "--faults", "meteor"]) == 2
    assert "unknown fault 'meteor'" in capsys.readouterr().err
    assert main(["simulate", "--token", "x", "--athletes", "0"]) == 2
    assert main(["feeds", "record", "ws://127.0.0.1:9/api/v1/traces"]) == 2  # no token
    assert main(["feeds", "add", "x", "ws://h/api?access_token=abc", "--token", "t"]) == 2
    err = capsys.readouterr().err
    assert "not in the URL" in err and "abc" not in err
    assert main(["feeds", "record", "http://h/x", "--token", "t"]) == 2
    assert main(["feeds", "record", "ws://h/x", "--token", "t", "--format", "hyperate"]) == 2


def test_serve_live_lets_another_pulsedeck_follow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    served = start(
        [
            "feeds",
            "serve-live",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--token",
            TOKEN,
            "--athlete",
            "Runner",
            "--rate",
            "10",
            "--duration",
            "1.5",
            "--seed",
            "1",
        ],
        tmp_path / "athlete-home",
    )
    try:
        code = main(["feeds", "record", served.url, "--token", TOKEN, "--json", "-q"])
        out = served.finish()
    finally:
        if served.proc.poll() is None:
            served.proc.kill()
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["ended"]
    [session] = report["sessions"]
    assert session["athlete"].startswith("Runner")
    recorded = int(re.search(r"(\d+) samples", out).group(1))  # type: ignore[union-attr]
    # The coach joined after the athlete started: it has the live part, at most all of it.
    assert 5 <= session["samples"] <= recorded


def test_record_with_feed_is_the_same_job_as_feeds_record(
    simulator: Served, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["record", "--feed", simulator.url, "--token", TOKEN, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert [s["samples"] for s in report["sessions"]] == [12, 12, 12]
    assert TOKEN not in out + err
