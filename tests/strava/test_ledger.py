"""The exactly-once ledger's states and every transition between them, legal or not."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import update

from app.store import models as m
from sync.errors import Permanent, Retryable
from sync.outbox import DEAD, Outbox
from sync.strava.accounts import OWNER, save_account
from sync.strava.ledger import (
    TRANSITIONS,
    IllegalTransition,
    LedgerConflict,
    LedgerState,
    LedgerStore,
    check_transition,
)

S = LedgerState
#: Written out by hand, so a change to the table in ledger.py must be made here too.
LEGAL = {
    (S.UPLOADING, S.PROCESSING),
    (S.UPLOADING, S.CREATING),
    (S.PROCESSING, S.UPLOADING),
    (S.PROCESSING, S.UPDATING),
    (S.PROCESSING, S.READY),
    (S.PROCESSING, S.ERROR),
    (S.CREATING, S.UPLOADING),
    (S.CREATING, S.READY),
    (S.CREATING, S.ERROR),
    (S.UPDATING, S.READY),
    (S.ERROR, S.UPLOADING),
}
PAIRS = list(itertools.product(LedgerState, LedgerState))


def test_stored_values_are_the_strings_older_versions_wrote() -> None:
    assert {s.value for s in LedgerState} == {
        "uploading", "processing", "creating", "updating", "ready", "error",
    }  # fmt: skip
    assert max(len(s.value) for s in LedgerState) <= 20  # remote_activities.state String(20)
    assert S.READY == "ready" and isinstance(S.READY, str)


def test_the_table_is_exactly_the_legal_moves() -> None:
    assert set(TRANSITIONS) == set(LedgerState)
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == LEGAL


@pytest.mark.parametrize(("current", "wanted"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_check_transition(current: LedgerState, wanted: LedgerState) -> None:
    if (current, wanted) in LEGAL:
        assert check_transition(7, current.value, wanted) is wanted
    else:
        with pytest.raises(IllegalTransition, match=f"row 7 cannot go from '{current}'"):
            check_transition(7, current.value, wanted)


def test_ready_is_final_and_nothing_skips_the_update() -> None:
    assert TRANSITIONS[S.READY] == frozenset()
    assert TRANSITIONS[S.UPDATING] == {S.READY}  # a confirmed PUT is the only way out
    assert S.UPDATING not in TRANSITIONS[S.UPLOADING] | TRANSITIONS[S.CREATING]


def test_an_unknown_stored_state_is_refused() -> None:
    with pytest.raises(IllegalTransition):
        check_transition(1, "done", S.READY)


def test_illegal_transition_is_permanent_so_the_job_goes_dead(store) -> None:
    assert issubclass(IllegalTransition, Permanent)
    outbox = Outbox(store)
    job_id = outbox.enqueue("strava_copy", "k")
    assert outbox.claim(["strava_copy"]) is not None
    failed = outbox.fail(job_id, IllegalTransition(1, "ready", S.UPLOADING))
    assert failed.state == DEAD and "cannot go from 'ready'" in (failed.last_error or "")


def test_labels_for_history() -> None:
    assert {s: s.label for s in LedgerState} == {
        S.UPLOADING: "uploading", S.PROCESSING: "uploading", S.CREATING: "uploading",
        S.UPDATING: "uploading", S.READY: "synced", S.ERROR: "error",
    }  # fmt: skip


# Rows in a real database ------------------------------------------------------------------


@pytest.fixture
def ledger(store) -> LedgerStore:
    return LedgerStore(store, clock=lambda: 1000.0)


@pytest.fixture
def account_id(store) -> int:
    athlete = store.default_athlete()
    acc = save_account(
        store, athlete_id=athlete.id, remote_id="1", display_name=None, role=OWNER,
        parent_id=None, child_names=None, scopes="read",
    )  # fmt: skip
    return acc.id


def _force(store, ledger_id: int, state: str) -> None:
    with store.engine.begin() as conn:
        conn.execute(
            update(m.RemoteActivity).where(m.RemoteActivity.id == ledger_id).values(state=state)
        )


@pytest.mark.parametrize(("current", "wanted"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_move_checks_the_stored_state(store, ledger, account_id, current, wanted) -> None:
    row = ledger.open(account_id, "pulsedeck-x")
    _force(store, row.id, current.value)
    row = ledger.reread(row)
    if (current, wanted) in LEGAL:
        moved = ledger.move(row, wanted, upload_id="u1", error=None)
        assert moved.state is wanted and moved.upload_id == "u1"
    else:
        with pytest.raises(IllegalTransition):
            ledger.move(row, wanted, upload_id="u1")
        again = ledger.open(account_id, "pulsedeck-x")
        assert again.state is current and again.upload_id is None  # nothing written


def test_open_creates_once_in_uploading(ledger, account_id) -> None:
    first = ledger.open(account_id, "pulsedeck-a", session_id=None)
    assert first.state is S.UPLOADING
    assert ledger.open(account_id, "pulsedeck-a").id == first.id


def test_move_keeps_fields_not_given_and_clears_those_given_none(ledger, account_id) -> None:
    row = ledger.posted(ledger.open(account_id, "pulsedeck-b"), "up-1")
    assert row.state is S.PROCESSING and row.upload_id == "up-1"
    row = ledger.activity_known(row, "99", update_pending=True)
    assert (row.state, row.upload_id, row.remote_activity_id) == (S.UPDATING, "up-1", "99")
    row = ledger.updated(row)
    assert row.state is S.READY and row.remote_activity_id == "99"


def test_lost_upload_forgets_its_id(ledger, account_id) -> None:
    row = ledger.posted(ledger.open(account_id, "pulsedeck-c"), "up-2")
    row = ledger.upload_lost(row)
    assert row.state is S.UPLOADING and row.upload_id is None


def test_failed_then_retried_starts_from_nothing(ledger, account_id) -> None:
    row = ledger.posted(ledger.open(account_id, "pulsedeck-d"), "up-3")
    row = ledger.failed(row, "x" * 5000)
    assert row.state is S.ERROR and row.error == "x" * 1000
    row = ledger.retry(row)
    assert (row.state, row.upload_id, row.error) == (S.UPLOADING, None, None)
    assert ledger.retry(row) == row  # only an error row is reset


def test_create_refused_only_undoes_creating(ledger, account_id) -> None:
    row = ledger.open(account_id, "pulsedeck-e")
    assert ledger.create_refused(row).state is S.UPLOADING  # never sent: left as it is
    row = ledger.creating(row)
    assert row.state is S.CREATING
    assert ledger.create_refused(row).state is S.UPLOADING


def test_activity_known_without_update_is_ready(ledger, account_id) -> None:
    row = ledger.creating(ledger.open(account_id, "pulsedeck-f"))
    row = ledger.activity_known(row, "5", update_pending=False)
    assert row.state is S.READY and row.remote_activity_id == "5"


def test_a_row_moved_by_another_worker_is_a_retryable_conflict(store, ledger, account_id) -> None:
    """Two workers on one job (a lease ran out): the later move retries, never goes dead."""
    mine = ledger.posted(ledger.open(account_id, "pulsedeck-i"), "u")
    theirs = ledger.reread(mine)
    ledger.activity_known(theirs, "8", update_pending=False)  # the other worker finished
    with pytest.raises(LedgerConflict, match="is 'ready', not 'processing'") as caught:
        ledger.activity_known(mine, "8", update_pending=False)
    assert isinstance(caught.value, Retryable) and not isinstance(caught.value, Permanent)
    assert ledger.reread(mine).state is S.READY


def test_move_of_a_missing_row(store, ledger, account_id) -> None:
    row = ledger.open(account_id, "pulsedeck-j")
    with store.engine.begin() as conn:
        conn.execute(m.RemoteActivity.__table__.delete())
    with pytest.raises(LookupError):
        ledger.move(row, S.PROCESSING)
    with pytest.raises(LookupError):
        ledger.reread(row)


def test_reads_for_session_and_activity_ids(store, ledger, account_id) -> None:
    sid = store.create_session(store.default_athlete().id, sport="run", source="simulator",
                               started_ms=0)  # fmt: skip
    row = ledger.posted(ledger.open(account_id, "pulsedeck-g", session_id=sid), "u")
    ledger.activity_known(row, "77", update_pending=False)
    ledger.open(account_id, "pulsedeck-h")
    (status,) = ledger.for_session(sid)
    assert (status.account_id, status.state, status.activity_id) == (account_id, S.READY, "77")
    assert ledger.activity_ids(account_id) == {"77"}
