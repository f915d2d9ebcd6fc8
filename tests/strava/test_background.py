"""The scheduler drives the Strava sync in the background: a finished session goes up."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import keyring

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import MAX_ID, OWNER_ID, link_direct, make_sync  # noqa: E402
from helpers import make_session  # noqa: E402
from strava_emulator import StravaEmulator  # noqa: E402

from app.instance import InstanceLock  # noqa: E402
from sync.background import BackgroundReport, BackgroundSync, enabled  # noqa: E402
from sync.scheduler import SchedulerConfig, for_strava, load_config  # noqa: E402
from sync.strava.config import ENV_API_URL, ENV_OAUTH_URL, StravaConfig  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
#: Only the immediate runs at start and `wake()` happen within a test.
QUIET = SchedulerConfig(outbox_interval_s=3600, poll_interval_s=3600)


def test_scheduler_uploads_in_the_background_and_on_wake(
    store, emulator, config, clock, family
) -> None:
    make_session(store, clock(), title="Run")
    emulator.add_activity(OWNER_ID, "Walk with Max", clock() - 600, manual=True)

    async def main() -> list:
        reports: asyncio.Queue = asyncio.Queue()
        async with httpx.AsyncClient() as http:
            sync = make_sync(store, http, config, clock)
            sched = for_strava(
                sync,
                SchedulerConfig(outbox_interval_s=3600, poll_interval_s=3600),
                after_run=reports.put_nowait,
            )
            sched.start()
            try:
                first = [await asyncio.wait_for(reports.get(), 10) for _ in range(2)]
                make_session(store, clock() + 60, title="Another run", seed=3)
                sched.wake()
                first.append(await asyncio.wait_for(reports.get(), 10))
            finally:
                sched.shutdown()
            return first

    reports = asyncio.run(main())
    assert sum(r.ran for r in reports) == 3
    assert len(emulator.activities_of(OWNER_ID)) == 3  # 2 sessions + the walk itself
    assert len(emulator.activities_of(MAX_ID)) == 1


def test_intervals_come_from_settings(store) -> None:
    from app.store.settings import STRAVA_POLL_INTERVAL_S, Settings

    Settings(store).set(STRAVA_POLL_INTERVAL_S, 300)
    cfg = load_config(Settings(store))
    assert cfg.poll_interval_s == 300 and cfg.outbox_interval_s == 60


def test_the_setting_and_the_environment_turn_it_off() -> None:
    assert enabled(None, {}) and enabled(True, {}) and enabled("on", {})
    assert not enabled(False, {}) and not enabled("off", {}) and not enabled(0, {})
    assert not enabled(True, {"PULSEDECK_NO_BACKGROUND_SYNC": "1"})
    assert enabled(True, {"PULSEDECK_NO_BACKGROUND_SYNC": "0"})


# BackgroundSync ------------------------------------------------------------------------------


async def _report(queue: asyncio.Queue, want, timeout_s: float = 10.0) -> BackgroundReport:
    """The first report satisfying `want`, or fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError("no background run did what was expected in time")
        report = await asyncio.wait_for(queue.get(), left)
        if want(report):
            return report


def test_background_sync_uploads_a_finished_session_on_wake(
    store, emulator, config, clock, family
) -> None:
    async def main() -> tuple[BackgroundReport, float]:
        reports: asyncio.Queue = asyncio.Queue()
        bg = BackgroundSync(store, after_run=reports.put_nowait, config=config, schedule=QUIET,
                            clock=clock, sleep=clock.sleep)  # fmt: skip
        bg.start()
        try:
            for _ in range(2):  # the outbox and the poll run at start: nothing to send yet
                assert not (await _report(reports, lambda r: True)).ran
            make_session(store, clock() + 60, title="Run")
            t0 = time.monotonic()
            bg.wake()
            done = await _report(reports, lambda r: r.uploaded > 0, timeout_s=10)
            return done, time.monotonic() - t0
        finally:
            await bg.aclose()

    report, waited_s = asyncio.run(main())
    assert report.enqueued == 1 and report.uploaded == 1 and report.errors == ()
    assert waited_s < 5  # a wake is "now", not the next minute
    (act,) = emulator.activities_of(OWNER_ID)
    assert act["name"] == "Run"


