"""Issue 16 #4: a coach's pull never mixes the coach's data with a client's (real S3 on moto).

The self athlete is a flag, not the name "Me"; imported clients refuse every write (exit 2);
pulled clients keep their time zone; one person's devices can share a lake athlete id.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from app.store.repo import Store

from .conftest import T0, record_session

DAY = 86_400_000


def _lake(moto_url: str, bucket: str) -> list[str]:
    where = ["--bucket", bucket, "--prefix", "p", "--endpoint-url", moto_url]
    return [*where, "--region", "us-east-1"]


def _push_from(data_dir: Path, lake: list[str], *starts: int) -> None:
    """A client's machine: their own sessions (as "Me", the default name), pushed."""
    store = Store.open(data_dir)
    try:
        for i, start in enumerate(starts):
            record_session(store, "Me", start, seed=i)
    finally:
        store.close()
    assert main(["--data-dir", str(data_dir), "lake", "push", *lake]) == 0


def _athletes(data_dir: Path) -> dict[str, tuple[bool, bool, str | None, int]]:
    """name -> (is_self, read_only, timezone, sessions)."""
    store = Store.open(data_dir)
    try:
        return {
            a.name: (a.is_self, a.read_only, a.timezone, len(store.list_sessions(a.id)))
            for a in store.list_athletes()
        }
    finally:
        store.close()


@pytest.fixture
def coach(tmp_path: Path, moto_url: str, bucket: str, capsys: pytest.CaptureFixture[str]) -> Path:
    """A fresh coach data dir after `lake pull --all-clients` of a client called "Me"."""
    lake = _lake(moto_url, bucket)
    _push_from(tmp_path / "client", lake, T0, T0 + DAY)
    coach_dir = tmp_path / "coach"
    assert main(["--data-dir", str(coach_dir), "lake", "pull", "--all-clients", *lake]) == 0
    capsys.readouterr()
    return coach_dir


def test_record_after_pull_goes_to_a_new_self_never_the_pulled_me(
    coach: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = ["--data-dir", str(coach), "record", "--simulate", "--duration", "1", "--rate", "20"]
    assert main([*rec, "-q", "--json"]) == 0, capsys.readouterr().err
    session = json.loads(capsys.readouterr().out)
    athletes = _athletes(coach)
    assert athletes["Me"][:2] == (False, True) and athletes["Me"][3] == 2  # untouched client
    assert session["athlete"] != "Me"
    assert athletes[session["athlete"]][:2] == (True, False)  # the coach: the self flag
    assert athletes[session["athlete"]][3] == 1

    # Naming the client explicitly is refused, one line, exit 2.
    assert main([*rec, "-q", "--athlete", "Me"]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and len(err.splitlines()) == 1
    assert _athletes(coach)["Me"][3] == 2


def test_athlete_set_refuses_a_pulled_client(
    coach: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dd = ["--data-dir", str(coach)]
    assert main([*dd, "athlete", "set", "Me", "--weight", "70"]) == 2
    err = capsys.readouterr().err
    assert "read-only" in err and len(err.splitlines()) == 1
    store = Store.open(coach)
    try:
        pulled = store.athlete_named("Me")
        assert pulled is not None and pulled.profile.weight_kg is None
    finally:
        store.close()
    # No NAME means yourself: a new self athlete, not the client called "Me".
    assert main([*dd, "athlete", "set", "--weight", "81", "--json"]) == 0
    me = json.loads(capsys.readouterr().out)
    assert me["name"] != "Me" and me["weight_kg"] == 81
    assert _athletes(coach)[me["name"]][:2] == (True, False)


def test_pulled_clients_keep_their_time_zone(coach: Path) -> None:
    assert _athletes(coach)["Me"][2] == "Europe/Paris"  # the sessions' zone, not the coach's


def test_one_person_on_two_devices_is_one_client(
    tmp_path: Path, moto_url: str, bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = _lake(moto_url, bucket)
    for device in ("desktop", "edge"):
        dd = ["--data-dir", str(tmp_path / device)]
        assert main([*dd, "lake", "configure", "--athlete-id", "ann-1", *lake]) == 0
    _push_from(tmp_path / "desktop", lake, T0)
    _push_from(tmp_path / "edge", lake, T0 + DAY)
    capsys.readouterr()

    coach = tmp_path / "coach"
    assert main(["--data-dir", str(coach), "lake", "pull", "--all-clients", *lake, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 2
    assert _athletes(coach) == {"Me": (False, True, "Europe/Paris", 2)}

    # The desktop's own pull never makes a read-only twin of its own athlete.
    desktop = ["--data-dir", str(tmp_path / "desktop")]
    assert main([*desktop, "lake", "pull", "--all-clients", *lake, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 0
    assert _athletes(tmp_path / "desktop") == {"Me": (True, False, None, 1)}

    # An id that is a pulled client's here, or not key-safe, is refused (exit 2, one line).
    assert main(["--data-dir", str(coach), "lake", "configure", "--athlete-id", "ann-1"]) == 2
    assert main([*desktop, "lake", "configure", "--athlete-id", "../x"]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 2
