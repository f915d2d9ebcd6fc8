"""What the Strava commands say (issue 17 #2, #5, #9): consent at link time, new copies only,
unlinking children and the secret, why a job waits, a wrong secret blamed as such."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import CLIENT_ID, CLIENT_SECRET, MAX_ID, OWNER_ID  # noqa: E402
from helpers import make_session  # noqa: E402
from test_cli import cli  # noqa: E402

from app.store.repo import Store  # noqa: E402
from sync.strava.tokens import stored_client  # noqa: E402


def _link(capsys, live, athlete, *extra: str, secret: str = CLIENT_SECRET):
    live.login_as = athlete
    return cli(
        capsys,
        "accounts",
        "link",
        "strava",
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        secret,
        "--timeout",
        "10",
        *extra,
    )


def _family(capsys, live, *child_extra: str) -> None:
    assert _link(capsys, live, OWNER_ID)[0] == 0
    code, _, err = _link(capsys, live, MAX_ID, "--child", "Max", "--controlled", *child_extra)
    assert code == 0, err


def test_a_child_is_linked_only_by_someone_who_controls_it(live, capsys) -> None:
    assert _link(capsys, live, OWNER_ID)[0] == 0
    code, _, err = _link(capsys, live, MAX_ID, "--child", "Max")
    assert code == 2 and "--controlled" in err and "will copy" in err
    assert err.strip().splitlines()[-1].startswith("pulsedeck: ")
    code, _, err = _link(capsys, live, MAX_ID, "--child", "Max", "--controlled")
    assert code == 0, err
    assert "sessions you record whose title names 'Max'" in err and "opt in" in err
    (_, child) = json.loads(cli(capsys, "accounts", "list", "--json")[1])
    assert child["controlled_since"] and child["copy_watch"] is False
    code, out, _ = cli(capsys, "accounts", "list")
    assert "controlled since" in out and "watch copies off" in out
    code, out, _ = cli(capsys, "accounts", "set", str(child["id"]), "--copy-watch", "on")
    assert code == 0 and "watch copies on" in out
    assert json.loads(cli(capsys, "accounts", "list", "--json")[1])[1]["copy_watch"] is True
    assert cli(capsys, "accounts", "set", "1", "--copy-watch", "on")[0] == 2  # an owner
    assert cli(capsys, "accounts", "set", "99", "--copy-watch", "on")[0] == 4


def test_sync_run_counts_only_new_copies(live, capsys) -> None:
    _family(capsys, live, "--copy-watch", "on")
    live.add_activity(OWNER_ID, "Walk with Max", time.time() - 3600, manual=True)
    code, out, err = cli(capsys, "sync", "run")
    assert code == 0, err
    assert "copies found 1" in out
    code, out, err = cli(capsys, "sync", "run")  # the overlap lists it again: nothing new
    assert code == 0 and "copies found 0" in out
    assert len(live.activities_of(MAX_ID)) == 1


def test_unlinking_an_owner_names_its_children_and_the_kept_secret(live, capsys) -> None:
    _family(capsys, live)
    code, out, err = cli(capsys, "accounts", "unlink", "1")
    assert code == 0, err
    assert "and its child accounts 2 (Max)" in out
    assert "--forget-secret" in out and stored_client(CLIENT_ID) == CLIENT_SECRET
    _family(capsys, live)
    owner, child = (a["id"] for a in json.loads(cli(capsys, "accounts", "list", "--json")[1]))
    code, out, err = cli(capsys, "strava", "unlink", str(child), "--forget-secret")
    assert code == 0, err
    assert "forgot the client secret" not in out  # the owner still uses it
    assert cli(capsys, "accounts", "unlink", str(child))[0] == 4  # gone already
    code, out, err = cli(capsys, "accounts", "unlink", str(owner), "--forget-secret")
    assert code == 0, err
    assert f"forgot the client secret of Strava application {CLIENT_ID}" in out
    assert stored_client(CLIENT_ID) is None
    for secret in [*live.issued, CLIENT_SECRET]:
        assert secret not in out + err


def test_sync_status_says_why_a_job_waits(live, capsys, data_dir) -> None:
    assert _link(capsys, live, OWNER_ID)[0] == 0
    store = Store.open(data_dir)
    make_session(store, time.time(), title="Run")
    store.close()
    live.inject("POST", r"/uploads$", status=503)
    code, out, err = cli(capsys, "sync", "run")
    code, out, err = cli(capsys, "sync", "status")
    assert code == 0, err
    assert "waiting job 1 (strava_upload, session 1): next try 20" in out
    assert "last error: ServerError" in out
    status = json.loads(cli(capsys, "sync", "status", "--json")[1])
    assert status["pending"][0]["error"].startswith("ServerError")


def test_a_wrong_secret_is_blamed_and_the_working_one_kept(live, capsys) -> None:
    assert _link(capsys, live, OWNER_ID)[0] == 0
    code, _, err = _link(capsys, live, MAX_ID, "--child", "Max", "--controlled", secret="typo")
    assert code == 1
    assert "client secret" in err and "authorization code" not in err
    assert "Traceback" not in err
    assert [line for line in err.splitlines() if line.startswith("pulsedeck:")] == [
        err.splitlines()[-1]
    ]
    assert stored_client(CLIENT_ID) == CLIENT_SECRET