def test_the_schedule_survives_runs_that_raise(
    store, emulator, config, clock, family, caplog
) -> None:
    calls = {"after_run": 0, "run_once": 0}

    async def main() -> list[BackgroundReport]:
        reports: asyncio.Queue = asyncio.Queue()

        def after_run(report: BackgroundReport) -> None:
            calls["after_run"] += 1
            if calls["after_run"] == 1:
                raise RuntimeError("a broken listener")  # SyncScheduler._guard logs it
            reports.put_nowait(report)

        bg = BackgroundSync(store, after_run=after_run, config=config, schedule=QUIET,
                            clock=clock, sleep=clock.sleep, poll=False)  # fmt: skip
        bg.start()
        assert bg.sync is not None
        real_run_once = bg.sync.run_once

        async def flaky_run_once(**kwargs):  # fault injection into the real engine
            calls["run_once"] += 1
            if calls["run_once"] == 2:
                raise OSError("disk went away")
            return await real_run_once(**kwargs)

        bg.sync.run_once = flaky_run_once  # type: ignore[method-assign]
        try:
            assert bg.scheduler is not None
            deadline = time.monotonic() + 10
            while bg.scheduler.runs["outbox"] < 1:  # the first run (its listener raised)
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            bg.wake()
            failed = await _report(reports, lambda r: True)
            make_session(store, clock() + 60, title="Run")
            bg.wake()
            ok = await _report(reports, lambda r: r.uploaded > 0)
            return [failed, ok]
        finally:
            await bg.aclose()

    with caplog.at_level(logging.ERROR):
        failed, ok = asyncio.run(main())
    assert "background outbox run failed" in caplog.text  # the listener's error, logged
    assert "a broken listener" in caplog.text
    assert failed.errors == ("Strava: disk went away",)
    assert ok.uploaded == 1 and len(emulator.activities_of(OWNER_ID)) == 1


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v3"  # nothing listens there any more


def test_nothing_linked_means_no_network_at_all(store, clock) -> None:
    make_session(store, clock(), title="Run")
    config = replace(StravaConfig(), api_url=_closed_port_url(), oauth_url=_closed_port_url())
    sent: list[str] = []

    async def main() -> list[BackgroundReport]:
        reports: asyncio.Queue = asyncio.Queue()
        bg = BackgroundSync(store, after_run=reports.put_nowait, config=config, schedule=QUIET,
                            clock=clock, sleep=clock.sleep)  # fmt: skip
        bg.start()
        assert bg.http is not None

        async def record(request: httpx.Request) -> None:
            sent.append(str(request.url))

        bg.http.event_hooks["request"].append(record)  # before the first run gets the loop
        try:
            out = [await _report(reports, lambda r: True) for _ in range(2)]
            bg.wake(poll=True)
            out += [await _report(reports, lambda r: True) for _ in range(2)]
            return out
        finally:
            await bg.aclose()

    reports = asyncio.run(main())
    assert sent == []
    assert {r.poll for r in reports} == {True, False}
    assert all(not r.did_something for r in reports)
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM sync_jobs").scalar() == 0


def test_aclose_cancels_a_hung_upload_and_leaves_no_tasks(
    store, emulator, config, clock, family
) -> None:
    make_session(store, clock(), title="Run")
    emulator.release_upload_post.clear()  # Strava takes the file and does not answer

    async def main() -> tuple[set, bool]:
        bg = BackgroundSync(store, config=replace(config, timeout_s=30), schedule=QUIET,
                            clock=clock, sleep=clock.sleep, poll=False)  # fmt: skip
        bg.start()
        http = bg.http
        assert http is not None
        posted = await asyncio.to_thread(emulator.upload_posted.wait, 10)
        assert posted
        t0 = time.monotonic()
        await bg.aclose(grace_s=0.2)
        assert time.monotonic() - t0 < 3
        left = {t for t in asyncio.all_tasks() if t is not asyncio.current_task()}
        return left, http.is_closed

    left, closed = asyncio.run(main())
    emulator.release_upload_post.set()
    assert left == set() and closed

    # The next process finds the upload by its external id: still one activity on Strava.
    async def again() -> BackgroundReport:
        reports: asyncio.Queue = asyncio.Queue()
        clock.advance(700)  # past the cancelled job's lease
        bg = BackgroundSync(store, after_run=reports.put_nowait, config=config, schedule=QUIET,
                            clock=clock, sleep=clock.sleep, poll=False)  # fmt: skip
        bg.start()
        try:
            return await _report(reports, lambda r: r.uploaded > 0)
        finally:
            await bg.aclose()

    asyncio.run(again())
    assert len(emulator.activities_of(OWNER_ID)) == 1


