"""GDPR export-all (zip + manifest, no secrets) and delete-all (no rows left) on a real store."""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from app.cli import main
from app.secrets import get_secret, set_secret
from app.store import models as m
from app.store.repo import Store
from app.training.daily import DailyService
from app.training.readiness import ReadinessService
from sync.exports.gdpr import count_rows, delete_all, export_all
from sync.lake.config import store_credentials
from tests.lake.factory import T0, record_session

SECRETS = ("tok-ACCESS-123456", "tok-REFRESH-abcdef", "feed-token-zzz", "s3-secret-key-qqq")


def _populate(store: Store) -> tuple[int, int]:
    """'Me' with every kind of row, and 'Other' whose data must survive."""
    sid = record_session(store, "Me", T0, n=30)
    record_session(store, "Me", T0 + 86_400_000, n=30)
    record_session(store, "Other", T0, n=30, is_self=False)
    me = store.ensure_athlete("Me")
    set_secret("strava:42", json.dumps({"access": SECRETS[0], "refresh": SECRETS[1]}))
    set_secret("feed:mine", SECRETS[2])
    store_credentials("lake.s3", "AKIAEXAMPLE", SECRETS[3])
    with store.orm() as s, s.begin():
        s.add(m.BodyMetric(athlete_id=me.id, kind="weight_kg", value=70.5, measured_ms=T0))
        goal = m.Goal(athlete_id=me.id, kind="steps", period="daily", target=10000,
                      created_ms=T0)  # fmt: skip
        s.add(goal)
        s.flush()
        s.add(m.GoalAchievement(goal_id=goal.id, period_start="2024-06-10", value=12000,
                                achieved_ms=T0))  # fmt: skip
        acct = m.RemoteAccount(athlete_id=me.id, provider="strava", remote_id="42",
                               keyring_key="strava:42", created_ms=T0)  # fmt: skip
        s.add(acct)
        s.flush()
        s.add(m.RemoteActivity(account_id=acct.id, session_id=sid, external_id="x-1",
                               state="ready", updated_ms=T0))  # fmt: skip
        s.add(m.SyncJob(kind="strava_upload", dedupe_key="k1", session_id=sid,
                        account_id=acct.id, payload={"note": "internal"}, created_ms=T0,
                        updated_ms=T0))  # fmt: skip
        s.add(
            m.Feed(
                name="mine",
                protocol="pulsoid",
                athlete_id=me.id,
                keyring_key="feed:mine",
                url=f"wss://user:{SECRETS[2]}@dev.example/ws?access_token={SECRETS[2]}",
            )
        )
        s.add(m.FeedCursor(source="mine", remote_athlete="me", athlete_id=me.id,
                           last_measured_ms=T0))  # fmt: skip
        ex = m.Exercise(athlete_id=me.id, name="My curl")
        s.add(ex)
        s.flush()
        st = s.scalar(
            m.ExerciseSet.__table__.select().where(m.ExerciseSet.session_id == sid)  # type: ignore[arg-type]
        )
        s.add(m.PersonalRecord(athlete_id=me.id, exercise_id=ex.id, set_id=st, kind="e1rm",
                               value=116.7, achieved_ms=T0))  # fmt: skip
    # Daily summaries and readings (both athletes) land in the caches: derived, personal too.
    day = datetime.fromtimestamp(T0 / 1000, UTC).date()
    daily = DailyService(store)
    other = store.ensure_athlete("Other")
    readiness = ReadinessService(store)
    for athlete in (me.id, other.id):
        daily.days(athlete, day - timedelta(days=1), day + timedelta(days=1))
        readiness.readings(athlete, day - timedelta(days=1), day + timedelta(days=1))
    return me.id, other.id


def test_export_all_has_every_table_a_manifest_and_no_secrets(store, tmp_path):
    me, _ = _populate(store)
    report = export_all(store, me, tmp_path / "me.zip")
    with zipfile.ZipFile(report.path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        blob = b"".join(zf.read(n) for n in zf.namelist())
        files = {f["table"]: f for f in manifest["files"]}
        for table, info in files.items():
            data = zf.read(info["name"])
            assert hashlib.sha256(data).hexdigest() == info["sha256"]
            rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
            assert len(rows) == info["rows"], table
        feeds = list(csv.DictReader(io.StringIO(zf.read("data/feeds.csv").decode())))
        accounts = list(csv.DictReader(io.StringIO(zf.read("data/remote_accounts.csv").decode())))
        tracks = list(csv.DictReader(io.StringIO(zf.read("data/session_tracks.csv").decode())))
    assert tracks and all(base64.b64decode(t["pieces"], validate=True) for t in tracks)
    for secret in SECRETS:
        assert secret.encode() not in blob
    assert b"strava:42" not in blob and b"internal" not in blob
    assert feeds[0]["url"] == "wss://dev.example/ws"
    assert "keyring_key" not in accounts[0]
    assert manifest["athlete"]["name"] == "Me"
    counts = count_rows(store, me, [])
    assert {t: f["rows"] for t, f in files.items()} == counts
    assert all(counts[t] > 0 for t in counts), counts  # every table really exercised
    assert counts["sessions"] == 2 and counts["samples"] == 60


def test_delete_all_leaves_no_rows_and_no_secrets(store):
    me, other = _populate(store)
    sessions = [s.id for s in store.list_sessions(me)]
    before_other = count_rows(store, other, [s.id for s in store.list_sessions(other)])
    report = delete_all(store, me)
    assert report.left_behind == {}
    assert report.rows["samples"] == 60 and report.secrets_deleted == 2
    assert all(n == 0 for n in count_rows(store, me, sessions).values())
    with store.engine.connect() as c:
        for table in m.Base.metadata.tables:
            cols = {col.name for col in m.Base.metadata.tables[table].columns}
            if "athlete_id" in cols:
                n = c.exec_driver_sql(f"SELECT count(*) FROM {table} WHERE athlete_id = ?", (me,))
                assert n.scalar() == 0, table
    assert get_secret("strava:42") is None and get_secret("feed:mine") is None
    assert get_secret("lake.s3") is not None  # the app's own lake keys are not the athlete's
    other_sessions = [s.id for s in store.list_sessions(other)]
    assert count_rows(store, other, other_sessions) == before_other
    with pytest.raises(LookupError):
        delete_all(store, me)


def test_gdpr_cli(store, tmp_path, capsys):
    _populate(store)
    assert main(["export", "all", "-o", str(tmp_path / "me.zip")]) == 0
    assert zipfile.is_zipfile(tmp_path / "me.zip")
    assert main(["export", "delete-all", "--confirm", "wrong"]) == 2
    assert len(store.list_sessions()) == 3
    assert main(["export", "delete-all", "--confirm", "Me"]) == 0
    assert [s.athlete for s in store.list_sessions()] == ["Other"]
    out = capsys.readouterr()
    for secret in SECRETS:
        assert secret not in out.out + out.err


def test_delete_all_refuses_while_a_recorder_holds_the_data_dir(store, data_dir, capsys):
    from app.instance import InstanceLock

    _populate(store)
    with InstanceLock(data_dir):
        assert main(["export", "delete-all", "--confirm", "Me"]) == 5
    assert "another Pulsedeck is recording" in capsys.readouterr().err
    assert len(store.list_sessions()) == 3
