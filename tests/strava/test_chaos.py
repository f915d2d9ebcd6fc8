"""Chaos: 200 sessions and 50 remote activities with children, random faults, killed workers.

Faults hit every request kind: POST /uploads, GET /uploads/{id}, PUT /activities/{id}, GET
streams, POST /activities and the token refresh (random 5xx/429 plus injected ones, some of
them hangs). At the end every expected activity exists exactly once on the right account
with the right name and sport type, nothing is missing, and the outbox holds only dead jobs
that say why.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import multiprocessing
import os
import random
import re
import signal
import sys
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend

sys.path.insert(0, str(Path(__file__).resolve().parent))

from conftest import LUNA_ID, MAX_ID, OWNER_ID, T0_S, FakeClock  # noqa: E402
from helpers import make_session  # noqa: E402

from app.store.repo import Store  # noqa: E402
from sync.outbox import DEAD, DEFAULT_LEASE_S, DONE, Outbox  # noqa: E402
from sync.strava.engine import SPORT_TYPE, StravaSync, copy_external_id, external_id  # noqa: E402


class SharedClock(FakeClock):
    """The fake clock in shared memory, so forked workers and the emulator agree on it."""

    def __init__(self, start: float = T0_S) -> None:
        self._value = multiprocessing.get_context("fork").Value("d", start, lock=False)
        self.slept = []

    @property
    def now(self) -> float:  # type: ignore[override]
        return self._value.value

    @now.setter
    def now(self, value: float) -> None:
        self._value.value = value


@pytest.fixture
def clock() -> SharedClock:
    return SharedClock()


class FileKeyring(KeyringBackend):
    """A keyring in a JSON file, shared by the forked workers like a real OS keyring is.

    (No Secret Service runs in CI; the in-memory test keyring would fork into copies, and a
    worker's rotated refresh token would then never reach the next process.)
    """

    priority = 1  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _edit(self, change=None):  # noqa: ANN001, ANN202
        with open(self.path, "a+") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.seek(0)
            data = json.loads(f.read() or "{}")
            if change is not None:
                change(data)
                f.seek(0)
                f.truncate()
                f.write(json.dumps(data))
            return data

    def get_password(self, service: str, username: str) -> str | None:
        return self._edit().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._edit(lambda d: d.__setitem__(f"{service}/{username}", password))

    def delete_password(self, service: str, username: str) -> None:
        self._edit(lambda d: d.pop(f"{service}/{username}", None))


@pytest.fixture
def shared_keyring(tmp_path: Path) -> None:
    keyring.set_keyring(FileKeyring(tmp_path / "keyring.json"))  # conftest restores it


async def _until_idle(store: Store, config, clock, rounds: int = 400) -> None:
    async with httpx.AsyncClient() as http:
        sync = StravaSync(store, http, config, clock=clock, sleep=clock.sleep)
        poll = True
        for _ in range(rounds):
            # The scheduler polls far less often than the outbox runs; a failed poll (a
            # refresh that met a fault) is tried again at the next round.
            report = await sync.run_once(poll=poll)
            poll = poll and bool(report.errors)
            due = sync.next_due_s()
            if due is None and report.ran == 0 and not poll:
                return
            clock.advance(max(due or 0.0, 1.0) if report.ran == 0 else 1.0)


def _worker(data_dir: str, config, clock) -> None:  # a forked sync process
    asyncio.run(_until_idle(Store.open(Path(data_dir)), config, clock))


def _stream(n: int) -> dict[str, list]:
    return {
        "time": list(range(n)),
        "heartrate": [140] * n,
        "cadence": [80] * n,
        "distance": [3.0 * i for i in range(n)],
        "latlng": [[46.0 + i * 1e-4, 7.0] for i in range(n)],
    }


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "fork"), reason="kills forked sync processes")
def test_chaos_exactly_once_with_kills(
    shared_keyring, store, emulator, config, clock, family
) -> None:
    rng = random.Random(7)
    sessions = {}
    for i in range(200):
        title = (
            f"Session {i}"
            + (" with Max" if i % 4 == 0 else "")
            + (" and luna" if i % 5 == 0 else "")
        )
        sid = make_session(
            store,
            clock() + i * 60,
            title=title,
            n=5,
            seed=i,
            gps=i % 3 != 0,
            sport="run" if i % 2 else "ride",
        )
        sessions[sid] = (store.get_session(sid).uid, title, "run" if i % 2 else "ride")
    remote = {}
    sports = ("Run", "Hike", "Walk", "VirtualRide", "Ride")  # a file copy's sport needs its PUT
    for i in range(50):
        name = f"Watch {i}" + (" Max" if i % 2 else "") + (" Luna" if i % 3 == 0 else "")
        manual = i % 7 == 0
        aid = emulator.add_activity(
            OWNER_ID,
            name,
            clock() - 3600 - i * 600,
            sport_type=sports[i % len(sports)],
            streams=None if manual else _stream(5),
            manual=manual,
        )
        remote[aid] = (name, manual, sports[i % len(sports)])
    emulator.chaos_rate = 0.12
    emulator.chaos_token = True
    emulator.token_ttl_s = 1200  # short-lived tokens: refreshes in every worker
    emulator.expire_tokens()
    config = replace(config, page_size=100)

    ctx = multiprocessing.get_context("fork")
    kills = 0
    for _ in range(4):
        worker = ctx.Process(target=_worker, args=(str(store.path.parent), config, clock))
        worker.start()
        worker.join(rng.uniform(0.5, 2.0))
        if worker.is_alive():
            os.kill(worker.pid, signal.SIGKILL)
            worker.join(10)
            kills += 1
        clock.advance(DEFAULT_LEASE_S + 1)  # leases of the killed worker run out
    emulator.chaos_rate = 0.0
    # The last worker meets a few faults of every kind for sure (the killed ones may not
    # have got that far), and expired tokens, so its refreshes fail too.
    emulator.expire_tokens()
    for method, path, hang in (
        ("POST", r"/uploads$", 3.0),  # a hang: the client times out, Strava may have it
        ("POST", r"/uploads$", 0.0),
        ("GET", r"/uploads/\d+$", 0.0),
        ("PUT", r"/activities/\d+$", 0.0),
        ("GET", r"/activities/\d+/streams$", 0.0),
        ("POST", r"/oauth/token$", 0.0),
    ):
        emulator.inject(method, path, status=503, times=3, hang_s=hang)
    started = time.monotonic()
    asyncio.run(_until_idle(store, config, clock, rounds=1000))
    assert time.monotonic() - started < 120
    assert kills >= 1  # the chaos really interrupted work
    # Tokens expired and rotated many times, across the processes.
    assert emulator.token_requests.count("refresh_token") >= 3
    kinds = {
        (method, re.sub(r"\d+", "N", path.removeprefix("/api/v3")))
        for method, path in emulator.faulted
    }
    for kind in (
        ("POST", "/uploads"),
        ("GET", "/uploads/N"),
        ("PUT", "/activities/N"),
        ("GET", "/activities/N/streams"),
        ("POST", "/oauth/token"),
    ):
        assert kind in kinds, f"no fault on {kind}"

    outbox = Outbox(store)
    jobs = outbox.jobs()
    assert {j.state for j in jobs} <= {DONE, DEAD}
    dead = [j for j in jobs if j.state == DEAD]
    assert all(j.last_error for j in dead)
    uncertain = [
        j.payload.get("source_activity_id") for j in dead if j.last_error.startswith("Uncertain")
    ]
    # Only manual copies may be dead: a kill or a 5xx left them possibly created.
    assert len(dead) == len(uncertain)
    assert all(remote[int(a)][1] for a in uncertain)

    def by_ext(athlete: int) -> dict[str, list[dict]]:
        out: dict[str, list[dict]] = {}
        for a in emulator.activities_of(athlete):
            out.setdefault(a["external_id"], []).append(a)
        return out

    def exactly_one(found: dict[str, list[dict]], ext: str, name: str, sport: str) -> None:
        (act,) = found.get(ext, [])
        assert (act["name"], act["sport_type"]) == (name, sport), ext

    owner = by_ext(OWNER_ID)
    for uid, title, sport in sessions.values():
        exactly_one(owner, external_id(uid), title, SPORT_TYPE[sport])
    for child, word in ((MAX_ID, "max"), (LUNA_ID, "luna")):
        got = by_ext(child)
        manual_copies = Counter(
            (a["name"], a["sport_type"]) for a in emulator.activities_of(child) if a["manual"]
        )
        for uid, title, sport in sessions.values():
            if word in title.lower():
                exactly_one(got, external_id(uid), title, SPORT_TYPE[sport])
            else:
                assert external_id(uid) not in got, title
        for aid, (name, manual, sport) in remote.items():
            wanted = word in name.lower()
            if manual:
                if str(aid) in uncertain:  # a person checks these; never two
                    assert manual_copies[(name, sport)] <= 1
                else:
                    assert manual_copies[(name, sport)] == (1 if wanted else 0), name
            elif wanted:
                exactly_one(got, copy_external_id(aid), name, sport)
            else:
                assert copy_external_id(aid) not in got, name
