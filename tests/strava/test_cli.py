"""The CLI contract end to end against the emulator (real clock, real loopback redirect)."""

from __future__ import annotations

import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CLIENT_ID, CLIENT_SECRET, MAX_ID, OWNER_ID  # noqa: E402
from helpers import make_session  # noqa: E402

from app.cli import main  # noqa: E402
from app.store.repo import Store  # noqa: E402


@pytest.fixture(autouse=True)
def _keep_sigpipe() -> Iterator[None]:
    """main() sets SIGPIPE to SIG_DFL for shell pipes; in-process that would later kill
    pytest on any write to a closed socket, so the handler is put back."""
    previous = signal.getsignal(signal.SIGPIPE)
    yield
    signal.signal(signal.SIGPIPE, previous)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    previous = signal.getsignal(signal.SIGPIPE)
    try:
        code = main(list(args))
    finally:
        signal.signal(signal.SIGPIPE, previous)
    out, err = capsys.readouterr()
    return code, out, err


def test_link_sync_status_unlink(live, capsys, data_dir) -> None:
    live.login_as = OWNER_ID
    code, out, err = cli(
        capsys,
        "accounts",
        "link",
        "strava",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--timeout",
        "10",
    )
    assert code == 0, err
    assert "linked Strava account 1: Ada Runner as owner" in out
    live.login_as = MAX_ID
    code, out, err = cli(
        capsys,
        "accounts",
        "link",
        "strava",
        "--client-id",
        CLIENT_ID,
        "--child",
        "Max, Maxi",
        "--timeout",
        "10",
    )
    assert code == 2 and "--client-secret" in err  # no tty, no env var: says what to give
    code, out, err = cli(
        capsys,
        "strava",
        "link",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--child",
        "Max, Maxi",
        "--controlled",
        "--timeout",
        "10",
    )
    assert code == 0, err
    code, out, _ = cli(capsys, "accounts", "list", "--json")
    accounts = json.loads(out)
    assert [(a["role"], a["child_names"], a["status"]) for a in accounts] == [
        ("owner", [], "ok"),
        ("child", ["Max", "Maxi"], "ok"),
    ]

    store = Store.open(data_dir)
    sid = make_session(store, time.time(), title="Run with Max")
    store.close()
    code, out, err = cli(capsys, "sync", "run", "--until-idle")
    assert code == 0, err
    assert "ran 2" in out
    assert len(live.activities_of(OWNER_ID)) == 1 and len(live.activities_of(MAX_ID)) == 1

    code, out, _ = cli(capsys, "sync", "status", "--json")
    status = json.loads(out)
    assert status["jobs"] == {"done": 2} and status["dead"] == []
    (usage,) = status["rate_limit"].values()
    assert usage["overall"][1] == 600  # 15-minute limit as read from the headers
    code, out, _ = cli(capsys, "strava", "status", str(sid))
    assert out.count("ready activity") == 2
    assert cli(capsys, "sync", "retry", "999")[0] == 4
    assert cli(capsys, "strava", "upload", "999")[0] == 4

    code, out, err = cli(capsys, "accounts", "unlink", "1")
    assert code == 0, err
    assert json.loads(cli(capsys, "accounts", "list", "--json")[1]) == []
    assert live.access == {}  # revoked at Strava
    everything = out + err
    for secret in [*live.issued, CLIENT_SECRET]:
        assert secret not in everything


def test_headless_keyring_says_how_to_fix(live, capsys, monkeypatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    keyring.set_keyring(fail.Keyring())
    code, _, err = cli(
        capsys,
        "accounts",
        "link",
        "strava",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--timeout",
        "2",
    )
    assert code == 2  # no safe keyring: a configuration the user fixes
    assert "keyring" in err and "app.secret_backend.EncryptedFileKeyring" in err
    assert CLIENT_SECRET not in err
