"""Issue 22 #5: deletes and edits reach the lake, and a coach's pull follows (real S3 on moto).

Both faces: `pulsedeck sessions rename|set|delete` (the CLI) and the History service the
desktop app calls. Every check reads the bucket itself, not our own bookkeeping.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from app.cli import main
from app.services.history import HistoryService
from app.store.repo import Store
from sync.lake.identity import lake_identities
from sync.lake.schema import TABLES

from .conftest import T0, all_keys, record_session

DAY = 86_400_000


def _lake(moto_url: str, bucket: str) -> list[str]:
    return [
        "--bucket",
        bucket,
        "--prefix",
        "p",
        "--endpoint-url",
        moto_url,
        "--region",
        "us-east-1",
    ]


def _run(data_dir: Path, *args: str) -> int:
    return main(["--data-dir", str(data_dir), *args])


def _json(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> dict:
    capsys.readouterr()
    code = _run(data_dir, *args, "--json")
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def _uid(data_dir: Path, session_id: int) -> str:
    store = Store.open(data_dir)
    try:
        with store.engine.connect() as c:
            return str(
                c.exec_driver_sql("SELECT uid FROM sessions WHERE id = ?", (session_id,)).scalar()
            )
    finally:
        store.close()


def _lake_rows(s3, bucket: str) -> dict[str, dict]:  # noqa: ANN001
    """session uid -> its `sessions` row, read from the objects in the bucket."""
    rows = {}
    for key in all_keys(s3, bucket):
        if key.startswith("p/sessions/"):
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            row = pq.read_table(io.BytesIO(body)).to_pylist()[0]
            rows[row["session_id"]] = row
    return rows


def _keys_of(s3, bucket: str, uid: str) -> list[str]:  # noqa: ANN001
    return [k for k in all_keys(s3, bucket) if uid in k]


def _coach_sessions(coach: Path) -> dict[str, tuple[str | None, str]]:
    """uid -> (title, sport) of the coach's pulled sessions."""
    store = Store.open(coach)
    try:
        with store.engine.connect() as c:
            rows = c.exec_driver_sql("SELECT uid, title, sport FROM sessions").all()
        return {uid: (title, sport) for uid, title, sport in rows}
    finally:
        store.close()


@pytest.fixture
def world(tmp_path: Path, moto_url: str, bucket: str, capsys: pytest.CaptureFixture[str]):  # noqa: ANN201
    """An athlete's machine with three pushed sessions and a coach who pulled them."""
    athlete, coach = tmp_path / "athlete", tmp_path / "coach"
    store = Store.open(athlete)
    try:
        ids = [record_session(store, "Me", T0 + i * DAY, seed=i) for i in range(3)]
    finally:
        store.close()
    lake = _lake(moto_url, bucket)
    assert _run(athlete, "lake", "push", *lake) == 0
    pulled = _json(capsys, coach, "lake", "pull", "--all-clients", *lake)
    assert pulled["imported"] == 3
    return athlete, coach, ids, lake


def test_delete_rename_sport_reach_the_lake_and_the_coach(world, s3, bucket, capsys) -> None:  # noqa: ANN001
    athlete, coach, (gone, renamed, resported), lake = world
    uids = {sid: _uid(athlete, sid) for sid in (gone, renamed, resported)}

    assert _run(athlete, "sessions", "delete", str(gone)) == 0
    assert _run(athlete, "sessions", "rename", str(renamed), "Tempo 5k") == 0
    assert _run(athlete, "sessions", "set", str(resported), "--sport", "ride") == 0
    status = _json(capsys, athlete, "lake", "status")
    # The deleted session is no longer counted as pushed; the three jobs wait to run.
    assert (status["pushed"], status["pending"]) == (0, 3)

    report = _json(capsys, athlete, "lake", "push", *lake)  # no --force
    assert (report["done"], report["removed"], report["dead"]) == (3, 1, 0)
    assert _keys_of(s3, bucket, uids[gone]) == [
        f"p/_deleted/athlete_id={_ref(athlete)}/{uids[gone]}.json"
    ]
    rows = _lake_rows(s3, bucket)
    assert set(rows) == {uids[renamed], uids[resported]}
    assert rows[uids[renamed]]["title"] == "Tempo 5k"
    assert rows[uids[resported]]["sport"] == "ride"
    status = _json(capsys, athlete, "lake", "status")
    assert (status["pushed"], status["removed"], status["pending"]) == (2, 1, 0)

    # push --force never brings the deleted session back.
    assert _json(capsys, athlete, "lake", "push", "--force", *lake)["dead"] == 0
    assert set(_lake_rows(s3, bucket)) == {uids[renamed], uids[resported]}
    assert len(_keys_of(s3, bucket, uids[gone])) == 1  # the tombstone only

    pulled = _json(capsys, coach, "lake", "pull", "--all-clients", *lake)
    assert (pulled["removed"], pulled["replaced"], pulled["failed"]) == (1, 2, 0)
    seen = _coach_sessions(coach)
    assert set(seen) == {uids[renamed], uids[resported]}
    assert seen[uids[renamed]][0] == "Tempo 5k" and seen[uids[resported]][1] == "ride"

    again = _json(capsys, coach, "lake", "pull", "--all-clients", *lake)  # idempotent
    assert (again["imported"], again["replaced"], again["removed"]) == (0, 0, 0)
    assert again["unchanged"] == 2 and _coach_sessions(coach) == seen


