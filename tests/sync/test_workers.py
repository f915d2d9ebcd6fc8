"""A killed sync worker's job runs again at once when no other worker is alive (real processes)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from app.store.repo import Store
from sync.outbox import RUNNING, Outbox

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="leases only on Windows")

ROOT = Path(__file__).resolve().parents[2]

#: A worker that claims the one job, says so, and hangs mid-job until killed.
WORKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from app.store.repo import Store
    from sync.outbox import Outbox
    job = Outbox(Store.open(Path(sys.argv[1]))).claim()
    print("claimed", job.id, flush=True)
    time.sleep(600)
    """
)


def start_worker(data_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().startswith("claimed"), "the worker did not claim the job"
    return proc


def test_a_killed_workers_job_is_claimed_at_once_not_after_its_lease(store: Store) -> None:
    job_id = Outbox(store).enqueue("lake.push", "k1")
    data_dir = store.path.parent  # type: ignore[union-attr]
    first = start_worker(data_dir)
    assert Outbox(store).get(job_id).state == RUNNING
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    second = start_worker(data_dir)  # no clock moved: the lease has 10 minutes to go
    try:
        assert Outbox(store).get(job_id).attempts == 2  # claimed again, by the new worker
    finally:
        second.kill()
        second.wait(10)


def test_a_live_workers_job_keeps_its_lease(store: Store) -> None:
    job_id = Outbox(store).enqueue("lake.push", "k1")
    worker = start_worker(store.path.parent)  # type: ignore[union-attr]
    try:
        box = Outbox(store)
        assert box.claim() is None  # its worker is alive: not taken from it
        assert box.get(job_id).state == RUNNING and box.get(job_id).attempts == 1
    finally:
        worker.kill()
        worker.wait(10)


def test_outboxes_of_one_process_never_take_each_others_jobs(store: Store) -> None:
    first = Outbox(store)
    first.enqueue("lake.push", "k1")
    assert first.claim() is not None
    del first  # the process is still a worker: membership does not die with the object
    assert Outbox(store).claim() is None
