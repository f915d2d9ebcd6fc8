"""A worker killed between the remote effect and `complete` never causes a second activity."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import sys
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import MAX_ID, OWNER_ID, make_sync, run  # noqa: E402
from helpers import make_session  # noqa: E402

from app.store.repo import Store  # noqa: E402
from sync.outbox import DEFAULT_LEASE_S, DONE, RUNNING, Outbox  # noqa: E402
from sync.strava.engine import KIND_UPLOAD, StravaSync  # noqa: E402


def _worker(data_dir: str, config, clock) -> None:  # runs in a forked child
    async def main() -> None:
        store = Store.open(Path(data_dir))
        async with httpx.AsyncClient() as http:
            await StravaSync(store, http, config, clock=clock, sleep=clock.sleep).run_once()

    asyncio.run(main())


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork to kill a real worker")
def test_worker_killed_after_post_before_reply(store, emulator, config, clock, family) -> None:
    sid = make_session(store, clock(), title="Tempo run with Max")
    emulator.release_upload_post.clear()  # hold the reply to the first POST /uploads
    ctx = multiprocessing.get_context("fork")
    worker = ctx.Process(target=_worker, args=(str(store.path.parent), config, clock))
    worker.start()
    try:
        assert emulator.upload_posted.wait(30), "the worker never posted"
        os.kill(worker.pid, signal.SIGKILL)  # Strava has the file; we never got the id
        worker.join(10)
    finally:
        emulator.release_upload_post.set()
        if worker.is_alive():
            worker.kill()
    assert worker.exitcode == -signal.SIGKILL
    running = Outbox(store, clock=clock).jobs(state=RUNNING)
    assert len(running) == 1  # leased to the dead worker
    posted_before = len(emulator.uploads)

    clock.advance(DEFAULT_LEASE_S + 1)  # the dead worker's lease runs out

    async def restart(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(restart)
    jobs = sync.outbox.jobs(kind=KIND_UPLOAD)
    assert [j.state for j in jobs] == [DONE, DONE]
    assert len(emulator.activities_of(OWNER_ID)) == 1  # never a second activity
    assert len(emulator.activities_of(MAX_ID)) == 1
    replayed = next(j for j in jobs if j.id == running[0].id)
    assert replayed.result["duplicate"] is True  # Strava's "duplicate of activity N" linked it
    assert len(emulator.uploads) > posted_before
    ledger = {r["account_id"]: r for r in sync.remote_for_session(sid)}
    remote = {family.owner.id: OWNER_ID, family.max.id: MAX_ID}[running[0].account_id]
    (activity,) = emulator.activities_of(remote)
    assert ledger[running[0].account_id]["activity_id"] == str(activity["id"])


class CrashBeforeComplete(Outbox):
    """An outbox whose process dies right after the handler's remote work succeeded."""

    def complete(self, job_id, result=None):  # noqa: ANN001, ANN201
        raise KeyboardInterrupt("simulated kill between the remote effect and complete")


def test_crash_after_linking_replays_without_any_upload(
    store, emulator, config, clock, family
) -> None:
    make_session(store, clock(), title="Run")

    async def crash(http):
        sync = StravaSync(
            store,
            http,
            config,
            clock=clock,
            sleep=clock.sleep,
            outbox=CrashBeforeComplete(store, clock=clock),
        )
        with pytest.raises(KeyboardInterrupt):
            await sync.run_once()

    run(crash)
    uploads = len(emulator.uploads)
    clock.advance(DEFAULT_LEASE_S + 1)

    async def restart(http):
        sync = make_sync(store, http, config, clock)
        await sync.run_once()
        return sync

    sync = run(restart)
    (job,) = sync.outbox.jobs(kind=KIND_UPLOAD)
    assert job.state == DONE and job.attempts == 2
    assert len(emulator.uploads) == uploads  # the ledger said "ready": nothing re-posted
    assert len(emulator.activities_of(OWNER_ID)) == 1