def test_a_run_also_pushes_to_a_configured_lake(store, clock, aws_env, moto_url) -> None:
    import boto3

    from sync.lake.config import save_settings

    bucket = "bg-lake"
    s3 = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    save_settings(store, bucket=bucket, prefix="bg", endpoint_url=moto_url, region="us-east-1")
    make_session(store, clock(), title="Run")
    config = replace(StravaConfig(), api_url=_closed_port_url(), oauth_url=_closed_port_url())

    async def main() -> BackgroundReport:
        reports: asyncio.Queue = asyncio.Queue()
        bg = BackgroundSync(store, after_run=reports.put_nowait, config=config, schedule=QUIET,
                            clock=clock, sleep=clock.sleep, poll=False)  # fmt: skip
        bg.start()
        try:
            return await _report(reports, lambda r: True)
        finally:
            await bg.aclose()

    report = asyncio.run(main())
    assert (report.lake_ran, report.pushed, report.uploaded, report.errors) == (1, 1, 0, ())
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert keys and all(k.startswith("bg/") for k in keys)


# `pulsedeck sync run --forever` --------------------------------------------------------------

#: A keyring in a JSON file that a child process reads as the OS keyring would be read (the
#: per-test in-memory keyring cannot cross a process boundary).
KEYRING_MODULE = """
import json, os
from keyring.backend import KeyringBackend


class JsonFileKeyring(KeyringBackend):
    priority = 1

    def _load(self):
        try:
            with open(os.environ["PULSEDECK_TEST_KEYRING"]) as f:
                return json.load(f)
        except FileNotFoundError:
            return {}

    def _save(self, data):
        with open(os.environ["PULSEDECK_TEST_KEYRING"], "w") as f:
            json.dump(data, f)

    def get_password(self, service, username):
        return self._load().get(service + "\\0" + username)

    def set_password(self, service, username, password):
        data = self._load()
        data[service + "\\0" + username] = password
        self._save(data)

    def delete_password(self, service, username):
        data = self._load()
        data.pop(service + "\\0" + username, None)
        self._save(data)
"""


def test_cli_forever_uploads_and_exits_0_on_sigterm(store, data_dir, tmp_path, monkeypatch) -> None:
    module = tmp_path / "pd_json_keyring.py"
    module.write_text(KEYRING_MODULE)
    monkeypatch.setenv("PULSEDECK_TEST_KEYRING", str(tmp_path / "keyring.json"))
    spec = importlib.util.spec_from_file_location("pd_json_keyring", module)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    keyring.set_keyring(mod.JsonFileKeyring())  # the conftest fixture restores the old one

    with StravaEmulator(clock=time.time) as emu:  # a real clock: the child has no fake one
        emu.add_app("4242", "app-secret-xyz")
        emu.add_athlete(OWNER_ID, "Ada", "Runner")
        emu.polls_to_ready = 0
        link_direct(store, emu, time.time, OWNER_ID)  # type: ignore[arg-type]
        sid = make_session(store, time.time(), title="Morning run")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)]),
            "PYTHON_KEYRING_BACKEND": "pd_json_keyring.JsonFileKeyring",
            ENV_API_URL: emu.api_url,
            ENV_OAUTH_URL: emu.oauth_url,
        }
        # `pulsedeck record` holds the data dir's instance lock; the sync must not need it.
        recording = InstanceLock(data_dir)
        recording.acquire()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "sync", "run",
                 "--forever", "--no-poll"],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            try:
                assert proc.stdout is not None
                # The first run queues and uploads the session, then prints its line (or the
                # child exits and readline returns "": the asserts below show its stderr).
                line = proc.stdout.readline()
                proc.send_signal(signal.SIGTERM)
                out, err = proc.communicate(timeout=15)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
        finally:
            recording.release()
        assert proc.returncode == 0, err
        assert "outbox: queued 1" in line and "on Strava 1" in line, (line, err)
        (act,) = emu.activities_of(OWNER_ID)
        assert act["name"] == "Morning run"
        assert emu.violations == []
    with store.engine.connect() as conn:
        state = conn.exec_driver_sql(
            "SELECT state FROM remote_activities WHERE session_id = ?", (sid,)
        ).scalar()
    assert state == "ready"
    assert "Traceback" not in err