def _ref(data_dir: Path) -> str:
    store = Store.open(data_dir)
    try:
        return str(lake_identities(store)[0].lake_id)
    finally:
        store.close()


def test_the_apps_history_undo_brings_a_session_back(world, s3, bucket, capsys) -> None:  # noqa: ANN001
    """The desktop app's History service: delete, push, undo, push: the coach has it again."""
    athlete, coach, (sid, _, _), lake = world
    uid = _uid(athlete, sid)
    store = Store.open(athlete)
    try:
        HistoryService(store).delete(sid)
    finally:
        store.close()
    assert _run(athlete, "lake", "push", *lake) == 0
    assert _json(capsys, coach, "lake", "pull", "--all-clients", *lake)["removed"] == 1
    assert uid not in _coach_sessions(coach)

    store = Store.open(athlete)
    try:
        HistoryService(store).undelete(sid)
    finally:
        store.close()
    report = _json(capsys, athlete, "lake", "push", *lake)
    assert (report["done"], report["removed"], report["ran"]) == (3, 0, 1)
    keys = _keys_of(s3, bucket, uid)
    assert len(keys) == len(TABLES) and not any("_deleted" in k for k in keys)
    assert _json(capsys, coach, "lake", "pull", "--all-clients", *lake)["imported"] == 1
    assert uid in _coach_sessions(coach)


def test_edits_outside_history_are_caught_at_push(world, s3, bucket, capsys) -> None:  # noqa: ANN001
    """Notes (written by the sessions command itself) reach the lake without --force."""
    athlete, coach, (sid, _, _), lake = world
    assert _run(athlete, "sessions", "set", str(sid), "--notes", "felt easy") == 0
    report = _json(capsys, athlete, "lake", "push", *lake)
    assert (report["requeued"], report["ran"]) == (1, 1)
    assert _lake_rows(s3, bucket)[_uid(athlete, sid)]["notes"] == "felt easy"
    assert _json(capsys, coach, "lake", "pull", "--all-clients", *lake)["replaced"] == 1
    assert _json(capsys, athlete, "lake", "push", *lake)["requeued"] == 0  # nothing new


def test_a_tombstone_wins_over_objects_left_behind(world, s3, bucket, capsys) -> None:  # noqa: ANN001
    """A delete cut off after its tombstone: the pull already drops the session."""
    athlete, coach, (sid, _, _), lake = world
    uid = _uid(athlete, sid)
    s3.put_object(
        Bucket=bucket, Key=f"p/_deleted/athlete_id={_ref(athlete)}/{uid}.json", Body=b"{}"
    )
    assert len(_keys_of(s3, bucket, uid)) == len(TABLES) + 1
    pulled = _json(capsys, coach, "lake", "pull", "--all-clients", *lake)
    assert (pulled["removed"], pulled["imported"], pulled["unchanged"]) == (1, 0, 2)
    assert uid not in _coach_sessions(coach)
    assert _json(capsys, coach, "lake", "pull", "--all-clients", *lake)["removed"] == 0


def test_deleted_before_its_first_push_never_reaches_the_lake(
    tmp_path: Path,
    moto_url: str,
    bucket: str,
    s3,
    capsys,  # noqa: ANN001
) -> None:
    athlete = tmp_path / "athlete"
    store = Store.open(athlete)
    try:
        sid = record_session(store, "Me", T0)
        HistoryService(store).delete(sid)
    finally:
        store.close()
    report = _json(capsys, athlete, "lake", "push", *_lake(moto_url, bucket))
    assert report["enqueued"] == 0 and all_keys(s3, bucket) == []


def test_every_table_loses_the_deleted_session(world, s3, bucket, capsys) -> None:  # noqa: ANN001
    athlete, _, (sid, keep, _), lake = world
    before = {t: len([k for k in all_keys(s3, bucket) if k.startswith(f"p/{t}/")]) for t in TABLES}
    assert set(before.values()) == {3}
    assert _run(athlete, "sessions", "delete", str(sid)) == 0
    assert _run(athlete, "lake", "push", *lake) == 0
    for table in TABLES:
        keys = [k for k in all_keys(s3, bucket) if k.startswith(f"p/{table}/")]
        assert len(keys) == 2 and not any(_uid(athlete, sid) in k for k in keys), table
